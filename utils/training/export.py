"""Re-export a bundle's LiteRT file from its Keras model, with int8 weights.

Bundles written before the reader ran quantised models carry a float32
``model.tflite``; training writes quantised ones now (``digit_sheet_reader.models.bundle``).
This brings an existing bundle up to date without retraining::

    python -m digit_sheet_reader.training.export output/mnist_cnn.model [--data DIR]

The new flatbuffer replaces the old one atomically. For a digit model
(labels 0-9) the MNIST test accuracy is measured again through LiteRT and
written into ``metrics.json`` as ``litert_test_accuracy``, beside the Keras
figure that training recorded.
"""

import json
import tempfile
from pathlib import Path

from ..errors import ModelError, command_parser, run_cli
from ..models.bundle import (
    BUNDLE_FILE,
    DIGIT_LABELS,
    LITERT_FILE,
    LITERT_QUANTISATION,
    export_litert_file,
    read_metadata,
    write_json,
)


def export_bundle(bundle):
    """Rewrite ``bundle``'s ``model.tflite`` quantised; return its metadata."""
    from ..models.runtime import load_keras_model

    bundle = Path(bundle)
    meta = read_metadata(bundle)
    if not (bundle / BUNDLE_FILE).exists():
        raise ModelError(f"{bundle}: not a model bundle directory")
    model = load_keras_model(bundle)
    with tempfile.TemporaryDirectory(dir=bundle.parent) as tmp:
        export_litert_file(model, Path(tmp) / LITERT_FILE)
        (Path(tmp) / LITERT_FILE).replace(bundle / LITERT_FILE)
    meta["litert_quantisation"] = LITERT_QUANTISATION
    write_json(bundle / BUNDLE_FILE, meta)
    return meta


def record_litert_accuracy(bundle, data=None):
    """Measure the test accuracy through LiteRT and write it into metrics.json."""
    from .evaluate import evaluate_model

    accuracy, errors, _, _ = evaluate_model(bundle, data, runtime="litert")
    metrics_file = Path(bundle) / "metrics.json"
    metrics = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
    metrics["litert_test_accuracy"] = accuracy
    metrics["litert_quantisation"] = LITERT_QUANTISATION
    write_json(metrics_file, metrics)
    return accuracy, errors


def main(argv=None):
    parser = command_parser(__doc__)
    parser.add_argument("bundles", nargs="+", help="model bundles to re-export, e.g. output/mnist_cnn.model")
    parser.add_argument("--data", help="MNIST location for digit models (default: dataset/, then $MNIST_DIR)")
    args = parser.parse_args(argv)

    from . import recogniser  # noqa: F401  (first: it quiets TensorFlow's C++ logging)

    for bundle in args.bundles:
        meta = export_bundle(bundle)
        if meta["labels"] == DIGIT_LABELS:
            accuracy, errors = record_litert_accuracy(bundle, args.data)
            print(f"{bundle}: LiteRT ({LITERT_QUANTISATION}) test accuracy {accuracy:.2%} ({errors} errors)")
        else:
            print(f"{bundle}: LiteRT file re-exported ({LITERT_QUANTISATION})")
    return 0


if __name__ == "__main__":
    run_cli(main)
