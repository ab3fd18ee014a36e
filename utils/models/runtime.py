"""One inference interface, two runtimes behind it.

:func:`load_recogniser` opens a model bundle (or a bare ``.keras``/``.h5``/
``.tflite`` file) and returns a :class:`Recogniser` whose :meth:`~Recogniser.predict`
takes a batch of 28x28 ``uint8`` crops and returns class probabilities.

- **LiteRT** (``ai_edge_litert``) when the bundle carries ``model.tflite`` and
  the package imports: no TensorFlow import at all, so a whole CLI run costs
  a fraction of a second.
- **Keras** otherwise: ``keras.models.load_model`` with safe mode on (a model
  file is untrusted input), called through ``predict_on_batch``, which costs
  ~4 ms per call where ``model.predict`` costs ~40 ms.

Both runtimes give the same argmax on the same inputs (tested).

Examples
--------
>>> rec = load_recogniser("output/mnist_cnn.model")  # doctest: +SKIP
>>> probs = rec.predict(crops)  # doctest: +SKIP
>>> [rec.labels[i] for i in probs.argmax(1)]  # doctest: +SKIP
"""

import os
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..io.files import captured_stderr
from .bundle import LITERT_FILE, read_metadata

RUNTIMES = ("auto", "litert", "keras")
# Crops are run through a model at most this many at a time: the
# activations of a batch grow with it (a page of thousands of marks took
# gigabytes in one batch); a page of digits needs one or two batches.
MAX_BATCH = 512


class Recogniser:
    """A loaded model with its labels; subclasses implement :meth:`_infer`.

    Attributes
    ----------
    labels : list of str
        Class names, index-aligned with the probability columns.
    runtime : str
        ``"litert"`` or ``"keras"``.
    metadata : dict
        The bundle metadata.
    """

    runtime = None

    def __init__(self, path, metadata):
        self.path = Path(path)
        self.metadata = metadata
        self.labels = list(metadata["labels"])
        self.input_shape = tuple(metadata["input"]["shape"])
        self.scale = float(metadata["input"]["scale"])

    def prepare(self, crops):
        """uint8 (N, 28, 28) or (N, 28, 28, 1) -> float32 (N, 28, 28, 1) in the model's scale."""
        crops = np.asarray(crops)
        if crops.shape[1:3] != self.input_shape[:2]:
            raise ValueError(f"expected crops of shape (N, {self.input_shape[0]}, {self.input_shape[1]}), got {crops.shape}")
        return (crops.reshape((-1, *self.input_shape)).astype(np.float32)) * np.float32(self.scale)

    def predict(self, crops):
        """Return class probabilities, shape (N, len(labels)), float32, in
        batches of at most ``MAX_BATCH`` crops (bounded memory)."""
        crops = np.asarray(crops)
        if len(crops) == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        parts = [self._infer(self.prepare(crops[i:i + MAX_BATCH])) for i in range(0, len(crops), MAX_BATCH)]
        return np.concatenate([np.asarray(p, dtype=np.float32) for p in parts])

    def classify(self, crops):
        """Return (labels, confidences) for a batch of crops."""
        probs = self.predict(crops)
        best = probs.argmax(axis=1)
        return [self.labels[i] for i in best], probs[np.arange(len(best)), best]

    def _infer(self, batch):
        raise NotImplementedError


class LiteRTRecogniser(Recogniser):
    """Runs the bundle's ``model.tflite`` with the LiteRT interpreter."""

    runtime = "litert"

    def __init__(self, path, metadata, tflite_path, num_threads=None):
        super().__init__(path, metadata)
        from ai_edge_litert.interpreter import Interpreter

        try:
            with captured_stderr():  # LiteRT's C++ announces its CPU delegate on stderr
                self._interpreter = Interpreter(model_path=str(tflite_path), num_threads=num_threads or os.cpu_count())
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{tflite_path}: not a LiteRT model ({str(exc).splitlines()[0]})") from None
        given, made = self._interpreter.get_input_details()[0], self._interpreter.get_output_details()[0]
        check_shapes(path, metadata, tuple(given["shape"][1:]), int(made["shape"][-1]))
        self._input, self._output = given["index"], made["index"]
        self._batch = None

    def _infer(self, batch):
        # Resizing re-plans the graph: only do it when the batch size changes.
        if self._batch != len(batch):
            self._interpreter.resize_tensor_input(self._input, batch.shape)
            with captured_stderr():
                self._interpreter.allocate_tensors()
            self._batch = len(batch)
        self._interpreter.set_tensor(self._input, batch)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output).copy()


class KerasRecogniser(Recogniser):
    """Runs the full Keras model (imports TensorFlow: ~2 s start-up)."""

    runtime = "keras"

    def __init__(self, path, metadata):
        super().__init__(path, metadata)
        self.model = load_keras_model(path)
        check_shapes(path, metadata, tuple(self.model.input_shape[1:]), int(self.model.output_shape[-1]))

    def _infer(self, batch):
        return np.asarray(self.model.predict_on_batch(batch))


def check_shapes(path, metadata, input_shape, outputs):
    """ModelError unless the model takes the input its bundle describes and
    gives one probability per label."""
    if input_shape != tuple(metadata["input"]["shape"]) or outputs != len(metadata["labels"]):
        raise ModelError(f"{path}: the model takes {list(input_shape)} and gives {outputs} outputs, but its bundle "
                         f"says input {metadata['input']['shape']} and {len(metadata['labels'])} labels")


def load_keras_model(path):
    """``keras.models.load_model`` with safe mode on, errors as ModelError."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with captured_stderr():  # TensorFlow's C++ start-up lines: not the user's business
        import keras

        try:
            return keras.models.load_model(path, compile=False, safe_mode=True)
        except Exception as exc:  # Keras raises many types for a bad file
            message = " ".join(str(exc).split()) or type(exc).__name__  # whole, on one line
            raise ModelError(f"{path}: cannot load Keras model ({message})") from None


def litert_available():
    """True if the ``ai_edge_litert`` package imports."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False
    return True


def load_recogniser(path, runtime="auto", num_threads=None):
    """Open a model and return a :class:`Recogniser`.

    Parameters
    ----------
    path : str or Path
        A ``.model`` bundle directory, or a bare ``.keras``, ``.h5`` or
        ``.tflite`` file (digit labels 0-9 assumed).
    runtime : {"auto", "litert", "keras"}
        ``auto`` takes LiteRT where the flatbuffer exists and the package
        imports, else Keras.
    """
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}")
    path = Path(path)
    metadata = read_metadata(path)
    litert_file = path / metadata["files"].get("litert", LITERT_FILE) if path.is_dir() else path
    has_litert = litert_file.suffix == ".tflite" and litert_file.is_file()
    has_keras = metadata["files"].get("keras") is not None and path.suffix.lower() != ".tflite"
    if runtime == "litert" or (runtime == "auto" and has_litert and litert_available()):
        if not has_litert:
            raise ModelError(f"{path}: no LiteRT flatbuffer ({LITERT_FILE}) in this model; use --runtime keras")
        if not litert_available():
            raise ModelError("the LiteRT runtime is not installed: pip install ai-edge-litert")
        return LiteRTRecogniser(path, metadata, litert_file, num_threads)
    if not has_keras:
        raise ModelError(f"{path}: a LiteRT-only model needs the ai-edge-litert package")
    return KerasRecogniser(path, metadata)
