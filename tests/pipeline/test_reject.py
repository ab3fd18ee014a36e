"""Non-digits told in context: the sides of a frame, show-through."""

import numpy as np
import pytest

from digit_sheet_reader.pipeline.reject import border_strokes

DIGITS = [[40 + 40 * k, 100, 26, 48] for k in range(5)]  # a line of five digits 48 px high


@pytest.mark.parametrize("width, is_side", [(4, True), (30, True), (40, False)])
def test_a_frame_side_with_corner_stubs_is_a_border_but_a_wide_mark_is_not(width, is_side):
    # A side reaching 12 px past the digits above and below: 72 px high. Where
    # the frame's top and bottom were removed, stubs of its corners stay on it.
    boxes = np.array([[10, 88, width, 72]] + DIGITS, float)
    found = border_strokes(boxes, [list(range(len(boxes)))])
    assert (0 in found) == is_side
    assert not found - {0}  # the digits stay


def test_a_tall_one_that_does_not_reach_below_the_line_is_not_a_border():
    boxes = np.array([[10, 60, 8, 88]] + DIGITS, float)  # taller, but ends with the digits' feet
    assert border_strokes(boxes, [list(range(len(boxes)))]) == set()
