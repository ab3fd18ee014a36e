"""Second looks with the recogniser: regions -> regions, read again where
the first reading may be wrong.

**Joined digits, read as a sequence** (where ``output/digit_strings.model``
ships): regions the checker says are not one digit are read by the
sequence reader (:mod:`digit_sheet_reader.training.sequence_reader`), and those it reads surely as
several digits are cut where it saw one digit end and the next begin.

**Touching digits** that are left. Two or three digits joined by ink form one connected
region, too wide for one digit of the page's height. Over-segment, then
validate:

1. A region is a candidate if it is wider than ``REFINE.wide`` digit heights
   (its own or the page's, whichever is larger).
2. Candidate cuts start at the minima of its column ink profile (where
   the join is thinnest) and at even divisions of its width, and follow
   the path through the least ink from top to bottom, into two pieces
   and, for very wide regions, three.
3. Every candidate piece is normalised and read, all in one batch; a
   split is kept only if each piece reads confidently and the split as a
   whole is more convincing than the region read as one digit, weighed by
   how likely the region is to hold several digits: from its width, and
   from the one-digit checker (:mod:`digit_sheet_reader.training.one_digit_checker`) where it ships. The
   halves of a single digit often read as digits too (a 0 as two 1s), so
   the recogniser alone is no evidence: a genuinely wide digit (a flat 0,
   a 7 with a long bar) read surely stays whole.

**Broken digits.** Near fragments whose union reads as a digit more surely
than the pieces apart are joined; digits still read unsurely are read
again with the gaps in their strokes closed.

**A second opinion** (where ``output/mnist_cnn_broken.model`` ships):
digits still read less than ``REFINE.second_unsure`` surely, other than the
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

from ..models.sequences import LABELS, decode, one_digit_odds, read_moved
from .crops import crop_to_ink, normalise_all, region_ink, string_style
from .regions import Region


@dataclass(frozen=True)
class RefineSettings:
    """Second looks: joining, splitting and re-reading regions.

    Lengths are in digit heights unless a field says px; confidences are probabilities.
    """

    view_sample: int = 16  # regions (the largest) judged for which way up a view reads best
    wide: float = 0.85  # narrower than this (digit heights) is never split
    piece_confidence: float = 0.7  # each piece of a split must read at least this surely
    two_width: float = 1.1  # width (digit heights) at which a region is as likely two digits as one
    two_spread: float = 0.1  # spread (digit heights) of that width prior's logistic
    sure_whole: float = 0.95  # a region read this surely as one digit ...
    plausible_width: float = 1.5  # ... and no wider than this (digit heights) stays whole
    join_confidence: float = 0.9  # broken pieces are joined if their union reads at least this surely ...
    join_margin: float = 0.05  # ... and beats the pieces read apart by this
    one_digit: float = 0.25  # least confidence x P(one digit) for a union of sure pieces (with a checker)
    unsure_pieces: float = 0.6  # two digit-sized pieces both read less surely than this are tried as one
    join_shared: float = 0.5  # pieces sharing more than this share of the narrower's columns are one digit
    join_wide: float = 1.3  # widest union tried (digit heights), with a checker
    fragment_length: float = 0.25  # a loose dash at least this long (digit heights) may join its digit
    min_piece: float = 0.15  # pieces narrower than this share of the height are not digits
    piece_height: float = 0.65  # ... nor pieces shorter than this share of it
    string_narrowest: float = 0.45  # the sequence reader looks at regions wider than this (digit heights)
    string_sure: float = 0.9  # ... and splits those it reads as several digits at least this surely
    string_alone: float = 0.99  # a 1 the recogniser reads otherwise must be read this surely
    string_wide: float = 1.3  # a region this wide (digit heights) that is not one digit loses a digit read whole
    string_wide_sure: float = 0.5  # ... so there the sequence reading is taken from this sure
    whole_doubted: float = 0.8  # a region not one digit and read whole less surely than this ...
    doubted_sure: float = 0.5  # ... takes the sequence reading from this sure
    joined_share: float = 0.15  # share of wide, not-one-digit regions at which a page is written joined
    joined_sure: float = 0.5  # on such a page the sequence readings are taken from this sure
    joined_alone: float = 0.8  # ... and a disputed 1 from this sure
    joined_check: float = 0.0  # on such a page, the checker's odds of several digits from which a region is read as a sequence
    string_shifts: tuple = (0, -2, 2, -1, 1)  # canvas shifts (columns) each wide region is read at
    second_unsure: float = 0.99  # digits read less surely than this get a second opinion
    second_weight: float = 0.35  # the second opinion's weight in the average
    overrule_sure: float = 0.9  # a second recogniser this sure of another digit ...
    overrule_gain: float = 2.0  # ... weighs more if bridging gaps makes that digit this many times likelier
    overrule_weight: float = 0.65  # ... and then weighs this
    skipping_share: float = 0.1  # share of digits joined from pieces at which the pen skips on a page
    skipping_weight: float = 0.9  # the second opinion's weight on such a page
    bridge: float = 0.12  # gaps up to this share of the digit height are closed when re-reading


REFINE = RefineSettings()


def cut_candidates(profile, height, parts, count=3):
    """Columns to start cuts at, as lists of ``parts - 1`` columns: the
    lowest points of the smoothed ink profile (where a join is thinnest)
    and, as the join of overlapping digits need not be thin, the even
    divisions of the width; every piece at least ``REFINE.min_piece`` heights wide."""
    w = len(profile)
    margin = max(2, int(REFINE.min_piece * height))
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
        :mod:`digit_sheet_reader.training.one_digit_checker`). Without it, how likely a region holds several
        digits is judged from its width alone.
    """
    h = float(digit_height)
    # Only one connected component can be digits touching; regions that
    # segmentation merged from fragments were merged on purpose.
    wide = [i for i, r in enumerate(read.regions) if len(r.ids) == 1 and _width(r.box, h) > REFINE.wide]
    several = {i: _width_prior(read.regions[i].box, h) for i in wide}
    checked = dict(zip(wide, check(read.crops[wide]))) if check is not None and wide else {}
    if checked:  # the checker's view, tempered by the width's
        several = {i: float(np.sqrt(several[i] * checked[i])) for i in wide}
    # A region read surely as one digit, of a plausible width, stays whole
    # unless the checker is just as sure it is not one.
    wide = [i for i in wide if not (read.confidences[i] >= REFINE.sure_whole and checked.get(i, 0.0) < REFINE.sure_whole
                                    and _width(read.regions[i].box, h) <= REFINE.plausible_width)]
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
                if pieces and all(p.box[3] >= REFINE.piece_height * size and p.box[2] >= REFINE.min_piece * size for p in pieces):
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
        if conf.min() >= REFINE.piece_confidence and wins and score > best.get(i, (0.0,))[0]:
            best[i] = (score, rows)
    for i in sorted(best, reverse=True):  # from the end, so earlier indices stay valid
        read = read.replace(i, tried, best[i][1])
    return read


