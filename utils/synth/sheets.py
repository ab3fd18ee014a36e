"""Compose photo-like sheets of handwritten digits, with ground truth.

Used by the development benchmark (digits from MNIST's held-out validation
split) and by the golden tests and examples (digits drawn with Hershey
fonts by :mod:`digit_sheet_reader.synth.glyphs`, so no MNIST pixels enter the repository).

A sheet is laid out as lines of digits (optionally two columns side by
side), stamped in pen colour onto paper, then photographed: paper tint and
texture, ruled or squared paper, desk around the paper, tilt, light
gradient, vignetting, shadow, show-through from the back, specks, blur,
noise and JPEG. Which of these apply, and how strongly, is the *tier*:

=========  ==================================================================
clean      white paper, dark pen, even light, upright
photo      tinted paper and sticky notes, ruled lines, coloured pens, light
           gradient and vignetting, tilt up to 2 deg, desk borders, blur, JPEG
hard       all of photo, stronger, plus shadows, squared paper, show-through,
           specks, near-touching digits, felt markers, tilt up to 4 deg,
           tiny crops and 16 MP frames
=========  ==================================================================

The hard cases (page on a desk in perspective, large tilts and turns,
touching and broken digits, punctuation, show-through, small strip scans)
are tiers of their own, built on ``photo``: see :mod:`digit_sheet_reader.synth.hard_cases`.

Ground truth lists each line's text and each digit's box in the final
image's pixels, lines in reading order, as the reader reports them: rows
top to bottom; on a sheet of two columns and at
least ``LINES.column_rows`` rows, where the gutter runs down several
lines, the left column's lines top to bottom, then the right's; on fewer,
each row is one line.
"""

import cv2
import numpy as np

from ..pipeline.lines import LINES
from .glyphs import render_glyph
from .hard_cases import (
    CASE_TIERS,
    break_strokes,
    compose_strip,
    frame_lines,
    glyph_alpha,
    desk_texture,
    ink_box,
    mark_alpha,
    natural_size,
    note_geometry,
    page_matrix,
)

TIERS = ("clean", "photo", "hard")
ALL_TIERS = TIERS + CASE_TIERS
PENS = {"black": (30, 30, 35), "blue": (150, 50, 20), "red": (40, 40, 190), "pencil": (95, 95, 100)}


def _choose(style, key, random_default):
    """The caller's forced choice for ``key``, else the tier's random one.

    The random default is always drawn, so forcing one choice leaves the
    text, the layout and every choice made before it unchanged; draws that
    only the forced choice makes (a desk's border and texture) may move
    the choices after it. Every choice is recorded in ``style["chosen"]``,
    in the order made, for the ground truth.
    """
    value = style.get(key, random_default)
    value = value.item() if isinstance(value, np.generic) else value
    style.setdefault("chosen", {})[key] = value
    return value


