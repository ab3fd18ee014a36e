"""Second looks with the recogniser: regions -> regions, read again where
the first reading may be wrong.

**Joined digits, read as a sequence** (where ``output/digit_strings.model``
ships): regions the checker says are not one digit are read by the
sequence reader (:mod:`utils.strings`), and those it reads surely as
several digits are cut where it saw one digit end and the next begin.

**Touching digits** that are left. Two or three digits joined by ink form one connected
region, too wide for one digit of the page's height. Over-segment, then
validate:

1. A region is a candidate if it is wider than ``WIDE`` digit heights
   (its own or the page's, whichever is larger).
2. Candidate cuts start at the minima of its column ink profile (where
   the join is thinnest) and at even divisions of its width, and follow
   the path through the least ink from top to bottom, into two pieces
   and, for very wide regions, three.
3. Every candidate piece is normalised and read, all in one batch; a
   split is kept only if each piece reads confidently and the split as a
   whole is more convincing than the region read as one digit, weighed by
   how likely the region is to hold several digits: from its width, and
   from the one-digit checker (:mod:`utils.checker`) where it ships. The
   halves of a single digit often read as digits too (a 0 as two 1s), so
   the recogniser alone is no evidence: a genuinely wide digit (a flat 0,
   a 7 with a long bar) read surely stays whole.

**Broken digits.** Near fragments whose union reads as a digit more surely
than the pieces apart are joined; digits still read unsurely are read
again with the gaps in their strokes closed.

**A second opinion** (where ``output/mnist_cnn_broken.model`` ships):
digits still read less than ``SECOND_UNSURE`` surely, other than the
pieces of split regions, are labelled by the recogniser and a CNN
fine-tuned on broken strokes together (their probabilities averaged); on
a page where the pen skips (many digits joined from pieces), every digit
is, a CNN fine-tuned longer on broken strokes weighing most
(``output/mnist_cnn_skipping.model``, where it ships).

**Which way up** a view is, the reader judges by how surely it reads
(:func:`view_confidence`): by the sequence reader, which reads joined
digits as they are, where it ships.
"""

from dataclasses import dataclass

import numpy as np

from utils.normalise import crop_to_ink, normalise_all, region_ink
from utils.segment import Region
from utils.strings import LABELS, decode, one_digit_odds, read_moved, string_style

