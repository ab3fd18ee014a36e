"""Draw what was read back onto the image: outputs.

Each digit gets a box and its label; the colour says how sure the model
was (green >= 0.9, orange >= 0.6, red below). Each line gets a thin blue
frame and its number, so the grouping and the reading order are visible.
Marks rejected as not digits (dots, dashes, borders) get a thin grey box.
Each table cell gets its outline in purple and its reading in the
confidence colour; an empty cell only its outline.
"""

import cv2
import numpy as np

GREEN, ORANGE, RED, BLUE, GREY = (40, 170, 40), (0, 140, 255), (0, 0, 230), (200, 120, 0), (160, 160, 160)
PURPLE = (160, 40, 160)


def confidence_colour(confidence):
    return GREEN if confidence >= 0.9 else ORANGE if confidence >= 0.6 else RED


def annotate(image, page, scale=1.0):
    """Return a copy of ``image`` (BGR) with the page's boxes drawn.

    ``scale`` is original pixels per pixel of ``image`` (the reader's
    working image is smaller than a large original).
    """
    out = image.copy()
    size = max(out.shape[:2])
    thickness = max(1, round(size / 800))
    font_scale = max(0.4, size / 1600)

    def px(box):
        x, y, w, h = (v / scale for v in box)
        return int(round(x)), int(round(y)), int(round(x + w)), int(round(y + h))

    for mark in page.rejected:  # faintly: looked at, not read as a digit
        x0, y0, x1, y1 = px(mark.box)
        cv2.rectangle(out, (x0, y0), (x1, y1), GREY, 1)
    for table in page.tables:
        _draw_table(out, table, scale, thickness, font_scale)
    for number, line in enumerate(page.lines, start=1):
        x0, y0, x1, y1 = px(line.box)
        margin = 3 * thickness
        cv2.rectangle(out, (x0 - margin, y0 - margin), (x1 + margin, y1 + margin), BLUE, max(1, thickness // 2))
        cv2.putText(out, f"L{number}", (max(0, x0 - margin), y1 + margin + int(14 * font_scale)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6 * font_scale, BLUE, max(1, thickness // 2), cv2.LINE_AA)
        for digit in line.digits:
            x0, y0, x1, y1 = px(digit.box)
            colour = confidence_colour(digit.confidence)
            cv2.rectangle(out, (x0, y0), (x1, y1), colour, thickness)
            cv2.putText(out, digit.label, (x0, max(0, y0 - 2 * thickness)), cv2.FONT_HERSHEY_SIMPLEX,
                        font_scale, colour, thickness + 1, cv2.LINE_AA)
    return out


def _draw_table(out, table, scale, thickness, font_scale):
    """Cell outlines, and what was read in each cell at its top-left corner
    (in red where it is no value: candidates, a word)."""
    for cell in table.cells:
        quad = np.int32(np.round(np.float32(cell.corners) / scale))
        cv2.polylines(out, [quad], True, PURPLE, max(1, thickness // 2), cv2.LINE_AA)
        if not cell.read:
            continue
        colour = RED if cell.text != cell.read else confidence_colour(cell.confidence)
        x, y = quad.min(axis=0)
        h = quad[:, 1].max() - y
        size = font_scale * max(0.3, min(1.0, h / (60.0 * font_scale)))
        cv2.putText(out, cell.read, (int(x) + 2 * thickness, int(y) + int(28 * size)), cv2.FONT_HERSHEY_SIMPLEX,
                    size, colour, thickness + 1, cv2.LINE_AA)


def fraction_differing(a, b, tolerance=32):
    """Fraction of pixels whose colour differs by more than ``tolerance`` in any channel.

    Golden-image tests compare with this rather than exact equality, so
    that codec and anti-aliasing noise does not fail them but a moved box
    or a changed label does.
    """
    if a.shape != b.shape:
        return 1.0
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
    if diff.ndim == 3:
        diff = diff.max(axis=2)
    return float((diff > tolerance).mean())
