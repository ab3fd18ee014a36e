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

import json
import shutil
import tempfile
from pathlib import Path

from ..errors import ModelError, OutputError
from ..io.atomic import write_atomic

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
    """Return the bundle metadata of ``path`` (a bundle dir or a bare model file).

    Raises
    ------
    ModelError
        If the path is missing or is not something this tool can load.
    """
    path = Path(path)
    if not path.exists():
        raise ModelError(f"{path}: no such model (the shipped ones are output/mnist_cnn.model and output/mnist_mlp.model)")
    if path.is_dir():
        meta_file = path / BUNDLE_FILE
        if meta_file.exists():
            try:
                meta = json.loads(meta_file.read_text())
            except (OSError, ValueError) as exc:
                raise ModelError(f"{meta_file}: unreadable bundle metadata ({exc})") from None
            if meta.get("format") != BUNDLE_FORMAT or not isinstance(meta.get("labels"), list):
                raise ModelError(f"{meta_file}: not a Digit Sheet Reader bundle")
            return meta
        if (path / KERAS_CONFIG).exists():
            return default_metadata()
        raise ModelError(f"{path}: not a model bundle (no {BUNDLE_FILE} or {KERAS_CONFIG} inside)")
    if path.suffix.lower() in (".keras", ".h5", ".hdf5"):
        return default_metadata()
    if path.suffix.lower() == ".tflite":
        meta = default_metadata()
        meta["files"] = {"litert": path.name}
        return meta
    raise ModelError(f"{path}: not a model (expected a .model bundle directory, or a .keras, .h5 or .tflite file)")
