"""Ruled tables and grids: photo -> table outlines -> cells.

A ruled table's lines all touch each other, so its grid is one connected
blob of ink, far larger than any digit and mostly empty inside. That holds
whatever the tilt, the perspective or the turn of the page, so a table is
looked for as such a blob (:func:`find_tables`): its outline is fitted with
four corners, the inside is warped to a rectangle, and in that view the
rules run along the rows and columns, where long thin openings and their
projections find them. A rule too faint or broken to be found is put back
only where the others make a regular grid that lacks it.

Cells are quadrilaterals in the loaded image's pixels: the warp's inverse
maps each rectangle of the rectified view back, so a table in perspective
gets cells in perspective.

Examples
--------
>>> page = np.full((400, 400), 255, np.uint8)
>>> for k in range(4):
...     _ = cv2.line(page, (50, 50 + 100 * k), (350, 50 + 100 * k), 0, 3)
...     _ = cv2.line(page, (50 + 100 * k, 50), (50 + 100 * k, 350), 0, 3)
>>> [(t.rows, t.cols) for t in find_tables(page)]
[(3, 3)]
"""

from dataclasses import dataclass

import cv2
import numpy as np

from .page import order_corners


@dataclass(frozen=True)
class TableSettings:
    """How tables are found and their rules located.

    Lengths are shares of the image's longer side unless said otherwise.
    """

    work_side: int = 1200  # longer side (px) tables are looked for at
    block: float = 0.015  # window (share of the side) the paper's brightness is taken over
    contrast: int = 12  # a rule is this much darker (grey levels) than its neighbourhood
    min_area: float = 0.03  # least share of the image a table's outline covers
    max_fill: float = 0.35  # most share of its outline a grid's ink fills (a blot is not a grid)
    corner_tolerance: float = 0.04  # corners fitted within this share of the outline's length ...
    loosest_corners: float = 0.1  # ... or, where print touches the table, up to this share
    side_length: float = 0.6  # a side found as a straight line is this share of the blob's shorter extent
    side_angle: float = 20.0  # lines within this many degrees of a side's direction are its candidates
    rule_span: float = 0.45  # a rule runs along at least this share of the table's width or height
    rule_kernel: float = 0.15  # rules are opened with a line this share of their length (longer than digits)
    rule_gap: float = 0.005  # gaps in a rule up to this share of the table's side are bridged first
    merge_gap: float = 0.02  # rule rows nearer than this share of the side are one rule
    faint_span: float = 0.15  # a missing rule of a regular grid needs this much ink along it
    regular: float = 0.2  # gaps within this share of a multiple of the usual gap make a regular grid
    min_cell: float = 0.02  # cells narrower than this share of the side are a double rule
    sliver: float = 0.4  # an outer row or column narrower than this share of the usual one is no row
    margin: float = 0.03  # the outline is warped with this margin around it
    bend_window: float = 0.3  # a bent rule is followed this share of a cell to either side
    bend_pieces: int = 12  # ... in this many pieces along its length
    blank_margin: float = 0.03  # a table is blanked out this share beyond its outline


TABLES = TableSettings()


@dataclass
class TableGeometry:
    """A table found in an image: its outline and its rules.

    ``corners`` are the outline's top-left, top-right, bottom-right and
    bottom-left corners in image pixels; ``xs`` and ``ys`` the rules'
    positions in the rectified view (``size`` = (width, height)), which
    ``to_image`` (3x3) maps back to the image.
    """

    corners: np.ndarray
    xs: list
    ys: list
    size: tuple
    to_image: np.ndarray
    # Each rule as a curve in the view (curled paper bends them): x of a
    # vertical rule as a polynomial in y, y of a horizontal one in x.
    x_curves: list = None
    y_curves: list = None

    @property
    def rows(self):
        return len(self.ys) - 1

    @property
    def cols(self):
        return len(self.xs) - 1

    def crossings(self):
        """(rows + 1, cols + 1, 2): where the rules cross, in the rectified view."""
        x_curves = self.x_curves or [np.poly1d([x]) for x in self.xs]
        y_curves = self.y_curves or [np.poly1d([y]) for y in self.ys]
        points = np.zeros((len(self.ys), len(self.xs), 2), np.float64)
        for i, y_of in enumerate(y_curves):
            for j, x_of in enumerate(x_curves):
                x, y = self.xs[j], self.ys[i]
                for _ in range(3):  # the curves are nearly straight: a few steps settle
                    y = y_of(x)
                    x = x_of(y)
                points[i, j] = x, y
        return points

    def cell_quads(self):
        """(rows, cols, 4, 2): each cell's corners (tl, tr, br, bl) in image pixels."""
        points = cv2.perspectiveTransform(self.crossings().reshape(-1, 1, 2), self.to_image)
        points = points.reshape(self.rows + 1, self.cols + 1, 2)
        return np.stack([points[:-1, :-1], points[:-1, 1:], points[1:, 1:], points[1:, :-1]], axis=2)


