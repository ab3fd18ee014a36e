"""Find digit regions in a binary ink mask: binary -> regions.

Connected components (8-connected, so a 0's hole belongs to its ring) are
judged against the page's own typical digit height ``h``, never fixed
pixels:

- specks (tiny area) and blobs far too large for a digit are dropped,
  unless a stretch of ruled line joins them: a blob wider than two digit
  heights that lies along a straight line (in a blob not too long for
  digits, one finer than the pen) loses the line, and its pieces are
  judged as regions;
- slivers far thinner than the page's pen (what a removed frame left of
  its side) are lines, not 1s;
- fragments of one digit (a 5's floating bar, a broken stroke) are merged
  into the neighbour they overlap, when the union still has a digit's size;
- what stays too small after merging (dots, commas, dashes) is dropped.

Dropped marks of a visible size are kept in ``Segmentation.rejected``
with the reason, for the JSON's ``"rejected"`` list.
"""

import functools
from dataclasses import dataclass, field

import cv2
import numpy as np

from .crops import holes, stroke_width
from .ink import find_rules, longer_than_digits, reaches_frame, remove_band, rule_bridge


@dataclass(frozen=True)
class RegionSettings:
    """How the ink is cut into regions that may be digits.

    Lengths are in digit heights (h), areas in h squared.
    """

    speck: float = 0.004  # blobs of less area are pixel noise, not listed (a thin-pen 1 has ~0.012)
    line: float = 0.3  # a blob thinner than this is a line (or, along the photo's edge, an edge)
    cut_off: float = 0.6  # a mark on the photo's edge shorter than this is the cut-off end of writing beyond it
    near_frame: float = 0.25  # a line longer than a digit this close to the photo's edge is an edge (a scan margin's rim)
    rim_band: float = 0.1  # a blob touching the photo's edge with nearly all its ink this close to it ...
    rim_share: float = 0.8  # ... (this share of its pixels) runs along the edge: a desk's sliver, a margin's rim
    least_height: float = 0.45  # a region shorter than this ...
    least_area: float = 0.008  # ... or of less area is a dot or dash, not a digit
    least_mark: float = 0.1  # a dot or dash smaller than this is not listed as rejected
    least_ring: float = 0.3  # a ring this tall is a small 0, though shorter than least_height ...
    ring_hole: float = 0.08  # ... if its hole is at least this share of its box ...
    ring_aspect: tuple = (0.5, 3.0)  # ... and it is between these many times as tall as wide
    dash: float = 1.5  # a mark wider than this many times its height is a dash, else a dot
    bar_fill: float = 0.5  # ... a level bar if it fills this share of its box: two never make a digit ("=")
    whole_height: float = 0.75  # a region this tall ...
    whole_width: float = 0.3  # ... and this wide is a whole digit, not a fragment to merge
    least_piece: float = 0.15  # a fragment smaller than this is a dot, not a piece of a stroke
    stacked_share: float = 0.5  # pieces sharing more than this share of columns are stacked ...
    stacked_gap: float = 0.25  # ... if no farther apart vertically than this
    touching_gap: float = 0.06  # pieces side by side join only this close both ways
    tallest_union: float = 1.35  # a union of pieces no taller than this
    side_by_side_width: float = 1.1  # ... and, side by side, no wider than this
    stacked_width: float = 1.3  # widest union of a fragment stacked on its neighbour
    dot: float = 0.25  # shortest neighbour (digit heights) a fragment may join: dots of a colon do not
    rule_in_blob: float = 2.0  # a blob wider than this (digit heights) is searched for a stretch of rule
    rule_span: float = 0.8  # share of such a blob's width a straight line must span to be a rule
    rule_thickness: float = 0.7  # a line thinner than this share of the pen's stroke width may be a rule
    rule_band: float = 0.15  # a rule's pixels lie this close to its straight line
    narrow: float = 0.08  # regions narrower than this (or 2 px) are looked at as possible slivers ...
    sliver: float = 0.5  # ... and one narrower than this share of the stroke width is a frame's sliver
    solid: float = 0.9  # a region filling this share of its box, beside the view's side, may be a slab ...
    slab: float = 1.6  # ... which it is if its strokes are this many times the other regions' median width


