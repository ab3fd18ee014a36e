"""Recognise: every region normalised and read by the digit recogniser in one batch.

Also how surely a whole view reads (:func:`view_confidence`), which the
reader uses to judge which way up a page is, and the canvas the sequence
reader sees a region on (:func:`string_view`).
"""

from dataclasses import dataclass

import numpy as np

from ..models.sequences import decode
from .crops import crop_to_ink, normalise_all, region_ink, string_style


@dataclass(frozen=True)
class RecogniseSettings:
    """How a view's readability is judged."""

    view_sample: int = 16  # regions (the largest) judged for which way up a view reads best


RECOGNISE = RecogniseSettings()


@dataclass
class Read:
    """Regions of a page with their labels and confidences, index for index."""

    regions: list
    names: list
    confidences: np.ndarray
    crops: np.ndarray  # (N, 28, 28) uint8, as the recogniser saw them

    def replace(self, index, other, rows):
        """A new Read with region ``index`` replaced by rows ``rows`` of ``other`` (none: removed)."""
        def spliced(mine, theirs):
            return mine[:index] + [theirs[k] for k in rows] + mine[index + 1:]

        return Read(spliced(self.regions, other.regions), spliced(self.names, other.names),
                    np.concatenate([self.confidences[:index], other.confidences[rows], self.confidences[index + 1:]]),
                    np.concatenate([self.crops[:index], other.crops[rows], self.crops[index + 1:]]))


def read_regions(labels, regions, darkness, classify, bridge=0):
    """Normalise and classify ``regions`` in one batch -> :class:`Read`."""
    return read_crops(regions, normalise_all(labels, regions, darkness, bridge), classify)


def read_crops(regions, crops, classify):
    """Classify the ``crops`` of ``regions`` in one batch -> :class:`Read`."""
    names, confidences = classify(crops)
    return Read(list(regions), list(names), np.asarray(confidences, np.float64), crops)


def view_confidence(labels, read, darkness, read_strings=None):
    """How surely a view reads, the way up it is seen: the mean confidence
    over its regions, the sequence reader's where there is one (on the
    ``RECOGNISE.view_sample`` largest regions: the same ink whichever way up), else
    the recogniser's.

    The sequence reader judges which way up better: the recogniser reads
    digits written joined as one digit, unsurely whichever way up (a page
    written joined can even look surer upside down), while the sequence
    reader reads them, and single digits, as they are.
    """
    if read_strings is None or not read.regions:
        return float(np.mean(read.confidences)) if len(read.confidences) else 0.0
    largest = sorted(read.regions, key=lambda r: r.box[2] * r.box[3], reverse=True)[:RECOGNISE.view_sample]
    views = np.stack([string_view(labels, region, darkness)[0] for region in largest])
    return float(np.mean([reading.confidence for reading in decode(read_strings(views))]))


def string_view(labels, region, darkness):
    """The region as the sequence reader sees it, and a function from
    canvas column to the region's own column."""
    glyph = region_ink(labels, region, darkness, size=region.box[3])
    pad = (glyph.shape[1] - region.box[2]) // 2
    left = int(np.flatnonzero(glyph.any(axis=0))[0]) - pad
    canvas, (factor, x0) = string_style(crop_to_ink(glyph))
    return canvas, lambda c: left + (c - x0) / factor


def width_in_heights(box, h):
    """A box's width in digit heights: its own height or the page's
    digit height ``h``, whichever is larger."""
    return box[2] / max(h, box[3])


def geometric_mean(values):
    return float(np.exp(np.log(np.maximum(values, 1e-6)).mean()))
