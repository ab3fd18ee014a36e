"""Keep non-digits out of the text: lines -> lines without them.

Most non-digits are dropped by :mod:`digit_sheet_reader.pipeline.regions` on their own shape
(dots, commas, dashes, long lines). Some can only be told in context:

- the upright sides of a box drawn around a number look like 1s on their
  own, but they reach well above and below the digits of their line;
- a cell's border, or the band a scan's black margin leaves along its
  inner edge, reads as a 1, but it lies beyond the inside of the view's
  cut-in borders, where nothing of the cell is written;
- writing showing through from the back of the page is shaped like
  digits, but far fainter than the ink on the front;
- an underline's swash read as a digit is far wider than any digit;
- a printed word, a scribble or a stray mark beside a number reads as
  digits too, but not one of its marks reads surely, while the number's
  own line does;
- a ruled line faint or broken into dashes leaves pieces; the longer ones
  are rejected as lines or edges, a short one between them reads as a 1,
  and so does a stretch of a faint printed rule dark enough to be ink,
  but the rule goes on along its axis past both its ends;
- a cross, a dagger or a tick written beside a number reads as a sure 7,
  4 or 1, but the one-digit checker finds no digit's shape in it;
- a line of print or cursive (a form's printed footer, a name) reads as
  digits, some surely, but the one-digit checker finds none of its marks
  shaped like one digit, and some letter reads as no digit surely;
- the two slashes of a date (31/12/1999) read as sure 1s, but they lean
  far more than the digits around them and cut the line into a date's
  groups; so does the slash closing an amount (1500/-), but it leans and
  a dash follows it at the line's end.
"""

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from .crops import quantile
from .regions import shared_span


@dataclass(frozen=True)
class RejectSettings:
    """Which read marks are not digits after all.

    Heights are in the line's own digit heights.
    """

    border_height: float = 1.35  # a frame's side is this much taller than its line's digits
    overhang: float = 0.12  # ... and reaches past them above and below by this share of their height
    border_thin: float = 0.5  # ... and is narrower than this share of its own height
    flat: float = 3.0  # a mark read as one digit but this many times wider than tall is a line (an underline's swash)
    faint: float = 0.45  # ink this much fainter than the page's typical digit is show-through
    ink_quantile: float = 0.9  # a region's ink strength is this quantile of its darkness
    sure_line: float = 0.85  # a line none of whose digits is read this surely (probability) is unsure
    dash_reach: float = 1.0  # a 1 this close (digit heights) above or below a rejected line's piece in its column is one too
    word_marks: int = 3  # a line of at least this many marks ...
    word_doubt: float = 0.9  # ... whose median doubt (the checker's P(not one digit)) reaches this is a word
    stray_doubt: float = 0.9  # a shorter line every mark of which the checker doubts this much is a stray mark
    small_mark: float = 0.6  # a line of one mark under this share of the other lines' digit height, ...
    mark_reach: float = 1.0  # ... within this many of those heights of a number of two or more digits, is a stray mark
    slash_lean: float = 15.0  # a 1 leaning this many degrees from upright may be a date's slash, ...
    slash_over: float = 10.0  # ... where the pair lean on average this many more than the line's other marks slant ...
    slash_height: float = 1.1  # ... and each stand this many times as tall as they do
    closing_mark: float = 0.3  # a dash (or "=") this wide (digit heights) after a leaning 1 ending a line: "/-"
    rule_goes_on: float = 0.8  # a 1 whose axis runs on this share of a digit height past both ends ...
    rule_ink: float = 0.33  # ... over ink at least this share as dark as its own stroke is a stretch of rule
    frame_px: int = 2  # a mark this close (px) to the view's frame is cut by it (a warped page's edge blurs by a pixel)
    shared_rows: float = 0.5  # lines side by side sharing rows this many of their digits' heights deep are one row's


REJECT = RejectSettings()