REGIONS = RegionSettings()


def shared_span(boxes, box, axis):
    """How far each of ``boxes`` (N x 4, x y w h) shares ``box``'s span
    along ``axis`` (0 columns, 1 rows), in px: positive where they overlap,
    minus the gap between them where they do not.

    >>> shared_span(np.array([[0, 0, 10, 5], [30, 0, 10, 5]]), (5, 0, 10, 5), 0).tolist()
    [5, -15]
    """
    boxes = np.asarray(boxes).reshape(-1, 4)
    ends = np.minimum(boxes[:, axis] + boxes[:, axis + 2], box[axis] + box[axis + 2])
    return ends - np.maximum(boxes[:, axis], box[axis])


@dataclass
class Region:
    """One digit candidate: a box in working pixels and its component ids."""

    box: tuple  # x, y, w, h
    ids: list = field(default_factory=list)
    area: int = 0
    # For a piece of a split region: which pixels of the box are its own
    # (bool, box-sized); otherwise every pixel of its components is.
    mask: object = None

    @property
    def piece(self):
        """True for a piece of a split region: its digit came from the
        split (the sequence reader or a validated cut), not from reading it alone."""
        return self.mask is not None

    def pixels(self, labels):
        """Bool array over the box: the region's own ink."""
        x, y, w, h = self.box
        if self.mask is not None:
            return self.mask
        crop = labels[y:y + h, x:x + w]
        return crop == self.ids[0] if len(self.ids) == 1 else np.isin(crop, self.ids)

    @property
    def centre(self):
        x, y, w, h = self.box
        return x + w / 2.0, y + h / 2.0

    def gaps(self, other):
        """Horizontal and vertical distance to ``other``'s box (0 where they overlap)."""
        ax, ay, aw, ah = self.box
        bx, by, bw, bh = other.box
        return max(bx - (ax + aw), ax - (bx + bw), 0), max(by - (ay + ah), ay - (by + bh), 0)

    def shared_columns(self, other):
        """Share of the narrower box's columns that the other box spans too."""
        ax, _, aw, _ = self.box
        bx, _, bw, _ = other.box
        return max(0, min(ax + aw, bx + bw) - max(ax, bx)) / max(1, min(aw, bw))

    def merged(self, other):
        x0, y0 = min(self.box[0], other.box[0]), min(self.box[1], other.box[1])
        x1 = max(self.box[0] + self.box[2], other.box[0] + other.box[2])
        y1 = max(self.box[1] + self.box[3], other.box[1] + other.box[3])
        return Region((x0, y0, x1 - x0, y1 - y0), self.ids + other.ids, self.area + other.area)


@dataclass
class Segmentation:
    """Regions plus the label image their ``ids`` refer to."""

    regions: list
    labels: np.ndarray
    digit_height: float
    # (box, reason) of marks that are not digits: dots, commas, dashes,
    # lines, borders, the page's edge. Pixel noise is not listed.
    rejected: list = field(default_factory=list)
    # The dots and dashes among them as Regions: a stroke's piece that came
    # apart from its digit (a 7's bar) may still be joined back to it.
    fragments: list = field(default_factory=list)


def _should_merge(small, big, h):
    """A fragment joins a neighbour when they overlap in x (one stacked on the
    other, like a 5's bar) or nearly touch, and the union is digit-sized.
    Two level bars never join: no digit is made of them alone, an "=" is
    (a wide digit's halves are arcs, filling far less of their boxes)."""
    if _is_bar(small) and _is_bar(big):
        return False
    x_gap, y_gap = small.gaps(big)
    stacked = small.shared_columns(big) > REGIONS.stacked_share and y_gap < REGIONS.stacked_gap * h
    near = stacked or (x_gap < REGIONS.touching_gap * h and y_gap < REGIONS.touching_gap * h)
    union = small.merged(big).box
    # Stacked pieces may make a wide digit (a 2 or 5 broken across its middle).
    widest = REGIONS.stacked_width if stacked else REGIONS.side_by_side_width
    return near and union[3] <= REGIONS.tallest_union * h and union[2] <= widest * h