# Which way up a view is, is judged on at most this many of its regions,
# the largest (the same ink whichever way up). 16 gave the same texts as
# every region on the development, second-draw and fresh sheets (32 too,
# on the development and fresh sheets).
VIEW_SAMPLE = 16
# Narrower than this (in digit heights) is never split.
WIDE = 0.85
# Each piece must be read at least this sure.
PIECE_CONFIDENCE = 0.7
# How likely a region of width w (in digit heights) is to hold several
# digits, before reading it: 1 / (1 + exp(-(w - TWO_WIDTH) / TWO_SPREAD)).
# Measured on MNIST digits set at a common height: 9 % of single digits
# are wider than 1.0 h, 3 % than 1.15 h, 1 % than 1.3 h.
TWO_WIDTH, TWO_SPREAD = 1.1, 0.1
# A region read this surely as one digit, and no wider than this, stays whole.
SURE_WHOLE, PLAUSIBLE_WIDTH = 0.95, 1.5
# Broken pieces are joined if the union reads at least this sure and beats
# the pieces read apart by JOIN_MARGIN.
JOIN_CONFIDENCE, JOIN_MARGIN = 0.9, 0.05
# With a checker, pieces that each read surely (the halves of a 0 as a 1
# and a 7) are joined too where the union is more likely one digit than
# the pieces two: confidence x P(one digit), at least ONE_DIGIT for the
# union. Of the 62 joinable pairs on the 550 development sheets, the 9
# that are pieces of one digit all pass, and none of the 53 that are not.
ONE_DIGIT = 0.25
# Two digit-sized pieces are tried as one digit too where both read less
# surely than this (a 4 written in two strokes, each as tall as the
# digit); only with a checker, and on the same evidence (broken/0002's 4,
# read as a 6 at 0.48 and a 1; no other development sheet changes).
UNSURE_PIECES = 0.6
# Pieces sharing more than this share of the narrower one's columns are
# pieces of one digit, whatever their size; with a checker, unions up to
# JOIN_WIDE digit heights wide are tried.
JOIN_SHARED, JOIN_WIDE = 0.5, 1.3
# A dash or dot at least FRAGMENT_LENGTH digit heights long that came apart
# from its digit (a 7's bar, the end of a 5's) is joined back where the
# union reads at least JOIN_CONFIDENCE surely, hardly less surely than the
# digit alone (a 1 and its loose bar read as a sure 1 and a sure 7), and,
# if wider than a digit is high, the checker takes it for one digit.
# Punctuation is farther than the 0.12 digit heights pieces may be apart.
FRAGMENT_LENGTH = 0.25
# Pieces narrower than this fraction of the height are not digits, nor
# pieces shorter than PIECE_HEIGHT (the loop of a 6 whose stem came apart).
MIN_PIECE, PIECE_HEIGHT = 0.15, 0.65
# The sequence reader looks at whole regions wider than this (in digit
# heights; also those that hold a merged fragment, like a 5's loose bar
# joined to its neighbour: 2 sheets better, none worse), and splits those
# it reads as several digits at least this surely (every digit); a 1 in a
# piece the recogniser reads otherwise must be read STRING_ALONE surely
# (asked of every digit, that refused 24 right readings from 0.9 sure on
# the development sheets, of 1s only 7; the two single digits read as
# several from 0.9, a 6 as `61` and a 5 as `51`, are refused either way;
# touching +1 sheet with the first reader, +3 with the shipped one). Measured on the
# development sheets with the first sequence reader (200,000 training
# strings, 10 epochs, before fine-tuning on sheet regions): 0.9 reads
# 376 of the touching tier's 443 joined regions right (0.95: 359) and
# would split 2 of the ~7,000 wide single digits of all tiers before the
# recogniser's check, none on the clean, photo and hard tiers (0.8: 7).
# Narrowest 0.45, not 0.75: a 1 joined to a narrow neighbour is under 0.75
# digit heights wide, and under 0.6 where they overlap (0.6 with the first
# reader: 3 better, none worse; 0.45 with the fine-tuned one: development
# touching +1, the second draw +1, fresh +1, none worse; 0.35 the same).
STRING_NARROWEST, STRING_SURE, STRING_ALONE = 0.45, 0.9, 0.99
# A region this wide (in digit heights) that the checker says is not one
# digit loses a digit whatever the recogniser reads it as; there the
# sequence reader's reading is taken from STRING_WIDE_SURE, pieces
# unchecked (the pieces of overlapping digits carry bits of their
# neighbours, which the recogniser misreads).
STRING_WIDE, STRING_WIDE_SURE = 1.3, 0.5
# Where the checker says a region is not one digit and the recogniser reads
# it less than WHOLE_DOUBTED surely, the sequence reader's reading is taken
# from DOUBTED_SURE (a 1 joined to a 5, read whole as a 6 at 0.5). Measured
# against 0.9 throughout: development touching CER 0.032 -> 0.031, the
# second draw of touching sheets (seed 11) +3, fresh sheets CER 0.033 ->
# 0.031, no sheet worse anywhere (0.7: second draw +2; 0.9: as 0.8).
WHOLE_DOUBTED, DOUBTED_SURE = 0.8, 0.5
# A page where at least JOINED_SHARE of the regions are wide and not one
# digit by the checker is written joined (touching tier: 0.23-0.50 from
# the 10th to the 90th percentile; other tiers' 90th percentile at most
# 0.13, hard, while strips hold one amount, often all joined): there the
# sequence reader's readings are taken from JOINED_SURE, and a disputed 1
# from JOINED_ALONE. Development touching 0.48 -> 0.54 (CER 0.031 ->
# 0.024), second draw (seed 11) 0.47 -> 0.58 (CER 0.038 -> 0.029), no
# other tier changed; fresh (seed 7) 0.42 either way (+1 -1, CER 0.031 ->
# 0.030). 0.6 / 0.9 from 0.2: development 0.52, second draw 0.54, fresh 0.44.
JOINED_SHARE, JOINED_SURE, JOINED_ALONE = 0.15, 0.5, 0.8
# There, too, a region is read as a sequence where the checker gives it
# JOINED_CHECK odds of holding several digits (0.5 elsewhere): on such a
# page joined groups are common, and the checker takes some for one digit
# (a 1 leaning on a 9, 0.40; `66` at 0.00). At 0.2: second draw 0.61 ->
# 0.63, fresh touching 0.48 -> 0.50, development unchanged. At 0, every
# region is read, the five phases below deciding: development, second draw
# and fresh +1 sheet each, 7 lines right, none worse (0.05: +0, +1, +1); a
# touching sheet costs ~15 ms more (median 119 -> 134 ms in process).
JOINED_CHECK = 0.0
# The sequence reader reads each wide region at five phases (moved 0, -2, 2,
# -1 and 1 columns; utils.strings.read_moved): held-out sheet regions read
# exactly 96.6 -> 97.0 %. Touching sheets: development 0.58 -> 0.64, second
# draw 0.65 -> 0.72, fresh 0.54 -> 0.56; all tiers +3 -1, +8 -1, +5 -3 sheets
# (0, -2, 2: +1 -2, +7 -1, +5 -3; seven phases: +3 -1, +9 -2, +5 -3). With each
# digit as sure as the surest phase that read its string: 0.66, 0.75, 0.62.
STRING_SHIFTS = (0, -2, 2, -1, 1)
# Digits read less surely than this get a second opinion (where one ships),
# which weighs SECOND_WEIGHT in the average. Measured on the development
# sheets (10 tiers, 500 sheets, sheets read exactly): weight 0.5 gained 13
# and lost 6 (clean 0.88 -> 0.86), 0.35 gained 10 and lost 1 (hard), 0.25
# gained 8 and lost 1; 0.9, 0.95 and 0.99 ask about the same digits.
SECOND_UNSURE, SECOND_WEIGHT = 0.99, 0.35
# Where the second recogniser is OVERRULE_SURE of another digit than the
# recogniser, it weighs OVERRULE_WEIGHT if closing the gaps in the strokes
# makes the recogniser itself find that digit OVERRULE_GAIN times likelier:
# the gap is what misled it (an 8 whose loop is open read as a 2). Without
# that evidence a second recogniser sure at 0.9 was wrong about as often as
# right (a 5 taken for a 0 with a gap): on the 550 development sheets it
# gained 5 sheets and lost 2 (clean, photo); with it, 5 and none. A gain of
# 3 does the same as 2; 1.5 loses 2 clean sheets. Sure from 0.7 gained one
# development sheet more, but lost 2 of 550 fresh sheets (seed 7), open
# 4s closed into 9s by the bridging; from 0.9 the fresh sheets gain 2.
OVERRULE_SURE, OVERRULE_GAIN, OVERRULE_WEIGHT = 0.9, 2.0, 0.65
# A pen that skips breaks many digits of a page, not one: where at least
# SKIPPING_SHARE of a page's digits were joined from several pieces of ink,
# every digit of it is asked, and the second opinion weighs SKIPPING_WEIGHT.
# Share of such digits per page, 10th-90th percentile: broken tier 0.12-0.31;
# every other tier's 90th percentile under 0.05 (maximum 0.20, show_through).
# On the broken tier: development 0.56 -> 0.64, second draw (seed 11) 0.65
# -> 0.68, fresh (seed 7) 0.62 -> 0.64 (+2 -1; two fresh hard sheets read
# differently, wrong either way); no other development sheet changed. The
# second opinion alone (weight 1) did as well on the first two but lost
# fresh sheets where it read open 4s as 9s; weight 0.65, unsure digits
# only: +2 and +1. Asking a CNN fine-tuned longer on broken strokes there
# (the reader's ``skipping``): development broken 0.64 -> 0.70, second draw
# 0.68 -> 0.71, fresh +1 -1.
SKIPPING_SHARE, SKIPPING_WEIGHT = 0.1, 0.9
# Gaps up to this share of the digit height are closed when a digit is
# read again with its strokes bridged.
BRIDGE = 0.12


