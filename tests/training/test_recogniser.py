"""A tiny training run end to end: bundle complete, loadable, runtimes agree,
and the same seed gives the same model."""

import json

import numpy as np
import pytest

import train_cnn
import train_mlp
from digit_sheet_reader.models.bundle import LITERT_QUANTISATION, read_metadata
from digit_sheet_reader.models.runtime import load_recogniser

pytestmark = pytest.mark.slow  # training runs and a subprocess per case

TINY = ["--epochs", "1", "--batch-size", "32", "--quiet"]
# LiteRT files carry int8 weights: on the 5,999 validation digits the shipped
# models' probabilities moved by up to 0.054 (the broken-stroke CNN; the
# ensemble 0.03), and one label of the 5,999 changed.
QUANTISED_ATOL = 0.06


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory, tiny_train, tiny_test):
    from conftest import write_mnist_idx_dir

    folder = tmp_path_factory.mktemp("data")
    write_mnist_idx_dir(folder, tiny_train, tiny_test)
    out = tmp_path_factory.mktemp("out") / "tiny_cnn.model"
    assert train_cnn.main(["--data", str(folder), "--out", str(out), "--arch", "classic", *TINY]) == 0
    return out, folder


def test_bundle_is_complete(tiny_bundle):
    out, _ = tiny_bundle
    for name in ("bundle.json", "metrics.json", "model.tflite", "config.json", "model.weights.h5",
                 "curves.png", "confusion.png", "samples.png"):
        assert (out / name).is_file(), name
    meta = read_metadata(out)
    assert meta["labels"] == [str(d) for d in range(10)]
    assert meta["input"]["shape"] == [28, 28, 1]
    assert meta["litert_quantisation"] == LITERT_QUANTISATION
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert set(metrics["per_class_accuracy"]) == {str(d) for d in range(10)}
    assert metrics["hyper_parameters"]["seed"] == 1
    assert len(metrics["data"]["sha256"]) == 4
    assert all(len(h) == 64 for h in metrics["data"]["sha256"].values())
    assert "tensorflow" in metrics["versions"]
    # Nothing temporary left beside the bundle.
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def test_keras_and_litert_runtimes_agree(tiny_bundle, tiny_test):
    out, _ = tiny_bundle
    litert, keras_rt = load_recogniser(out, "litert"), load_recogniser(out, "keras")
    assert (litert.runtime, keras_rt.runtime) == ("litert", "keras")
    assert load_recogniser(out).runtime == "litert"  # auto prefers the fast path
    for batch in (tiny_test.images[:1], tiny_test.images):
        p_lite, p_keras = litert.predict(batch), keras_rt.predict(batch)
        assert p_lite.shape == (len(batch), 10)
        np.testing.assert_array_equal(p_lite.argmax(1), p_keras.argmax(1))
        np.testing.assert_allclose(p_lite, p_keras, atol=QUANTISED_ATOL)
        np.testing.assert_allclose(p_lite.sum(1), 1.0, atol=1e-5)


def test_same_seed_same_model(tiny_bundle, tmp_path):
    out, data = tiny_bundle
    again = tmp_path / "again.model"
    assert train_cnn.main(["--data", str(data), "--out", str(again), "--arch", "classic", *TINY]) == 0
    first = json.loads((out / "metrics.json").read_text())
    second = json.loads((again / "metrics.json").read_text())
    assert first["history"] == second["history"]
    assert first["test_accuracy"] == second["test_accuracy"]


def test_mlp_trains_and_learns_something(tiny_bundle, tmp_path, tiny_test):
    _, data = tiny_bundle
    out = tmp_path / "mlp.model"
    argv = ["--data", str(data), "--out", str(out), "--epochs", "15", "--batch-size", "32", "--quiet", "--no-augment",
            "--hidden", "64"]
    assert train_mlp.main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["parameters"] == 784 * 64 + 64 + 64 * 10 + 10
    # Chance is 10 %: 300 clean drawn digits are enough to clear it by far.
    assert metrics["test_accuracy"] > 0.5


def test_ensemble_packs_members_into_one_model(tiny_bundle, tmp_path, tiny_test):
    _, data = tiny_bundle
    out = tmp_path / "ens.model"
    argv = ["--data", str(data), "--out", str(out), "--arch", "classic", "--ensemble", "2", *TINY]
    assert train_cnn.main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["ensemble_members"] == 2 and len(metrics["validation_accuracy"]) == 2
    rec = load_recogniser(out, "litert")
    assert rec.predict(tiny_test.images[:5]).shape == (5, 10)