def _is_bar(region):
    """True if ``region`` is a level bar: ``REGIONS.dash`` times as wide as
    tall, filling ``REGIONS.bar_fill`` of its box."""
    w, hh = region.box[2:]
    return w > REGIONS.dash * hh and region.area >= REGIONS.bar_fill * w * hh


def hugs_frame(blob, box, shape, band):
    """True if at least ``REGIONS.rim_share`` of ``blob``'s pixels (a boolean
    mask of the ``box`` cut-out) lie within ``band`` pixels of the frame.

    A sliver of desk left along a found page's sides, or a scan margin's rim,
    is such a blob whatever the shape of its box (an L along two sides); a
    digit cut by the frame is not: most of its strokes lie away from it.

    Examples
    --------
    >>> rim = np.zeros((40, 30), bool); rim[0, :] = rim[:, 0] = True  # an L along the top and left
    >>> hugs_frame(rim, (0, 0, 30, 40), (100, 100), 3)
    True
    >>> zero = np.zeros((40, 30), bool); zero[[0, -1], 5:25] = zero[5:35, [0, -1]] = True  # a 0 touching it
    >>> hugs_frame(zero, (0, 10, 30, 40), (100, 100), 3)
    False
    """
    x, y = box[:2]
    ys, xs = np.nonzero(blob)
    xs, ys = xs + x, ys + y
    near = (xs < band) | (ys < band) | (xs >= shape[1] - band) | (ys >= shape[0] - band)
    return bool(near.size > 0 and near.mean() >= REGIONS.rim_share)


def _at_edge(box, shape, h, line):
    """True if the blob at ``box`` belongs to the photo's edge, not to a digit.

    On the edge: a line (paper edge, a cut stroke), ink running along the
    frame (:func:`hugs_frame`), or anything shorter than
    ``REGIONS.cut_off`` (the cut-off end of writing beyond a crop). Within
    ``REGIONS.near_frame`` of it, along its long side: a line longer than
    any digit (a black scan margin's rim, a cell border) or too short for
    one; a 1 that close is a digit's length and stays.
    """
    if reaches_frame(box, shape)[0]:
        return line or box[3] < REGIONS.cut_off * h
    length = max(box[2:])
    beside = _beside_frame(box, shape, REGIONS.near_frame * h)
    return line and beside and (length > REGIONS.tallest_union * h or length < REGIONS.cut_off * h)


def merge_fragments(regions, h):
    """Merge fragments smaller than a digit into the neighbour they belong to.

    The smallest fragment that has a partner (a neighbour :func:`_should_merge`
    accepts, the largest such) is merged first, then the next smallest
    again, until none has one. Partners are looked for among the regions
    near it only (a grid of cells one digit height wide), and after a merge
    only the fragments near the grown region are looked at again: the
    cost grows with the number of regions, not with its square.
    """
    regions = sorted(regions, key=lambda r: -r.area)
    grid = _Grid(h)
    for rank, region in enumerate(regions):
        grid.add(rank, region.box)
    alive = [True] * len(regions)
    reach = REGIONS.tallest_union * h  # no union of two regions farther apart is digit-sized

    def is_fragment(k):
        w, hh = regions[k].box[2:]
        whole = hh >= REGIONS.whole_height * h and w >= REGIONS.whole_width * h  # a tall narrow 1 counts as whole
        return not whole and max(w, hh) >= REGIONS.least_piece * h  # a dot is not a piece of a stroke

    def partner(k):
        """The largest region ``k`` may merge into (the first in order of a tie), or None."""
        near = sorted(j for j in grid.near(regions[k].box, reach) if j != k and alive[j])
        partners = [j for j in near if max(regions[j].box[2:]) >= REGIONS.dot * h
                    and _should_merge(regions[k], regions[j], h)]
        return max(partners, key=lambda j: regions[j].area) if partners else None

    unchecked, dirty = len(regions) - 1, set()  # fragments ranked above `unchecked` have no partner, but the dirty
    while True:
        found = None
        for k in sorted(dirty, reverse=True):
            j = partner(k) if alive[k] and is_fragment(k) else None
            if j is not None:
                found = (k, j)
                break
            dirty.discard(k)
        while found is None and unchecked >= 0:
            k, unchecked = unchecked, unchecked - 1
            j = partner(k) if alive[k] and is_fragment(k) else None
            found = (k, j) if j is not None else None
        if found is None:
            break
        k, j = found
        dirty.discard(k)
        alive[k] = False
        regions[j] = regions[j].merged(regions[k])
        grid.add(j, regions[j].box)
        # Only the regions near the grown one (and it) may have gained or lost a partner.
        dirty.update(f for f in grid.near(regions[j].box, reach) if f > unchecked and alive[f])
    return [region for region, kept in zip(regions, alive) if kept]


