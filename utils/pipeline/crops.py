"""Turn a digit region into a 28x28 MNIST-style crop: regions -> crops.

MNIST digits were size-normalised to fit a 20x20 box keeping their aspect
ratio (anti-aliased), then placed in 28x28 with their centre of mass at the
centre; white ink on black. A recogniser trained on MNIST reads a crop well
only if it is made the same way, and with a similar stroke width: a thin
ball-point digit photographed large would shrink to a hairline, a felt
marker to a blob, so strokes are first thickened or thinned towards
MNIST's ratio of stroke width to digit size.

Crops are taken from the grey ink darkness (under the region's mask) where
it is given, which keeps the anti-aliased edges MNIST has; from the binary
mask otherwise.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from ..models.sequences import HEIGHT, INK_HEIGHT, WIDTH


@dataclass(frozen=True)
class CropSettings:
    """How a region is made into an MNIST-style 28x28 crop."""

    stroke_ratio: float = 0.11  # stroke width as a share of the digit's longer side, as in MNIST's 20 px box
    pad: float = 0.15  # margin around a region's ink, as a share of its longer side
    core_quantile: float = 0.75  # a stroke's core darkness is this quantile of its pixels'
    thin_pen: float = 0.7  # strokes thinner than this share of MNIST's are thickened


CROPS = CropSettings()


def crop_to_ink(image, level=0):
    """``image`` cropped to the pixels brighter than ``level`` (white ink on black).

    Examples
    --------
    >>> glyph = np.zeros((10, 10), np.uint8); glyph[2:5, 3:8] = 200
    >>> crop_to_ink(glyph).shape
    (3, 5)
    """
    ys, xs = np.nonzero(image > level)
    return image[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def quantile(values, q):
    """The ``q`` quantile (0..1) of a 1-D array, by partition: np.percentile
    sorts, and this runs once per digit. 0 for an empty array."""
    if not values.size:
        return 0.0
    k = min(values.size - 1, int(q * values.size))
    return float(np.partition(values, k)[k])


def mnist_style(glyph):
    """Fit white-on-black ``glyph`` into 20x20, centre its mass in 28x28.

    Examples
    --------
    >>> glyph = np.zeros((60, 30), np.uint8); glyph[:, 10:20] = 255
    >>> crop = mnist_style(glyph)
    >>> crop.shape, int(crop[:, 14].max()) > 200, int(crop[:, 0].max())
    ((28, 28), True, 0)
    """
    h, w = glyph.shape
    factor = 20.0 / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    small = cv2.resize(glyph, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    out = np.zeros((28, 28), np.float32)
    y0, x0 = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    out[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    moments = cv2.moments(out)
    if moments["m00"] > 0:
        dx, dy = 13.5 - moments["m10"] / moments["m00"], 13.5 - moments["m01"] / moments["m00"]
        out = cv2.warpAffine(out, np.float32([[1, 0, dx], [0, 1, dy]]), (28, 28), flags=cv2.INTER_LINEAR)
    return np.clip(out, 0, 255).astype(np.uint8)


def stroke_width(binary):
    """Mean stroke width of a binary shape: twice its area over its perimeter."""
    contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * float(binary.sum() / max(binary.max(), 1)) / max(perimeter, 1.0)


def adjust_stroke(binary, target):
    """Dilate or erode ``binary`` (0/255) towards a stroke width of ``target`` px."""
    width = stroke_width(binary)
    radius = int(round((target - width) / 2.0))
    if radius >= 1:
        element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        return cv2.dilate(binary, element)
    if radius <= -1 and width > 2.0 * target:
        element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (-2 * radius + 1, -2 * radius + 1))
        thinned = cv2.erode(binary, element)
        return thinned if thinned.any() else binary
    return binary


def region_glyph(labels, region, pad=None):
    """The region's own pixels (its component ids only) as a 0/255 crop, padded."""
    x, y, w, h = region.box
    crop = region.pixels(labels).astype(np.uint8) * 255
    pad = pad if pad is not None else max(2, int(CROPS.pad * max(w, h)))
    return cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)


