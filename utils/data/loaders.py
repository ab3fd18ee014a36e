"""Load handwritten-digit data sets in the layouts people actually have.

Supported layouts, each read by :func:`load_dataset` (one split) or
:func:`load_splits` (a folder holding a train and a test split):

- CSV as in the classic tutorial: one row per image, the label then the
  pixels (``mnist_train.csv`` / ``mnist_test.csv``); an optional header row.
- IDX as LeCun distributes MNIST (``*-idx3-ubyte`` images with a matching
  ``*-idx1-ubyte`` labels file, optionally gzipped). EMNIST stores its images
  transposed: pass ``transpose=True``.
- Keras' ``mnist.npz`` (``x_train``, ``y_train``, ``x_test``, ``y_test``).
- A folder tree with one sub-folder per class (``train/3/img001.png``).

All loaders return white-on-black ``uint8`` images of shape ``(N, H, W)``
and ``int64`` labels, and raise :class:`~digit_sheet_reader.errors.DataError` with a
one-line explanation on anything malformed.

Where MNIST is looked for, in order (:func:`locate_mnist`): an explicit
``--data`` path, the project's ``dataset/`` folder, the folder named by the
``MNIST_DIR`` environment variable, and finally Keras' downloader (needs
internet; offline it fails with a message saying where to put the files).
"""

import gzip
import hashlib
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..io.images import IMAGE_EXTENSIONS

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # a clone's top folder (this file is utils/data/loaders.py)
DEFAULT_DATA_DIR = PROJECT_ROOT / "dataset"
DATA_ENV_VAR = "MNIST_DIR"

# IDX header type codes -> numpy dtypes (big-endian where multi-byte).
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@dataclass
class Dataset:
    """Images, integer labels and the files they came from.

    Attributes
    ----------
    images : ndarray of uint8, shape (N, H, W)
        White ink (255) on black (0), as MNIST.
    labels : ndarray of int64, shape (N,)
    sources : list of Path
        Files read, so that training can record their checksums.
    """

    images: np.ndarray
    labels: np.ndarray
    sources: list = field(default_factory=list)

    def __len__(self):
        return len(self.labels)

    def subset(self, index):
        """Return the samples at ``index`` (an index array or slice)."""
        return Dataset(self.images[index], self.labels[index], self.sources)

    def joined(self, other):
        """This dataset's samples followed by ``other``'s."""
        return Dataset(np.concatenate([self.images, other.images]), np.concatenate([self.labels, other.labels]),
                       self.sources + [s for s in other.sources if s not in self.sources])


@dataclass
class Splits:
    """A training and a test split read from one location."""

    train: Dataset
    test: Dataset
    location: str


# --------------------------------------------------------------------------
# Single-format readers