def _layout(glyph_source, rng, tier, n_lines, h, marker, style, case=None):
    """Glyphs placed in lines: rows of columns of (label, alpha, x, y).

    Each glyph advances the pen by its own width plus a gap, so wide and
    narrow digits sit as a hand would put them. Punctuation marks have
    label ``None``.
    """
    two_columns = _choose(style, "two_columns", rng.random() < (0.1 if tier == "clean" else 0.25))
    touching = _choose(style, "touching", tier == "hard" and rng.random() < 0.4)
    # A sizes sheet leaves room below each line for its tails.
    line_step = h * (rng.uniform(2.0, 2.6) if case == "sizes" else rng.uniform(1.7, 2.4))
    wobble = h * (0.03 if tier == "clean" else 0.08)
    rows = []
    for r in range(n_lines):
        row, x = [], h * rng.uniform(0.6, 1.5)
        for _ in range(2 if two_columns else 1):
            column, joined = [], 0
            count = int(rng.integers(4, 8 if two_columns else 14))
            if case == "dates":  # day, month, year, each group followed by the same separator
                groups = [int(rng.integers(1, 3)), int(rng.integers(1, 3)), int(rng.choice([2, 4]))]
                count, separator = sum(groups), str(rng.choice(["/", "/", "/", ".", "-"]))
                date_ends = {groups[0] - 1, groups[0] + groups[1] - 1}
            if case == "amounts":  # 1,500/-: an amount, thousands parted by commas, closed by "/-" or "/="
                count, commas = int(rng.integers(2, 8)), rng.random() < 0.5
            for k in range(count):
                label, glyph = glyph_source(rng)
                if case == "sizes":
                    dh, drop = natural_size(label, h, rng)
                else:
                    dh, drop = int(round(h * rng.uniform(0.85, 1.15))), 0
                alpha = glyph_alpha(glyph, dh, int(max(2, dh * 0.08)) if marker else 0)
                if case == "broken" and rng.random() < 0.4:
                    alpha = break_strokes(alpha, rng)
                y = r * line_step + h * 0.8 + rng.normal(0, wobble) + (h - dh) + drop
                column.append((label, alpha, x, y))
                # Near-touching: a tenth to a fifth of a digit height apart. Truly
                # touching digits need splitting (the hard-photos issue).
                gap = rng.uniform(0.1, 0.2) if touching else rng.uniform(0.15, 0.5)
                if case == "touching":  # pairs and triples overlapping by up to a sixth of h
                    joined = joined - 1 if joined > 0 else (int(rng.choice([1, 2])) if rng.random() < 0.6 else 0)
                    gap = rng.uniform(-0.16, -0.04) if joined > 0 else gap
                x += alpha.shape[1] + h * gap
                top = r * line_step + h * 0.8
                if case == "punctuation" and k < count - 1 and rng.random() < 0.2:
                    x = _put_mark(column, mark_alpha(str(rng.choice([".", ",", "-"])), h), x, top, h, rng)
                if case == "dates" and k in date_ends:
                    x = _put_mark(column, mark_alpha(separator, h, lean=rng.uniform(20, 45)), x, top, h, rng)
                if case == "amounts" and commas and k < count - 1 and (count - 1 - k) % 3 == 0:
                    x = _put_mark(column, mark_alpha(",", h), x, top, h, rng)
            if case == "amounts":
                x = _put_mark(column, mark_alpha("/", h, lean=rng.uniform(20, 45)), x, top, h, rng)
                x = _put_mark(column, mark_alpha(str(rng.choice(["-", "="])), h), x, top, h, rng)
            row.append(column)
            x += h * rng.uniform(2.5, 4.0)
        rows.append(row)
    return rows, line_step


def _put_mark(column, mark, x, top, h, rng):
    """Lay a punctuation ``mark`` (its alpha and offset from the digits'
    ``top``) at ``x`` in ``column``; return where the next digit starts."""
    alpha, dy = mark
    column.append((None, alpha, x, top + dy))
    return x + alpha.shape[1] + h * rng.uniform(0.2, 0.4)