def grey_glyph(darkness, labels, region):
    """The region's ink in grey levels: darkness under its (slightly grown)
    mask, stretched so the stroke cores are white. Keeps the anti-aliased
    edges that a binary mask throws away."""
    binary = region_glyph(labels, region)
    x, y, w, h = region.box
    pad = (binary.shape[0] - h) // 2
    dark = cv2.copyMakeBorder(darkness[y:y + h, x:x + w], pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    grown = cv2.dilate(binary, np.ones((3, 3), np.uint8))
    ink = np.where(grown > 0, dark, 0).astype(np.float32)
    values = ink[binary > 0]
    core = quantile(values, CROPS.core_quantile) if values.size else 255.0
    return np.clip(ink * (255.0 / max(core, 1.0)), 0, 255).astype(np.uint8), binary


def normalise(labels, region, darkness=None, bridge=0):
    """One region -> 28x28 uint8 crop, MNIST style.

    ``bridge`` (px) closes gaps up to that wide in the strokes first: a
    second look at a digit whose stroke broke (a pen skipping, a fold).
    """
    if bridge:
        return close_gaps(normalise(labels, region, darkness), region.box, bridge)
    return mnist_style(crop_to_ink(region_ink(labels, region, darkness)))


def close_gaps(crop, box, bridge):
    """A region's crop (:func:`normalise`) with the gaps in its strokes up to
    ``bridge`` px of the region (whose ``box`` is x y w h) closed at the
    crop's own scale, the loops it already has kept open."""
    size = max(3, round(bridge * 20.0 / max(box[2], box[3])) | 1)
    closed = cv2.morphologyEx(crop, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    return mnist_style(crop_to_ink(keep_loops(crop, closed)))


def keep_loops(glyph, closed):
    """``closed`` (``glyph`` with gaps in its strokes closed) with the loops
    ``glyph`` already has kept open: closing bridges a skipping pen's gaps,
    but also fills the small loops of a narrow 8 or 9, which then reads as a 1.
    A loop is the dark inside of the ink (half its brightest) that no path of
    dark pixels joins to the crop's edge.

    >>> glyph = np.zeros((9, 9), np.uint8); glyph[2:7, 2:7] = 255; glyph[4, 4] = 0
    >>> closed = glyph.copy(); closed[4, 4] = 255     # the loop closed
    >>> int(keep_loops(glyph, closed)[4, 4])
    0
    """
    return np.where(holes(glyph >= glyph.max() / 2), glyph, closed)


def holes(ink):
    """Where the bool mask ``ink`` encloses background: no path of
    background pixels joins it to the edge (a 0's or a 9's loop).

    >>> ring = np.zeros((7, 7), bool); ring[1:6, 1:6] = True; ring[3, 3] = False
    >>> np.argwhere(holes(ring)).tolist()
    [[3, 3]]
    """
    outside = np.pad(~ink, 1, constant_values=True).astype(np.uint8)
    cv2.floodFill(outside, None, (0, 0), 2)
    return outside[1:-1, 1:-1] == 1


def topology(crop):
    """(pieces, loops) of a crop's ink at half its brightest: the 8-connected
    pieces it falls into and the holes it encloses.

    >>> ring = np.zeros((9, 9), np.uint8); ring[2:7, 2:7] = 255; ring[4, 4] = 0
    >>> topology(ring), topology(np.zeros((9, 9), np.uint8))
    ((1, 1), (0, 0))
    """
    if not crop.any():
        return 0, 0
    ink = crop >= crop.max() / 2
    pieces = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)[0] - 1
    loops = cv2.connectedComponents(holes(ink).astype(np.uint8), connectivity=4)[0] - 1
    return pieces, loops


def bridges_gap(crop, closed):
    """True if ``closed`` (``crop`` with the gaps in its strokes closed)
    joins pieces of its ink or closes a loop: it bridged a gap a skipping
    pen left. Where there is no gap, closing only adds ink in the digit's
    angles and openings (a 4's open top filled into a 9's loop).

    >>> broken = np.zeros((9, 9), np.uint8); broken[1:4, 4] = 255; broken[5:8, 4] = 255
    >>> whole = broken.copy(); whole[4, 4] = 255
    >>> bridges_gap(broken, whole), bridges_gap(whole, np.maximum(whole, np.roll(whole, 1, axis=1)))
    (True, False)
    """
    (pieces, loops), (pieces_closed, loops_closed) = topology(crop), topology(closed)
    return pieces_closed < pieces or loops_closed > loops


def region_ink(labels, region, darkness=None, size=None):
    """The region's ink, white on black and padded, with strokes brought
    towards MNIST's width for a glyph ``size`` px tall (default: the
    region's longer side; a row of digits passes its height)."""
    target = CROPS.stroke_ratio * (size or max(region.box[2], region.box[3]))
    if darkness is None:
        return adjust_stroke(region_glyph(labels, region), target)
    glyph, binary = grey_glyph(darkness, labels, region)
    if not glyph.any():  # no darkness under the mask (a region cut from another threshold): its shape, then
        return adjust_stroke(binary, target)
    if stroke_width(binary) < CROPS.thin_pen * target:  # thin pen: thicken like the binary path
        glyph = np.maximum(glyph, adjust_stroke(binary, target))
    return glyph


def normalise_all(labels, regions, darkness=None, bridge=0):
    """All regions of a page -> (N, 28, 28) uint8, ready for one batch."""
    if not regions:
        return np.zeros((0, 28, 28), np.uint8)
    return np.stack([normalise(labels, r, darkness, bridge) for r in regions])


def string_style(glyph):
    """White-on-black ``glyph`` (cropped to its ink) -> (28x96 uint8 canvas,
    (factor, x0)): canvas column c shows glyph column (c - x0) / factor."""
    h, w = glyph.shape
    factor = min(INK_HEIGHT / h, (WIDTH - 4) / w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    small = cv2.resize(glyph, size, interpolation=cv2.INTER_AREA)
    canvas = np.zeros((HEIGHT, WIDTH), np.uint8)
    y0, x0 = (HEIGHT - size[1]) // 2, (WIDTH - size[0]) // 2
    canvas[y0:y0 + size[1], x0:x0 + size[0]] = small
    return canvas, (factor, x0)
