"""The sheet reader: image -> binary -> regions -> 28x28 crops -> labels -> lines.

Examples
--------
>>> reader = SheetReader("output/mnist_cnn.model")      # doctest: +SKIP
>>> page = reader.read("examples/sheet.jpg")            # doctest: +SKIP
>>> print(page.text)                                    # doctest: +SKIP
0123456789
>>> page.to_dict()["lines"][0]["digits"][0]["confidence"]  # doctest: +SKIP
0.9987
"""

import time
from pathlib import Path

import cv2
import numpy as np

from utils.imageio import MAX_SIDE, MIN_REDUCED_SIDE, load_image
from utils.lines import group_lines
from utils.normalise import normalise_all
from utils.preprocess import binarise, rough_digit_height
from utils.result import Digit, Line, Page
from utils.runtime import load_recogniser
from utils.segment import find_regions

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "output" / "mnist_cnn.model"
# Digits this tall (px) keep every detail the 20x20 MNIST box can use;
# pages whose digits are much larger are worked on scaled down to it.
WORK_DIGIT_HEIGHT = 40
# Large JPEGs are first decoded small (1/4 or 1/8 size: a few ms); only if
# their digits come out shorter than SMALL_DIGIT px are they decoded again
# with more pixels.
FAST_SIDE, SMALL_DIGIT = 800, 24


class SheetReader:
    """Load a model once, read many images.

    Parameters
    ----------
    model_path : str or Path
        A model bundle (default: the shipped ``output/mnist_cnn.model``).
    runtime : {"auto", "litert", "keras"}
    max_side : int
        Longer side of the working image; larger photos are read at reduced
        size, boxes are still reported in the original's pixels.
    num_threads : int, optional
        Inference threads (default: all cores; batch workers use one each).
    """

    def __init__(self, model_path=DEFAULT_MODEL, runtime="auto", max_side=MAX_SIDE, num_threads=None):
        self.model_path = str(model_path)
        self.recogniser = load_recogniser(model_path, runtime, num_threads)
        self.max_side = max_side

    def read(self, source, name=None):
        """Read one image (a path or a BGR/grey array) and return a :class:`Page`."""
        clock = _Clock()
        loaded = load_image(source, self.max_side, min_side=FAST_SIDE)
        image, scale, rough = shrink_to_digit_size(loaded.image, loaded.scale)
        if rough < SMALL_DIGIT and self._decoded_below_default(loaded):
            loaded = load_image(source, self.max_side)  # small digits: decode with more pixels
            image, scale, rough = shrink_to_digit_size(loaded.image, loaded.scale)
        clock.lap("load")
        binary = binarise(image, rough)
        clock.lap("preprocess")
        segmentation = find_regions(binary.mask, binary.digit_height)
        crops = normalise_all(segmentation.labels, segmentation.regions, binary.darkness)
        clock.lap("segment")
        labels, confidences = self.recogniser.classify(crops)
        clock.lap("recognise")
        boxes = np.array([r.box for r in segmentation.regions], dtype=np.float64).reshape(-1, 4)
        order = group_lines(boxes, segmentation.digit_height)
        lines = [Line([Digit(labels[i], float(confidences[i]), _to_original(boxes[i], scale, loaded.original_size))
                       for i in line]) for line in order]
        clock.lap("lines")
        image_name = name or (str(source) if not isinstance(source, np.ndarray) else "<array>")
        return Page(image_name, loaded.original_size, self.model_path, lines, clock.laps, loaded.image, loaded.scale)


    def _decoded_below_default(self, loaded):
        """True if the fast decode gave fewer pixels than a default decode would."""
        side = max(loaded.image.shape[:2])
        return side < min(self.max_side, MIN_REDUCED_SIDE, max(loaded.original_size))


def shrink_to_digit_size(image, scale):
    """Scale ``image`` down when its digits are far taller than needed.

    A 12 MP photo of a few large numbers is read as fast as a small scan:
    preprocessing cost falls with the square of the factor. Returns the
    image, original pixels per pixel of it, and its rough digit height.
    """
    rough = rough_digit_height(image)
    if rough <= 1.25 * WORK_DIGIT_HEIGHT:
        return image, scale, rough
    factor = rough / WORK_DIGIT_HEIGHT
    small = cv2.resize(image, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
    return small, scale * image.shape[1] / small.shape[1], rough * small.shape[1] / image.shape[1]


def _to_original(box, s, original_size):
    """Working-resolution box -> integer box in the original image, clipped."""
    width, height = original_size
    x0, y0 = int(np.floor(box[0] * s)), int(np.floor(box[1] * s))
    x1 = min(width, int(np.ceil((box[0] + box[2]) * s)))
    y1 = min(height, int(np.ceil((box[1] + box[3]) * s)))
    return (x0, y0, x1 - x0, y1 - y0)


class _Clock:
    """Milliseconds per stage, plus the total."""

    def __init__(self):
        self.start = self.last = time.perf_counter()
        self.laps = {}

    def lap(self, name):
        now = time.perf_counter()
        self.laps[name] = (now - self.last) * 1000.0
        self.laps["total"] = (now - self.start) * 1000.0
        self.last = now