def compose_sheet(glyph_source, rng, tier="photo", **style):
    """Compose one sheet.

    Parameters
    ----------
    glyph_source : callable
        ``glyph_source(rng) -> (label, glyph)`` with ``glyph`` white ink on
        black (an MNIST image, or a Hershey rendering).
    rng : numpy.random.Generator
    tier : {"clean", "photo", "hard"}
    **style
        Force a choice the tier would otherwise make at random:
        ``lines`` (int), ``digit_height`` (px), ``two_columns``, ``touching``,
        ``rules``, ``grid``, ``desk``, ``shadow``, ``show_through``,
        ``specks``, ``marker`` (bools), ``pen`` (a key of PENS), ``tilt`` (deg),
        ``turn`` (0, 90, 180 or 270), ``perspective`` (bool).

    Returns
    -------
    image : ndarray uint8 (H, W, 3), BGR
    truth : dict
        ``{"tier", "size": [w, h], "lines": [{"text", "boxes": [[x, y, w, h], ...]}]}``
    """
    if tier not in ALL_TIERS:
        raise ValueError(f"tier must be one of {ALL_TIERS}")
    if tier == "strips":
        image, lines = compose_strip(glyph_source, rng, style)
        return image, _truth(tier, image, style, lines)
    case, tier = (tier, "photo") if tier in CASE_TIERS else (None, tier)
    hard, clean = tier == "hard", tier == "clean"
    h = int(_choose(style, "digit_height", rng.uniform(40, 60) if case == "note" else rng.uniform(28, 70) if not hard
                    else rng.choice([rng.uniform(24, 40), rng.uniform(40, 110)])))
    style["chosen"]["digit_height"] = h
    n_lines = int(_choose(style, "lines", rng.integers(1, 5 if case == "note" else 7)))
    marker = _choose(style, "marker", hard and rng.random() < 0.2)
    rows, line_step = _layout(glyph_source, rng, tier, n_lines, h, marker, style, case)
    # Paper just large enough for the text plus margins.
    right = max(x + alpha.shape[1] for row in rows for col in row for _, alpha, x, _ in col)
    width = int(right + h * rng.uniform(0.8, 2.0))
    height = int(n_lines * line_step + h * rng.uniform(1.0, 2.0))
    paper_colour = np.array([245, 245, 248], np.float32)
    if not clean:
        paper_colour = (np.array(rng.choice([[240, 243, 246], [215, 232, 240], [120, 235, 250], [200, 220, 235]]),
                                 np.float32) if rng.random() < 0.5 else np.array([236, 240, 244], np.float32))
    paper = np.ones((height, width, 3), np.float32) * paper_colour
    if not clean:
        texture = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 2)
        paper += (texture * rng.uniform(2, 6))[..., None]
    grid = _choose(style, "grid", hard and rng.random() < 0.4)
    if _choose(style, "rules", not clean and rng.random() < 0.5) or grid:
        _draw_rules(paper, rng, rows, h, line_step, grid=grid)
    if _choose(style, "show_through", case == "show_through" or hard and rng.random() < 0.3):
        _show_through(paper, glyph_source, rng, h, strength=(0.12, 0.2) if case == "show_through" else (0.08, 0.14))
    pen = PENS[_choose(style, "pen", rng.choice(["black", "blue"] if clean else ["black", "blue", "red", "pencil" if hard else "black"]))]
    lines, places = [], []  # each line's (row, column)
    for r, row in enumerate(rows):
        for c, col in enumerate(row):
            text, boxes = "", []
            for label, alpha, x, y in col:
                alpha = alpha * (rng.uniform(0.75, 1.0) if not clean else 1.0)
                if case == "note":  # a ballpoint: strokes of 2-3 px, not MNIST's fifth of the height
                    alpha = cv2.erode(alpha, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
                box = _stamp(paper, alpha, int(round(x)), int(round(y)), pen)
                if box is None or label is None:
                    continue
                text += str(label)
                boxes.append(box)
            if text:
                lines.append({"text": text, "boxes": boxes})
                places.append((r, c))
    if case == "punctuation":
        frame_lines(paper, lines, rng, h, pen)
    if _choose(style, "specks", hard and rng.random() < 0.5):
        _specks(paper, rng, h)
    image, lines = _photograph(paper, lines, rng, tier, h, style, case)
    return image, _truth(case or tier, image, style, _in_reading_order(lines, places, len(rows)))


def _in_reading_order(lines, places, row_count):
    """The truth ``lines`` (``places``: each one's row and column) as the
    reader reads them: on a sheet of at least ``LINES.column_rows`` rows,
    column by column, each top to bottom; on fewer, each row one line
    (two columns on so few rows are no column layout)."""
    if row_count >= LINES.column_rows:
        return [line for _, line in sorted(zip(places, lines), key=lambda pair: (pair[0][1], pair[0][0]))]
    joined = {}
    for line, (r, _) in zip(lines, places):
        row = joined.setdefault(r, {"text": "", "boxes": []})
        row["text"] += line["text"]
        row["boxes"] = row["boxes"] + line["boxes"]
    return list(joined.values())


def _truth(tier, image, style, lines):
    return {"tier": tier, "size": [int(image.shape[1]), int(image.shape[0])], "digit_height": int(style["chosen"]["digit_height"]),
            "conditions": {k: v for k, v in style["chosen"].items() if k not in ("digit_height", "lines")},
            "lines": lines}


def _stamp(paper, alpha, x, y, pen):
    """Lay ink of colour ``pen`` with coverage ``alpha`` at (x, y); return its box."""
    ph, pw = paper.shape[:2]
    ah, aw = alpha.shape
    if x < 0 or y < 0 or x + aw > pw or y + ah > ph:
        return None
    region = paper[y:y + ah, x:x + aw]
    region[:] = region * (1 - alpha[..., None]) + np.array(pen, np.float32) * alpha[..., None]
    return ink_box(alpha, x, y)


def _draw_rules(paper, rng, rows, h, line_step, grid=False):
    colour = np.array(rng.choice([[210, 170, 140], [190, 190, 190], [200, 160, 160]]), np.float32)
    thickness = int(rng.integers(1, 3 if h < 50 else 4))
    height, width = paper.shape[:2]
    offset = h * 0.8 + h * rng.uniform(0.85, 1.05)  # near the baseline
    step = line_step if not grid else h * rng.uniform(0.5, 0.8)
    y = offset % step
    canvas = np.zeros((height, width), np.float32)
    while y < height:
        cv2.line(canvas, (0, int(y)), (width, int(y)), 1.0, thickness, cv2.LINE_AA)
        y += step
    if grid:
        x = rng.uniform(0, step)
        while x < width:
            cv2.line(canvas, (int(x), 0), (int(x), height), 1.0, thickness, cv2.LINE_AA)
            x += step
    strength = rng.uniform(0.5, 0.9)
    paper[:] = paper * (1 - canvas[..., None] * strength) + colour * canvas[..., None] * strength


def _show_through(paper, glyph_source, rng, h, strength=(0.08, 0.14)):
    """Faint, blurred, mirrored writing from the back of the page."""
    height, width = paper.shape[:2]
    ghost = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(5, 25))):
        _, glyph = glyph_source(rng)
        alpha = glyph_alpha(glyph, int(h * rng.uniform(0.8, 1.2)))[:, ::-1]
        x, y = int(rng.uniform(0, width - alpha.shape[1])), int(rng.uniform(0, height - alpha.shape[0]))
        if x >= 0 and y >= 0:
            ghost[y:y + alpha.shape[0], x:x + alpha.shape[1]] = np.maximum(ghost[y:y + alpha.shape[0], x:x + alpha.shape[1]], alpha)
    ghost = cv2.GaussianBlur(ghost, (0, 0), 2.0) * rng.uniform(*strength)
    paper *= (1 - ghost)[..., None]


