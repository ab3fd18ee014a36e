"""Split regions that hold several digits: by the sequence reader where it
reads them surely, else at the thinnest joins where the recogniser agrees."""

import numpy as np

from ...models.sequences import read_moved
from ..recognise import geometric_mean, read_regions, string_view, width_in_heights
from ..regions import REGIONS, Region
from .settings import REFINE


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
        for c in minima + [int(w * f) for f in REFINE.even_cuts]:  # an even division next to a minimum gives the same seam
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
    cost = inside[:, lo:hi] * REFINE.seam_ink + REFINE.seam_drift * np.abs(cols - centre)
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
    wide = [i for i, r in enumerate(read.regions) if len(r.ids) == 1 and width_in_heights(r.box, h) > REFINE.wide]
    several = {i: _width_prior(read.regions[i].box, h) for i in wide}
    checked = dict(zip(wide, check(read.crops[wide]))) if check is not None and wide else {}
    if checked:  # the checker's view, tempered by the width's
        several = {i: float(np.sqrt(several[i] * checked[i])) for i in wide}
    # A region read surely as one digit, of a plausible width, stays whole
    # unless the checker is just as sure it is not one.
    wide = [i for i in wide if not (read.confidences[i] >= REFINE.sure_whole and checked.get(i, 0.0) < REFINE.sure_whole
                                    and width_in_heights(read.regions[i].box, h) <= REFINE.plausible_width)]
    # A split wins only if score * p > whole * (1 - p) with score <= 1: no
    # need to cut regions where even perfect pieces could not win.
    whole = read.confidences
    wide = [i for i in wide if several[i] > whole[i] / (1.0 + whole[i])]
    options = []  # (region index, [pieces])
    for i in wide:
        region = read.regions[i]
        x, y, w, hh = region.box
        size = max(h, hh)
        # A piece much shorter than the region is often a loop or tail cut
        # off one digit; where the checker is sure the region holds several
        # digits, a piece need only be as tall as any digit: a small digit
        # touching a tall one, as people size them.
        several_sure = checked.get(i, 0.0) >= REFINE.sure_whole
        shortest = REGIONS.least_height * h if several_sure else REFINE.piece_height * size
        inside = region.pixels(labels)
        for n in ([2, 3] if w > REFINE.three_wide * size else [2]):
            for cuts in cut_candidates(inside.sum(axis=0), size, n):
                paths = [seam(inside, c, max(2, int(REFINE.seam_reach * size))) for c in cuts]
                pieces = pieces_between(labels, region, paths)
                if pieces and all(p.box[3] >= shortest and p.box[2] >= REFINE.min_piece * size for p in pieces):
                    options.append((i, pieces))
    if not options:
        return read
    tried = read_regions(labels, [p for _, ps in options for p in ps], darkness, classify)
    best, k = {}, 0
    for i, pieces in options:
        rows = list(range(k, k + len(pieces)))
        k += len(pieces)
        conf = tried.confidences[rows]
        score, whole, p = geometric_mean(conf), read.confidences[i], several[i]
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
    stroke of a looped 2 or an open 4. So must a 1 added to the digit the
    recogniser reads the whole region as all but certainly
    (``REFINE.whole_sure``): a small, slanted 0 read "10". A region as wide as two digits
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
                  if not r.piece and width_in_heights(r.box, h) > REFINE.string_narrowest]
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
        wide = check is not None and width_in_heights(box, h) >= REFINE.string_wide
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
        # A region the recogniser reads very surely as the one digit that
        # the sequence reading has besides its 1s (a small, slanted 0 read
        # "10") disputes each of those 1s, on any page.
        whole_disputes = read.confidences[i] >= REFINE.whole_sure and set(reading.text) == {"1", read.names[i]}
        alone = REFINE.string_alone if whole_disputes else string_alone
        if wide or all(digit != "1" or (tried.names[r] == digit and not whole_disputes) or c >= alone
                       for r, digit, c in zip(rows, reading.text, reading.confidences)):
            for r, digit, c in zip(rows, reading.text, reading.confidences):
                tried.names[r], tried.confidences[r] = digit, c
            kept.append((i, rows))
    for i, rows in sorted(kept, reverse=True):  # from the end, so earlier indices stay valid
        read = read.replace(i, tried, rows)
    return read


def _joined_share(regions, not_one, h):
    """The share of all ``regions`` that are wider than ``REFINE.wide`` digit
    heights and that the checker says are not one digit (indices ``not_one``)."""
    wide = [i for i in not_one if width_in_heights(regions[i].box, h) > REFINE.wide]
    return len(wide) / max(1, len(regions))


def _cut_between_frames(labels, region, reading, to_region, size):
    """``region`` cut into one piece per digit of ``reading``: seams start
    midway between the frames where one digit was last seen and the next first."""
    inside = region.pixels(labels)
    columns = [to_region(c) for c in reading.gaps()]
    paths = [seam(inside, int(np.clip(c, 1, inside.shape[1] - 2)), max(2, int(REFINE.seam_reach * size))) for c in columns]
    return pieces_between(labels, region, paths)


def _width_prior(box, h):
    """How likely a region this wide holds several digits (without a checker)."""
    return 1.0 / (1.0 + np.exp(-(width_in_heights(box, h) - REFINE.two_width) / REFINE.two_spread))
