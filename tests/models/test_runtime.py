"""Model loading: bundles, bare Keras files, and everything that is not a model."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from digit_sheet_reader.errors import ModelError
from digit_sheet_reader.models.bundle import bundle_metadata, read_metadata, save_bundle
from digit_sheet_reader.models.runtime import load_recogniser


@pytest.fixture(scope="module")
def small_model():
    from digit_sheet_reader.training.architectures import build_mlp

    return build_mlp(hidden=(16,))


def test_bare_keras_file_loads_with_digit_labels(tmp_path, small_model, tiny_test):
    path = tmp_path / "plain.keras"
    small_model.save(path)
    rec = load_recogniser(path)
    assert rec.runtime == "keras" and rec.labels == [str(d) for d in range(10)]
    expected = np.asarray(small_model.predict_on_batch(tiny_test.images[:4, ..., None] / 255.0))
    np.testing.assert_allclose(rec.predict(tiny_test.images[:4]), expected, atol=1e-6)


def test_save_bundle_replaces_old_bundle_atomically(tmp_path, small_model):
    path = tmp_path / "m.model"
    save_bundle(small_model, path, bundle_metadata(list("0123456789"), "first"), export_litert=False)
    save_bundle(small_model, path, bundle_metadata(list("0123456789"), "second"), export_litert=False)
    assert read_metadata(path)["architecture"] == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.model"]


def test_failed_save_leaves_old_bundle_and_no_debris(tmp_path, small_model):
    path = tmp_path / "m.model"
    save_bundle(small_model, path, bundle_metadata(list("0123456789"), "good"), export_litert=False)

    def crash(_):
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        save_bundle(small_model, path, bundle_metadata(list("0123456789"), "bad"), [crash], export_litert=False)
    assert read_metadata(path)["architecture"] == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.model"]


@pytest.mark.parametrize("make, message", [
    (lambda p: p, "no such model"),
    (lambda p: (p.mkdir(), p)[1], "not a model bundle"),
    (lambda p: (p.with_suffix(".txt").write_text("hello"), p.with_suffix(".txt"))[1], "not a model"),
    (lambda p: (p.with_suffix(".keras").write_bytes(b"not a zip"), p.with_suffix(".keras"))[1], "cannot load Keras model"),
    (lambda p: (p.with_suffix(".tflite").write_bytes(b"\0" * 64), p.with_suffix(".tflite"))[1], "not a LiteRT model"),
])
def test_not_a_model_is_a_model_error(tmp_path, make, message):
    with pytest.raises(ModelError, match=message):
        load_recogniser(make(tmp_path / "thing"))


@pytest.mark.slow
def test_litert_path_does_not_import_tensorflow(shipped_cnn):
    code = ("import sys; from digit_sheet_reader.models.runtime import load_recogniser; import numpy as np;"
            "r = load_recogniser('output/mnist_cnn.model', 'litert'); r.predict(np.zeros((3, 28, 28), np.uint8));"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_crops_go_through_a_model_in_bounded_batches(shipped_cnn, monkeypatch):
    from digit_sheet_reader.models import runtime

    recogniser = runtime.load_recogniser(shipped_cnn)
    sizes, infer = [], recogniser._infer
    monkeypatch.setattr(recogniser, "_infer", lambda batch: sizes.append(len(batch)) or infer(batch))
    crops = np.random.default_rng(0).integers(0, 255, (2 * runtime.MAX_BATCH + 7, 28, 28), dtype=np.uint8)
    probs = recogniser.predict(crops)
    assert sizes == [runtime.MAX_BATCH, runtime.MAX_BATCH, 7] and probs.shape == (len(crops), 10)
    np.testing.assert_allclose(probs[-7:], recogniser.predict(crops[-7:]), atol=1e-6)  # as read alone