def cut_candidates(profile, height, parts, count=3):
    """Columns to start cuts at, as lists of ``parts - 1`` columns: the
    lowest points of the smoothed ink profile (where a join is thinnest)
    and, as the join of overlapping digits need not be thin, the even
    divisions of the width; every piece at least ``MIN_PIECE`` heights wide."""
    w = len(profile)
    margin = max(2, int(MIN_PIECE * height))
    minima = _profile_minima(profile, margin, count + parts - 2)
    if parts == 2:
        cuts = []
        for c in minima + [int(w * f) for f in (0.35, 0.5, 0.65)]:  # an even division next to a minimum gives the same seam
            if margin <= c < w - margin and all(abs(c - o) > margin // 2 for o in cuts):
                cuts.append(c)
        return [[c] for c in cuts]
    # Three pieces: two of the minima (digits of unequal widths, joined
    # thinly), or about the thirds.
    pairs = [sorted(p) for k, a in enumerate(minima) for p in ((a, b) for b in minima[k + 1:])]
    pairs += [[first, second] for first in (w // 3 - w // 12, w // 3, w // 3 + w // 12)
              for second in (2 * w // 3 - w // 12, 2 * w // 3, 2 * w // 3 + w // 12)]
    return [[a, b] for a, b in pairs if margin <= a and b - a > margin and b < w - margin]


def _profile_minima(profile, margin, count):
    """Up to ``count`` distinct lowest columns of the smoothed profile, at
    least ``margin`` from either end and from each other."""
    w = len(profile)
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    inner = np.arange(margin, w - margin)
    minima = []
    for c in inner[np.argsort(smooth[inner], kind="stable")]:
        if all(abs(c - o) > margin for o in minima):  # distinct minima, not one minimum's neighbours
            minima.append(int(c))
        if len(minima) == count:
            break
    return minima


def seam(inside, centre, reach):
    """Columns, one per row, of the top-to-bottom path through the least ink
    near column ``centre`` (steps of at most one column per row): the cut
    follows the gap between two slanted or overlapping digits where a
    straight cut would slice through one of them."""
    h, w = inside.shape
    lo, hi = max(1, centre - reach), min(w - 1, centre + reach + 1)
    cols = np.arange(lo, hi)
    cost = inside[:, lo:hi] * 10.0 + 0.01 * np.abs(cols - centre)
    n = hi - lo
    back = np.zeros((h, n), np.int64)
    options = np.full((3, n + 2), np.inf)  # [from the left, straight down, from the right], padded
    acc = cost[0].copy()
    for r in range(1, h):
        options[0, 2:], options[1, 1:-1], options[2, :-2] = acc, acc, acc
        step = options[:, 1:-1].argmin(axis=0)
        acc = options[step, np.arange(1, n + 1)] + cost[r]
        back[r] = step - 1
    path = np.empty(h, np.int64)
    path[-1] = int(acc.argmin())
    for r in range(h - 1, 0, -1):
        path[r - 1] = path[r] + back[r, path[r]]
    return path + lo


def pieces_between(labels, region, paths):
    """``region`` cut along ``paths`` (column per row, left to right) into
    Regions with their own pixel masks and tight boxes; None if a piece is empty."""
    x, y, w, h = region.box
    inside = region.pixels(labels)
    columns = np.arange(w)[None, :]
    bounds = [np.zeros(h, np.int64)] + list(paths) + [np.full(h, w)]
    out = []
    for left, right in zip(bounds, bounds[1:]):
        own = inside & (columns >= left[:, None]) & (columns < right[:, None])
        rows, cols = np.flatnonzero(own.any(axis=1)), np.flatnonzero(own.any(axis=0))
        if rows.size == 0:
            return None
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        out.append(Region((x + int(c0), y + int(r0), int(c1 - c0), int(r1 - r0)), region.ids, int(own.sum()),
                          own[r0:r1, c0:c1]))
    return out


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
    crops = normalise_all(labels, regions, darkness, bridge)
    names, confidences = classify(crops)
    return Read(list(regions), list(names), np.asarray(confidences, np.float64), crops)


def _geometric_mean(values):
    return float(np.exp(np.log(np.maximum(values, 1e-6)).mean()))


def split_touching(labels, read, digit_height, darkness, classify, check=None):
    """``read`` with touching digits replaced by their pieces, where the
    recogniser agrees.

    Parameters
    ----------
    labels : ndarray
        Label image the regions' ``ids`` refer to.
    read : Read
        The regions as read whole.
    classify : callable
        ``classify(crops) -> (labels, confidences)`` (a recogniser's).
    check : callable, optional
        ``check(crops) -> probability each is not one digit`` (the checker,
        :mod:`utils.checker`). Without it, how likely a region holds several
        digits is judged from its width alone.
    """
    h = float(digit_height)
    # Only one connected component can be digits touching; regions that
    # segmentation merged from fragments were merged on purpose.
    wide = [i for i, r in enumerate(read.regions) if len(r.ids) == 1 and _width(r.box, h) > WIDE]
    several = {i: _width_prior(read.regions[i].box, h) for i in wide}
    checked = dict(zip(wide, check(read.crops[wide]))) if check is not None and wide else {}
    if checked:  # the checker's view, tempered by the width's
        several = {i: float(np.sqrt(several[i] * checked[i])) for i in wide}
    # A region read surely as one digit, of a plausible width, stays whole
    # unless the checker is just as sure it is not one.
    wide = [i for i in wide if not (read.confidences[i] >= SURE_WHOLE and checked.get(i, 0.0) < SURE_WHOLE
                                    and _width(read.regions[i].box, h) <= PLAUSIBLE_WIDTH)]
    # A split wins only if score * p > whole * (1 - p) with score <= 1: no
    # need to cut regions where even perfect pieces could not win.
    whole = read.confidences
    wide = [i for i in wide if several[i] > whole[i] / (1.0 + whole[i])]
    options = []  # (region index, [pieces])
    for i in wide:
        region = read.regions[i]
        x, y, w, hh = region.box
        size = max(h, hh)
        inside = region.pixels(labels)
        for n in ([2, 3] if w > 1.6 * size else [2]):
            for cuts in cut_candidates(inside.sum(axis=0), size, n):
                paths = [seam(inside, c, max(2, int(0.2 * size))) for c in cuts]
                pieces = pieces_between(labels, region, paths)
                if pieces and all(p.box[3] >= PIECE_HEIGHT * size and p.box[2] >= MIN_PIECE * size for p in pieces):
                    options.append((i, pieces))
    if not options:
        return read
    tried = read_regions(labels, [p for _, ps in options for p in ps], darkness, classify)
    best, k = {}, 0
    for i, pieces in options:
        rows = list(range(k, k + len(pieces)))
        k += len(pieces)
        conf = tried.confidences[rows]
        score, whole, p = _geometric_mean(conf), read.confidences[i], several[i]
        wins = score > whole and score * p > whole * (1.0 - p)
        if conf.min() >= PIECE_CONFIDENCE and wins and score > best.get(i, (0.0,))[0]:
            best[i] = (score, rows)
    for i in sorted(best, reverse=True):  # from the end, so earlier indices stay valid
        read = read.replace(i, tried, best[i][1])
    return read


def split_by_strings(labels, read, digit_height, darkness, classify, read_strings, check=None):
    """``read`` with regions that the sequence reader (:mod:`utils.strings`)
    reads surely as several digits replaced by one region per digit.

    The cuts start between the frames where the sequence reader saw one
    digit end and the next begin, and follow the least ink (:func:`seam`).
    Each piece keeps the digit and confidence the sequence reader gave it:
    the pieces of overlapping digits carry bits of their neighbours that
    would mislead the one-digit recogniser. A 1 that the recogniser reads
    as another digit the sequence reader must be very sure of
    (``STRING_ALONE``): its typical mistake is an extra 1 seen in a
    stroke of a looped 2 or an open 4. A region as wide as two digits
    (``STRING_WIDE``) that the checker says is not one digit is cut on a
    less sure reading (``STRING_WIDE_SURE``) and its pieces are not
    checked: read whole, it would lose a digit for sure. So is a region
    the recogniser doubts too (``WHOLE_DOUBTED``, ``DOUBTED_SURE``), and
    every region of a page written joined (``JOINED_*``). Each region is
    read at several phases (``STRING_SHIFTS``), the likeliest string kept.

    Parameters
    ----------
    read_strings : callable
        ``read_strings(canvases) -> (N, frames, classes)`` probabilities
        (a :class:`utils.runtime.Recogniser`'s ``predict``).
    """
    h = float(digit_height)
    candidates = [i for i, r in enumerate(read.regions)
                  if not r.piece and _width(r.box, h) > STRING_NARROWEST]
    # The sequence reader now and then sees a stroke of one digit as a 1
    # of its own (a 4 read "41"); where the checker ships, it must agree
    # that the region is not one digit, except on a page written joined
    # (JOINED_CHECK), where the five phases decide alone. It is asked first, being about 9
    # times cheaper a crop (0.010 ms against 0.086 ms in a batch of 100,
    # LiteRT, int8 weights); on the speed benchmark's photo it passes 4 of 98 regions (36 before
    # it learnt that digits written wide are one digit).
    joined = False
    if check is not None and candidates:
        several = check(read.crops[candidates])
        # Where digits are written joined, they are joined all over the page.
        joined = _joined_share(read.regions, [i for i, p in zip(candidates, several) if p >= 0.5], h) >= JOINED_SHARE
        least = JOINED_CHECK if joined else 0.5
        candidates = [i for i, p in zip(candidates, several) if p >= least]
    if not candidates:
        return read
    string_sure, string_alone = (JOINED_SURE, JOINED_ALONE) if joined else (STRING_SURE, STRING_ALONE)
    views = [string_view(labels, read.regions[i], darkness) for i in candidates]
    readings = read_moved(read_strings, np.stack([canvas for canvas, _ in views]), STRING_SHIFTS)
    cuts = []  # (region index, reading, pieces, wide)
    for i, (_, to_region), reading in zip(candidates, views, readings):
        box = read.regions[i].box
        wide = check is not None and _width(box, h) >= STRING_WIDE
        doubted = check is not None and read.confidences[i] < WHOLE_DOUBTED
        sure = STRING_WIDE_SURE if wide else (DOUBTED_SURE if doubted else string_sure)
        if len(reading.text) >= 2 and reading.confidence >= sure:
            pieces = _cut_between_frames(labels, read.regions[i], reading, to_region, max(h, box[3]))
            if pieces:
                cuts.append((i, reading, pieces, wide))
    if not cuts:
        return read
    tried = read_regions(labels, [p for _, _, pieces, _ in cuts for p in pieces], darkness, classify)  # one batch
    kept, k = [], 0
    for i, reading, pieces, wide in cuts:
        rows = list(range(k, k + len(pieces)))
        k += len(pieces)
        if wide or all(tried.names[r] == digit or digit != "1" or c >= string_alone
                       for r, digit, c in zip(rows, reading.text, reading.confidences)):
            for r, digit, c in zip(rows, reading.text, reading.confidences):
                tried.names[r], tried.confidences[r] = digit, c
            kept.append((i, rows))
    for i, rows in sorted(kept, reverse=True):  # from the end, so earlier indices stay valid
        read = read.replace(i, tried, rows)
    return read


def view_confidence(labels, read, darkness, read_strings=None):
    """How surely a view reads, the way up it is seen: the mean confidence
    over its regions, the sequence reader's where there is one (on the
    ``VIEW_SAMPLE`` largest regions: the same ink whichever way up), else
    the recogniser's.

    The sequence reader judges which way up better: the recogniser reads
    digits written joined as one digit, unsurely whichever way up (a page
    written joined can even look surer upside down), while the sequence
    reader reads them, and single digits, as they are. Of the 104
    development pages that look upside down, the sequence reader is surer
    of the right view on 101, the recogniser on 90.
    """
    if read_strings is None or not read.regions:
        return float(np.mean(read.confidences)) if len(read.confidences) else 0.0
    largest = sorted(read.regions, key=lambda r: r.box[2] * r.box[3], reverse=True)[:VIEW_SAMPLE]
    views = np.stack([string_view(labels, region, darkness)[0] for region in largest])
    return float(np.mean([reading.confidence for reading in decode(read_strings(views))]))


def _joined_share(regions, not_one, h):
    """The share of all ``regions`` that are wider than ``WIDE`` digit
    heights and that the checker says are not one digit (indices ``not_one``)."""
    wide = [i for i in not_one if _width(regions[i].box, h) > WIDE]
    return len(wide) / max(1, len(regions))


def _cut_between_frames(labels, region, reading, to_region, size):
    """``region`` cut into one piece per digit of ``reading``: seams start
    midway between the frames where one digit was last seen and the next first."""
    inside = region.pixels(labels)
    columns = [to_region(c) for c in reading.gaps()]
    paths = [seam(inside, int(np.clip(c, 1, inside.shape[1] - 2)), max(2, int(0.2 * size))) for c in columns]
    return pieces_between(labels, region, paths)


def string_view(labels, region, darkness):
    """The region as the sequence reader sees it, and a function from
    canvas column to the region's own column."""
    glyph = region_ink(labels, region, darkness, size=region.box[3])
    pad = (glyph.shape[1] - region.box[2]) // 2
    left = int(np.flatnonzero(glyph.any(axis=0))[0]) - pad
    canvas, (factor, x0) = string_style(crop_to_ink(glyph))
    return canvas, lambda c: left + (c - x0) / factor


def _width(box, h):
    """A box's width in digit heights: its own height or the page's
    digit height ``h``, whichever is larger."""
    return box[2] / max(h, box[3])


def _width_prior(box, h):
    """How likely a region this wide holds several digits (without a checker)."""
    return 1.0 / (1.0 + np.exp(-(_width(box, h) - TWO_WIDTH) / TWO_SPREAD))


def _joinable(a, b, h, wide=1.0, whole=False):
    """Two regions that may be pieces of one broken digit: nearly touching,
    at least one of them less than a whole digit (or the two sharing most
    of their columns: the halves of a 0; or, if ``whole``, of any size),
    and their union a digit's size (``wide`` digit heights at most)."""
    x_gap, y_gap = a.gaps(b)
    partial = (whole or min(a.box[2], b.box[2]) < 0.45 * h or min(a.box[3], b.box[3]) < 0.75 * h
               or a.shared_columns(b) > JOIN_SHARED)
    union = a.merged(b).box
    # A piece within ``a``'s columns adds no width (a 0 written wide whose
    # side came apart; not an underline, wider than its digit).
    widest = max(wide * max(h, union[3]), a.box[2])
    return (x_gap < 0.12 * h and y_gap < 0.25 * h and partial
            and union[2] <= widest and union[3] <= 1.35 * h)


def join_broken(labels, read, digit_height, darkness, classify, check=None):
    """``read`` with pieces of one broken digit (a 5's floating bar, a 4 in
    two strokes) joined, where the union reads as a digit more surely than
    the pieces apart. Each region joins at most one other. With a
    checker, a union wider than a digit is high (up to ``JOIN_WIDE``: a
    wide 4 whose bar broke) is tried too, and joined only if the checker
    takes it for one digit."""
    h = float(digit_height)
    regions = read.regions
    wide = JOIN_WIDE if check is not None else 1.0
    order = sorted(range(len(regions)), key=lambda i: regions[i].box[0])
    # Digit-sized pieces are tried too where both read unsurely (a 4 written
    # in two strokes, each as tall as the digit); the checker must agree.
    unsure = (read.confidences < UNSURE_PIECES) & (check is not None)
    pairs = [(i, j) for k, i in enumerate(order) for j in order[k + 1:k + 4]
             if _joinable(regions[i], regions[j], h, wide, whole=unsure[i] and unsure[j])]
    if not pairs:
        return read
    unions = read_regions(labels, [regions[i].merged(regions[j]) for i, j in pairs], darkness, classify)
    one, pieces = _one_digit_evidence(unions, read, sorted({i for pair in pairs for i in pair}), check)
    doubted = _wide_and_doubted(unions, one, h)
    gains = []
    for k, (i, j) in enumerate(pairs):
        conf, apart = unions.confidences[k], _geometric_mean(read.confidences[[i, j]])
        if conf < JOIN_CONFIDENCE or doubted[k]:
            continue
        if conf > apart + JOIN_MARGIN or (check is not None and one[k] > max(ONE_DIGIT, pieces[i] * pieces[j])):
            gains.append((conf - apart, k, i, j))
    used, joined = set(), {}
    for _, k, i, j in sorted(gains, reverse=True):
        if i not in used and j not in used:
            used |= {i, j}
            joined[min(i, j)] = k
    for i in sorted(used, reverse=True):  # the union takes the first one's place, the other goes
        read = read.replace(i, unions, [joined[i]] if i in joined else [])
    return read


def _wide_and_doubted(unions, one, h):
    """For each union: wider than a digit is high (only tried with a
    checker) and not taken for one digit by the checker. Narrower ones are
    not doubted: the checker takes many a broken digit for pieces (a 7
    whose bar came apart: 0.83 "not one")."""
    return [_width(r.box, h) > 1.0 and o < 0.5 * c for r, o, c in zip(unions.regions, one, unions.confidences)]


def _one_digit_evidence(unions, read, pieces, check):
    """Confidence times the checker's P(one digit), of every union and of
    ``read``'s regions ``pieces`` (a dict by index); confidences alone
    without a checker. The checker is asked once, in one batch."""
    if check is None:
        return unions.confidences, dict(enumerate(read.confidences))
    p_one = 1.0 - check(np.concatenate([unions.crops, read.crops[pieces]]))
    one = unions.confidences * p_one[:len(unions.crops)]
    return one, dict(zip(pieces, read.confidences[pieces] * p_one[len(unions.crops):]))


def join_fragments(labels, read, digit_height, darkness, classify, fragments=(), check=None):
    """``read`` with loose pieces of stroke that segmentation set aside as
    dashes or dots (``fragments``) joined back to the digit they came
    apart from; each digit takes at most one, the one it reads surest with."""
    h = float(digit_height)
    wide = JOIN_WIDE if check is not None else 1.0
    pairs = [(i, f) for f in fragments if max(f.box[2:]) >= FRAGMENT_LENGTH * h
             for i, r in enumerate(read.regions) if not r.piece and _joinable(r, f, h, wide)]
    if not pairs:
        return read
    unions = read_regions(labels, [read.regions[i].merged(f) for i, f in pairs], darkness, classify)
    doubted = _wide_and_doubted(unions, _one_digit_evidence(unions, read, [], check)[0], h)
    best = {}  # region index -> union index
    for k, (i, _) in enumerate(pairs):
        conf = unions.confidences[k]
        if conf >= JOIN_CONFIDENCE and conf >= read.confidences[i] - JOIN_MARGIN and not doubted[k]:
            if i not in best or conf > unions.confidences[best[i]]:
                best[i] = k
    taken = set()
    for i, k in sorted(best.items(), key=lambda item: -unions.confidences[item[1]]):
        fragment = pairs[k][1].ids[0]
        if fragment not in taken:
            taken.add(fragment)
            read = read.replace(i, unions, [k])  # one region for one: indices stay valid
    return read


def second_opinion(labels, read, digit_height, darkness, predict, other, classes, skipping=None, read_strings=None):
    """``read`` with its digits read less than ``SECOND_UNSURE`` surely
    labelled by two recognisers together, the second weighing
    ``SECOND_WEIGHT`` (``OVERRULE_WEIGHT`` where it is sure of another
    digit and closing the gaps in the strokes makes the recogniser itself
    find that digit far likelier). On a page where the pen skips
    (:func:`pen_skips`) every digit is asked, the second one (``skipping``
    if given) weighing ``SKIPPING_WEIGHT``. The pieces of split regions keep
    their labels: those of touching digits come from the sequence reader or
    were validated as a split.

    Parameters
    ----------
    predict, other : callable
        ``predict(crops) -> (N, classes)`` probabilities of the recogniser
        and of the second one (same labels, ``classes``).
    skipping : callable, optional
        The second one on a page where the pen skips (default: ``other``).
    read_strings : callable, optional
        The sequence reader's ``predict``: where given (and the classes are
        the ten digits), it has a say on the unsure digits of one piece of
        ink (:func:`_with_string_odds`).
    """
    skips = pen_skips(read.regions)
    if skips and skipping is not None:
        other = skipping
    asked = np.array([i for i, (r, c) in enumerate(zip(read.regions, read.confidences))
                      if (skips or c < SECOND_UNSURE) and not r.piece], int)
    if not len(asked):
        return read
    mine, theirs = predict(read.crops[asked]), other(read.crops[asked])
    weights = np.full(len(asked), SKIPPING_WEIGHT if skips else SECOND_WEIGHT)
    wanted = theirs.argmax(axis=1)
    doubted = np.flatnonzero((theirs.max(axis=1) >= OVERRULE_SURE) & (wanted != mine.argmax(axis=1)))
    if len(doubted):
        bridged = predict(normalise_all(labels, [read.regions[i] for i in asked[doubted]], darkness,
                                        BRIDGE * float(digit_height)))
        likelier = bridged[np.arange(len(doubted)), wanted[doubted]] / mine[doubted, wanted[doubted]]
        overruled = doubted[likelier >= OVERRULE_GAIN]
        weights[overruled] = np.maximum(weights[overruled], OVERRULE_WEIGHT)
    probs = (1 - weights[:, None]) * mine + weights[:, None] * theirs
    if read_strings is not None and list(classes) == list(LABELS[1:]):  # its classes are the digits
        probs = _with_string_odds(labels, read, darkness, asked, probs, read_strings)
    names, confidences = list(read.names), read.confidences.copy()
    for i, p in zip(asked, probs):
        names[i], confidences[i] = classes[int(p.argmax())], float(p.max())
    return Read(read.regions, names, confidences, read.crops)


def _with_string_odds(labels, read, darkness, asked, probs, read_strings):
    """``probs`` (of regions ``asked``) times the sequence reader's odds
    that each holds that one digit, renormalised, for the unsure regions
    of one piece of ink; the others' as they were.

    The sequence reader learnt from regions found on sheets, not from
    MNIST's centred digits alone, and errs differently from the
    recognisers: a product of the experts. Regions joined from several
    pieces of ink are left to the recognisers: the sequence reader never
    saw them (:func:`utils.sheet_crops.harvest_strings`), and on the broken
    tier it read their pieces as separate digits. Sheets, against the two
    recognisers alone: development +24 -16, second draw of touching and
    broken +8 -1, fresh +25 -8 (README, "Development benchmark").
    """
    # Unsure ones only, also on a page where the pen skips and every digit is asked:
    # asked about the sure ones there too, development broken +1 -3.
    own = [k for k, i in enumerate(asked) if len(read.regions[i].ids) == 1 and read.confidences[i] < SECOND_UNSURE]
    if not own:
        return probs
    views = np.stack([string_view(labels, read.regions[asked[k]], darkness)[0] for k in own])
    probs = probs.copy()
    probs[own] *= one_digit_odds(read_strings(views))
    probs[own] /= np.maximum(probs[own].sum(axis=1, keepdims=True), 1e-12)
    return probs


def pen_skips(regions):
    """True where at least ``SKIPPING_SHARE`` of the whole (not split)
    regions were joined from several pieces of ink."""
    whole = [r for r in regions if not r.piece]
    return bool(whole) and float(np.mean([len(r.ids) > 1 for r in whole])) >= SKIPPING_SHARE


def reread_bridged(labels, read, digit_height, darkness, classify, unsure=0.9):
    """``read`` with unsure digits read again with gaps in their strokes
    closed, where that is clearly more convincing (a stroke broken by a
    skipping pen). The pieces of split regions keep their labels: bridged
    alone, a piece often reads as the stub of its neighbour's stroke closed
    into a loop (touching/0001's 0 read as a 3). All tiers: development
    sheets +1 -1, the second draw of touching and broken sheets (seed 11)
    +1, fresh sheets (seed 7) +1. Closing keeps the loops a digit already
    has (:func:`utils.normalise.keep_loops`): it filled a narrow 8's, read
    then as a 1 (development +2, second draw -1, fresh +1)."""
    doubtful = [i for i, (r, c) in enumerate(zip(read.regions, read.confidences)) if c < unsure and not r.piece]
    if not doubtful:
        return read
    again = read_regions(labels, [read.regions[i] for i in doubtful], darkness, classify,
                         bridge=BRIDGE * float(digit_height))
    for k, i in enumerate(doubtful):
        if again.confidences[k] > read.confidences[i] + JOIN_MARGIN:
            read = read.replace(i, again, [k])
    return read