def _specks(paper, rng, h):
    height, width = paper.shape[:2]
    for _ in range(int(rng.integers(3, 20))):
        radius = max(1, int(h * rng.uniform(0.02, 0.06)))
        cv2.circle(paper, (int(rng.uniform(0, width)), int(rng.uniform(0, height))), radius, (60, 60, 60), -1, cv2.LINE_AA)


def _photograph(paper, lines, rng, tier, h, style, case=None):
    """Tilt, desk, light, blur, noise, JPEG; boxes follow the geometry."""
    hard, clean = tier == "hard", tier == "clean"
    height, width = paper.shape[:2]
    angle = _choose(style, "tilt", 0.0 if clean else rng.uniform(-4, 4) if hard else rng.uniform(-2, 2))
    desk = _choose(style, "desk", case in ("desk", "note") or not clean and rng.random() < (0.5 if hard else 0.3))
    border = int(max(height, width) * rng.uniform(0.08, 0.25)) if desk else 0
    out_w, out_h = width + 2 * border, height + 2 * border
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    matrix[:, 2] += border
    if case in ("desk", "tilt", "turned"):  # their own angles and turns replace the draws above
        matrix, (out_w, out_h), border = _case_geometry(width, height, rng, case, style, border)
    elif case == "note":
        matrix, (out_w, out_h), drawn = note_geometry(width, height, rng)
        style["chosen"].update(drawn)
    if case == "note":
        background = desk_texture(out_h, out_w, rng)
    elif desk:
        base = np.array(rng.choice([[40, 55, 75], [30, 30, 35], [70, 90, 110]]), np.float32)
        grain = cv2.GaussianBlur(rng.normal(0, 1, (out_h, out_w)).astype(np.float32), (0, 0), sigmaX=8, sigmaY=1)
        background = base + (grain * 12)[..., None]
    warp = _warp(matrix, (out_w, out_h))
    if desk:
        sheet = warp(paper)
        cover = warp(np.ones(paper.shape[:2], np.float32))
        sheet = sheet + background * (1 - cover)[..., None]
    elif case:  # a larger sheet of the same paper around the text
        sheet = warp(paper, borderMode=cv2.BORDER_CONSTANT, borderValue=[float(v) for v in np.median(paper[:3, :], axis=(0, 1))])
    else:  # the photo shows only paper: fill the corners the tilt opens with paper
        sheet = warp(paper, borderMode=cv2.BORDER_REFLECT)
    lines = [{"text": line["text"], "boxes": [_rotate_box(b, matrix) for b in line["boxes"]]} for line in lines]
    if not clean:
        sheet = _light(sheet, rng, hard, style)
        sheet = cv2.GaussianBlur(sheet, (0, 0), rng.uniform(0.3, 1.2 if hard else 0.8))
        sheet += rng.normal(0, rng.uniform(1, 5 if hard else 3), sheet.shape).astype(np.float32)
    image = np.clip(sheet, 0, 255).astype(np.uint8)
    if _choose(style, "frame_16mp", hard and rng.random() < 0.15):
        factor = 4600 / max(image.shape[:2])
        image = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        lines = [{"text": l["text"], "boxes": [[int(round(v * factor)) for v in b] for b in l["boxes"]]} for l in lines]
    if not clean:
        quality = int(rng.uniform(35 if hard else 55, 92))
        image = cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR)
    return image, lines


