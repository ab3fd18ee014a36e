"""Sequence-model inference: read a region of joined digits as a digit string.

The sequence reader (trained by :mod:`..training.sequence_reader`) slides a
small convolutional network along a region and gives, for every 4-pixel
column band (a *frame*), the probability of each digit or of none (the
*blank*). CTC (Connectionist Temporal Classification) decoding turns those
frames into a string: the best class per frame, repeats merged, blanks
dropped; it also says where each digit lies.

Input: the region's ink, white on black, 20 px high, centred in a 28x96
canvas (:func:`..pipeline.crops.string_style` makes it). Output: 24 frames
x 11 classes (blank, then the digits 0-9).

Examples
--------
>>> probs = np.full((2, 24, 11), 0.01); probs[:, :, 0] = 0.9  # all blank ...
>>> probs[0, 5:7, 3], probs[0, 12, 8] = 0.95, 0.95           # ... but a 2, then a 7
>>> [(r.text, len(r.spans)) for r in decode(probs)]
[('27', 2), ('', 0)]
"""

from dataclasses import dataclass

import numpy as np

from ..errors import ModelError

HEIGHT, WIDTH = 28, 96  # canvas
FRAME = 4  # canvas columns per output frame
INK_HEIGHT = 20  # as MNIST's 20x20 box
LABELS = ("blank",) + tuple(str(d) for d in range(10))
MAX_DIGITS = 4  # the longest string the reader is trained on


@dataclass
class StringReading:
    """A region read as a sequence: its digits, how sure each is, the
    frames each was seen in (first, last), and the canvas columns a frame covers."""

    text: str
    confidences: list
    spans: list
    frame: float = FRAME
    shift: int = 0  # the canvas was read moved this many columns right

    @property
    def confidence(self):
        return float(min(self.confidences)) if self.confidences else 0.0

    def gaps(self):
        """Canvas columns midway between one digit's last frame and the next one's first."""
        return [(end + 1 + start) * self.frame / 2.0 - self.shift for (_, end), (start, _) in zip(self.spans, self.spans[1:])]


def decode(probs):
    """Greedy CTC decoding of (N, frames, 11) probabilities -> StringReadings:
    the best class per frame, repeats merged, blanks dropped. The frames
    span the canvas's width, whatever reader made them."""
    probs = np.asarray(probs)
    frame = WIDTH / probs.shape[1]
    readings = []
    for frames in probs:
        best = frames.argmax(axis=1)
        text, confidences, spans = "", [], []
        for t, c in enumerate(best):
            if c == 0:
                continue
            if t > 0 and best[t - 1] == c:  # the same digit seen in the next frame too
                confidences[-1] = max(confidences[-1], float(frames[t, c]))
                spans[-1] = (spans[-1][0], t)
                continue
            text += LABELS[c]
            confidences.append(float(frames[t, c]))
            spans.append((t, t))
        readings.append(StringReading(text, confidences, spans, frame))
    return readings


def string_log_odds(frames, text):
    """log P(``text`` | ``frames``): CTC's probability of a digit string,
    summed over every way of placing it (the forward recursion over the
    string with a blank before, between and after its digits). ``frames``
    is one region's (frames, 11) probabilities, or a stack of them
    (..., frames, 11), which gives one log probability each."""
    labels = np.zeros(2 * len(text) + 1, int)
    labels[1::2] = [int(c) + 1 for c in text]
    # A path may skip the blank between two different digits, not between equal ones.
    skip = np.zeros(len(labels), bool)
    skip[3::2] = labels[3::2] != labels[1:-2:2]
    frames = np.asarray(frames, np.float64)[..., labels]  # (..., frames, states)
    alpha = np.zeros(frames.shape[:-2] + (len(labels),))
    alpha[..., :2] = frames[..., 0, :2]
    for t in range(1, frames.shape[-2]):
        came = alpha.copy()
        came[..., 1:] += alpha[..., :-1]
        came[..., 2:] += np.where(skip[2:], alpha[..., :-2], 0.0)
        alpha = came * frames[..., t, :]
    odds = alpha[..., -1] + (alpha[..., -2] if text else 0.0)
    return np.log(np.maximum(odds, 1e-300))


def averaged_readers(first, second, names="the sequence readers"):
    """One sequence reader from two ``predict`` functions: their frame
    probabilities averaged (an ensemble, whose errors are fewer where the
    two err differently). ModelError, when asked, if their frames differ.

    >>> one = lambda c: np.tile(np.eye(11)[1], (len(c), 24, 1))   # a 0 in every frame
    >>> two = lambda c: np.tile(np.eye(11)[0], (len(c), 24, 1))   # blank everywhere
    >>> averaged_readers(one, two)(np.zeros((2, 28, 96), np.uint8))[0, 0, :2]
    array([0.5, 0.5])
    """
    def read(canvases):
        one, two = np.asarray(first(canvases)), np.asarray(second(canvases))
        if one.shape != two.shape:  # checked here, not by a trial read at start-up
            raise ModelError(f"{names}: their frames differ ({one.shape[1:]} against {two.shape[1:]})")
        return (one + two) / 2.0

    return read


