"""Read a found table cell by cell: table geometry -> marks per cell -> cell texts.

The table is warped to a rectangle at a size where a cell is about
``CELLS.cell_px`` tall, the light is evened out and the ink thresholded
as for free text (:mod:`digit_sheet_reader.pipeline.ink`), and the rules
are cleared. What remains is cut into connected marks, each given to the
cell that holds its centre, so writing that crosses a border still
belongs to the cell that holds most of it. In a cell:

- nothing: the cell is empty (text ``""``), never a guess;
- marks of a digit's height: the digits, grouped by their columns and read
  left to right as the cell's text;
- only small marks (pencilled candidates, a note, a printed header word
  smaller than the writing): read into ``read``, flagged ``candidates``,
  and not given as the cell's value (text ``""``);
- several marks, none of them a digit to the checker (a word): the same,
  flagged ``not_digit``;
- small marks beside digits (a crossed-out candidate, a tick): left out
  of the text, and the cell flagged ``small_marks``.

Which way up the tables are is decided first: every piece of ink is read
alone at each quarter turn, and the turn read most surely wins (a
recogniser trained on upright digits is sure of many a turned one, so its
confidence is weighted by the checker's). Then the pieces are grouped into
digits along the upright writing and all digits of all tables are read in
one batch; rows and columns are counted from the top-left of each table as
it reads upright.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from .crops import CROPS, adjust_stroke, crop_to_ink, mnist_style
from .ink import ink_darkness, threshold
from .result import Cell, Table


@dataclass(frozen=True)
class CellSettings:
    """How cells are cut into marks and read. Sizes are shares of a cell's
    height unless said otherwise."""

    cell_px: int = 64  # rectified cells are about this tall (px), for reading
    low: float = 0.10  # hysteresis (darkness 0..1): pencil and grey ink are fainter than a sheet's pen
    high: float = 0.20  # hysteresis: darkness some pixel of a mark must reach
    bridge: int = 5  # gaps in a stroke up to about this many px (at cell_px) are closed
    rule_band: float = 0.06  # half-width of the band cleared along each rule
    speck: float = 0.12  # marks shorter and narrower than this are specks
    candidate: float = 0.85  # marks shorter than this share of the table's usual digit ...
    candidate_in_cell: float = 0.5  # ... and than this share of their cell's height are small (candidates)
    inside: float = 0.25  # a mark must have this share of its pixels off the cell's border band
    border: float = 0.12  # width of a cell's border band (share of its side)
    min_group_gap: float = 0.03  # parts overlapping in x by more than this share of their width are one digit
    unsure: float = 0.6  # a digit read less surely than this (probability) flags its cell
    turn_margin: float = 0.03  # mean sureness another quarter turn must gain to be taken
    min_marks_to_turn: int = 3  # tables with fewer marks are taken as upright
    crossing: float = 0.08  # a grid with more of its cells' ink than this along the rules is no table
    not_digit: float = 0.5  # the checker's P(not one digit) above which a mark is flagged


CELLS = CellSettings()


@dataclass
class _Mark:
    """One digit (or candidate) in the rectified view: its cell and pixels."""

    row: int
    col: int
    box: tuple  # (x, y, w, h) in the view
    glyph: np.ndarray  # 0/255 white on black
    small: bool


def read_tables(image, geometries, classify, scale=1.0, check=None):
    """Read every table in ``image`` (BGR): a list of :class:`Table`, and
    the geometries read as tables.

    A grid that the writing crosses is not a table but squared paper, or
    a frame drawn round the writing: more than ``CELLS.crossing`` of the
    ink in its cells lies along the rules. It is left to be read as lines.
    ``scale`` is original pixels per pixel of ``image``; boxes and corners
    are reported in original pixels. ``check`` (crops -> P(not one digit))
    flags marks that are not digits.
    """
    cuts = [(g, _cut(image, g)) for g in geometries]
    cuts = [(g, cut) for g, cut in cuts if cut.along_rules <= CELLS.crossing]
    # Which way up, from the pieces each alone: how they group into digits depends on it.
    turn = _read_marks([m for _, cut in cuts for m in _marks(cut, None)], classify, check, [0, 1, 2, 3])[0]
    # On its side, a cell's digits written side by side are stacked in the view.
    per_table = [_marks(cut, turn % 2) for _, cut in cuts]
    turn, labels, confidences, doubts = _read_marks([m for ms in per_table for m in ms], classify, check, [turn])
    tables, k = [], 0
    for (geometry, _), marks in zip(cuts, per_table):
        n = len(marks)
        tables.append(_table(geometry, marks, labels[k:k + n], confidences[k:k + n], doubts[k:k + n], turn, scale))
        k += n
    return tables, [g for g, _ in cuts]


@dataclass
class _Cut:
    """A table warped flat at its reading size, its ink cut into pieces."""

    labels: np.ndarray  # connected components of the ink, rules cleared
    parts: dict  # (row, col) -> [(component label, (x, y, w, h))] of the pieces in that cell
    along_rules: float  # share of the ink in the cells that lies along the rules
    cell_sizes: np.ndarray  # (rows, cols, 2): each cell's width and height in the view


def _cut(image, geometry):
    """Warp the table so its cells' shorter sides are ``CELLS.cell_px``
    (which side is the height depends on which way up the table reads,
    not known yet), threshold it, clear the rules along their curves, and
    give each piece of ink to the cell holding its centre: a :class:`_Cut`."""
    f = CELLS.cell_px / max(1.0, min(float(np.median(np.diff(geometry.ys))), float(np.median(np.diff(geometry.xs)))))
    width, height = int(geometry.size[0] * f) + 1, int(geometry.size[1] * f) + 1
    to_view = np.diag([f, f, 1.0]) @ np.linalg.inv(geometry.to_image)
    view = cv2.warpPerspective(image, to_view, (width, height), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    crossings = geometry.crossings() * f
    darkness = ink_darkness(view, kernel_px=max(9, CELLS.cell_px // 2) | 1, all_paper=True)
    ink = threshold(darkness, CELLS.low, CELLS.high) * 255
    # Pencil and thin ballpoint break up at this size: close the small gaps in a stroke.
    ink = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (CELLS.bridge, CELLS.bridge)))
    band = max(2, int(round(CELLS.rule_band * CELLS.cell_px)))
    for line in list(crossings) + list(crossings.transpose(1, 0, 2)):  # the rules, bent as they are
        cv2.polylines(ink, [np.int32(np.round(line))], False, 0, 2 * band + 1)
    cell_of, inner = _cell_maps(crossings, ink.shape)
    written = (ink > 0) & (cell_of > 0)
    along_rules = float(np.count_nonzero(written & (inner == 0))) / max(1, np.count_nonzero(written))
    count, labels, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    parts = {}
    for i in range(1, count):
        x, y, w, h, area = stats[i]
        index = int(cell_of[min(height - 1, int(centres[i][1])), min(width - 1, int(centres[i][0]))]) - 1
        if index < 0 or (h < CELLS.speck * CELLS.cell_px and w < CELLS.speck * CELLS.cell_px):
            continue  # outside the cells, or a speck
        if np.count_nonzero(inner[y:y + h, x:x + w][labels[y:y + h, x:x + w] == i]) < CELLS.inside * area:
            continue  # a rule's remnant along the border
        parts.setdefault(divmod(index, geometry.cols), []).append((i, (x, y, w, h)))
    sizes = np.stack([np.diff(crossings[..., 0], axis=1)[:-1], np.diff(crossings[..., 1], axis=0)[:, :-1]], axis=-1)
    return _Cut(labels, parts, along_rules, sizes)


def _marks(cut, grouping):
    """The marks of a cut table. ``grouping``: pieces that overlap along x
    (0) or y (1, a table on its side) make one mark; None: each piece is
    one. A mark is small (a pencilled candidate, print smaller than the
    writing) when it is well under both the table's usual digit height
    and its cell's height."""
    groups = {cell: _columns(parts, grouping) if grouping is not None else [[p] for p in parts]
              for cell, parts in cut.parts.items()}
    upright = 1 - (grouping or 0)  # the view's axis the digits stand along: y, or x on its side
    tallest = [max(_extent(g, upright) for g in cell_groups) for cell_groups in groups.values()]
    usual = CELLS.candidate * float(np.median(tallest)) if tallest else 0.0

    def small(group, row, col):
        return _extent(group, upright) < min(usual, CELLS.candidate_in_cell * cut.cell_sizes[row, col, upright])

    return [_mark(cut.labels, row, col, g, small(g, row, col)) for (row, col), cell_groups in groups.items()
            for g in cell_groups]