def blank_tables(image, tables):
    """A copy of ``image`` with each table painted over in its paper's
    colour (and a little beyond its outline), so that reading the rest as
    lines sees neither rules nor cells."""
    out = image.copy()
    for table in tables:
        centre = table.corners.mean(axis=0)
        grown = centre + (table.corners - centre) * (1 + TABLES.blank_margin)
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.fillConvexPoly(mask, np.int32(np.round(grown)), 255)
        paper = np.percentile(image[mask > 0], 90, axis=0)  # paper outnumbers ink in any table
        out[mask > 0] = paper.astype(np.uint8)
    return out


def rule_mask(grey, block):
    """Pixels darker than the paper around them: rules and ink (uint8 0/255).

    The paper is the grey closed over ``block`` px, which rubs out anything
    thinner: unlike a local mean, it is not darkened by a thick rule beside
    a thin one, so thin rules do not break where they cross thick ones.
    """
    block = max(3, int(block) | 1)
    paper = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (block, block)))
    return cv2.threshold(cv2.subtract(paper, grey), TABLES.contrast, 255, cv2.THRESH_BINARY)[1]


def find_tables(image):
    """Every ruled table in ``image`` (BGR or grey), largest first, as
    :class:`TableGeometry` in the image's pixels."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    factor = min(1.0, TABLES.work_side / max(grey.shape))
    small = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else grey
    side = max(small.shape)
    ink = rule_mask(small, TABLES.block * side)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    order = np.argsort(-stats[1:, cv2.CC_STAT_WIDTH] * stats[1:, cv2.CC_STAT_HEIGHT]) + 1
    found = []
    for label in order:
        x, y, w, h, area = stats[label]
        if w * h < TABLES.min_area * small.size:
            break
        if area > TABLES.max_fill * w * h:
            continue
        blob = labels[y:y + h, x:x + w] == label
        for outline in (_outline, _outline_from_sides):  # the second where print touching the table skews the first
            corners = outline(blob)
            table = _rules(grey, (corners + (x, y)) / factor) if corners is not None else None
            if table is not None:
                found.append(table)
                break
    return _innermost(found)


def _innermost(tables):
    """The tables that hold no other: a grid found inside another is the
    table, the outer one a desk's texture or a page's frame that happened to
    look like a grid (a table inside a table's cell is not read as such)."""
    def holds(outer, inner):
        centre = tuple(float(v) for v in inner.corners.mean(axis=0))
        return (cv2.contourArea(inner.corners) < cv2.contourArea(outer.corners)
                and cv2.pointPolygonTest(outer.corners.reshape(-1, 1, 2), centre, False) > 0)

    return [t for t in tables if not any(holds(t, other) for other in tables)]


def _outline(blob):
    """The four corners of a blob's convex outline, or None if it is no quadrilateral.

    Print touching the table (a title box on its border) adds a corner to
    the outline: the fit is loosened step by step, up to
    ``TABLES.loosest_corners``, until four corners remain; the rules found
    inside then set the table's own sides."""
    hull = _hull(blob)
    for tolerance in np.arange(TABLES.corner_tolerance, TABLES.loosest_corners + 1e-9, TABLES.corner_tolerance / 2):
        quad = cv2.approxPolyDP(hull, tolerance * cv2.arcLength(hull, True), True)
        if len(quad) == 4:
            return order_corners(quad.reshape(4, 2).astype(np.float32))
        if len(quad) < 4:
            return None
    return None


def _hull(blob):
    contours, _ = cv2.findContours(blob.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return cv2.convexHull(max(contours, key=cv2.contourArea))


def _outline_from_sides(blob):
    """The four corners where the blob's outermost long straight lines
    meet, or None: a title box or a word touching the table's border bends
    its convex outline, but not the table's own sides, which are the
    longest straight lines on each side. Only for a blob whose outline is
    at least four-cornered (a line of writing on a rule is not)."""
    hull = _hull(blob)
    if len(cv2.approxPolyDP(hull, TABLES.loosest_corners * cv2.arcLength(hull, True), True)) < 4:
        return None
    h, w = blob.shape
    shortest = TABLES.side_length * min(h, w)
    segments = cv2.HoughLinesP(blob.astype(np.uint8) * 255, 1, np.pi / 360, int(shortest / 2),
                               minLineLength=shortest, maxLineGap=max(3, int(TABLES.rule_gap * 4 * max(h, w))))
    if segments is None or not len(segments):
        return None
    segments = segments.reshape(-1, 4).astype(np.float64)
    angles = np.degrees(np.arctan2(segments[:, 3] - segments[:, 1], segments[:, 2] - segments[:, 0])) % 180
    longest = angles[np.argmax(np.hypot(segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1]))]
    sides = []
    for direction in (longest, longest + 90):
        near = np.abs((angles - direction + 90) % 180 - 90) < TABLES.side_angle
        if near.sum() < 2:
            return None
        theta = np.radians(direction)
        normal = np.array([-np.sin(theta), np.cos(theta)])
        middles = (segments[near, :2] + segments[near, 2:]) / 2
        offsets = middles @ normal
        sides += [(middles[np.argmin(offsets)], theta), (middles[np.argmax(offsets)], theta)]
    corners = np.float32([_meet(sides[a], sides[b]) for a in (0, 1) for b in (2, 3)])
    inside = np.all((corners >= -0.5 * np.float32([w, h])) & (corners <= 1.5 * np.float32([w, h])))
    return order_corners(corners) if inside else None  # sides nearly parallel meet far off: no table


def _meet(one, other):
    """Where two lines, each (a point, an angle in radians), cross."""
    (p, a), (q, b) = one, other
    d1, d2 = np.array([np.cos(a), np.sin(a)]), np.array([np.cos(b), np.sin(b)])
    t = np.linalg.solve(np.column_stack([d1, -d2]), q - p)[0]
    return p + t * d1


def _rules(grey, corners):
    """Warp the outline to a rectangle and find its rules: a
    :class:`TableGeometry`, or None when it is not a grid of at least
    2 x 2 cells."""
    tl, tr, br, bl = corners
    inner_w = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    inner_h = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    if min(inner_w, inner_h) < 20:
        return None
    # A margin around the outline, so that its sides are whole rules in the view, found like the others.
    m = TABLES.margin * max(inner_w, inner_h)
    width, height = int(inner_w + 2 * m), int(inner_h + 2 * m)
    target = np.float32([[m, m], [m + inner_w, m], [m + inner_w, m + inner_h], [m, m + inner_h]])
    to_view = cv2.getPerspectiveTransform(np.float32(corners), target)
    view = cv2.warpPerspective(grey, to_view, (width, height), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    ink = rule_mask(view, TABLES.block * max(width, height))
    xs, x_rules = _rule_positions(ink, inner_w, inner_h, vertical=True)
    ys, y_rules = _rule_positions(ink, inner_h, inner_w, vertical=False)
    if len(xs) < 3 or len(ys) < 3:
        return None
    x_curves = _bends(x_rules, xs, float(np.median(np.diff(xs))), vertical=True)
    y_curves = _bends(y_rules, ys, float(np.median(np.diff(ys))), vertical=False)
    outline = cv2.perspectiveTransform(np.float32([[[xs[0], ys[0]], [xs[-1], ys[0]], [xs[-1], ys[-1]],
                                                    [xs[0], ys[-1]]]]), np.linalg.inv(to_view))[0]
    return TableGeometry(outline, xs, ys, (width, height), np.linalg.inv(to_view), x_curves, y_curves)


def _rule_positions(ink, extent, span, vertical):
    """Positions of the rules of one direction in the rectified table's
    view, its outer sides included: ``vertical`` rules run ``span`` px
    down the table and lie across its ``extent`` px."""
    def along(share):  # a line of this share of the rules' length, in their direction
        n = max(3, int(share * span))
        return np.ones((n, 1) if vertical else (1, n), np.uint8)

    # Rules bend a little on curled paper, and a faint one breaks up: thicken
    # across and bridge along before opening.
    thick = cv2.dilate(ink, np.ones((1, 3) if vertical else (3, 1), np.uint8))
    thick = cv2.morphologyEx(thick, cv2.MORPH_CLOSE, along(TABLES.rule_gap))
    rules = cv2.morphologyEx(thick, cv2.MORPH_OPEN, along(TABLES.rule_kernel))
    profile = rules.sum(axis=0 if vertical else 1) / (255.0 * span)  # share of the rule's length inked
    positions = _peaks(profile, TABLES.rule_span, max(2, int(TABLES.merge_gap * extent)))
    positions = [p for k, p in enumerate(positions) if k == 0 or p - positions[k - 1] >= TABLES.min_cell * extent]
    positions = _fill_regular(positions, profile) if len(positions) >= 2 else positions
    return _without_slivers(positions), rules


def _without_slivers(positions):
    """Rules without an outer row (or column) far narrower than the others:
    print touching the table (a title on its border) drew the outline
    beyond the table's own side, and a rule along that print was found."""
    if len(positions) < 4:
        return positions
    gaps = np.diff(positions)
    usual = float(np.median(gaps))
    start = 1 if gaps[0] < TABLES.sliver * usual else 0
    end = len(positions) - 1 if gaps[-1] < TABLES.sliver * usual else len(positions)
    return positions[start:end]


def _bends(rules, positions, spacing, vertical):
    """Each rule as a curve: its position across as a quadratic in the
    position along it, fitted to where its ink lies piece by piece (a
    straight line where too few pieces show ink)."""
    along = rules.shape[0] if vertical else rules.shape[1]
    across = rules.shape[1] if vertical else rules.shape[0]
    half = max(2, int(TABLES.bend_window * spacing))
    curves = []
    for p in positions:
        lo, hi = max(0, int(p) - half), min(across, int(p) + half + 1)
        band = (rules[:, lo:hi] if vertical else rules[lo:hi, :].T).astype(np.float64)  # (along, across)
        ts, ps = [], []
        for piece in np.array_split(np.arange(along), TABLES.bend_pieces):
            weights = band[piece].sum(axis=0)
            if weights.sum() >= TABLES.rule_span * 255 * len(piece):
                ts.append(piece.mean())
                ps.append(lo + float(np.average(np.arange(hi - lo), weights=weights)))
        if len(ts) >= TABLES.bend_pieces // 2:
            curves.append(np.poly1d(np.polyfit(ts, ps, 2)))
        else:
            curves.append(np.poly1d([p]))
    return curves


def _peaks(profile, level, gap):
    """Centres of the runs of ``profile`` at or above ``level``, runs closer than ``gap`` merged."""
    above = np.flatnonzero(profile >= level)
    if not above.size:
        return []
    runs = np.split(above, np.flatnonzero(np.diff(above) > gap) + 1)
    return [float(np.average(run, weights=profile[run])) for run in runs]


def _fill_regular(positions, profile):
    """Put back rules a regular grid lacks: where a gap is a whole multiple
    of the usual gap and the profile shows some ink along the missing rule."""
    gaps = np.diff(positions)
    if len(gaps) < 2:
        return positions
    usual = float(np.median(gaps))
    multiples = np.round(gaps / usual)
    if np.any(multiples < 1) or np.any(np.abs(gaps / usual - multiples) > TABLES.regular):
        return positions
    filled = [positions[0]]
    for start, gap, k in zip(positions[:-1], gaps, multiples.astype(int)):
        step = gap / k
        for j in range(1, k):
            guess = start + j * step
            window = profile[max(0, int(guess - step / 4)):int(guess + step / 4) + 1]
            if window.size and window.max() >= TABLES.faint_span:
                filled.append(guess)
        filled.append(start + gap)
    return filled
