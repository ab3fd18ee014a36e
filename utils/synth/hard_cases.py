"""The hard cases of the development benchmark, one tier each.

:func:`digit_sheet_reader.synth.sheets.compose_sheet` builds every tier on the ``photo``
conditions; the tiers below each add one failure mode of MNIST-based
readers on real photos:

============  ================================================================
desk          the sheet lies on a desk filling about half the frame, seen in
              perspective and turned by up to 20 deg
tilt          lines running diagonally: the page is turned by 5 to 45 deg
turned        the page is turned by 90, 180 or 270 deg (and up to 2 deg more)
touching      pairs and triples of digits joined by ink
broken        strokes broken by gaps (a 5's floating bar, a 4 in two strokes)
punctuation   dots, commas and dashes between digit groups, underlines and
              box borders drawn around lines
show_through  strong mirrored writing from the back of the page
note          a sticky note or a small sheet, written with a thin ballpoint
              (digits 40-60 px), lying on a dark wood or leather desk in a
              photo of 1 to 16 MP, turned by 5 to 40 deg: the page covers
              a small share of the frame
strips        small grey scans of one amount box (about 150x45 px) on a
              patterned security background, digits often touching,
              punctuation between groups
dates         each line a date: a day and a month of one or two digits and a
              year of two or four, parted by slashes (leaning 20 to 45 deg),
              points or dashes
sizes         digits at the sizes people write them, not MNIST's one box: 0s
              half to three quarters as tall, 4s, 7s and 9s whose tails reach
              below the line, 1s as a long stroke rising above it
amounts       each line an amount of two to seven digits, its thousands
              parted by commas on half the sheets, closed by a slash and a
              dash or "=" as on a cheque ("1,500/-", "730/=")
============  ================================================================

The helpers here draw those cases; the ground truth only ever lists
digits, so anything else read as a digit counts against the reader.
"""

import cv2
import numpy as np

from ..pipeline.crops import crop_to_ink, mnist_style, stroke_width

CASE_TIERS = ("desk", "tilt", "turned", "touching", "broken", "punctuation", "show_through", "strips", "note", "dates",
              "sizes", "amounts")


def glyph_alpha(glyph, height, thickness=0):
    """White-on-black glyph -> float alpha in [0,1], cropped, ``height`` px tall."""
    glyph = crop_to_ink(glyph, 20)
    width = max(2, int(round(glyph.shape[1] * height / glyph.shape[0])))
    alpha = cv2.resize(glyph, (width, height), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255.0
    if thickness:
        alpha = cv2.dilate(alpha, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (thickness, thickness)))
    return np.clip(alpha * 1.15, 0, 1)