def _cell_maps(crossings, shape):
    """Maps of the view: which cell (1-based, 0 outside) each pixel is in,
    and whether it is off its cell's border band."""
    cell_of = np.zeros(shape, np.int32)
    inner = np.zeros(shape, np.uint8)
    rows, cols = crossings.shape[0] - 1, crossings.shape[1] - 1
    for r in range(rows):
        for c in range(cols):
            quad = np.float32([crossings[r, c], crossings[r, c + 1], crossings[r + 1, c + 1], crossings[r + 1, c]])
            cv2.fillConvexPoly(cell_of, np.int32(np.round(quad)), r * cols + c + 1)
            centre = quad.mean(axis=0)
            shrunk = centre + (quad - centre) * (1 - 2 * CELLS.border)
            cv2.fillConvexPoly(inner, np.int32(np.round(shrunk)), 1)
    return cell_of, inner


def _columns(parts, axis=0):
    """A cell's parts grouped by the columns (``axis`` 0; rows: 1) they
    cover: pieces of one digit (a broken pencil stroke, a 5's flag) overlap
    along the writing, digits written side by side do not. Each group a
    list of (label, box)."""
    groups = []
    for part in sorted(parts, key=lambda p: p[1][axis]):
        x, w = part[1][axis], part[1][axis + 2]
        if groups and x < groups[-1][1] - CELLS.min_group_gap * w:
            groups[-1][0].append(part)
            groups[-1][1] = max(groups[-1][1], x + w)
        else:
            groups.append([[part], x + w])
    return [g for g, _ in groups]


