"""Synthetic ruled tables with known cells: a grid of rules, some cells
holding a number (printed or handwritten-looking glyphs of
:func:`~digit_sheet_reader.synth.glyphs.render_glyph`), an optional
printed header row of words, placed on paper and optionally put in
perspective or turned.

Examples
--------
>>> image, truth = compose_table(np.random.default_rng(0), rows=3, cols=4)
>>> len(truth), len(truth[0]), image.ndim
(3, 4, 3)
"""

import cv2
import numpy as np

from .glyphs import render_glyph

PRINTED = cv2.FONT_HERSHEY_SIMPLEX


def compose_table(rng, rows=5, cols=4, cell=(70, 110), fill=0.6, digits=(1, 2), header=None,
                  thick_every=0, perspective=0.0, turn=0):
    """A BGR image of a ruled table and its cells' texts (rows of strings, ``""`` empty).

    Parameters
    ----------
    cell : (height, width) of a cell in px.
    fill : share of the cells holding a number of ``digits`` (min, max) digits.
    header : list of words for a printed first row, or None.
    thick_every : every this many rules is drawn thick (3 for a sudoku's boxes); 0 none.
    perspective : how far (share of the size) the corners are pulled, as a slanted camera does.
    turn : 0, 90, 180 or 270: the table turned counter-clockwise, truth kept as it reads upright.
    """
    ch, cw = cell
    margin = 60
    height, width = rows * ch + 2 * margin, cols * cw + 2 * margin
    paper = np.full((height, width), 235, np.uint8)
    truth = [["" for _ in range(cols)] for _ in range(rows)]
    for r in range(rows):
        for c in range(cols):
            x0, y0 = margin + c * cw, margin + r * ch
            if header is not None and r == 0:
                _print(paper, header[c % len(header)], x0, y0, cw, ch)
                truth[r][c] = None  # words: not scored as digits
            elif rng.random() < fill:
                text = "".join(str(d) for d in rng.integers(0, 10, rng.integers(digits[0], digits[1] + 1)))
                _write(paper, text, x0, y0, cw, ch, rng)
                truth[r][c] = text
    for k in range(rows + 1):
        thick = 5 if thick_every and k % thick_every == 0 else 2
        cv2.line(paper, (margin, margin + k * ch), (margin + cols * cw, margin + k * ch), 30, thick)
    for k in range(cols + 1):
        thick = 5 if thick_every and k % thick_every == 0 else 2
        cv2.line(paper, (margin + k * cw, margin), (margin + k * cw, margin + rows * ch), 30, thick)
    if perspective:
        paper = _slant(paper, rng, perspective)
    image = cv2.cvtColor(paper, cv2.COLOR_GRAY2BGR)
    return np.ascontiguousarray(np.rot90(image, turn // 90)), truth


def _write(paper, text, x0, y0, cw, ch, rng):
    """Handwritten-looking ``text`` centred in a cell, digits side by side."""
    h = int(ch * rng.uniform(0.5, 0.7))
    glyphs = [render_glyph(d, rng, height=h, stroke=0.1, font=cv2.FONT_HERSHEY_SCRIPT_SIMPLEX) for d in text]
    gap = max(2, h // 4)
    total = sum(g.shape[1] for g in glyphs) + gap * (len(glyphs) - 1)
    x, y = x0 + (cw - total) // 2, y0 + (ch - h) // 2
    for g in glyphs:
        region = paper[y:y + g.shape[0], x:x + g.shape[1]]
        np.minimum(region, 255 - g.astype(np.int32) * 220 // 255, out=region, casting="unsafe")
        x += g.shape[1] + gap


def _print(paper, word, x0, y0, cw, ch):
    """A printed word in a header cell."""
    scale = cv2.getFontScaleFromHeight(PRINTED, int(ch * 0.35), 2)
    (w, h), _ = cv2.getTextSize(word, PRINTED, scale, 2)
    scale *= min(1.0, 0.8 * cw / max(w, 1))
    (w, h), _ = cv2.getTextSize(word, PRINTED, scale, 2)
    cv2.putText(paper, word, (x0 + (cw - w) // 2, y0 + (ch + h) // 2), PRINTED, scale, 40, 2, cv2.LINE_AA)


def _slant(paper, rng, amount):
    """The page seen by a slanted camera: corners pulled in by up to ``amount`` of its size."""
    h, w = paper.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    pull = rng.uniform(0, amount, (4, 2)) * [w, h] * [[1, 1], [-1, 1], [-1, -1], [1, -1]]
    matrix = cv2.getPerspectiveTransform(src, np.float32(src + pull))
    return cv2.warpPerspective(paper, matrix, (w, h), borderValue=235)
