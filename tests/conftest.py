"""Shared fixtures: tiny data sets written in every supported layout, and
the MNIST location for the accuracy tests.

The accuracy tests need MNIST. They find it like the tools do (``dataset/``
or ``$MNIST_DIR``); CI sets ``MNIST_DIR``. Without it they are skipped on a
developer's machine, but fail under CI (``CI`` set), so that a broken data
path can never pass as green.
"""

import gzip
import os
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digit_sheet_reader.data import loaders as data_io  # noqa: E402
from digit_sheet_reader.synth.glyphs import synthetic_digits  # noqa: E402


def write_idx(path, array, gz=False):
    """Write ``array`` (uint8) in LeCun's IDX layout."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if gz else open
    with opener(path, "wb") as handle:
        handle.write(header + array.tobytes())
    return Path(path)


def write_csv(path, dataset, header=False):
    table = np.c_[dataset.labels, dataset.images.reshape(len(dataset), -1)]
    lines = [",".join(map(str, row)) for row in table]
    if header:
        lines.insert(0, "label," + ",".join(f"p{i}" for i in range(table.shape[1] - 1)))
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def write_mnist_idx_dir(folder, train, test, gz=True):
    """A folder laid out like the MNIST distribution."""
    suffix = ".gz" if gz else ""
    for prefix, part in (("train", train), ("t10k", test)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", part.images, gz)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", part.labels, gz)
    return folder


@pytest.fixture(scope="session")
def tiny_train():
    return synthetic_digits(300, seed=1)


@pytest.fixture(scope="session")
def tiny_test():
    return synthetic_digits(100, seed=2)


@pytest.fixture
def tiny_idx_dir(tmp_path, tiny_train, tiny_test):
    folder = tmp_path / "mnist"
    folder.mkdir()
    return write_mnist_idx_dir(folder, tiny_train, tiny_test)


@pytest.fixture(scope="session")
def mnist_dir():
    """Where MNIST is (``dataset/`` or ``$MNIST_DIR``); skip, or fail under CI, if nowhere."""
    location = data_io.locate_mnist()
    if location is None:
        message = "MNIST not found: set MNIST_DIR (see README) to run the accuracy tests"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return location


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite the expected JSON and annotated PNGs of the golden tests from the current reader")


@pytest.fixture(scope="session")
def update_golden(request):
    return request.config.getoption("--update-golden")


def train_tiny_helper(main, data_dir, out, examples, *more):
    """One epoch of a helper model's trainer (checker, sequence reader) on
    the tiny data set, with options ``more``; the bundle it wrote, loaded."""
    from digit_sheet_reader.models.runtime import load_recogniser

    args = ["--data", str(data_dir), "--examples", str(examples), "--epochs", "1", "--out", str(out), *more]
    assert main(args) == 0
    return load_recogniser(out)


@pytest.fixture(scope="session")
def shipped_cnn():
    path = ROOT / "output" / "mnist_cnn.model"
    if not (path / "bundle.json").exists():
        pytest.fail("output/mnist_cnn.model is missing: the shipped model must be committed")
    return path
