"""The ``*.model`` bundle: one directory that carries everything to read digits.

Keras 3 refuses to save to ``mnist_cnn.model`` as a file, but saves a full
model into a directory of any name with ``model.save(path, zipped=False)``
and loads it back with ``keras.models.load_model(path)``. The bundle is that
directory, plus our own files::

    output/mnist_cnn.model/
        config.json, model.weights.h5, metadata.json   Keras' own
        model.tflite       LiteRT flatbuffer (fast path, no TensorFlow needed),
                           weights quantised to int8 (see ``LITERT_QUANTISATION``)
        bundle.json        labels, input size and normalisation, metrics summary
        metrics.json       full training record (hyper-parameters, data checksums ...)
        curves.png, confusion.png, samples.png

Bundles are written to a temporary sibling directory and renamed into place,
so a crash never leaves a half-written model where a good one was.

This module must not import TensorFlow: the LiteRT runtime reads bundles
without it.
"""

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

from ..errors import ModelError, OutputError
from ..io.atomic import write_atomic
from ..io.files import regular_file

BUNDLE_FORMAT = "digit-sheet-reader/model-bundle"
BUNDLE_VERSION = 1
BUNDLE_FILE = "bundle.json"
LITERT_FILE = "model.tflite"
KERAS_CONFIG = "config.json"
DIGIT_LABELS = [str(d) for d in range(10)]
# Dynamic-range quantisation: int8 weights, float activations. The shipped CNN
# runs 2.5x faster on CPU (105 crops: 41 -> 16 ms); on the 5,999 held-out
# validation digits it gives the same label as the float file on every one,
# probabilities within 0.03 (the broken-stroke CNN: one label of 5,999
# differs, probabilities within 0.054).
LITERT_QUANTISATION = "dynamic-range"

# The kinds of model the reader asks: their labels, input shape, and what to call them.
KINDS = {
    "recogniser": (DIGIT_LABELS, (28, 28, 1), "a digit recogniser"),
    "checker": (["one", "not one"], (28, 28, 1), "a one-digit checker"),
    "strings": (["blank", *DIGIT_LABELS], (28, 96, 1), "a sequence reader of joined digits"),
}

# What every shipped model expects as input (the reader's normaliser produces it).
MNIST_INPUT = {
    "shape": [28, 28, 1],
    "dtype": "float32",
    "scale": 1.0 / 255.0,
    "polarity": "white ink on black",
    "layout": "digit fitted into 20x20, centre of mass at the centre of 28x28",
}


def bundle_metadata(labels, architecture, metrics=None):
    """The content of ``bundle.json`` for a freshly trained model."""
    return {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "labels": list(labels),
        "input": dict(MNIST_INPUT),
        "architecture": architecture,
        "files": {"keras": ".", "litert": LITERT_FILE},
        "metrics": metrics or {},
    }


def default_metadata(architecture="unknown"):
    """Metadata assumed for a bare ``.keras``/``.h5`` file: digit labels."""
    return bundle_metadata(DIGIT_LABELS, architecture)


def check_writable_parent(path):
    """Raise OutputError unless ``path`` could be created (before hours of training)."""
    parent = Path(path).resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write to {parent} ({exc.strerror or exc}); choose another --out") from None


def write_json(path, data):
    """Write JSON atomically (temporary file, then rename)."""
    write_atomic(path, json.dumps(data, indent=2) + "\n")


def save_bundle(model, path, metadata, extra_writers=(), export_litert=True):
    """Save ``model`` and its metadata as a bundle directory, atomically.

    Parameters
    ----------
    model : keras.Model
    path : str or Path
        The bundle directory, e.g. ``output/mnist_cnn.model``.
    metadata : dict
        Written as ``bundle.json`` (see :func:`bundle_metadata`).
    extra_writers : iterable of callables
        Each is called with the temporary bundle directory to add files
        (curves, confusion matrix, metrics) before the bundle is moved in.
    """
    path = Path(path)
    check_writable_parent(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        model.save(tmp, zipped=False)
        if export_litert:
            export_litert_file(model, tmp / LITERT_FILE)
            metadata = {**metadata, "litert_quantisation": LITERT_QUANTISATION}
        for writer in extra_writers:
            writer(tmp)
        write_json(tmp / BUNDLE_FILE, metadata)
        _replace_dir(tmp, path)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"cannot write model bundle {path} ({exc})") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def export_litert_file(model, path):
    """Write ``model`` as a LiteRT flatbuffer with int8 weights (imports TensorFlow)."""
    import tensorflow as tf

    model.export(str(path), format="litert", verbose=False, optimizations=[tf.lite.Optimize.DEFAULT])