def _extent(parts, axis):
    """How far a group of pieces reaches along x (``axis`` 0) or y (1)."""
    return max(p[1][axis] + p[1][axis + 2] for p in parts) - min(p[1][axis] for p in parts)


def _mark(labels, row, col, parts, small):
    x0 = min(p[1][0] for p in parts)
    y0 = min(p[1][1] for p in parts)
    x1 = max(p[1][0] + p[1][2] for p in parts)
    y1 = max(p[1][1] + p[1][3] for p in parts)
    ids = [p[0] for p in parts]
    glyph = np.isin(labels[y0:y1, x0:x1], ids).astype(np.uint8) * 255
    pad = max(2, int(CROPS.pad * max(x1 - x0, y1 - y0)))
    glyph = cv2.copyMakeBorder(glyph, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    glyph = adjust_stroke(glyph, CROPS.stroke_ratio * max(x1 - x0, y1 - y0))
    return _Mark(row, col, (x0, y0, x1 - x0, y1 - y0), glyph, small)


def _read_marks(marks, classify, check, turns):
    """Read every mark at each quarter turn of ``turns``; keep the turn read
    most surely (the first, unless another is surer by ``CELLS.turn_margin``).

    How surely a turn reads is the mean over the marks of the recogniser's
    confidence times the checker's P(one digit): a recogniser trained on
    upright digits is sure of many a turned one too, the checker less so.
    Returns the turn (counter-clockwise quarter turns that make the tables
    upright), the labels and confidences at that turn, and each mark's
    P(not one digit) (0 without a checker)."""
    if not marks:
        return 0, [], np.zeros(0), np.zeros(0)
    readings = []
    for k in (turns if len(marks) >= CELLS.min_marks_to_turn else turns[:1]):
        crops = np.stack([mnist_style(crop_to_ink(np.rot90(m.glyph, k))) for m in marks])
        labels, confidences = classify(crops)
        doubts = np.asarray(check(crops), np.float64) if check is not None else np.zeros(len(marks))
        score = float(np.mean(np.asarray(confidences) * (1 - doubts)))
        readings.append((score, k, labels, np.asarray(confidences, np.float64), doubts))
    best = max(readings[1:], key=lambda r: r[0], default=readings[0])
    chosen = best if best[0] > readings[0][0] + CELLS.turn_margin else readings[0]
    return chosen[1:]


def _table(geometry, marks, labels, confidences, doubts, turn, scale):
    """One :class:`Table` in upright row/column order, boxes in original
    pixels; ``turn`` counter-clockwise quarter turns make it upright."""
    rows, cols = geometry.rows, geometry.cols
    index = np.rot90(np.arange(rows * cols).reshape(rows, cols), turn)  # upright (r, c) -> view cell
    quads = geometry.cell_quads() * scale
    by_cell = {}
    for mark, label, confidence, doubt in zip(marks, labels, confidences, doubts):
        by_cell.setdefault(mark.row * cols + mark.col, []).append((mark, label, float(confidence), float(doubt)))
    cells = []
    for r in range(index.shape[0]):
        for c in range(index.shape[1]):
            view_cell = int(index[r, c])
            cells.append(_cell(r, c, quads[view_cell // cols, view_cell % cols], by_cell.get(view_cell, []), turn))
    x, y, w, h = cv2.boundingRect(np.float32(geometry.corners * scale))
    # As it lies in the photo, counter-clockwise (as Page.rotation): the turn that makes it upright, undone.
    return Table(rows=index.shape[0], cols=index.shape[1], box=(x, y, w, h),
                 corners=_upright_corners(geometry.corners * scale, turn), cells=cells, turn=(-90 * turn) % 360)


def _upright_corners(quad, turn):
    """A quadrilateral's corners (tl, tr, br, bl in the view) from its top-left as it reads upright, rounded."""
    return [[round(float(a), 1), round(float(b), 1)] for a, b in np.roll(np.asarray(quad), -turn, axis=0)]


def _cell(row, col, quad, read, turn):
    """A :class:`Cell` from the marks read in it, ordered along the upright reading direction."""
    x, y, w, h = cv2.boundingRect(np.float32(quad))
    corners = _upright_corners(quad, turn)
    if not read:
        return Cell(row, col, "", None, (x, y, w, h), corners, [], "")
    direction = [(1, 0), (0, 1), (-1, 0), (0, -1)][turn]  # the upright x axis in view coordinates
    read.sort(key=lambda m: direction[0] * (m[0].box[0] + m[0].box[2] / 2) + direction[1] * (m[0].box[1] + m[0].box[3] / 2))
    flags = []
    full = [m for m in read if not m[0].small]
    if full and len(full) < len(read):  # a digit with small marks beside it (a crossed-out candidate)
        read, flags = full, ["small_marks"]
    elif not full:
        flags = ["candidates"]
    seen = "".join(label for _, label, _, _ in read)
    confidence = float(np.prod([c for _, _, c, _ in read]))
    doubted = [d > CELLS.not_digit for _, _, _, d in read]
    if any(doubted):
        flags.append("not_digit")
    if min(c for _, _, c, _ in read) < CELLS.unsure:
        flags.append("unsure")
    # Pencilled candidates and writing that is not digits (a word) are no value: what was read is kept aside.
    words = len(read) >= 2 and all(doubted)
    text = "" if "candidates" in flags or words else seen
    return Cell(row, col, text, round(confidence, 4), (x, y, w, h), corners, flags, seen)
