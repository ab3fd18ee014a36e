"""Measure a model bundle's accuracy on the MNIST test set, through the same
runtime the reader uses.

Usage::

    python -m digit_sheet_reader.training.evaluate -m output/mnist_cnn.model [--runtime litert|keras] [--data DIR]
"""

import time

import numpy as np

from ..data.loaders import check_labels, load_mnist
from ..errors import command_parser, run_cli
from ..models.runtime import RUNTIMES, load_recogniser


def evaluate_model(model_path, data=None, runtime="auto", batch=1000):
    """Return (accuracy, errors, seconds) of ``model_path`` on the test split."""
    recogniser = load_recogniser(model_path, runtime)
    test = load_mnist(data).test
    check_labels(test, len(recogniser.labels))
    started = time.perf_counter()
    predicted = np.concatenate([recogniser.predict(test.images[i:i + batch]).argmax(1)
                                for i in range(0, len(test), batch)])
    seconds = time.perf_counter() - started
    errors = int((predicted != test.labels).sum())
    return 1 - errors / len(test), errors, seconds, recogniser.runtime


def main(argv=None):
    parser = command_parser("Test-set accuracy of a model bundle.",
                            "example: python -m digit_sheet_reader.training.evaluate -m output/mnist_cnn.model")
    parser.add_argument("-m", "--model", default="output/mnist_cnn.model", help="(default: %(default)s)")
    parser.add_argument("--data", help="MNIST location (default: dataset/, then $MNIST_DIR)")
    parser.add_argument("--runtime", choices=RUNTIMES, default="auto", help="(default: %(default)s)")
    args = parser.parse_args(argv)
    accuracy, errors, seconds, runtime = evaluate_model(args.model, args.data, args.runtime)
    print(f"{args.model}: test accuracy {accuracy:.2%} ({errors} errors in 10,000 test images; "
          f"{runtime} runtime, {seconds:.2f} s)")
    return 0


if __name__ == "__main__":
    run_cli(main)