def split_by_strings(labels, read, digit_height, darkness, classify, read_strings, check=None):
    """``read`` with regions that the sequence reader (:mod:`digit_sheet_reader.training.sequence_reader`)
    reads surely as several digits replaced by one region per digit.

    The cuts start between the frames where the sequence reader saw one
    digit end and the next begin, and follow the least ink (:func:`seam`).
    Each piece keeps the digit and confidence the sequence reader gave it:
    the pieces of overlapping digits carry bits of their neighbours that
    would mislead the one-digit recogniser. A 1 that the recogniser reads
    as another digit the sequence reader must be very sure of
    (``REFINE.string_alone``): its typical mistake is an extra 1 seen in a
    stroke of a looped 2 or an open 4. A region as wide as two digits
    (``REFINE.string_wide``) that the checker says is not one digit is cut on a
    less sure reading (``REFINE.string_wide_sure``) and its pieces are not
    checked: read whole, it would lose a digit for sure. So is a region
    the recogniser doubts too (``REFINE.whole_doubted``, ``REFINE.doubted_sure``), and
    every region of a page written joined (``JOINED_*``). Each region is
    read at several phases (``REFINE.string_shifts``), the likeliest string kept.

    Parameters
    ----------
    read_strings : callable
        ``read_strings(canvases) -> (N, frames, classes)`` probabilities
        (a :class:`digit_sheet_reader.models.runtime.Recogniser`'s ``predict``).
    """
    h = float(digit_height)
    candidates = [i for i, r in enumerate(read.regions)
                  if not r.piece and _width(r.box, h) > REFINE.string_narrowest]
    # The sequence reader now and then sees a stroke of one digit as a 1
    # of its own (a 4 read "41"); where the checker ships, it must agree
    # that the region is not one digit, except on a page written joined
    # (REFINE.joined_check), where the five phases decide alone. It is asked first, being about 9
    # times cheaper a crop (0.010 ms against 0.086 ms in a batch of 100,
    # LiteRT, int8 weights); on the speed benchmark's photo it passes 4 of 98 regions (36 before
    # it learnt that digits written wide are one digit).
    joined = False
    if check is not None and candidates:
        several = check(read.crops[candidates])
        # Where digits are written joined, they are joined all over the page.
        joined = _joined_share(read.regions, [i for i, p in zip(candidates, several) if p >= 0.5], h) >= REFINE.joined_share
        least = REFINE.joined_check if joined else 0.5
        candidates = [i for i, p in zip(candidates, several) if p >= least]
    if not candidates:
        return read
    string_sure, string_alone = (REFINE.joined_sure, REFINE.joined_alone) if joined else (REFINE.string_sure, REFINE.string_alone)
    views = [string_view(labels, read.regions[i], darkness) for i in candidates]
    readings = read_moved(read_strings, np.stack([canvas for canvas, _ in views]), REFINE.string_shifts)
    cuts = []  # (region index, reading, pieces, wide)
    for i, (_, to_region), reading in zip(candidates, views, readings):
        box = read.regions[i].box
        wide = check is not None and _width(box, h) >= REFINE.string_wide
        doubted = check is not None and read.confidences[i] < REFINE.whole_doubted
        sure = REFINE.string_wide_sure if wide else (REFINE.doubted_sure if doubted else string_sure)
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
    ``REFINE.view_sample`` largest regions: the same ink whichever way up), else
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
    largest = sorted(read.regions, key=lambda r: r.box[2] * r.box[3], reverse=True)[:REFINE.view_sample]
    views = np.stack([string_view(labels, region, darkness)[0] for region in largest])
    return float(np.mean([reading.confidence for reading in decode(read_strings(views))]))