def test_an_ensemble_fine_tuned_kept_close_trains_each_member_beside_its_own_start(tiny_bundle, tmp_path):
    """Each member starts as a copy of the one it is kept close to, as in
    the shipped ensemble; the two must not clash by name."""
    _, data = tiny_bundle
    ensemble, tuned = tmp_path / "ens.model", tmp_path / "kept.model"
    assert train_cnn.main(["--data", str(data), "--out", str(ensemble), "--ensemble", "2", *TINY]) == 0
    assert train_cnn.main(["--data", str(data), "--out", str(tuned), "--init", str(ensemble), "--keep", "0.5",
                           "--lr", "1e-4", *TINY]) == 0
    metrics = json.loads((tuned / "metrics.json").read_text())
    assert metrics["ensemble_members"] == 2 and metrics["hyper_parameters"]["keep"] == 0.5


def test_pack_two_runs_into_one_bundle(tiny_bundle, tmp_path, tiny_test):
    from digit_sheet_reader.training import ensemble as pack

    out, data = tiny_bundle
    other = tmp_path / "other.model"
    assert train_cnn.main(["--data", str(data), "--out", str(other), "--arch", "classic", "--seed", "5", *TINY]) == 0
    packed = tmp_path / "packed.model"
    assert pack.main([str(out), str(other), "--out", str(packed), "--data", str(data)]) == 0
    metrics = json.loads((packed / "metrics.json").read_text())
    assert metrics["ensemble_members"] == 2 and metrics["packed_from"] == [str(out), str(other)]
    single = [load_recogniser(b, "keras").predict(tiny_test.images) for b in (out, other)]
    np.testing.assert_allclose(load_recogniser(packed, "litert").predict(tiny_test.images),
                               (single[0] + single[1]) / 2, atol=QUANTISED_ATOL)


def test_fine_tuning_starts_from_the_given_weights_and_adds_sheet_crops(tiny_bundle, tmp_path, tiny_test):
    out, data = tiny_bundle
    tuned = tmp_path / "tuned.model"
    argv = ["--data", str(data), "--out", str(tuned), "--init", str(out), "--sheet-crops", "30", "--lr", "1e-9",
            *TINY]
    assert train_cnn.main(argv) == 0
    metrics = json.loads((tuned / "metrics.json").read_text())
    assert metrics["init"]["bundle"] == str(out) and len(metrics["init"]["weights_sha256"]) == 64
    assert metrics["train_samples"] == 270 + 30  # 300 digits, 10 % held out, plus the crops
    assert metrics["validation_samples"] == 30 + 3  # and crops of held-out digits in proportion
    # A learning rate of 1e-9 leaves the starting weights as they were: the
    # outputs match the initial model's, which fresh weights would not.
    before = load_recogniser(out, "keras").predict(tiny_test.images)
    after = load_recogniser(tuned, "keras").predict(tiny_test.images)
    np.testing.assert_allclose(after, before, atol=1e-3)


def test_broken_stroke_copies_join_both_splits_in_proportion(tiny_bundle, tmp_path):
    out, data = tiny_bundle
    tuned = tmp_path / "broken.model"
    argv = ["--data", str(data), "--out", str(tuned), "--init", str(out), "--broken-strokes", "27", *TINY]
    assert train_cnn.main(argv) == 0
    metrics = json.loads((tuned / "metrics.json").read_text())
    assert metrics["train_samples"] == 270 + 27 and metrics["validation_samples"] == 30 + 3


def test_printed_digits_join_both_splits_in_proportion(tiny_bundle, tmp_path):
    out, data = tiny_bundle
    tuned = tmp_path / "printed.model"
    argv = ["--data", str(data), "--out", str(tuned), "--init", str(out), "--printed", "27", *TINY]
    assert train_cnn.main(argv) == 0
    metrics = json.loads((tuned / "metrics.json").read_text())
    assert metrics["train_samples"] == 270 + 27 and metrics["validation_samples"] == 30 + 3


def test_printed_digits_are_balanced_mnist_style_crops():
    from digit_sheet_reader.synth.glyphs import printed_digits

    digits = printed_digits(50, np.random.default_rng(0))
    assert digits.images.shape == (50, 28, 28) and np.bincount(digits.labels).tolist() == [5] * 10
    for image in digits.images:  # fitted in a 20x20 box, as MNIST
        rows, cols = np.nonzero(image > 64)
        assert max(rows.max() - rows.min(), cols.max() - cols.min()) <= 20
    assert printed_digits(50, np.random.default_rng(0)).images.tolist() == digits.images.tolist()  # seeded


