"""Model bundles are checked when they are loaded: every malformed one is
one line and exit code 4, never a traceback and never a silent misreading."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from digit_sheet_reader import SheetReader
from digit_sheet_reader.errors import ModelError
from digit_sheet_reader.models.bundle import fingerprint, read_metadata

SHIPPED = ROOT / "output"
SHEET = ROOT / "examples" / "sheet.jpg"


@pytest.fixture
def bundle(tmp_path):
    """A copy of the shipped CNN whose bundle.json a test may spoil."""
    copy = tmp_path / "copy.model"
    shutil.copytree(SHIPPED / "mnist_cnn.model", copy, ignore=shutil.ignore_patterns("*.png", "*.h5"))
    return copy


def spoil(bundle, change):
    meta = json.loads((bundle / "bundle.json").read_text())
    meta = change(meta)
    (bundle / "bundle.json").write_text(json.dumps(meta))
    return bundle


@pytest.mark.parametrize("change, fragment", [
    (lambda m: [m], "not an object"),
    (lambda m: {k: v for k, v in m.items() if k != "labels"}, "labels must be"),
    (lambda m: {**m, "labels": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}, "labels must be"),
    (lambda m: {**m, "labels": ["1", "1"]}, "labels must be"),
    (lambda m: {**m, "input": {**m["input"], "shape": [28, 28]}}, "input.shape"),
    (lambda m: {**m, "input": "28x28"}, "input.shape"),
    (lambda m: {**m, "input": {**m["input"], "scale": "1/255"}}, "input.scale"),
    (lambda m: {**m, "files": {"litert": "../../elsewhere/model.tflite"}}, "leads out of the bundle"),
])
def test_a_malformed_bundle_json_is_a_model_error(bundle, change, fragment):
    with pytest.raises(ModelError, match=fragment):
        read_metadata(spoil(bundle, change))


def test_labels_that_do_not_match_the_models_outputs_are_refused(bundle):
    spoil(bundle, lambda m: {**m, "labels": m["labels"] + ["10"]})  # 11 labels, 10 outputs
    with pytest.raises(ModelError, match="gives 10 outputs"):
        SheetReader(bundle)


def test_an_input_shape_the_model_does_not_take_is_refused(bundle):
    spoil(bundle, lambda m: {**m, "input": {**m["input"], "shape": [32, 32, 1]}})
    with pytest.raises(ModelError, match="the model takes"):
        SheetReader(bundle)


@pytest.mark.parametrize("helper, kind", [("digit_check.model", "not a digit recogniser"),
                                          ("digit_strings.model", "not a digit recogniser")])
def test_a_helper_given_as_the_recogniser_is_refused(helper, kind):
    with pytest.raises(ModelError, match=kind):
        SheetReader(SHIPPED / helper)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_model_paths_that_are_pipes_are_refused(tmp_path, bundle):
    os.mkfifo(tmp_path / "model.keras")
    with pytest.raises(ModelError, match="named pipe"):
        read_metadata(tmp_path / "model.keras")
    (bundle / "bundle.json").unlink()
    os.mkfifo(bundle / "bundle.json")
    with pytest.raises(ModelError, match="named pipe"):
        read_metadata(bundle)


def test_the_fingerprint_follows_the_weights_not_the_plots(bundle):
    before = fingerprint([bundle])
    (bundle / "curves.png").write_bytes(b"another plot")
    assert fingerprint([bundle]) == before
    (bundle / "model.tflite").write_bytes((bundle / "model.tflite").read_bytes() + b"\0")
    assert fingerprint([bundle]) != before


@pytest.mark.slow
def test_a_broken_model_fails_a_batch_once_with_exit_4(bundle, tmp_path):
    spoil(bundle, lambda m: [m])
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(3):
        shutil.copy(SHEET, folder / f"{k}.jpg")
    result = subprocess.run([sys.executable, "recognize.py", "-i", str(folder), "--out", str(tmp_path / "out"),
                             "-m", str(bundle), "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == ModelError.exit_code
    assert [line for line in result.stderr.splitlines() if line.strip()] == [
        line for line in result.stderr.splitlines() if line.startswith("error: ")] and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "results.jsonl").exists()