class _Grid:
    """Regions by the cells (one digit height square) their boxes cover."""

    def __init__(self, size):
        self.size = max(1.0, float(size))
        self.cells = {}

    def _span(self, box, margin=0.0):
        x, y, w, hh = box
        first = (int((x - margin) // self.size), int((y - margin) // self.size))
        last = (int((x + w + margin) // self.size), int((y + hh + margin) // self.size))
        return [(cx, cy) for cx in range(first[0], last[0] + 1) for cy in range(first[1], last[1] + 1)]

    def add(self, key, box):
        for cell in self._span(box):
            self.cells.setdefault(cell, set()).add(key)

    def near(self, box, margin):
        """Every key whose box may lie within ``margin`` of ``box`` (and some farther)."""
        found = set()
        for cell in self._span(box, margin):
            found |= self.cells.get(cell, set())
        return found


def _without_rule(labels, index, box, h, last_id, pen, too_long=True):
    """The pieces of blob ``index`` once a ruled line through it is taken
    out, labelled in ``labels`` in place from ``last_id + 1`` on, as
    ``(id, x, y, w, h, area, whole)`` rows; None where it holds no such
    line, [] where it is all rule (then gone from ``labels``).

    The rule: a straight horizontal line ``REGIONS.rule_in_blob`` digit heights long
    at least, on which the blob lies end to end (``REGIONS.rule_span``), and, unless
    the blob is ``too_long`` for digits anyway, finer than the ``pen``'s
    strokes (``REGIONS.rule_thickness``). In a blob too long for digits with no
    such line, the columns holding less ink than that from top to bottom
    are cut: the dashes of a broken rule between the digits on it.

    >>> mask = np.zeros((60, 400), np.uint8)
    >>> mask[40:42, 10:390] = 1                          # a rule ...
    >>> mask[15:45, 50:54] = mask[15:45, 300:304] = 1    # ... two 1s stand on
    >>> _, labels = cv2.connectedComponents(mask)
    >>> [row[1:5] for row in _without_rule(labels, 1, (10, 15, 380, 30), 30, 1, pen=4)]
    [(50, 15, 4, 30), (300, 15, 4, 30)]
    """
    x, y, w, hh = box
    crop = labels[y:y + hh, x:x + w]
    own = (crop == index).astype(np.uint8)
    finest = REGIONS.rule_thickness * pen
    left = _rule_taken_out(own, h, None if too_long else finest)
    if left is None and too_long:
        left = own * (own.sum(axis=0) >= finest).astype(np.uint8)
    if left is None or left.sum() == own.sum():
        return None
    count, sub, stats, _ = cv2.connectedComponentsWithStats(left, connectivity=8)
    crop[own > 0] = 0
    crop[sub > 0] = sub[sub > 0] + last_id
    return [(last_id + j, x + int(sx), y + int(sy), int(sw), int(sh), int(area), False)
            for j, (sx, sy, sw, sh, area) in enumerate(stats[1:], start=1)]


def _rule_taken_out(own, h, thinner_than=None):
    """``own`` without the straight line through it (:func:`_without_rule`),
    or None where it holds none (or none thinner than ``thinner_than`` px)."""
    bands = find_rules(own, True, REGIONS.rule_in_blob * h)
    if _span_of_one_line(bands, h) < REGIONS.rule_span:
        return None
    if thinner_than is not None and _line_thickness(own, bands) >= thinner_than:
        return None
    return remove_band(own, bands, True, rule_bridge(own.shape))


def _line_thickness(own, bands):
    """Median thickness of the ink of ``own`` where ``bands`` cross it: the
    run of ink through the band's centre, column by column (strokes that
    cross the line or stand on it lengthen a minority of the runs)."""
    columns = np.flatnonzero(bands.any(axis=0))
    rows = np.arange(own.shape[0])[:, None]
    centres = np.rint((bands[:, columns] * rows).sum(axis=0) / bands[:, columns].sum(axis=0)).astype(int)
    runs = []
    for column, centre in zip(columns, centres):
        ink = own[:, column] > 0
        above, below = np.flatnonzero(~ink[:centre + 1][::-1]), np.flatnonzero(~ink[centre:])
        runs.append((above[0] if len(above) else centre + 1) + (below[0] if len(below) else len(ink) - centre) - 1)
    return float(np.median(runs)) if runs else 0.0


def _span_of_one_line(bands, h):
    """Share of the columns of ``bands`` where it lies on the one straight
    line fitted through it (within 0.15 digit heights ``h``)."""
    ys, xs = np.nonzero(bands)
    if len(xs) < 2 or xs.min() == xs.max():
        return 0.0
    slope, intercept = np.polyfit(xs, ys, 1)
    on_line = np.abs(ys - (slope * xs + intercept)) <= REGIONS.rule_band * h
    return np.unique(xs[on_line]).size / bands.shape[1]


def find_regions(mask, digit_height):
    """Regions of ``mask`` that may be digits, judged against ``digit_height``.

    Returns
    -------
    Segmentation
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    h = float(digit_height)
    if count <= 1 or h <= 0:
        return Segmentation([], labels, h)
    regions, rejected = [], []
    page_stroke = functools.cache(lambda: stroke_width(mask))  # measured only where needed
    components = [(i, *(int(v) for v in stats[i]), True) for i in range(1, count)]
    for i, x, y, w, hh, area, whole in components:  # grows while it runs: a blob's pieces join it
        box = (x, y, w, hh)
        if area < max(4, REGIONS.speck * h * h):
            continue  # speck of noise: not worth listing
        line, too_long = min(w, hh) < REGIONS.line * h, longer_than_digits(w, hh, h)
        if not line and reaches_frame(box, labels.shape)[0]:
            blob = labels[y:y + hh, x:x + w] == i
            line = hugs_frame(blob, box, labels.shape, max(2.0, REGIONS.rim_band * h))
        if whole and not line and w > REGIONS.rule_in_blob * h:
            # A blob too long for digits loses nothing if a line is taken out
            # of it; a narrower one only a line finer than the pen's strokes
            # (a row of 7s joined by their bars is no rule).
            pieces = _without_rule(labels, i, box, h, len(components), page_stroke(), too_long)  # ids 1..len taken
            if pieces is not None:
                components += pieces
                if not pieces:
                    rejected.append((box, "line"))  # all rule: nothing left to read
                continue
        if too_long:
            rejected.append((box, "line" if line else "too large"))  # underline, border, drawing
        elif _at_edge(box, labels.shape, h, line):
            rejected.append((box, "edge"))
        else:
            regions.append(Region(box, [i], area))
    kept, fragments = [], []
    for r in merge_fragments(regions, h):
        if r.box[3] >= REGIONS.least_height * h and r.area >= REGIONS.least_area * h * h or _small_zero(labels, r, h):
            kept.append(r)
        elif max(r.box[2], r.box[3]) >= REGIONS.least_mark * h:
            rejected.append((r.box, "dash" if r.box[2] > REGIONS.dash * r.box[3] else "dot"))  # also commas, dirt
            fragments.append(r)
    kept, slivers = _without_slivers(kept, page_stroke, h)
    kept, slabs = _without_slabs(kept, labels, h)
    rejected += [(r.box, "line") for r in slivers] + [(r.box, "blot") for r in slabs]
    return Segmentation(kept, labels, h, rejected, fragments)


def _small_zero(labels, region, h):
    """True if ``region``, too short for a digit of height ``h``, is a ring:
    a 0 written small beside tall digits (natural handwriting writes 0s
    half as tall as the 7s and 9s whose tails set the digit height). A dot
    or a comma is solid ink; a ring at least ``REGIONS.least_ring`` of a
    digit tall whose hole is ``REGIONS.ring_hole`` of its box is a 0.

    >>> labels = np.zeros((40, 40), np.int32)
    >>> _ = cv2.circle(labels, (20, 20), 7, 1, 2)
    >>> _small_zero(labels, Region((12, 12, 17, 17), [1], 80), 40.0)
    True
    >>> _ = cv2.circle(labels, (20, 20), 7, 1, -1)                  # filled: a dot
    >>> _small_zero(labels, Region((12, 12, 17, 17), [1], 150), 40.0)
    False
    """
    x, y, w, hh = region.box
    if hh < REGIONS.least_ring * h or not REGIONS.ring_aspect[0] <= hh / max(w, 1) <= REGIONS.ring_aspect[1]:
        return False
    return int(holes(region.pixels(labels)).sum()) >= REGIONS.ring_hole * w * hh


def _without_slabs(regions, labels, h):
    """(regions, slabs): the solid bands along the view's sides set apart.

    A scan's black margin (or any dark strip along the view's side)
    narrower than the light's kernel is left as a band of "ink" along its
    inner edge, read as a sure 1. A slab fills its box (``REGIONS.solid``), lies within
    ``REGIONS.near_frame`` digit heights of the view's side, along its
    long side, and its strokes are ``REGIONS.slab`` times as wide as the
    median of the other regions' (a pen's 1 is as wide as the pen's other
    strokes, and its rounded ends leave its box's corners empty). Judged
    only beside two other regions at least: the pen's width is theirs.

    >>> labels = np.zeros((60, 200), np.int32)
    >>> labels[5:55, 2:12] = 1                                   # a margin's band, 10 px wide
    >>> for k, x in enumerate((60, 100, 140), start=2):
    ...     labels[10:50, x:x + 4] = k                            # three 1s of a 4 px pen
    >>> regions = [Region(tuple(cv2.boundingRect((labels == k).astype(np.uint8))), [k]) for k in range(1, 5)]
    >>> kept, slabs = _without_slabs(regions, labels, 40.0)
    >>> [r.ids for r in slabs], len(kept)
    ([[1]], 3)
    >>> labels[5:55, 2:6] = 0                                    # half again the pen: a bold 1
    >>> regions[0] = Region((6, 5, 6, 50), [1])
    >>> len(_without_slabs(regions, labels, 40.0)[1])
    0
    """
    if len(regions) < 3:
        return regions, []
    near = REGIONS.near_frame * h
    solid = [k for k, r in enumerate(regions)
             if _beside_frame(r.box, labels.shape, near) and r.pixels(labels).mean() >= REGIONS.solid]
    if not solid:
        return regions, []
    strokes = np.array([stroke_width(r.pixels(labels).astype(np.uint8)) for r in regions])
    slabs = {k for k in solid if strokes[k] > REGIONS.slab * np.median(np.delete(strokes, k))}
    return [r for k, r in enumerate(regions) if k not in slabs], [regions[k] for k in sorted(slabs)]


def _beside_frame(box, shape, near):
    """True if ``box`` lies within ``near`` px of the frame of ``shape`` along its long side."""
    x, y, w, hh = box
    if hh >= w:
        return x <= near or x + w >= shape[1] - near
    return y <= near or y + hh >= shape[0] - near


def _without_slivers(regions, page_stroke, h):
    """(regions, slivers): those narrower than ``REGIONS.sliver`` times the page's
    stroke width ``page_stroke()`` set apart (asked only where some region
    is narrow enough to be one: a few pages)."""
    narrow = [r for r in regions if r.box[2] <= max(2, REGIONS.narrow * h)]
    if not narrow:
        return regions, []
    thinnest = REGIONS.sliver * page_stroke()
    slivers = [r for r in narrow if r.box[2] < thinnest]
    gone = {id(r) for r in slivers}  # by identity: a Region's pixel mask makes == ambiguous
    return [r for r in regions if id(r) not in gone], slivers