def _replace_dir(new, target):
    # rename() cannot replace a non-empty directory: move the old one aside
    # first, so the target always holds one complete bundle or the other.
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{new.name[-8:]}")
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_metadata(path):
    """Return the bundle metadata of ``path`` (a bundle dir or a bare model file), checked.

    Raises
    ------
    ModelError
        If the path is missing, is not a regular file or folder, or is not
        something this tool can load: ``bundle.json`` that is not an object
        of the expected keys and types, labels that are not distinct
        strings, an input shape that is not (height, width, channels), or a
        file path that leads out of the bundle.
    """
    path = Path(path)
    if not path.exists():
        raise ModelError(f"{path}: no such model (the shipped ones are output/mnist_cnn.model and output/mnist_mlp.model)")
    if path.is_dir():
        meta_file = path / BUNDLE_FILE
        if meta_file.exists():
            regular_file(meta_file, ModelError)
            try:
                meta = json.loads(meta_file.read_text())
            except (OSError, ValueError) as exc:
                raise ModelError(f"{meta_file}: unreadable bundle metadata ({exc})") from None
            _check_metadata(meta, meta_file, path)
            return meta
        if (path / KERAS_CONFIG).exists():
            regular_file(path / KERAS_CONFIG, ModelError)
            return default_metadata()
        raise ModelError(f"{path}: not a model bundle (no {BUNDLE_FILE} or {KERAS_CONFIG} inside)")
    regular_file(path, ModelError)
    if path.suffix.lower() in (".keras", ".h5", ".hdf5"):
        return default_metadata()
    if path.suffix.lower() == ".tflite":
        meta = default_metadata()
        meta["files"] = {"litert": path.name}
        return meta
    raise ModelError(f"{path}: not a model (expected a .model bundle directory, or a .keras, .h5 or .tflite file)")


def _check_metadata(meta, meta_file, folder):
    """ModelError, in one line, for the first thing wrong with ``bundle.json``."""
    def wrong(what):
        raise ModelError(f"{meta_file}: not a valid Digit Sheet Reader bundle ({what})")

    if not isinstance(meta, dict) or meta.get("format") != BUNDLE_FORMAT:
        wrong("not an object of format " + BUNDLE_FORMAT)
    labels = meta.get("labels")
    if (not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(x, str) and x for x in labels)
            or len(set(labels)) != len(labels)):
        wrong("labels must be a list of at least two distinct names")
    shape = meta.get("input", {}).get("shape") if isinstance(meta.get("input"), dict) else None
    if (not isinstance(shape, list) or len(shape) != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in shape)):
        wrong("input.shape must be [height, width, channels]")
    if not isinstance(meta["input"].get("scale"), (int, float)) or isinstance(meta["input"].get("scale"), bool):
        wrong("input.scale must be a number")
    files = meta.get("files", {})
    if not isinstance(files, dict) or not all(v is None or isinstance(v, str) for v in files.values()):
        wrong("files must map names to paths inside the bundle")
    inside = folder.resolve()
    for name, relative in files.items():
        if relative is not None and not (folder / relative).resolve().is_relative_to(inside):
            wrong(f"files.{name} leads out of the bundle: {relative}")


def check_kind(recogniser, kind):
    """ModelError unless ``recogniser`` is the ``kind`` of model the reader
    asks it to be: its labels and input shape (:data:`KINDS`)."""
    labels, shape, what = KINDS[kind]
    if list(recogniser.labels) != list(labels) or tuple(recogniser.input_shape) != shape:
        raise ModelError(f"{recogniser.path}: not {what} (labels {recogniser.labels}, input "
                         f"{list(recogniser.input_shape)}; expected labels {list(labels)}, input {list(shape)})")


def fingerprint(paths):
    """A short SHA-256 of every file that makes the models at ``paths``
    read as they do (bundles' metadata and weights; not their plots): two
    runs with the same fingerprint read with the same models."""
    digest = hashlib.sha256()
    for path in paths:
        path = Path(path)
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix != ".png") if path.is_dir() else [path]
        for file in files:
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]