def _moved(canvases, shift):
    """(N, 28, 96) canvases moved ``shift`` columns right (left if negative)."""
    moved = np.zeros_like(canvases)
    if shift >= 0:
        moved[:, :, shift:] = canvases[:, :, :canvases.shape[2] - shift]
    else:
        moved[:, :, :shift] = canvases[:, :, -shift:]
    return moved


def read_moved(read_strings, canvases, shifts=(0,)):
    """Read each canvas as it is and moved a few columns sideways, and keep
    the string that all the readings together find likeliest.

    A frame is 4 columns wide, so a canvas moved 1-3 columns shows the
    reader its ink at another phase, and max-pooling nets do not read
    every phase alike: two equal digits that overlap may leave room for
    the blank CTC needs between them at one phase and not at another.
    Each phase's greedy string is a candidate, scored by its summed log
    :func:`string_log_odds` over the phases (test-time augmentation).

    Parameters
    ----------
    read_strings : callable
        ``read_strings(canvases) -> (N, frames, 11)`` probabilities.
    canvases : ndarray
        (N, 28, 96) views as :func:`string_style` makes them.
    shifts : sequence of int
        Columns to move the canvases by; the first phase that found the
        chosen string gives its spans (:meth:`StringReading.gaps` maps
        them back); each digit is as sure as the surest phase that read
        the string saw it, and where the string overrules the first
        phase's, no surer than its share of the candidates' odds.

    Returns
    -------
    list of StringReading

    Examples
    --------
    >>> def bars(canvases):  # a stand-in reader: a 1 wherever a frame has ink
    ...     inked = canvases.reshape(len(canvases), 28, 24, 4).max(axis=(1, 3)) > 0
    ...     return np.where(inked[..., None], np.eye(11)[2], np.eye(11)[0])
    >>> canvas = np.zeros((1, 28, 96), np.uint8); canvas[0, 4:24, [30, 40]] = 255
    >>> [(r.text, r.gaps()) for r in read_moved(bars, canvas, (0, 2))]
    [('11', [36.0])]
    """
    count = len(canvases)
    probs = np.asarray(read_strings(np.concatenate([_moved(canvases, s) for s in shifts])))
    probs = probs.reshape(len(shifts), count, *probs.shape[1:])  # one batch: phase, canvas
    phases = [decode(p) for p in probs]
    for shift, readings in zip(shifts, phases):
        for reading in readings:
            reading.shift = int(shift)
    chosen = []
    for i in range(count):
        found = {readings[i].text: readings[i] for readings in reversed(phases)}  # the first phase's, per string
        found = [found.pop(phases[0][i].text)] + list(found.values())
        best, ceiling = _likeliest(found, probs[:, i]) if len(found) > 1 else (found[0], 1.0)
        chosen.append(_agreed(best, [r[i] for r in phases if r[i].text == best.text], ceiling))
    return chosen


def _agreed(best, readings, ceiling=1.0):
    """``best`` with each digit as sure as the surest of the ``readings`` of
    its string (every phase that read it) saw it, and no surer than
    ``ceiling``: a digit straddling two frames at one phase fills one at
    another."""
    best.confidences = [min(ceiling, float(c)) for c in np.max([r.confidences for r in readings], axis=0)]
    return best


def _likeliest(readings, frames):
    """(reading, ceiling): the reading whose string the frames of every phase
    together find likeliest, and how sure its digits may be: where it
    overrules the first phase's reading (``readings[0]``), no surer than
    its string's share of the candidates' odds."""
    log_odds = np.array([string_log_odds(frames, r.text).sum() for r in readings])
    best = int(np.argmax(log_odds))
    share = np.exp(log_odds - log_odds.max())
    return readings[best], (float(share[best] / share.sum()) if best > 0 else 1.0)


def one_digit_odds(probs):
    """(N, frames, 11) probabilities -> (N, 10): how likely the sequence
    reader finds each region to hold exactly one digit, digit by digit.

    CTC's own probability of the one-digit string, summed over every way
    of placing it (blanks, then the digit over one or more frames, then
    blanks): the forward recursion with three states, :func:`string_log_odds`
    for every one-digit string at once. Unlike greedy decoding's confidence
    (the digit's best frame), it counts the paths
    that read something else: a region whose frames might read ``"7"`` or
    ``"17"`` gives 7 only the share of the paths that read ``"7"``.

    >>> probs = np.full((1, 3, 11), 0.0); probs[0, :, 0] = 0.5
    >>> probs[0, :, 8] = 0.5                       # blank or 7, frame by frame
    >>> round(float(one_digit_odds(probs)[0, 7]), 3)  # 6 of 8 paths: not all blank, not 7-blank-7
    0.75
    """
    probs = np.asarray(probs, np.float64)
    blank, digits = probs[:, :, :1], probs[:, :, 1:]
    before = blank[:, 0]  # only blanks so far
    inside = digits[:, 0]  # the digit seen in the latest frame
    after = np.zeros_like(inside)  # the digit seen, blanks since
    for t in range(1, probs.shape[1]):
        before, inside, after = (before * blank[:, t], (before + inside) * digits[:, t],
                                 (inside + after) * blank[:, t])
    return inside + after