def test_broken_copies_keep_their_labels_and_lose_a_little_ink():
    from digit_sheet_reader.data.loaders import Dataset
    from digit_sheet_reader.training.recogniser import broken_copies

    images = np.zeros((6, 28, 28), np.uint8)
    for label in range(6):
        images[label, 4:24, 2 + 4 * label:5 + 4 * label] = 255  # an upright bar in a column of its own
    copies = broken_copies(Dataset(images, np.arange(6)), 4, np.random.default_rng(0))
    assert len(copies.labels) == 4
    for image, label in zip(copies.images, copies.labels):
        original = images[label] > 127
        kept = image > 127
        assert not (kept & ~original).any()  # the copy is its own label's bar ...
        assert 0 < (original & ~kept).sum() < 0.5 * original.sum()  # ... with a little of it cut away
    assert len(broken_copies(Dataset(images, np.arange(6)), 9, np.random.default_rng(0)).labels) == 9  # repeats


def test_flagged_copies_are_1s_with_ink_added_at_their_top_left():
    from digit_sheet_reader.data.loaders import Dataset
    from digit_sheet_reader.training.recogniser import flagged_copies

    images = np.zeros((4, 28, 28), np.uint8)
    images[:, 4:24, 13:16] = 255  # upright bars ...
    labels = np.array([1, 7, 1, 4])  # ... only those labelled 1 are flagged
    copies = flagged_copies(Dataset(images, labels), 5, np.random.default_rng(0))
    assert len(copies) == 5 and set(copies.labels.tolist()) == {1}
    for image in copies.images:
        assert (image[:, :12] > 127).any() and (image > 127).sum() > (images[0] > 127).sum() * 0.6
    with pytest.raises(ValueError, match="no 1 to flag"):  # not an endless loop
        flagged_copies(Dataset(images, np.array([7, 7, 4, 4])), 3, np.random.default_rng(0))


def test_export_quantises_an_old_float_bundle(tiny_bundle, tmp_path, tiny_test):
    import shutil

    import keras

    from digit_sheet_reader.training import export

    out, data = tiny_bundle
    old = tmp_path / "old.model"
    shutil.copytree(out, old)
    model = keras.models.load_model(old)
    model.export(str(old / "model.tflite"), format="litert", verbose=False)  # float32, as bundles once were
    float_size = (old / "model.tflite").stat().st_size
    float_probs = load_recogniser(old, "litert").predict(tiny_test.images)
    assert export.main([str(old), "--data", str(data)]) == 0
    # int8 weights: about a quarter of the float file.
    assert (old / "model.tflite").stat().st_size < 0.4 * float_size
    assert read_metadata(old)["litert_quantisation"] == LITERT_QUANTISATION
    probs = load_recogniser(old, "litert").predict(tiny_test.images)
    np.testing.assert_allclose(probs, float_probs, atol=QUANTISED_ATOL)
    metrics = json.loads((old / "metrics.json").read_text())
    assert metrics["litert_test_accuracy"] == pytest.approx(np.mean(probs.argmax(1) == tiny_test.labels))
    assert [p.name for p in tmp_path.iterdir()] == ["old.model"]  # nothing temporary left


def test_the_keep_term_pulls_towards_the_teacher_only_where_the_teacher_is_right():
    from digit_sheet_reader.training.recogniser import kept_close_loss

    labels = np.eye(3, dtype=np.float32)[[0, 1]]
    student = np.array([[0.6, 0.2, 0.2], [0.2, 0.6, 0.2]], np.float32)
    teacher = np.array([[0.9, 0.05, 0.05],   # right, and surer than the student: kept close
                        [0.9, 0.05, 0.05]],  # wrong (a flagged 1 it reads as 7): the labels alone teach
                       np.float32)
    both = np.concatenate([student, teacher], axis=1)
    plain = np.asarray(kept_close_loss(0.0, 3)(labels, both))
    kept = np.asarray(kept_close_loss(0.5, 3)(labels, both))
    np.testing.assert_allclose(kept[1], 0.5 * plain[1], rtol=1e-5)  # no pull where the teacher is wrong
    assert kept[0] > 0.5 * plain[0] + 0.05  # a pull where it is right


def test_keep_needs_a_model_to_keep_close_to(tiny_bundle, tmp_path):
    from digit_sheet_reader.errors import UsageError

    _, data = tiny_bundle
    with pytest.raises(UsageError, match="--keep"):
        train_cnn.main(["--data", str(data), "--out", str(tmp_path / "k.model"), "--keep", "0.5", *TINY])


def test_a_fine_tune_kept_close_trains_and_records_its_weight(tiny_bundle, tmp_path):
    out, data = tiny_bundle
    tuned = tmp_path / "kept.model"
    assert train_cnn.main(["--data", str(data), "--out", str(tuned), "--init", str(out), "--keep", "0.5",
                           "--lr", "1e-4", *TINY]) == 0
    metrics = json.loads((tuned / "metrics.json").read_text())
    assert metrics["hyper_parameters"]["keep"] == 0.5 and metrics["test_accuracy"] > 0.5