def _open_maybe_gzip(path):
    path = Path(path)
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def read_idx(path):
    """Read one IDX file (optionally gzipped) into a numpy array.

    Examples
    --------
    >>> images = read_idx("dataset/train-images-idx3-ubyte.gz")  # doctest: +SKIP
    >>> images.shape  # doctest: +SKIP
    (60000, 28, 28)
    """
    try:
        with _open_maybe_gzip(path) as handle:
            data = handle.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read IDX file ({exc})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number)")
    dtype, ndim = np.dtype(_IDX_DTYPES[data[2]]), data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise DataError(
            f"{path}: truncated or padded IDX file: header promises {expected} bytes "
            f"of data, file holds {len(data) - header}"
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def _idx_labels_for(images_path):
    """Find the labels file that pairs with an IDX images file."""
    name = Path(images_path).name.replace("images", "labels").replace("idx3", "idx1")
    path = Path(images_path).with_name(name)
    if not path.exists():
        raise DataError(f"{images_path}: no matching labels file ({name}) beside it")
    return path


def load_idx(images_path, labels_path=None, transpose=False):
    """Load an IDX images file and its labels file as a :class:`Dataset`.

    Parameters
    ----------
    transpose : bool
        Swap each image's rows and columns; EMNIST needs this.
    """
    labels_path = labels_path or _idx_labels_for(images_path)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1:
        raise DataError(
            f"{images_path}: expected 3-d images and 1-d labels, got {images.ndim}-d and {labels.ndim}-d"
        )
    if transpose:
        images = images.transpose(0, 2, 1)
    return _checked(Dataset(np.ascontiguousarray(images, dtype=np.uint8), labels, [Path(images_path), Path(labels_path)]))


def load_csv(path, image_shape=(28, 28)):
    """Load the classic CSV layout: label, then H*W pixel values per row.

    A header row (any non-numeric first line) is skipped. 60,000 MNIST rows
    parse in a few seconds.
    """
    path = Path(path)
    width = 1 + int(np.prod(image_shape))
    try:
        with _open_maybe_gzip(path) as handle:
            first = handle.readline()
            if not first.strip():
                raise DataError(f"{path}: CSV file is empty")
            header = bool(first.strip()) and not first.split(b",")[0].strip().lstrip(b"-").isdigit()
            handle.seek(0)
            # numpy's C parser: 60,000 MNIST rows in about 1.5 s.
            table = np.loadtxt(handle, delimiter=",", dtype=np.int64, skiprows=int(header), ndmin=2)
    except OSError as exc:
        raise DataError(f"{path}: cannot read CSV file ({exc})") from None
    except ValueError as exc:
        raise DataError(f"{path}: malformed CSV ({str(exc).splitlines()[0]})") from None
    if table.size == 0:
        raise DataError(f"{path}: CSV file holds no rows")
    if table.shape[1] != width:
        raise DataError(f"{path}: CSV rows must hold a label and {width - 1} pixels, found {table.shape[1]} values")
    if table[:, 1:].min() < 0 or table[:, 1:].max() > 255:
        raise DataError(f"{path}: pixel values must lie in 0..255")
    images = table[:, 1:].astype(np.uint8).reshape((-1, *image_shape))
    return _checked(Dataset(images, table[:, 0], [path]))


def load_npz(path, split="train"):
    """Load one split of a Keras-style ``mnist.npz``."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            images, labels = archive[f"x_{split}"], archive[f"y_{split}"]
    except KeyError:
        raise DataError(f"{path}: npz must hold x_{split} and y_{split}") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read npz file ({exc})") from None
    if images.ndim != 3:
        raise DataError(f"{path}: x_{split} must be (N, H, W) images, got shape {images.shape}")
    return _checked(Dataset(np.asarray(images, dtype=np.uint8), labels, [Path(path)]))


def load_image_folder(root, image_shape=(28, 28), invert=None):
    """Load a folder tree ``root/<label>/<image>`` of digit images.

    Class sub-folders must be named by their integer label (``0`` .. ``9``).
    Images are read as grey and resized to ``image_shape`` if needed. Dark
    ink on light paper is inverted to MNIST's white on black, decided per
    image from its border unless ``invert`` is given.
    """
    import cv2  # imported here: the other loaders do not need OpenCV

    root = Path(root)
    images, labels, sources = [], [], []
    for class_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        if not class_dir.name.isdigit():
            raise DataError(f"{class_dir}: class folders must be named by their integer label")
        for file in sorted(class_dir.iterdir()):
            if file.suffix.lower() not in IMAGE_EXTENSIONS:
                continue
            image = cv2.imread(str(file), cv2.IMREAD_GRAYSCALE)
            if image is None:
                raise DataError(f"{file}: not a readable image")
            if image.shape != tuple(image_shape):
                image = cv2.resize(image, image_shape[::-1], interpolation=cv2.INTER_AREA)
            light_paper = np.median(np.r_[image[0], image[-1], image[:, 0], image[:, -1]]) > 127
            if invert if invert is not None else light_paper:
                image = 255 - image
            images.append(image)
            labels.append(int(class_dir.name))
            sources.append(file)
    if not images:
        raise DataError(f"{root}: no images found in class sub-folders")
    return _checked(Dataset(np.stack(images), np.array(labels), sources))


def _checked(dataset):
    """Validate shapes and labels common to every format."""
    images, labels = dataset.images, np.asarray(dataset.labels)
    if len(images) == 0:
        raise DataError(f"{_name(dataset)}: the data set is empty")
    if len(images) != len(labels):
        raise DataError(f"{_name(dataset)}: {len(images)} images but {len(labels)} labels")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise DataError(f"{_name(dataset)}: labels must be non-negative integers")
    dataset.labels = labels.astype(np.int64)
    return dataset


def _name(dataset):
    return dataset.sources[0] if dataset.sources else "data set"


def check_labels(dataset, num_classes):
    """Raise DataError if any label lies outside ``0 .. num_classes - 1``."""
    bad = (dataset.labels < 0) | (dataset.labels >= num_classes)
    if bad.any():
        raise DataError(
            f"{_name(dataset)}: {int(bad.sum())} labels out of range 0..{num_classes - 1} "
            f"(first: {int(dataset.labels[bad][0])}); pass --num-classes for other data sets"
        )


# --------------------------------------------------------------------------
# Dispatch on a path


def load_dataset(path, split="train", transpose=False):
    """Load one split from a file or folder, whatever its layout.

    Parameters
    ----------
    path : str or Path
        A CSV, IDX images file, ``.npz`` archive, a class-folder tree, or a
        folder holding any of these for both splits.
    split : {"train", "test"}
        Which split to take where the location holds both.
    transpose : bool
        For IDX files from EMNIST, whose images are stored transposed.

    Examples
    --------
    >>> ds = load_dataset("dataset/mnist_test.csv")  # doctest: +SKIP
    >>> ds.images.shape, ds.labels[:3]  # doctest: +SKIP
    ((10000, 28, 28), array([7, 2, 1]))
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_dir():
        return _load_from_folder(path, split, transpose)
    name = path.name.lower()
    if name.endswith(".npz"):
        return load_npz(path, split)
    if name.endswith((".csv", ".csv.gz")):
        return load_csv(path)
    if "ubyte" in name or "idx" in name:
        return load_idx(path, transpose=transpose)
    raise DataError(f"{path}: unknown data format (expected .csv, IDX *-ubyte[.gz], .npz or a folder)")


_SPLIT_PATTERNS = {
    "train": ["train-images-idx3-ubyte", "train-images.idx3-ubyte", "*train-images*idx3-ubyte", "mnist_train.csv", "train.csv"],
    "test": ["t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte", "*test-images*idx3-ubyte", "mnist_test.csv", "test.csv"],
}


def _find_split_file(folder, split):
    for pattern in _SPLIT_PATTERNS[split]:
        for suffix in ("", ".gz"):
            hits = sorted(folder.glob(pattern + suffix))
            if hits:
                return hits[0]
    return None


def _load_from_folder(folder, split, transpose):
    split_file = _find_split_file(folder, split)
    if split_file is not None:
        return load_dataset(split_file, split, transpose)
    if (folder / "mnist.npz").exists():
        return load_npz(folder / "mnist.npz", split)
    if (folder / split).is_dir():
        return load_image_folder(folder / split)
    subdirs = [p for p in folder.iterdir() if p.is_dir()]
    if subdirs and all(p.name.isdigit() for p in subdirs):
        return load_image_folder(folder)
    raise DataError(
        f"{folder}: no {split} data found (looked for IDX *-ubyte[.gz], mnist_{split}.csv, "
        f"mnist.npz, or {split}/<label>/ image folders)"
    )


def has_dataset(folder):
    """True if ``folder`` holds a recognisable train split."""
    folder = Path(folder)
    if not folder.is_dir():
        return False
    return bool(
        _find_split_file(folder, "train") or (folder / "mnist.npz").exists() or (folder / "train").is_dir()
    )


def load_splits(location, transpose=False):
    """Load the train and test splits held at ``location``."""
    return Splits(load_dataset(location, "train", transpose), load_dataset(location, "test", transpose), str(location))


def locate_mnist(data=None):
    """Return where MNIST is: ``data``, ``dataset/``, ``$MNIST_DIR``, or None.

    An explicit ``data`` path wins and must exist; so must ``$MNIST_DIR``
    when it is set, so that a typo never silently falls through.
    """
    if data is not None:
        if not Path(data).exists():
            raise DataError(f"{data}: no such file or folder")
        return Path(data)
    if has_dataset(DEFAULT_DATA_DIR):
        return DEFAULT_DATA_DIR
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        if not has_dataset(env):
            raise DataError(f"{DATA_ENV_VAR}={env}: no MNIST files there (see dataset/README.md)")
        return Path(env)
    return None


def load_mnist(data=None, transpose=False, allow_download=True):
    """Load MNIST's train and test splits from wherever they are.

    Falls back to ``keras.datasets.mnist.load_data()`` (a download) only when
    no local copy exists; offline that fails with one line saying where to
    put the files.
    """
    location = locate_mnist(data)
    if location is not None:
        return load_splits(location, transpose)
    if allow_download:
        try:
            import keras

            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
            source = [Path("~/.keras/datasets/mnist.npz").expanduser()]
            return Splits(
                _checked(Dataset(x_train, y_train, source)), _checked(Dataset(x_test, y_test, source)), "keras download"
            )
        except Exception:  # any network or cache failure means: no data here
            pass
    raise DataError(
        f"MNIST not found: put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        f"t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (or mnist_train.csv / "
        f"mnist_test.csv) in {DEFAULT_DATA_DIR}, or set {DATA_ENV_VAR} to their folder, or pass --data"
    )


# --------------------------------------------------------------------------
# Helpers for training


def train_val_split(dataset, val_fraction=0.1, seed=0):
    """Carve a seeded, stratified validation split out of a training set.

    The test split is never touched here: it is for the final reported
    accuracy only.

    Returns
    -------
    train, val : Dataset
    """
    if not 0 < val_fraction < 1:
        raise ValueError("val_fraction must lie strictly between 0 and 1")
    rng = np.random.default_rng(seed)
    val_index = []
    for label in np.unique(dataset.labels):
        members = np.flatnonzero(dataset.labels == label)
        count = max(1, int(round(len(members) * val_fraction)))
        val_index.append(rng.choice(members, size=count, replace=False))
    val_index = np.sort(np.concatenate(val_index))
    train_mask = np.ones(len(dataset), bool)
    train_mask[val_index] = False
    return dataset.subset(np.flatnonzero(train_mask)), dataset.subset(val_index)


def encode(labels, num_classes=10):
    """One-hot encode integer labels.

    Examples
    --------
    >>> encode([0, 2], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    labels = np.asarray(labels, dtype=np.int64)
    return np.eye(num_classes, dtype=np.float32)[labels]


def file_sha256(path, chunk=1 << 20):
    """SHA-256 of a file's bytes, for recording which data a model saw."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()
