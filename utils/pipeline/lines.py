"""Group digits into lines and put them in reading order: labels -> lines.

Robust to a few degrees of skew and uneven baselines, because digits are
chained to their nearest right-hand neighbour (the line may drift by more
than a digit's height over its length; each link only needs the two
neighbours to be level with each other), and links are joined with
union-find: a transitive relation, never a non-transitive comparator
inside a sort.

1. Link each box to its nearest neighbour to the right whose centre is
   within ``LINES.level`` digit heights vertically, keeping only mutual choices (so two
   close lines cannot zip together).
2. Lines are the connected groups; digits in a line go left to right.
3. A line is split where a gap is much larger than the page's typical
   spacing and than the line's own: two columns of numbers side by side
   give two lines each, a row of single digits written far apart stays one.
4. Lines are put in rows (lines overlapping vertically), rows top to
   bottom, lines in a row left to right.
5. Once each line has been judged on its own (a date's slashes, an
   amount's closing slash, stray marks), the lines of a row are one line
   unless at least ``LINES.column_rows`` rows hold several
   (:func:`rows_as_lines`): a gutter running down several rows makes
   columns, read block by block, each top to bottom (:func:`block_by_block`);
   a wide gap in one or two rows only parts a line's groups.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LineSettings:
    """How digits are linked into lines and lines split into columns.

    Lengths are in digit heights (h).
    """

    level: float = 0.6  # neighbours whose centres are this close vertically are level ...
    own_height: float = 0.8  # ... measured against h, or this share of the taller one's own height
    farthest: float = 6.0  # no neighbour farther to the right than this
    climb: float = 2.0  # a vertical offset costs this many times a horizontal gap when choosing
    lone_gap: float = 0.3  # the typical gap between digits where no line has two
    least_gap: float = 0.1  # the typical gap is taken as at least this (a comma or dash is not one)
    column_gap: float = 1.5  # a gap wider than this splits a line into two columns ...
    column_gaps: float = 3.0  # ... if also this many times the page's typical gap and the line's other gaps (median)
    column_rows: int = 3  # a row's lines stay apart only where this many rows hold several (a gutter runs down them)
    group_gap: float = 0.6  # a gap this wide starts a new group of digits within a line ...
    group_gaps: float = 2.5  # ... if it is also this many times the line's median gap
    comma: float = 1.3  # a dot this many times taller than wide is a comma
    low_dot: float = 0.6  # a lone dot separates only if its centre lies below this share of the line's height
    separator_reach: float = 0.25  # a dot or dash this close above or below a line's span may separate its groups


LINES = LineSettings()


class UnionFind:
    """Disjoint sets over 0..n-1 (path halving)."""

    def __init__(self, n):
        self.parent = list(range(n))

    def find(self, i):
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i, j):
        self.parent[self.find(i)] = self.find(j)

    def groups(self):
        out = {}
        for i in range(len(self.parent)):
            out.setdefault(self.find(i), []).append(i)
        return list(out.values())


def _right_neighbours(boxes, h, max_gap):
    """For each box, the index of its nearest level neighbour to the right (or -1)."""
    x, y, w, hh = (boxes[:, k] for k in range(4))
    cx, cy = x + w / 2, y + hh / 2
    best = np.full(len(boxes), -1)
    for i in range(len(boxes)):
        gap = x - (x[i] + w[i])
        level = np.abs(cy - cy[i]) < LINES.level * np.maximum(h, np.maximum(hh, hh[i]) * LINES.own_height)
        ok = level & (cx > cx[i]) & (gap < max_gap)
        ok[i] = False
        if ok.any():
            # Distance with the vertical offset weighted up: prefer the level one.
            cost = np.where(ok, np.maximum(gap, 0) + LINES.climb * np.abs(cy - cy[i]), np.inf)
            best[i] = int(np.argmin(cost))
    return best


def _left_neighbours(right):
    left = np.full(len(right), -1)
    # For each target, the source that chose it with the smallest index wins
    # ties deterministically; mutuality is checked by the caller.
    for i, j in enumerate(right):
        if j >= 0 and left[j] < 0:
            left[j] = i
    return left


def _split_at_gaps(members, boxes, limit):
    """Split one x-sorted line where a gap is wider than ``limit`` and
    ``LINES.column_gaps`` times the line's other gaps (their median): a
    gutter stands out from the line's own spacing, where a row of widely
    spaced single digits is spaced so all along."""
    pieces, current = [], [members[0]]
    gaps = np.array([boxes[b, 0] - (boxes[a, 0] + boxes[a, 2]) for a, b in zip(members, members[1:])])
    for k, b in enumerate(members[1:]):
        others = np.delete(gaps, k)
        if gaps[k] > limit and (len(others) == 0 or gaps[k] > LINES.column_gaps * float(np.median(others))):
            pieces.append(current)
            current = []
        current.append(b)
    pieces.append(current)
    return pieces


def group_starts(boxes, digit_height, marks=()):
    """Where one line's digits break into groups: ``{position: separator}``.

    ``boxes`` are the line's digit boxes left to right; a group starts at
    ``position`` after a clear gap (separator ``" "``: far wider than the
    line's usual gap, as between the parts of a phone number) or after a
    separator mark lying between two digits. ``marks`` are ``(box, kind)``
    of the marks rejected as not digits; ``"dash"`` separates as ``"-"``,
    ``"dot"`` low in the line as ``"."`` (``","`` if taller than wide: a
    comma's tail), two dots one above the other as ``":"``.

    Examples
    --------
    >>> line = np.array([[0, 0, 20, 30], [24, 0, 20, 30], [70, 0, 20, 30], [94, 0, 20, 30], [118, 0, 20, 30]])
    >>> group_starts(line, 30)
    {2: ' '}
    >>> group_starts(line[:2], 30, marks=[((60, 26, 4, 4), "dot")])   # after the line, not inside it
    {}
    >>> group_starts(line[1:3], 30, marks=[((50, 14, 12, 4), "dash")])
    {1: '-'}
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    h = float(digit_height) or float(np.median(boxes[:, 3]))
    starts = {}
    gaps = boxes[1:, 0] - (boxes[:-1, 0] + boxes[:-1, 2])
    if len(gaps) >= 2:  # a usual gap to compare with
        usual = max(float(np.median(gaps)), LINES.least_gap * h)
        starts = {i + 1: " " for i, gap in enumerate(gaps) if gap > max(LINES.group_gap * h, LINES.group_gaps * usual)}
    top, bottom = boxes[:, 1].min(), (boxes[:, 1] + boxes[:, 3]).max()
    reach = LINES.separator_reach * h
    between = {}  # position -> the marks (one character each) between it and the digit before
    for (x, y, w, hh), kind in marks:
        centre = x + w / 2
        i = int(np.searchsorted(boxes[:, 0] + boxes[:, 2] / 2, centre))
        inside = top <= y + hh / 2 <= bottom if kind == "slash" else top - reach <= y and y + hh <= bottom + reach
        if kind in ("dot", "dash", "slash") and 0 < i < len(boxes) and inside \
                and boxes[i - 1, 0] + boxes[i - 1, 2] <= centre <= boxes[i, 0]:
            low = y + hh / 2 > top + LINES.low_dot * (bottom - top)
            dot = ("," if hh > LINES.comma * w else ".") if low else "'"  # "'": a dot high in the line
            between.setdefault(i, []).append({"dash": "-", "slash": "/"}.get(kind, dot))
    for i, found in between.items():
        dots = [mark for mark in found if mark not in "-/"]
        if "/" in found:
            starts[i] = "/"
        elif "-" in found:
            starts[i] = "-"
        elif len(dots) > 1:
            starts[i] = ":"
        elif dots[0] != "'":  # a lone dot high in the line is a speck of ink, not a point
            starts[i] = dots[0]
    return dict(sorted(starts.items()))


def group_lines(boxes, digit_height):
    """Indices of ``boxes`` (N x 4, x y w h) grouped in lines, in reading order.

    Examples
    --------
    >>> boxes = np.array([[50, 100, 20, 30], [10, 0, 20, 30], [40, 2, 20, 30], [10, 98, 20, 30]])
    >>> group_lines(boxes, 30)
    [[1, 2], [3, 0]]
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(boxes) == 0:
        return []
    h = float(digit_height) or float(np.median(boxes[:, 3]))
    right = _right_neighbours(boxes, h, max_gap=LINES.farthest * h)
    left = _left_neighbours(right)
    sets = UnionFind(len(boxes))
    for i, j in enumerate(right):
        if j >= 0 and left[j] == i:
            sets.union(i, j)
    lines = [sorted(g, key=lambda k: (boxes[k, 0], boxes[k, 1])) for g in sets.groups()]
    gaps = [boxes[b, 0] - (boxes[a, 0] + boxes[a, 2]) for g in lines for a, b in zip(g, g[1:])]
    typical = float(np.median(gaps)) if gaps else LINES.lone_gap * h
    limit = max(LINES.column_gap * h, LINES.column_gaps * max(typical, LINES.least_gap * h))
    lines = [piece for g in _merge_row_neighbours(lines, boxes, limit) for piece in _split_at_gaps(g, boxes, limit)]
    return order_lines(lines, boxes)


def _merge_row_neighbours(lines, boxes, limit):
    """Lines of one row less than ``limit`` apart (or overlapping in x)
    merged into one line.

    Neighbours are chained only where both choose each other, and a digit
    sitting lower than its neighbours (a short 5 between tall 8s) or the
    overlapping pieces of split touching digits can be passed over: the
    chain then breaks where no gap is. Two real lines of one row (two
    columns of numbers) are at least ``limit`` apart, as
    :func:`_split_at_gaps` would split them.
    """
    spans = _spans(lines, boxes)
    ends = [(boxes[g, 0] + boxes[g, 2]).max() for g in lines]
    merged = UnionFind(len(lines))
    for a in range(len(lines)):
        for b in range(a + 1, len(lines)):
            gap = max(spans[a][2], spans[b][2]) - min(ends[a], ends[b])
            if _same_row(spans[a], spans[b]) and gap <= limit:
                merged.union(a, b)
    return [sorted((k for i in group for k in lines[i]), key=lambda k: (boxes[k, 0], boxes[k, 1]))
            for group in merged.groups()]


def _spans(lines, boxes):
    """(top, bottom, left) of each line."""
    return [(boxes[g, 1].min(), (boxes[g, 1] + boxes[g, 3]).max(), boxes[g, 0].min()) for g in lines]


def _same_row(a, b):
    """True if line spans ``a`` and ``b`` (:func:`_spans`) overlap vertically
    by more than half the shorter one."""
    top, bottom = max(a[0], b[0]), min(a[1], b[1])
    return bottom - top > 0.5 * min(a[1] - a[0], b[1] - b[0])


def _rows(lines, boxes):
    """The rows of ``lines`` (lines overlapping vertically, joined
    transitively), top to bottom, each its lines' indices left to right."""
    spans = _spans(lines, boxes)
    rows = UnionFind(len(lines))
    for a in range(len(lines)):
        for b in range(a + 1, len(lines)):
            if _same_row(spans[a], spans[b]):
                rows.union(a, b)
    row_groups = sorted(rows.groups(), key=lambda r: min((spans[i][0] + spans[i][1]) / 2 for i in r))
    return [sorted(row, key=lambda i: spans[i][2]) for row in row_groups]


def order_lines(lines, boxes):
    """Rows (lines overlapping vertically, joined transitively) top to bottom,
    lines within a row left to right."""
    return [[int(k) for k in lines[i]] for row in _rows(lines, boxes) for i in row]


def rows_as_lines(lines, boxes):
    """``lines`` (in reading order, :func:`group_lines`) as the page is
    read: where at least ``LINES.column_rows`` rows hold several lines, a
    gutter runs down the page and its columns are read block by block
    (:func:`block_by_block`); elsewhere the lines of each row are joined
    into one: a wide gap in one or two rows parts groups of one line
    (``12345   67891``). Read as two lines, a tilted photo's row would fall
    into pieces that no longer share a row in the photo.

    Examples
    --------
    >>> boxes = np.array([[0, 0, 20, 30], [25, 0, 20, 30], [150, 0, 20, 30], [175, 0, 20, 30]])
    >>> rows_as_lines([[0, 1], [2, 3]], boxes)
    [[0, 1, 2, 3]]
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    rows = _rows(lines, boxes)
    if sum(len(row) > 1 for row in rows) >= LINES.column_rows:
        return block_by_block(lines, boxes, rows)
    return [[k for i in row for k in lines[i]] for row in rows]


def block_by_block(lines, boxes, rows=None):
    """The ``lines`` of a page of columns in reading order: block by block,
    left to right, each top to bottom. In a row holding as many lines as
    any, the k-th line from the left is in the k-th block (a ragged
    column, each line starting where its row's left line ended, still
    lines up so); a line of a row holding fewer is in the block whose
    full rows' lines have their middles nearest its own (a heading
    across the gutter goes with the block its middle lies nearer).

    Examples
    --------
    >>> boxes = np.array([[0, 0, 40, 30], [200, 0, 40, 30], [0, 60, 40, 30], [200, 60, 40, 30]])
    >>> block_by_block([[0], [1], [2], [3]], boxes)
    [[0], [2], [1], [3]]
    """
    rows = _rows(lines, boxes) if rows is None else rows
    middle = [(boxes[line, 0].min() + (boxes[line, 0] + boxes[line, 2]).max()) / 2 for line in lines]
    width = max(len(row) for row in rows)
    full = [row for row in rows if len(row) == width]
    centres = np.array([np.mean([middle[row[k]] for row in full]) for k in range(width)])
    block, row_of = {}, {}
    for r, row in enumerate(rows):
        for k, i in enumerate(row):
            row_of[i] = r
            block[i] = k if len(row) == width else int(np.argmin(np.abs(centres - middle[i])))
    order = sorted(range(len(lines)), key=lambda i: (block[i], row_of[i], middle[i]))
    return [[int(k) for k in lines[i]] for i in order]