def _joined_share(regions, not_one, h):
    """The share of all ``regions`` that are wider than ``REFINE.wide`` digit
    heights and that the checker says are not one digit (indices ``not_one``)."""
    wide = [i for i in not_one if _width(regions[i].box, h) > REFINE.wide]
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
    return 1.0 / (1.0 + np.exp(-(_width(box, h) - REFINE.two_width) / REFINE.two_spread))


def _joinable(a, b, h, wide=1.0, whole=False):
    """Two regions that may be pieces of one broken digit: nearly touching,
    at least one of them less than a whole digit (or the two sharing most
    of their columns: the halves of a 0; or, if ``whole``, of any size),
    and their union a digit's size (``wide`` digit heights at most)."""
    x_gap, y_gap = a.gaps(b)
    partial = (whole or min(a.box[2], b.box[2]) < 0.45 * h or min(a.box[3], b.box[3]) < 0.75 * h
               or a.shared_columns(b) > REFINE.join_shared)
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
    checker, a union wider than a digit is high (up to ``REFINE.join_wide``: a
    wide 4 whose bar broke) is tried too, and joined only if the checker
    takes it for one digit."""
    h = float(digit_height)
    regions = read.regions
    wide = REFINE.join_wide if check is not None else 1.0
    order = sorted(range(len(regions)), key=lambda i: regions[i].box[0])
    # Digit-sized pieces are tried too where both read unsurely (a 4 written
    # in two strokes, each as tall as the digit); the checker must agree.
    unsure = (read.confidences < REFINE.unsure_pieces) & (check is not None)
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
        if conf < REFINE.join_confidence or doubted[k]:
            continue
        if conf > apart + REFINE.join_margin or (check is not None and one[k] > max(REFINE.one_digit, pieces[i] * pieces[j])):
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
    wide = REFINE.join_wide if check is not None else 1.0
    pairs = [(i, f) for f in fragments if max(f.box[2:]) >= REFINE.fragment_length * h
             for i, r in enumerate(read.regions) if not r.piece and _joinable(r, f, h, wide)]
    if not pairs:
        return read
    unions = read_regions(labels, [read.regions[i].merged(f) for i, f in pairs], darkness, classify)
    doubted = _wide_and_doubted(unions, _one_digit_evidence(unions, read, [], check)[0], h)
    best = {}  # region index -> union index
    for k, (i, _) in enumerate(pairs):
        conf = unions.confidences[k]
        if conf >= REFINE.join_confidence and conf >= read.confidences[i] - REFINE.join_margin and not doubted[k]:
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
    """``read`` with its digits read less than ``REFINE.second_unsure`` surely
    labelled by two recognisers together, the second weighing
    ``REFINE.second_weight`` (``REFINE.overrule_weight`` where it is sure of another
    digit and closing the gaps in the strokes makes the recogniser itself
    find that digit far likelier). On a page where the pen skips
    (:func:`pen_skips`) every digit is asked, the second one (``skipping``
    if given) weighing ``REFINE.skipping_weight``. The pieces of split regions keep
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
                      if (skips or c < REFINE.second_unsure) and not r.piece], int)
    if not len(asked):
        return read
    mine, theirs = predict(read.crops[asked]), other(read.crops[asked])
    weights = np.full(len(asked), REFINE.skipping_weight if skips else REFINE.second_weight)
    wanted = theirs.argmax(axis=1)
    doubted = np.flatnonzero((theirs.max(axis=1) >= REFINE.overrule_sure) & (wanted != mine.argmax(axis=1)))
    if len(doubted):
        bridged = predict(normalise_all(labels, [read.regions[i] for i in asked[doubted]], darkness,
                                        REFINE.bridge * float(digit_height)))
        likelier = bridged[np.arange(len(doubted)), wanted[doubted]] / mine[doubted, wanted[doubted]]
        overruled = doubted[likelier >= REFINE.overrule_gain]
        weights[overruled] = np.maximum(weights[overruled], REFINE.overrule_weight)
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
    saw them (:func:`digit_sheet_reader.training.harvest.harvest_strings`), and on the broken
    tier it read their pieces as separate digits. Sheets, against the two
    recognisers alone: development +24 -16, second draw of touching and
    broken +8 -1, fresh +25 -8 (README, "Development benchmark").
    """
    # Unsure ones only, also on a page where the pen skips and every digit is asked:
    # asked about the sure ones there too, development broken +1 -3.
    own = [k for k, i in enumerate(asked) if len(read.regions[i].ids) == 1 and read.confidences[i] < REFINE.second_unsure]
    if not own:
        return probs
    views = np.stack([string_view(labels, read.regions[asked[k]], darkness)[0] for k in own])
    probs = probs.copy()
    probs[own] *= one_digit_odds(read_strings(views))
    probs[own] /= np.maximum(probs[own].sum(axis=1, keepdims=True), 1e-12)
    return probs


def pen_skips(regions):
    """True where at least ``REFINE.skipping_share`` of the whole (not split)
    regions were joined from several pieces of ink."""
    whole = [r for r in regions if not r.piece]
    return bool(whole) and float(np.mean([len(r.ids) > 1 for r in whole])) >= REFINE.skipping_share


def reread_bridged(labels, read, digit_height, darkness, classify, unsure=0.9):
    """``read`` with unsure digits read again with gaps in their strokes
    closed, where that is clearly more convincing (a stroke broken by a
    skipping pen). The pieces of split regions keep their labels: bridged
    alone, a piece often reads as the stub of its neighbour's stroke closed
    into a loop (touching/0001's 0 read as a 3). All tiers: development
    sheets +1 -1, the second draw of touching and broken sheets (seed 11)
    +1, fresh sheets (seed 7) +1. Closing keeps the loops a digit already
    has (:func:`digit_sheet_reader.pipeline.crops.keep_loops`): it filled a narrow 8's, read
    then as a 1 (development +2, second draw -1, fresh +1)."""
    doubtful = [i for i, (r, c) in enumerate(zip(read.regions, read.confidences)) if c < unsure and not r.piece]
    if not doubtful:
        return read
    again = read_regions(labels, [read.regions[i] for i in doubtful], darkness, classify,
                         bridge=REFINE.bridge * float(digit_height))
    for k, i in enumerate(doubtful):
        if again.confidences[k] > read.confidences[i] + REFINE.join_margin:
            read = read.replace(i, again, [k])
    return read
