"""Every loader format, on tiny files the tests write themselves."""

import numpy as np
import pytest
from conftest import write_csv, write_idx

from digit_sheet_reader.data import loaders as data_io
from digit_sheet_reader.errors import DataError


def assert_same(loaded, expected):
    np.testing.assert_array_equal(loaded.images, expected.images)
    np.testing.assert_array_equal(loaded.labels, expected.labels)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, tiny_train, gz):
    suffix = ".gz" if gz else ""
    images = write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", tiny_train.images, gz)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", tiny_train.labels, gz)
    assert_same(data_io.load_dataset(images), tiny_train)


def test_idx_transpose_for_emnist(tmp_path, tiny_train):
    images = write_idx(tmp_path / "emnist-train-images-idx3-ubyte", tiny_train.images.transpose(0, 2, 1))
    write_idx(tmp_path / "emnist-train-labels-idx1-ubyte", tiny_train.labels)
    assert_same(data_io.load_dataset(images, transpose=True), tiny_train)


@pytest.mark.parametrize("header", [False, True])
def test_csv_round_trip(tmp_path, tiny_train, header):
    path = write_csv(tmp_path / "mnist_train.csv", tiny_train, header=header)
    assert_same(data_io.load_dataset(path), tiny_train)


def test_npz_both_splits(tmp_path, tiny_train, tiny_test):
    np.savez(tmp_path / "mnist.npz", x_train=tiny_train.images, y_train=tiny_train.labels,
             x_test=tiny_test.images, y_test=tiny_test.labels)
    splits = data_io.load_splits(tmp_path)
    assert_same(splits.train, tiny_train)
    assert_same(splits.test, tiny_test)


def test_image_folder_tree_inverts_dark_ink(tmp_path, tiny_train):
    import cv2

    for i, (image, label) in enumerate(zip(tiny_train.images[:30], tiny_train.labels[:30])):
        (tmp_path / "train" / str(label)).mkdir(parents=True, exist_ok=True)
        # Stored as dark ink on white paper, as scans are.
        cv2.imwrite(str(tmp_path / "train" / str(label) / f"{i:03d}.png"), 255 - image)
    loaded = data_io.load_dataset(tmp_path, "train")
    # Read back class by class, file by file, inverted to white on black.
    order = np.lexsort((np.arange(30), tiny_train.labels[:30]))
    np.testing.assert_array_equal(loaded.labels, tiny_train.labels[:30][order])
    np.testing.assert_array_equal(loaded.images, tiny_train.images[:30][order])


def test_folder_with_mnist_idx_layout(tiny_idx_dir, tiny_train, tiny_test):
    splits = data_io.load_splits(tiny_idx_dir)
    assert_same(splits.train, tiny_train)
    assert_same(splits.test, tiny_test)


def test_truncated_idx_is_a_data_error(tmp_path, tiny_train):
    path = write_idx(tmp_path / "train-images-idx3-ubyte", tiny_train.images)
    path.write_bytes(path.read_bytes()[:-100])
    write_idx(tmp_path / "train-labels-idx1-ubyte", tiny_train.labels)
    with pytest.raises(DataError, match="truncated"):
        data_io.load_dataset(path)


def test_mismatched_counts_are_a_data_error(tmp_path, tiny_train):
    path = write_idx(tmp_path / "train-images-idx3-ubyte", tiny_train.images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", tiny_train.labels[:-1])
    with pytest.raises(DataError, match="300 images but 299 labels"):
        data_io.load_dataset(path)


@pytest.mark.parametrize("content, message", [
    ("", "empty"),
    ("1,2,3\n", "label and 784 pixels"),
    ("3," + ",".join(["300"] * 784) + "\n", "0..255"),
    ("x,y\n1,a\n", "malformed"),
])
def test_bad_csv_is_a_data_error(tmp_path, content, message):
    path = tmp_path / "mnist_train.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        data_io.load_dataset(path)


def test_labels_out_of_range(tiny_train):
    bad = data_io.Dataset(tiny_train.images, tiny_train.labels.copy())
    bad.labels[3] = 12
    with pytest.raises(DataError, match="out of range 0..9"):
        data_io.check_labels(bad, 10)


def test_missing_everywhere_says_where_to_put_files(tmp_path, monkeypatch):
    monkeypatch.setattr(data_io, "DEFAULT_DATA_DIR", tmp_path / "nothing")
    monkeypatch.delenv(data_io.DATA_ENV_VAR, raising=False)
    with pytest.raises(DataError, match="MNIST not found: put train-images-idx3-ubyte.gz"):
        data_io.load_mnist(allow_download=False)


def test_env_var_pointing_nowhere_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(data_io, "DEFAULT_DATA_DIR", tmp_path / "nothing")
    monkeypatch.setenv(data_io.DATA_ENV_VAR, str(tmp_path / "typo"))
    with pytest.raises(DataError, match="MNIST_DIR"):
        data_io.locate_mnist()


def test_validation_split_is_seeded_stratified_and_disjoint(tiny_train):
    train_a, val_a = data_io.train_val_split(tiny_train, 0.2, seed=3)
    train_b, val_b = data_io.train_val_split(tiny_train, 0.2, seed=3)
    _, val_c = data_io.train_val_split(tiny_train, 0.2, seed=4)
    np.testing.assert_array_equal(val_a.images, val_b.images)
    assert not np.array_equal(val_a.labels, val_c.labels) or not np.array_equal(val_a.images, val_c.images)
    assert len(train_a) + len(val_a) == len(tiny_train)
    assert np.bincount(val_a.labels, minlength=10).tolist() == [6] * 10  # 30 per class, 20 %


def test_encode_one_hot():
    onehot = data_io.encode([3, 0, 9])
    assert onehot.shape == (3, 10)
    assert onehot.argmax(1).tolist() == [3, 0, 9]
    assert onehot.sum() == 3


def test_plot_dataset_writes_png(tmp_path, tiny_train):
    from digit_sheet_reader.training.plots import plot_dataset

    path = tmp_path / "grid.png"
    plot_dataset(tiny_train.images[:16], tiny_train.labels[:16], path, predictions=tiny_train.labels[:16])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_default_data_folder_is_the_clones_dataset_folder():
    from conftest import ROOT

    assert data_io.DEFAULT_DATA_DIR == ROOT / "dataset"
