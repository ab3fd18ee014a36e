"""Non-digits told in context: the sides of a frame, show-through, unsure lines."""

import numpy as np
import pytest

from digit_sheet_reader.pipeline.reject import REJECT, border_strokes, paper_edges, unsure_lines

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


@pytest.mark.parametrize("reads_as, is_side", [("1", True), ("9", False), ("7", False)])
def test_a_lone_tall_stroke_is_a_side_only_if_it_reads_as_a_one(reads_as, is_side):
    # A 9 whose tail reaches far below the line is as thin and tall as a
    # frame's side, on the real photos where people write so.
    boxes = np.array(DIGITS + [[240, 88, 8, 72]], float)
    names = ["3", "4", "5", "6", "8", reads_as]
    assert (5 in border_strokes(boxes, [list(range(len(boxes)))], names)) == is_side


def test_both_sides_of_a_frame_go_whatever_they_read_as():
    boxes = np.array([[10, 88, 4, 72]] + DIGITS + [[240, 88, 4, 72]], float)
    names = ["7", "3", "4", "5", "6", "8", "4"]
    assert border_strokes(boxes, [list(range(len(boxes)))], names) == {0, 6}


def test_an_underline_swash_read_as_a_digit_is_dropped_digits_are_kept():
    from digit_sheet_reader.pipeline.reject import flat_marks

    digits = [[10 + 25 * k, 100, 18, 30] for k in range(3)] + [[90, 100, 62, 30]]  # a 2 with a long tail among them
    swash = [[5, 134, 80, 12]]
    assert flat_marks(np.array(digits + swash, float)) == [4]


def test_tall_digits_amid_the_line_are_no_frame_sides_whatever_they_read_as():
    # 7 8 9 10 11 written naturally: the 9's tail and the 1s reach far past
    # the other digits, but a frame's sides are the line's ends.
    boxes = np.array(DIGITS[:3] + [[160, 88, 20, 72], [200, 88, 8, 72]] + DIGITS[3:], float)
    boxes[5:, 0] += 100
    names = ["7", "8", "9", "9", "1", "0", "1"]
    assert border_strokes(boxes, [list(range(len(boxes)))], names) == set()


def test_a_line_read_unsurely_beside_a_sure_one_is_dropped():
    # A register row: the number read surely, a printed word below it read
    # as digits, none of them sure.
    lines = [[0, 1], [2, 3, 4, 5]]
    confidences = np.array([0.999, 0.97, 0.6, 0.8, 0.5, 0.7])
    assert unsure_lines(lines, confidences) == [1]
    confidences[4] = REJECT.sure_line  # one sure digit is enough to keep a line
    assert unsure_lines(lines, confidences) == []


def test_a_page_with_no_sure_line_keeps_its_guesses():
    assert unsure_lines([[0, 1], [2]], np.array([0.6, 0.7, 0.8])) == []
    assert unsure_lines([], np.array([])) == []


def test_only_a_one_lying_along_the_desk_is_the_paper_edge():
    from digit_sheet_reader.pipeline.regions import Region

    paper = np.ones((80, 80), np.uint8)
    paper[:, :10] = 0  # a black scan margin
    labels = np.zeros((80, 80), np.int32)
    labels[10:40, 12:15] = 1  # along the margin
    labels[10:40, 30:33] = 2  # a stroke's width and more clear of it
    regions = [Region((12, 10, 3, 30), [1]), Region((30, 10, 3, 30), [2])]
    assert REJECT.paper_edge * 30 < 30 - 10
    assert paper_edges(labels, regions, ["1", "1"], paper, 30.0) == [0]
    assert paper_edges(labels, regions, ["7", "1"], paper, 30.0) == []  # a 7 there is written
    assert paper_edges(labels, regions, ["1", "1"], None, 30.0) == []  # a page found: all paper