def flat_marks(boxes):
    """Indices of boxes far wider than tall (``REJECT.flat``): what was still
    read as one digit after touching digits were split is an underline's
    swash or a word's piece: no digit is three times as wide as it is tall (a
    2 with a long tail is twice).

    >>> flat_marks(np.array([[0, 0, 20, 30], [0, 40, 50, 14]], float))
    [1]
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    return [int(i) for i in np.flatnonzero(boxes[:, 2] > REJECT.flat * boxes[:, 3])]


def border_strokes(boxes, lines, names=None):
    """Indices of boxes that are the sides of a frame drawn around a line.

    A side is a thin stroke far taller than its line's digits, reaching
    past them above and below, at one end of the line (``lines`` list each
    line's boxes left to right). A frame has two: a lone one is a side only
    if it reads as a 1 (``names``, where given), for a 9, 7 or 4 whose
    tail reaches far below the line is just as thin and tall.

    Examples
    --------
    >>> digits = [[10 + 25 * k, 100, 18, 30] for k in range(4)]
    >>> sides = [[0, 88, 3, 54], [112, 88, 3, 54]]
    >>> boxes = np.array(digits + sides, float)
    >>> sorted(border_strokes(boxes, [[4, 0, 1, 2, 3, 5]]))
    [4, 5]
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    found = set()
    for line in lines:
        if len(line) < 4:  # the sides are judged against at least three digits
            continue
        x, y, w, hh = (boxes[line, k] for k in range(4))
        # The line's own median: two sides among many digits hardly move it.
        height, top, bottom = np.median(hh), np.median(y), np.median(y + hh)
        side = ((w < REJECT.border_thin * hh) & (hh > REJECT.border_height * height)
                & (y < top - REJECT.overhang * height) & (y + hh > bottom + REJECT.overhang * height))
        # A frame's sides are the line's ends: a tall 9 or a long 1 amid the
        # digits (natural handwriting) is no side, however it reads.
        side[1:-1] = False
        indices = np.asarray(line)[side]
        if names is not None and len(indices) == 1 and names[indices[0]] != "1":
            continue  # a lone tall stroke that reads as another digit: a digit with a long tail
        found.update(int(i) for i in indices)
    return found


def beyond_borders(boxes, frame):
    """Indices of the boxes lying wholly outside ``frame`` (x0, y0, x1, y1),
    the inside of the view's cut-in borders
    (:func:`digit_sheet_reader.pipeline.ink.inside_borders`): the border
    itself, or the band a scan's black margin leaves along its inner edge,
    read as a 1. Nothing written in the cell lies beyond its borders.

    >>> boxes = np.array([[7, 7, 9, 41], [20, 7, 20, 42], [51, 6, 21, 42]], float)
    >>> beyond_borders(boxes, (20, 4, 176, 51))
    [0]
    >>> beyond_borders(boxes, None)
    []
    """
    if frame is None:
        return []
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    x0, y0, x1, y1 = frame
    x, y, w, h = boxes.T
    return [int(i) for i in np.flatnonzero((x + w <= x0) | (x >= x1) | (y + h <= y0) | (y >= y1))]


def beside_other_lines(found, lines):
    """``found`` (indices of ``lines`` judged not digits), or none of them
    if they are every line: a page with nothing else keeps its best guesses."""
    return list(found) if len(found) < len(lines) else []


def unsure_lines(lines, confidences):
    """Indices of the lines not one of whose digits is read surely
    (``REJECT.sure_line``), on a page where another line is.

    A printed word, a scribble or the pencil mark beside a number reads as
    digits, each unsure; a line of real digits has at least one the
    recogniser is sure of. A page with no sure line at all keeps its
    readings: they are the best guess there is.

    >>> unsure_lines([[0, 1], [2, 3], [4]], np.array([0.99, 0.7, 0.6, 0.8, 0.95]))
    [1]
    >>> unsure_lines([[0], [1]], np.array([0.6, 0.7]))
    []
    """
    confidences = np.asarray(confidences, np.float64)
    unsure = [k for k, line in enumerate(lines) if len(line) and confidences[line].max() < REJECT.sure_line]
    return beside_other_lines(unsure, lines)


def rule_pieces(boxes, names, rejected, digit_height):
    """Indices of the boxes read as 1 that are pieces of a ruled line.

    A faint or broken rule falls apart into dashes: those on the photo's
    edge or too thin for a digit are rejected by segmentation as ``edge``
    or ``line``, and a short one between them reads as a 1. A 1 that shares
    its column with such a rejected upright piece (their columns overlapping
    by half the narrower's width), within ``REJECT.dash_reach`` digit
    heights above or below it, is one more piece. A written 1 beside a
    rule does not share its column.

    >>> boxes = np.array([[116, 38, 4, 12], [64, 91, 11, 13]], float)   # a 1 on the rule, a 0
    >>> rejected = [((116, 26, 4, 10), "edge"), ((30, 100, 20, 3), "dash")]
    >>> rule_pieces(boxes, ["1", "0"], rejected, 13.0)
    [0]
    >>> rule_pieces(boxes, ["1", "0"], [((110, 30, 20, 24), "edge")], 13.0)   # a cell's frame round the 1
    []
    """
    pieces = np.array([box for box, reason in rejected if reason in ("edge", "line") and box[3] >= box[2]],
                      np.float64).reshape(-1, 4)
    if not len(pieces):
        return []
    reach = REJECT.dash_reach * digit_height
    found = []
    for i in (i for i, name in enumerate(names) if name == "1"):
        columns, rows = shared_span(pieces, boxes[i], 0), shared_span(pieces, boxes[i], 1)
        same_column = columns >= 0.5 * np.minimum(boxes[i][2], pieces[:, 2])
        # A cell's frame (or a scan's margin cut round it) lies around the 1, not along its column.
        around = (columns >= boxes[i][2]) & (rows >= boxes[i][3])
        if (same_column & ~around & (rows >= -reach)).any():
            found.append(i)
    return found


def rule_strokes(darkness, labels, regions, names, digit_height):
    """Indices of the regions read as 1 that are stretches of a ruled line.

    A table's printed column rule, faint or broken in a scan, leaves
    digit-long stretches dark enough to be ink; each reads as a 1. A rule
    goes on: along the 1's axis, beyond each end that lies a digit height
    inside the view, ink at least ``REJECT.rule_ink`` as dark as the 1's
    own stroke lies on ``REJECT.rule_goes_on`` of the way (within a pixel
    of the axis). A written 1 ends where its stroke ends; a rule crossing
    it (a level one, under a number) is a point on its axis, not a run.

    >>> from digit_sheet_reader.pipeline.regions import Region
    >>> darkness = np.zeros((120, 60), np.uint8)
    >>> darkness[:, 10] = 90                                       # a faint column rule ...
    >>> darkness[40:70, 10] = 200                                  # ... with a dark stretch read as 1
    >>> darkness[40:70, 40:43] = 200                               # a written 1
    >>> labels = np.zeros((120, 60), np.int32); labels[40:70, 10] = 1; labels[40:70, 40:43] = 2
    >>> regions = [Region((10, 40, 1, 30), [1]), Region((40, 40, 3, 30), [2])]
    >>> rule_strokes(darkness, labels, regions, ["1", "1"], 30.0)
    [0]
    """
    found = []
    for i in (i for i, name in enumerate(names) if name == "1"):
        runs = _axis_runs(darkness, labels, regions[i], digit_height)
        if runs and min(runs) >= REJECT.rule_goes_on:
            found.append(i)
    return found


def _axis_runs(darkness, labels, region, reach):
    """For each end of ``region``'s stroke with ``reach`` px of view beyond
    it: the share of the steps along the stroke's axis, out to ``reach``,
    with ink at least ``REJECT.rule_ink`` as dark as the stroke's own
    (:func:`_ink_strength`)."""
    x, y = region.box[:2]
    ys, xs = np.nonzero(region.pixels(labels))
    points = np.column_stack([xs + x, ys + y]).astype(np.float32)
    vx, vy, cx, cy = cv2.fitLine(points, cv2.DIST_L2, 0, 0.01, 0.01).ravel()
    along = (points - (cx, cy)) @ np.float32([vx, vy])
    own = _ink_strength(darkness, labels, region)
    height, width = darkness.shape
    runs = []
    for steps in (np.arange(along.min() - reach, along.min() - 1), np.arange(along.max() + 2, along.max() + reach)):
        px, py = np.rint(cx + steps * vx).astype(int), np.rint(cy + steps * vy).astype(int)
        inside = (px >= 1) & (px < width - 1) & (py >= 0) & (py < height)
        if inside.sum() >= 0.9 * len(steps) > 0:  # the view goes on past this end
            px, py = px[inside], py[inside]
            near = np.max([darkness[py, px + d] for d in (-1, 0, 1)], axis=0)
            runs.append(float((near >= REJECT.rule_ink * own).mean()))
    return runs


def word_lines(lines, doubts, confidences):
    """Indices of the lines that are words, not numbers: at least
    ``REJECT.word_marks`` marks, their median doubt (the one-digit
    checker's probability that a mark is not one digit) at least
    ``REJECT.word_doubt``, and one of them read less surely than
    ``REJECT.sure_line``, on a page where another line is left.

    Print and cursive read as digits mark by mark, some surely; but their
    letters, joined or alone, are not shaped like any one digit, and a
    number's digits are. The pieces cut from touching digits are not
    either, but the sequence reader reads them all surely; some letter of
    a word reads as no digit surely. A page of nothing but such lines keeps
    them, as :func:`unsure_lines` does.

    >>> doubts = np.array([0.99, 0.95, 0.3, 0.1, 0.2, 0.1, 0.98, 0.2])
    >>> word_lines([[0, 1, 2], [3, 4], [5, 6, 7]], doubts, np.array([0.99, 0.6, 1, 1, 1, 1, 1, 1]))
    [0]
    >>> word_lines([[0, 1, 2], [3, 4]], doubts, np.ones(8))  # read surely throughout: touching digits cut apart
    []
    """
    doubts, confidences = np.asarray(doubts, np.float64), np.asarray(confidences, np.float64)
    words = [k for k, line in enumerate(lines)
             if len(line) >= REJECT.word_marks and np.median(doubts[line]) >= REJECT.word_doubt
             and confidences[line].min() < REJECT.sure_line]
    return beside_other_lines(words, lines)


def stray_lines(lines, doubts):
    """Indices of the lines of fewer than ``REJECT.word_marks`` marks, each
    of which the one-digit checker doubts at least ``REJECT.stray_doubt``
    (a cross, a dagger or a tick beside a number, read surely as a 7, 4 or
    1), on a page where another line is left.

    >>> stray_lines([[0, 1], [2]], np.array([0.01, 0.2, 0.99]))
    [1]
    >>> stray_lines([[0, 1], [2]], np.array([0.01, 0.2, 0.8]))   # a digit the checker only doubts
    []
    """
    doubts = np.asarray(doubts, np.float64)
    strays = [k for k, line in enumerate(lines)
              if 0 < len(line) < REJECT.word_marks and doubts[line].min() >= REJECT.stray_doubt]
    return beside_other_lines(strays, lines)


def small_lone_marks(lines, boxes):
    """Indices of the lines of one mark shorter than ``REJECT.small_mark``
    of the median height of the other lines' digits, within
    ``REJECT.mark_reach`` of that height of a digit of a line of two or more:
    the tick, the stub of a flourish or the small cross a clerk left beside
    a number, read as a sure 1 or 8. A digit on its own stands as tall as
    the others; among lines of single digits alone (a column of marks), a
    small one is kept.

    >>> boxes = np.array([[10, 10, 20, 30], [32, 10, 20, 30], [58, 32, 6, 14], [10, 90, 20, 30]], float)
    >>> small_lone_marks([[0, 1], [2], [3]], boxes)   # the tick beside "45", not the digit below it
    [1]
    >>> small_lone_marks([[0], [2], [3]], boxes)      # no number of two digits beside it
    []
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    numbers = [i for line in lines if len(line) >= 2 for i in line]  # the digits of lines of two or more
    marks = [i for line in lines for i in line]
    small = []
    for k, [mark] in ((k, line) for k, line in enumerate(lines) if len(line) == 1 and numbers):
        height = float(np.median(boxes[[i for i in marks if i != mark], 3]))
        gap = REJECT.mark_reach * height
        beside = np.logical_and(*(shared_span(boxes[numbers], boxes[mark], axis) >= -gap for axis in (0, 1)))
        if boxes[mark, 3] < REJECT.small_mark * height and beside.any():
            small.append(k)
    return beside_other_lines(small, lines)


def cut_by_frame(lines, boxes, shape, frame=None):
    """Indices of the lines the frame of the view (of ``shape``: the image,
    or the page found in it; or ``frame``, (x0, y0, x1, y1) inside the
    view's cut-in borders, :func:`digit_sheet_reader.pipeline.ink.inside_borders`)
    cuts, within ``REJECT.frame_px``, on a page where another line is
    left: lines every mark of which it cuts, and lines any mark of which
    it cuts across, at the top or the foot, unless they lie side by side
    with a line it spares, sharing ``REJECT.shared_rows`` of a digit
    height of rows with it. Writing that goes on beyond a crop, or into a
    row's ruled border, is another row's: the row above or below, or a
    rule's stub. A number the frame cuts at its side only was written up
    to the page's edge, and a group beside another of its row is part of
    that row: both are kept.

    >>> boxes = np.array([[40, 0, 8, 30], [20, 60, 20, 30], [44, 60, 20, 30], [30, 160, 20, 40],
    ...                   [54, 150, 20, 30], [0, 110, 20, 30], [24, 110, 20, 30], [78, 155, 16, 30]], float)
    >>> cut_by_frame([[0], [1, 2]], boxes, (200, 100))
    [0]
    >>> cut_by_frame([[0], [1, 2]], boxes, (90, 100))   # the number cut at the foot too: both lines
    []
    >>> cut_by_frame([[0]], boxes, (200, 100))   # nothing else on the page
    []
    >>> cut_by_frame([[1, 2], [3, 4]], boxes, (200, 100))   # the row below, one mark cut across at the foot
    [1]
    >>> cut_by_frame([[1, 2], [5, 6]], boxes, (200, 100))   # a number cut at the side only: kept
    []
    >>> cut_by_frame([[7], [3, 4]], boxes, (200, 100))   # a group cut at the foot beside its row's other group
    []
    >>> cut_by_frame([[1, 2], [3, 4]], boxes, (220, 100), frame=(0, 0, 100, 200))   # the row below runs into a rule
    [1]
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    x0, y0, x1, y1 = (0, 0, shape[1], shape[0]) if frame is None else frame
    left, top, right, foot = boxes[:, 0], boxes[:, 1], boxes[:, 0] + boxes[:, 2], boxes[:, 1] + boxes[:, 3]
    across = (top <= y0 + REJECT.frame_px) | (foot >= y1 - REJECT.frame_px)
    cut = across | (left <= x0 + REJECT.frame_px) | (right >= x1 - REJECT.frame_px)
    spared = [line for line in lines if len(line) and not across[line].any() and not cut[line].all()]

    def in_row_with(line, other):  # beside it, not above or below: a group of its row
        side_by_side = right[line].max() <= left[other].min() or left[line].min() >= right[other].max()
        shared = min(foot[line].max(), foot[other].max()) - max(top[line].min(), top[other].min())
        return side_by_side and shared > REJECT.shared_rows * min(np.median(boxes[line, 3]), np.median(boxes[other, 3]))

    found = [k for k, line in enumerate(lines) if len(line) and (
        cut[line].all() or across[line].any() and not any(in_row_with(line, other) for other in spared))]
    return beside_other_lines(found, lines)


def faint_marks(darkness, labels, regions):
    """Indices of regions far fainter than the page's other digits.

    Each region's ink strength is the 90th percentile of its darkness; the
    page's is the median over its regions. Pages written all in pencil are
    faint throughout, so this is relative, never an absolute level.

    Examples
    --------
    >>> from digit_sheet_reader.pipeline.regions import Region
    >>> darkness = np.zeros((10, 40), np.uint8); darkness[2:8, 2:6] = 220; darkness[2:8, 12:16] = 210
    >>> darkness[2:8, 22:26] = 200; darkness[2:8, 32:36] = 60          # the last is a ghost
    >>> labels = np.zeros((10, 40), np.int32)
    >>> for k, x in enumerate((2, 12, 22, 32), start=1): labels[2:8, x:x + 4] = k
    >>> regions = [Region((x, 2, 4, 6), [k]) for k, x in enumerate((2, 12, 22, 32), start=1)]
    >>> faint_marks(darkness, labels, regions)
    [3]
    """
    if len(regions) < 3:
        return []
    strength = np.array([_ink_strength(darkness, labels, r) for r in regions])
    return [int(i) for i in np.flatnonzero(strength < REJECT.faint * np.median(strength))]


def _ink_strength(darkness, labels, region):
    x, y, w, h = region.box
    return quantile(darkness[y:y + h, x:x + w][region.pixels(labels)], REJECT.ink_quantile)


def lean(crop):
    """How far a white-on-black ``crop`` leans from upright, in degrees
    (positive: its top to the right): the direction of its longest axis,
    from its second moments, which a thick pen does not pull towards
    upright as it does the shear.

    >>> crop = np.zeros((28, 28), np.uint8)
    >>> _ = cv2.line(crop, (6, 22), (22, 6), 255, 4)    # a slash
    >>> round(lean(crop))
    45
    >>> round(lean(np.rot90(crop)))                       # a backslash
    -45
    """
    m = cv2.moments(crop)
    axis = 0.5 * np.degrees(np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"]))  # from level, y down
    return float(np.copysign(90.0 - abs(axis), -m["mu11"]))


def slant(crop):
    """How far the writing of a white-on-black ``crop`` slants, in degrees
    (positive: to the right): the shear that would set it upright, which
    a round digit has too, where its longest axis may lie any way.

    >>> crop = np.zeros((28, 28), np.uint8)
    >>> _ = cv2.ellipse(crop, (14, 14), (6, 10), 20, 0, 360, 255, 2)   # a 0 leaning right
    >>> 0 < slant(crop) < lean(crop)
    True
    """
    m = cv2.moments(crop)
    return float(np.degrees(np.arctan2(-m["mu11"], m["mu02"]))) if m["mu02"] > 0 else 0.0


def date_slashes(lines, names, crops, boxes):
    """Indices of the marks that are the two slashes of a date (31/12/1999):
    in a line, the one pair of marks read as 1, each leaning at least
    ``REJECT.slash_lean`` degrees (:func:`lean`), that cuts it into a day and
    a month of one or two digits and a year of two or four, stands
    ``REJECT.slash_height`` times as tall as the median of the line's other
    marks (``boxes``, x y w h), and leans on average ``REJECT.slash_over``
    more than their median slant (:func:`slant`): a slash is one long stroke
    reaching past the digits, where a 1 among digits of as many writers
    leans as far but is as tall as they are. The two slashes of a date are
    drawn by one hand alike, so their mean lean is the steadier measure; and
    where two pairs could cut the line so, the one that passes is taken.

    A lone slash is not taken: a 1 between digits, leaning as a quickly
    written 1 does, cuts a number into groups of the same sizes ("4135").

    >>> crops = np.zeros((10, 28, 28), np.uint8)
    >>> for k in (2, 5):
    ...     _ = cv2.line(crops[k], (8, 22), (20, 6), 255, 2)      # leaning 37 degrees
    >>> for k in (0, 1, 3, 4, 6, 7, 8, 9):
    ...     _ = cv2.line(crops[k], (14, 22), (14, 6), 255, 2)     # upright strokes
    >>> names = ["3", "1", "1", "1", "2", "1", "1", "9", "9", "9"]
    >>> boxes = np.array([[30 * k, 0, 20, 60 if k in (2, 5) else 48] for k in range(10)])
    >>> date_slashes([list(range(10))], names, crops, boxes)
    [2, 5]
    >>> date_slashes([list(range(9))], names, crops, boxes)     # a year of three digits: no date
    []
    >>> boxes[:, 3] = 48                                          # as tall as the digits: 1s
    >>> date_slashes([list(range(10))], names, crops, boxes)
    []
    """
    found = []
    for line in lines:
        leans = np.array([lean(crops[i]) if names[i] == "1" else 0.0 for i in line])
        steep = [k for k, i in enumerate(line) if names[i] == "1" and leans[k] >= REJECT.slash_lean]
        dates = [[a, b] for a, b in itertools.combinations(steep, 2) if _splits_a_date(a, b, len(line))]
        slashes = [pair for pair in dates if _stand_out(pair, line, leans, crops, boxes)]
        if len(slashes) == 1:  # not none, nor two pairs the line's leaning 1s could be
            found += [line[k] for k in slashes[0]]
    return found


def _stand_out(pair, line, leans, crops, boxes):
    """True if marks ``pair`` of ``line`` (their ``leans`` given) stand
    taller than the line's other marks and lean further than they slant,
    as :func:`date_slashes` asks of a date's slashes."""
    others = [i for k, i in enumerate(line) if k not in pair]
    tall = boxes[[line[k] for k in pair], 3] >= REJECT.slash_height * np.median(boxes[others, 3])
    return _lean_past(leans[pair], others, crops, REJECT.slash_over) and bool(tall.all())


def _lean_past(leans, others, crops, by):
    """True if marks leaning ``leans`` lean on average more than ``by``
    degrees further than the median slant of the marks ``others`` (indices
    into ``crops``): further than the hand writes."""
    return float(np.mean(leans)) > np.median([slant(crops[i]) for i in others]) + by


def closing_slashes(lines, names, crops, boxes, marks):
    """Indices of the marks that are the slash closing an amount, as
    "1500/-" or "730/=" close it on a cheque or a receipt: the last mark of
    a line, read as 1, leaning at least ``REJECT.slash_lean`` degrees and
    further than the line's other marks slant (the dash after it says more
    than its lean), with a dash of ``marks`` ((box, kind) of the marks
    rejected as not digits; "=" is rejected as a "dot") right after it:
    beyond its middle, within a digit height of its end, level with the
    line's digits and ``REJECT.closing_mark`` digit heights wide (a point
    after a number is smaller). A 1 that ends a number has nothing after it.

    >>> crops = np.zeros((4, 28, 28), np.uint8)
    >>> _ = cv2.line(crops[3], (8, 22), (20, 6), 255, 2)      # leaning 37 degrees
    >>> for k in range(3):
    ...     _ = cv2.line(crops[k], (14, 22), (14, 6), 255, 2)
    >>> boxes = np.array([[30 * k, 0, 20, 48] for k in range(4)])
    >>> dash = ((100, 22, 16, 4), "dash")
    >>> closing_slashes([[0, 1, 2, 3]], ["1", "5", "0", "1"], crops, boxes, [dash])
    [3]
    >>> closing_slashes([[0, 1, 2, 3]], ["1", "5", "0", "1"], crops, boxes, [])    # "1501"
    []
    """
    found = []
    for line in (line for line in lines if len(line) >= 2 and names[line[-1]] == "1"):
        last, others = line[-1], line[:-1]
        tilt = lean(crops[last])
        if tilt < REJECT.slash_lean or not _lean_past([tilt], others, crops, 0.0):
            continue
        x, _, w, _ = boxes[last]
        digit = float(np.median(boxes[others, 3]))
        top, bottom = boxes[line, 1].min(), (boxes[line, 1] + boxes[line, 3]).max()
        if any(kind in ("dash", "dot") and mw >= REJECT.closing_mark * digit and x + w / 2 < mx + mw / 2
               and mx <= x + w + digit and top <= my + mh / 2 <= bottom for (mx, my, mw, mh), kind in marks):
            found.append(last)
    return found


def _splits_a_date(first, second, length):
    """True if marks ``first`` and ``second`` of a line of ``length`` cut
    it into a day and a month of one or two digits and a year of two or four."""
    day, month, year = first, second - first - 1, length - second - 1
    return day in (1, 2) and month in (1, 2) and year in (2, 4)
