"""Keep non-digits out of the text: lines -> lines without them.

Most non-digits are dropped by :mod:`utils.segment` on their own shape
(dots, commas, dashes, long lines). Some can only be told once lines are
known: the upright sides of a box drawn around a number look like 1s on
their own, but they reach well above and below the digits of their line.
"""

import numpy as np

# A thin stroke this much taller than its line's digits, reaching past
# them both above and below by OVERHANG of their height, is a border.
BORDER_HEIGHT, OVERHANG = 1.35, 0.12


def border_strokes(boxes, lines):
    """Indices of boxes that are the sides of a frame drawn around a line.

    Examples
    --------
    >>> digits = [[10 + 25 * k, 100, 18, 30] for k in range(4)]
    >>> sides = [[0, 88, 3, 54], [112, 88, 3, 54]]
    >>> boxes = np.array(digits + sides, float)
    >>> sorted(border_strokes(boxes, [[4, 0, 1, 2, 3, 5]]))
    [4, 5]
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    found = set()
    for line in lines:
        if len(line) < 4:  # the sides are judged against at least three digits
            continue
        x, y, w, hh = (boxes[line, k] for k in range(4))
        # The line's own median: two sides among many digits hardly move it.
        height, top, bottom = np.median(hh), np.median(y), np.median(y + hh)
        side = ((w < 0.4 * hh) & (hh > BORDER_HEIGHT * height)
                & (y < top - OVERHANG * height) & (y + hh > bottom + OVERHANG * height))
        found.update(int(i) for i in np.asarray(line)[side])
    return found
