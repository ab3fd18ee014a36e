"""The shipped models reach their promised accuracy on the MNIST test set,
through the project's own loader and the reader's own runtime.

Needs MNIST (dataset/ or $MNIST_DIR; CI sets it)."""

import json

import pytest
from conftest import ROOT

from digit_sheet_reader.models.bundle import LITERT_QUANTISATION, read_metadata
from digit_sheet_reader.training.evaluate import evaluate_model

PROMISED = {"mnist_cnn.model": 0.9965, "mnist_mlp.model": 0.985, "mnist_cnn_broken.model": 0.996,
            "mnist_cnn_skipping.model": 0.996}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROMISED))
def test_shipped_model_accuracy(name, mnist_dir):
    accuracy, errors, _, runtime = evaluate_model(ROOT / "output" / name, mnist_dir)
    assert runtime == "litert"
    assert accuracy >= PROMISED[name], f"{name}: {accuracy:.4f} ({errors} errors)"
    # The number written beside the model is the one measured here (through
    # LiteRT, once its file was re-exported with int8 weights).
    metrics = json.loads((ROOT / "output" / name / "metrics.json").read_text())
    recorded = metrics.get("litert_test_accuracy", metrics["test_accuracy"])
    assert accuracy == pytest.approx(recorded, abs=2e-4)


@pytest.mark.parametrize("name", sorted(PROMISED))
def test_shipped_bundle_is_complete_and_small(name):
    folder = ROOT / "output" / name
    for part in ("bundle.json", "metrics.json", "model.tflite", "config.json", "model.weights.h5",
                 "curves.png", "confusion.png"):
        assert (folder / part).is_file(), part
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size < 12 * 2**20, f"{name} is {size / 2**20:.1f} MB"  # the CNN packs three members


@pytest.mark.parametrize("name", sorted(PROMISED) + ["digit_check.model", "digit_strings.model"])
def test_shipped_litert_files_are_quantised(name):
    folder = ROOT / "output" / name
    assert read_metadata(folder)["litert_quantisation"] == LITERT_QUANTISATION
    # int8 weights: about 1 byte a parameter (1.03-1.12 measured; float32 files: 4.0-4.1).
    parameters = json.loads((folder / "metrics.json").read_text())["parameters"]
    assert (folder / "model.tflite").stat().st_size < 2 * parameters
