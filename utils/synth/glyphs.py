"""Handwriting-like digits drawn with OpenCV's Hershey fonts.

The repository ships no MNIST pixels and no third-party images, so tests,
golden sheets and examples draw their own digits: a Hershey script or
simplex glyph with random slant, rotation, stroke width, size and jitter.
They are not MNIST, but they are readable digits that a trained model
recognises and that exercise every stage of the pipeline.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> glyph = render_glyph("7", rng, height=40)      # ink = 255 on 0
>>> glyph.dtype, glyph.ndim
(dtype('uint8'), 2)
"""

import cv2
import numpy as np

from ..data.loaders import Dataset
from ..pipeline.crops import crop_to_ink, mnist_style

FONTS = (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX,
         cv2.FONT_HERSHEY_SIMPLEX | cv2.FONT_ITALIC)
# Hershey's zero is slashed and its one has a foot; people write neither.
# An oval "O" and a plain "l" stroke look like handwritten 0 and 1.
HANDWRITTEN_LOOK = {"0": "O", "1": "l"}
# Print as forms and newspapers set it (a sudoku's givens): sans and serif faces, upright.
PRINTED_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX,
                 cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_COMPLEX_SMALL)


def render_glyph(text, rng, height=40, stroke=None, slant=None, font=None, printed=False):
    """Draw ``text`` as white ink on black, tightly cropped, about ``height`` px tall.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the random slant, rotation, stroke width and font.
    stroke : float, optional
        Stroke width as a fraction of the height (default: random 0.05-0.11).
    slant : float, optional
        Horizontal shear (default: random -0.1..0.35, right-leaning like handwriting).
    printed : bool
        Print, not handwriting: a face of ``PRINTED_FONTS``, its own 0 and 1,
        nearly upright, strokes 0.04-0.14 of the height (light to bold).
    """
    fonts = PRINTED_FONTS if printed else FONTS
    font = fonts[rng.integers(len(fonts))] if font is None else font
    if printed:
        text = text.replace("0", "O")  # Hershey's zero is slashed; print's is a plain oval
    elif font != cv2.FONT_HERSHEY_SCRIPT_SIMPLEX or text == "0":
        text = "".join(HANDWRITTEN_LOOK.get(c, c) for c in text)
    stroke = (rng.uniform(0.04, 0.14) if printed else rng.uniform(0.05, 0.11)) if stroke is None else stroke
    slant = (rng.uniform(-0.05, 0.2) if printed else rng.uniform(-0.1, 0.35)) if slant is None else slant
    # Draw large, then shear, rotate and shrink: thin Hershey strokes stay smooth.
    scale = 4
    big_h = height * scale
    font_scale = cv2.getFontScaleFromHeight(font, big_h, 1)
    thickness = max(1, int(round(stroke * big_h)))
    (w, h), base = cv2.getTextSize(text, font, font_scale, thickness)
    pad = big_h
    canvas = np.zeros((h + base + 2 * pad, w + 2 * pad), np.uint8)
    cv2.putText(canvas, text, (pad, pad + h), font, font_scale, 255, thickness, cv2.LINE_AA)
    angle = rng.uniform(-6, 6)
    centre = (canvas.shape[1] / 2, canvas.shape[0] / 2)
    matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
    matrix[0, 1] -= slant
    matrix[0, 2] += slant * centre[1]
    canvas = cv2.warpAffine(canvas, matrix, canvas.shape[::-1], flags=cv2.INTER_LINEAR)
    canvas = crop_to_ink(canvas, 32)
    out_h = height
    out_w = max(1, int(round(canvas.shape[1] * out_h / canvas.shape[0])))
    return cv2.resize(canvas, (out_w, out_h), interpolation=cv2.INTER_AREA)


def printed_digits(count, rng):
    """A :class:`Dataset` of ``count`` printed digits in MNIST style, balanced over 0-9."""
    labels = np.arange(count) % 10
    rng.shuffle(labels)
    images = np.stack([mnist_style(render_glyph(str(d), rng, height=int(rng.integers(24, 64)), printed=True))
                       for d in labels])
    return Dataset(images, labels.astype(np.int64))


def synthetic_digits(count, seed=0):
    """A small MNIST-like :class:`Dataset` of drawn digits, balanced over 0-9.

    Used by tests to exercise loaders and training without MNIST itself.
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 10
    rng.shuffle(labels)
    images = np.stack([mnist_style(render_glyph(str(d), rng)) for d in labels])
    return Dataset(images, labels.astype(np.int64))