def _case_geometry(width, height, rng, case, style, border):
    """Paper-to-photo matrix (3x3), photo size and desk border of the
    desk, tilt and turned tiers."""
    if case == "desk":
        angle = _choose(style, "tilt", rng.uniform(-20, 20))
    elif case == "tilt":
        angle = _choose(style, "tilt", rng.choice([-1, 1]) * rng.uniform(5, 45))
    else:
        angle = _choose(style, "tilt", rng.uniform(-2, 2))
    turn = _choose(style, "turn", int(rng.choice([90, 180, 270])) if case == "turned" else 0)
    perspective = _choose(style, "perspective", case == "desk")
    matrix, (w, h) = page_matrix(width, height, rng, angle, turn, perspective)
    if case == "desk":  # the desk fills about half the frame
        border = int(max(w, h) * rng.uniform(0.2, 0.4))
    return np.array([[1, 0, border], [0, 1, border], [0, 0, 1]]) @ matrix, (w + 2 * border, h + 2 * border), border


def _warp(matrix, size):
    """Warp function for an affine (2x3) or perspective (3x3) ``matrix``."""
    if matrix.shape[0] == 2:
        return lambda image, **kw: cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR, **kw)
    return lambda image, **kw: cv2.warpPerspective(image, matrix, size, flags=cv2.INTER_LINEAR, **kw)


def _rotate_box(box, matrix):
    """Axis-aligned box around ``box`` mapped by a 2x3 or 3x3 matrix."""
    x, y, w, h = box
    corners = np.array([[x, y, 1], [x + w, y, 1], [x, y + h, 1], [x + w, y + h, 1]], np.float64) @ matrix.T
    if matrix.shape[0] == 3:
        corners = corners[:, :2] / corners[:, 2:]
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    return [int(round(x0)), int(round(y0)), int(round(x1 - x0)), int(round(y1 - y0))]


def _light(sheet, rng, hard, style):
    """Multiply by a light gradient, vignetting and (hard) a soft shadow."""
    height, width = sheet.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    gx, gy = rng.uniform(-1, 1, 2)
    gradient = 1 + (gx * (xx / width - 0.5) + gy * (yy / height - 0.5)) * rng.uniform(0.2, 0.6 if hard else 0.4)
    r2 = ((xx / width - 0.5) ** 2 + (yy / height - 0.5) ** 2) * 2
    vignette = 1 - r2 * rng.uniform(0.1, 0.6 if hard else 0.35)
    light = gradient * vignette
    if _choose(style, "shadow", hard and rng.random() < 0.6):
        mask = np.zeros((height, width), np.float32)
        pts = np.array([[rng.uniform(-0.2, 1.2) * width, rng.uniform(-0.2, 1.2) * height] for _ in range(4)], np.int32)
        cv2.fillConvexPoly(mask, cv2.convexHull(pts), 1.0)
        mask = cv2.GaussianBlur(mask, (0, 0), max(3, 0.02 * max(height, width)))
        light = light * (1 - mask * rng.uniform(0.3, 0.55))
    return sheet * np.clip(light, 0.2, 1.3)[..., None]


def mnist_glyph_source(dataset):
    """A glyph source for :func:`digit_sheet_reader.synth.sheets.compose_sheet` drawing from ``dataset``."""

    def draw(rng):
        i = int(rng.integers(len(dataset)))
        return int(dataset.labels[i]), dataset.images[i]

    return draw


def hershey_glyph_source(height=64):
    """A glyph source of digits drawn with Hershey fonts (no data needed)."""
    def draw(rng):
        d = int(rng.integers(10))
        return d, render_glyph(str(d), rng, height=height)

    return draw