def ink_box(alpha, x, y):
    """Ground-truth box [x, y, w, h] of a glyph's ink stamped at (x, y)."""
    ys, xs = np.nonzero(alpha > 0.25)
    return [int(x + xs.min()), int(y + ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


def break_strokes(alpha, rng):
    """Cut one or two thin gaps across a glyph's strokes (alpha in [0, 1]),
    as a skipping pen leaves them.

    Each cut crosses the stroke at a random ink pixel the short way (the
    direction in which the ink there is thinnest) and reaches just past its
    edges: a cut along the stroke would erase a whole bar, which is a
    different digit, not a broken one.
    """
    h, w = alpha.shape
    out = alpha.copy()
    ink = alpha > 0.5
    ys, xs = np.nonzero(ink)
    for _ in range(2 if rng.random() < 0.3 else 1):
        k = int(rng.integers(len(ys)))
        angle, run = _thinnest_direction(ink, xs[k], ys[k], 0.25 * h)
        angle += rng.uniform(-0.25, 0.25)
        reach = run / 2.0 + 0.08 * h
        dx, dy = np.cos(angle) * reach, np.sin(angle) * reach
        p0 = (int(round(xs[k] - dx)), int(round(ys[k] - dy)))
        p1 = (int(round(xs[k] + dx)), int(round(ys[k] + dy)))
        cv2.line(out, p0, p1, 0.0, max(2, int(round(h * rng.uniform(0.06, 0.1)))), cv2.LINE_AA)
    return out


def add_flag(digit, rng):
    """A handwritten 1 (MNIST style, white on black) with the flag that
    much of the world writes on it: a straight lead-in stroke falling from
    the top of the stem to the left, 30 to 60 deg below level and a fifth
    to 0.45 of the stem long, drawn as thick as the stem. A 7's bar leaves
    its top corner about level (MNIST's short-barred 7s fall up to some
    20 deg), steeper than that a flag is no bar; MNIST's 1s are bare
    strokes, so a recogniser trained on them alone reads a flagged 1 as 7.
    Returns the flagged digit fitted into MNIST's box again, or None for a
    1 leaning left (its top left of its foot), where a falling flag makes
    the stem and flag a 7.

    Examples
    --------
    >>> one = np.zeros((28, 28), np.uint8); one[4:24, 13:16] = 255
    >>> flagged = add_flag(one, np.random.default_rng(0))
    >>> flagged.shape, int((flagged[:, :10] > 128).sum()) > 0     # ink reaches left of the stem
    ((28, 28), True)
    """
    scale = 4  # drawn large, so the flag's anti-aliased edge matches the stem's
    big = cv2.resize(digit, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    ink = (big > 127).astype(np.uint8)
    ys, xs = np.nonzero(ink)
    top, foot = ys.min(), ys.max()
    x_top = xs[ys <= top + scale].mean()
    if x_top < xs[ys >= foot - scale].mean() - 0.05 * (foot - top):
        return None
    length = rng.uniform(0.2, 0.45) * (foot - top + 1)
    angle = np.radians(rng.uniform(30, 60))
    width = max(scale, int(round(stroke_width(ink))))
    margin = int(length) + width  # room on the left for the flag
    canvas = cv2.copyMakeBorder(big, 0, 0, margin, 0, cv2.BORDER_CONSTANT, value=0)
    start = (round(x_top) + margin, int(top))
    end = (round(x_top - length * np.cos(angle)) + margin, round(top + length * np.sin(angle)))
    cv2.line(canvas, start, end, 255, width, cv2.LINE_AA)
    return mnist_style(crop_to_ink(canvas))


def _thinnest_direction(ink, x, y, limit, directions=16):
    """(angle, length) of the shortest run of ``ink`` through the ink pixel
    (x, y), over ``directions`` angles in [0, pi); runs are followed at most
    ``limit`` px each way."""
    steps = np.arange(int(limit) + 1)
    best = (0.0, np.inf)
    for angle in np.arange(directions) * np.pi / directions:
        run = -1  # (x, y) is counted on both sides
        for sign in (1, -1):
            cols = np.clip(np.round(x + sign * steps * np.cos(angle)).astype(int), 0, ink.shape[1] - 1)
            rows = np.clip(np.round(y + sign * steps * np.sin(angle)).astype(int), 0, ink.shape[0] - 1)
            run += int(np.cumprod(ink[rows, cols]).sum())  # ink pixels before the first paper one
        if run < best[1]:
            best = (float(angle), float(run))
    return best


def natural_size(label, h, rng):
    """How tall a digit ``label`` is written beside digits ``h`` px tall, and
    how far its foot falls below theirs (px): half of the 0s half to three
    quarters as tall, most 4s, 7s and 9s with a tail reaching a quarter to
    a half below the line, half of the 1s a long stroke rising above it.

    >>> rng = np.random.default_rng(0)
    >>> sizes = [natural_size(0, 40, rng)[0] for _ in range(200)]
    >>> min(sizes) >= 20 and max(sizes) <= 46 and sum(size < 32 for size in sizes) > 50
    True
    """
    if label == 0 and rng.random() < 0.5:
        return int(round(h * rng.uniform(0.5, 0.75))), 0
    if label in (4, 7, 9) and rng.random() < 0.6:
        tall = int(round(h * rng.uniform(1.25, 1.5)))
        return tall, tall - h  # its top with the others', its tail below
    if label == 1 and rng.random() < 0.5:
        return int(round(h * rng.uniform(1.15, 1.4))), int(round(0.05 * h))
    return int(round(h * rng.uniform(0.85, 1.15))), 0


def mark_alpha(kind, h, lean=35.0):
    """Alpha of a punctuation mark for digits ``h`` px tall, and its vertical
    offset from the top of the digits: ``"."``, ``","``, ``"-"``, ``"="`` or
    ``"/"``. A slash leans ``lean`` degrees, a little taller than the digits
    and reaching below them, as a date's is written."""
    r = max(2, int(round(0.07 * h)))
    if kind == "/":
        tall, t = int(1.15 * h), max(2, int(round(0.1 * h)))
        run = int(round(tall * np.tan(np.radians(lean))))
        alpha = np.zeros((tall + t + 2, run + t + 2), np.float32)
        cv2.line(alpha, (t // 2 + 1, tall + t // 2), (run + t // 2, t // 2 + 1), 1.0, t, cv2.LINE_AA)
        return alpha, -0.05 * h
    if kind in ("-", "="):  # "=": two dashes 0.3 digit heights apart
        w, t = max(4, int(0.35 * h)), max(2, int(round(0.08 * h)))
        gap = int(0.3 * h) if kind == "=" else 0
        alpha = np.zeros((t + 2 + gap, w + 2), np.float32)
        for y in [t // 2 + 1] + ([t // 2 + 1 + gap] if gap else []):
            cv2.line(alpha, (1, y), (w, y), 1.0, t, cv2.LINE_AA)
        return alpha, 0.5 * h - gap / 2
    alpha = np.zeros((4 * r + 2, 3 * r + 2), np.float32)
    cv2.circle(alpha, (2 * r, r + 1), r, 1.0, -1, cv2.LINE_AA)
    if kind == ",":
        cv2.line(alpha, (2 * r, r + 1), (r, 4 * r), 1.0, max(1, r // 2 + 1), cv2.LINE_AA)
    return alpha, h - 2 * r


def frame_lines(paper, lines, rng, h, pen):
    """Underline some lines and draw a box border around others, in pen."""
    canvas = np.zeros(paper.shape[:2], np.float32)
    thickness = max(1, int(round(0.06 * h)))
    extents = [_extent(line) for line in lines]
    taken = list(extents)  # what a new mark must keep clear of
    for k, (x0, y0, x1, y1) in enumerate(extents):
        draw = rng.random()
        if draw < 0.35:
            y = int(y1 + 0.3 * h)
            cv2.line(canvas, (int(x0 - 0.2 * h), y), (int(x1 + 0.2 * h), y), 1.0, thickness, cv2.LINE_AA)
        elif draw < 0.6:
            m = 0.35 * h
            frame = (x0 - m, y0 - m, x1 + m, y1 + m)
            if not any(_overlaps(frame, other, 0.1 * h) for j, other in enumerate(taken) if j != k):
                taken.append(frame)
                cv2.rectangle(canvas, (int(frame[0]), int(frame[1])), (int(frame[2]), int(frame[3])), 1.0,
                              thickness, cv2.LINE_AA)
    paper[:] = paper * (1 - canvas[..., None]) + np.array(pen, np.float32) * canvas[..., None]


def _extent(line):
    boxes = np.array(line["boxes"])
    return boxes[:, 0].min(), boxes[:, 1].min(), (boxes[:, 0] + boxes[:, 2]).max(), (boxes[:, 1] + boxes[:, 3]).max()


def _overlaps(a, b, clearance):
    return not (a[2] + clearance < b[0] or b[2] + clearance < a[0] or a[3] + clearance < b[1] or b[3] + clearance < a[1])


def page_matrix(width, height, rng, angle, turn, perspective):
    """3x3 map from paper to photo: turn by ``angle + turn`` about the
    centre and, with ``perspective``, pull the corners apart as a camera
    held at a slant would. Returns the matrix and the photo size (the
    paper's bounding box; the caller adds the border)."""
    rotate = np.vstack([cv2.getRotationMatrix2D((width / 2, height / 2), angle + turn, 1.0), [0, 0, 1]])
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    moved = cv2.perspectiveTransform(corners[None], rotate)[0]
    if perspective:
        size = max(width, height)
        moved = moved + rng.uniform(-0.08, 0.08, (4, 2)).astype(np.float32) * size
        rotate = cv2.getPerspectiveTransform(corners, moved.astype(np.float32))
    shift = np.array([[1, 0, -moved[:, 0].min()], [0, 1, -moved[:, 1].min()], [0, 0, 1]])
    size = (int(np.ceil(np.ptp(moved[:, 0]))), int(np.ceil(np.ptp(moved[:, 1]))))
    return shift @ rotate, size


def desk_texture(height, width, rng):
    """A dark desk (float32 BGR): wood grain along a random direction, or
    blotchy leather, with contrast of about a fifth of its brightness.

    Examples
    --------
    >>> desk = desk_texture(120, 160, np.random.default_rng(0))
    >>> desk.shape, bool(desk.mean() < 120), bool(desk.std() > 4)
    ((120, 160, 3), True, True)
    """
    base = np.array(rng.choice([[35, 55, 85], [25, 35, 55], [30, 30, 34], [45, 70, 100]]), np.float32)
    small = (max(8, height // 8), max(8, width // 8))
    if rng.random() < 0.6:  # wood: long streaks and rings, stretched along the grain
        noise = cv2.GaussianBlur(rng.normal(0, 1, small).astype(np.float32), (0, 0), sigmaX=12, sigmaY=0.8)
        rings = np.sin(np.linspace(0, rng.uniform(20, 60), small[0]))[:, None].astype(np.float32)
        grain = noise / max(noise.std(), 1e-6) + 0.6 * rings
        angle = rng.uniform(-90, 90)
        grain = cv2.warpAffine(grain, cv2.getRotationMatrix2D((small[1] / 2, small[0] / 2), angle, 1.0), small[::-1],
                               borderMode=cv2.BORDER_REFLECT)
    else:  # leather: blotches at two scales
        grain = sum(cv2.GaussianBlur(rng.normal(0, 1, small).astype(np.float32), (0, 0), s) * w
                    for s, w in ((1.0, 0.5), (4.0, 3.0)))
        grain /= max(grain.std(), 1e-6)
    grain = cv2.resize(grain, (width, height), interpolation=cv2.INTER_LINEAR)
    fine = rng.normal(0, 0.5, (height, width)).astype(np.float32)
    return base * (1 + 0.2 * (grain + fine))[..., None]


def note_geometry(width, height, rng):
    """Paper-to-photo matrix (3x3), photo size and what was drawn (for the
    truth's conditions) for the ``note`` tier:
    the paper turned by 5 to 40 deg, somewhere in a 4:3 photo of 1 to
    16 MP that holds it whole. (No perspective: pulling the corners of a
    narrow strip by a share of its length would make a wedge of it.)"""
    angle = rng.choice([-1, 1]) * rng.uniform(5, 40)
    matrix, (w, h) = page_matrix(width, height, rng, angle, 0, perspective=False)
    pixels = np.exp(rng.uniform(np.log(1e6), np.log(16e6)))
    photo_w = max(int(np.sqrt(pixels * 4 / 3)), int(w * 1.1) + 2)
    photo_h = max(int(photo_w * 3 / 4), int(h * 1.1) + 2)
    x, y = rng.uniform(0, photo_w - w), rng.uniform(0, photo_h - h)
    drawn = {"note_turn": round(float(angle), 1), "page_share": round(width * height / (photo_w * photo_h), 4)}
    return np.array([[1, 0, x], [0, 1, y], [0, 0, 1]]) @ matrix, (photo_w, photo_h), drawn


def security_pattern(height, width, rng):
    """A light guilloche of wavy lines, as printed behind cheque amounts."""
    canvas = np.zeros((height, width), np.float32)
    xs = np.arange(0, width, 1.0)
    period, amplitude = rng.uniform(12, 30), rng.uniform(2, 6)
    for k, y0 in enumerate(np.arange(-10, height + 10, rng.uniform(3, 6))):
        ys = y0 + amplitude * np.sin(2 * np.pi * xs / period + k * 0.4)
        pts = np.stack([xs, ys], axis=1).astype(np.int32)
        cv2.polylines(canvas, [pts], False, 1.0, 1, cv2.LINE_AA)
    return canvas


def over_guilloche(image, rng, strength=0.5, curves=14):
    """BGR ``image`` printed over a pale coloured guilloche, as under a
    cheque's amount or a form's field: ``curves`` waves as long as the image
    is tall, crossing each other and the writing, in lines a 60th of its
    height wide, one tint taking up to ``strength`` * 0.45 of a colour
    channel.

    >>> paper = np.full((60, 200, 3), 240, np.uint8)
    >>> printed = over_guilloche(paper, np.random.default_rng(0))
    >>> printed.shape, bool(printed.min() >= 0.7 * 240), bool(printed.max() == 240)
    ((60, 200, 3), True, True)
    """
    height, width = image.shape[:2]
    canvas = np.zeros((height, width), np.float32)
    xs = np.arange(width)
    for _ in range(curves):
        period, amplitude = rng.uniform(0.6, 1.6) * height, rng.uniform(0.15, 0.45) * height
        ys = rng.uniform(0, height) + amplitude * np.sin(2 * np.pi * xs / period + rng.uniform(0, 2 * np.pi))
        cv2.polylines(canvas, [np.stack([xs, ys], 1).astype(np.int32)], False, 1.0, max(1, height // 60), cv2.LINE_AA)
    tint = np.array([(0.55, 0.8, 1.0), (1.0, 0.75, 0.6), (0.7, 1.0, 0.7)][int(rng.integers(3))], np.float32)
    veil = 1 - canvas[..., None] * (1 - tint) * strength
    return np.clip(image * veil, 0, 255).astype(np.uint8)


def compose_strip(glyph_source, rng, style):
    """One small grey scan of an amount box; ``(image, lines)``."""
    h = int(round(rng.uniform(24, 34)))
    n = int(rng.integers(2, 8))
    glyphs, x = [], rng.uniform(6, 14)
    for i in range(n):
        label, glyph = glyph_source(rng)
        dh = int(round(h * rng.uniform(0.9, 1.1)))
        alpha = glyph_alpha(glyph, dh)
        y = (45 - h) / 2 + (h - dh) + rng.normal(0, 1)
        glyphs.append((label, alpha, x, y))
        x += alpha.shape[1] + h * rng.uniform(-0.12, 0.25)
        if i < n - 1 and rng.random() < 0.25:  # punctuation between groups
            mark, dy = mark_alpha(str(rng.choice([".", ",", "-"])), h)
            glyphs.append((None, mark, x + 0.1 * h, (45 - h) / 2 + dy))
            x += mark.shape[1] + 0.35 * h
    width = int(x + rng.uniform(6, 14))
    paper = np.full((45, width), rng.uniform(205, 240), np.float32)
    paper -= security_pattern(45, width, rng) * rng.uniform(30, 70)
    ink = rng.uniform(20, 70)
    boxes, text = [], ""
    for label, alpha, gx, gy in glyphs:
        gx, gy = int(round(gx)), int(round(max(0, min(45 - alpha.shape[0], gy))))
        if gx + alpha.shape[1] > width:
            continue
        region = paper[gy:gy + alpha.shape[0], gx:gx + alpha.shape[1]]
        region[:] = region * (1 - alpha) + ink * alpha
        if label is not None:
            boxes.append(ink_box(alpha, gx, gy))
            text += str(label)
    paper = cv2.GaussianBlur(paper, (0, 0), rng.uniform(0.3, 0.7)) + rng.normal(0, 2, paper.shape)
    image = np.clip(paper, 0, 255).astype(np.uint8)
    image = cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.uniform(60, 92))])[1],
                         cv2.IMREAD_GRAYSCALE)
    style.setdefault("chosen", {}).update(digit_height=h, patterned=True)
    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), [{"text": text, "boxes": boxes}]
