"""Non-digits told in context: the sides of a frame, show-through, broken rules, unsure lines, words."""

import cv2
import numpy as np
import pytest

from digit_sheet_reader.pipeline.reject import (REJECT, beyond_borders, border_strokes, rule_pieces, stray_lines,
                                                unsure_lines, word_lines)

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


def test_a_one_between_the_dashes_of_a_broken_rule_is_a_dash_too():
    # A register crop's column rule, broken into dashes down its right edge:
    # segmentation rejected the dashes on the edge, two more read as 1s.
    rejected = [((116, 4, 4, 7), "edge"), ((116, 26, 4, 10), "edge"), ((115, 200, 3, 4), "edge")]
    boxes = np.array([[116, 38, 4, 12], [64, 91, 11, 13], [115, 177, 3, 21]], float)
    assert rule_pieces(boxes, ["1", "0", "1"], rejected, 13.0) == [0, 2]


@pytest.mark.parametrize("box, why", [
    ([100, 38, 4, 12], "beside the rule's column"),
    ([116, 60, 4, 12], "two digit heights below its nearest dash"),
])
def test_a_written_one_beside_a_rule_or_far_from_its_dashes_is_kept(box, why):
    rejected = [((116, 4, 4, 7), "edge"), ((116, 26, 4, 10), "edge"), ((20, 30, 40, 3), "line")]
    assert rule_pieces(np.array([box], float), ["1"], rejected, 13.0) == [], why


def test_a_line_of_marks_none_shaped_like_one_digit_is_a_word_beside_a_number():
    # A register crop: the number, and the printed footer below it read mark by mark.
    lines = [[0, 1], [2, 3, 4, 5]]
    doubts = np.array([0.02, 0.3, 0.99, 0.97, 0.2, 1.0])  # one letter looks like a digit: still a word
    confidences = np.array([1.0, 0.99, 0.99, 0.7, 0.95, 0.8])
    assert word_lines(lines, doubts, confidences) == [1]
    doubts[[3, 5]] = 0.3  # half its marks shaped like digits: a number, written oddly
    assert word_lines(lines, doubts, confidences) == []


def test_touching_digits_cut_apart_and_read_surely_are_no_word():
    # The pieces cut from touching digits are no digit's shape on their own,
    # but the sequence reader reads every one of them surely.
    lines = [[0, 1], [2, 3, 4, 5]]
    doubts = np.array([0.02, 0.3, 0.99, 0.97, 0.2, 1.0])
    assert word_lines(lines, doubts, np.ones(6)) == []


def test_a_lone_mark_the_checker_finds_no_digit_in_is_a_stray_mark():
    # A register row: the number, and the cross written under it read as a sure 7.
    lines = [[0, 1], [2]]
    assert stray_lines(lines, np.array([0.02, 0.3, 0.99])) == [1]
    assert stray_lines(lines, np.array([0.02, 0.3, 0.8])) == []  # a digit the checker merely doubts stays
    assert stray_lines([[0, 1, 2]], np.array([0.99, 0.99, 0.99])) == []  # three marks: a word's to judge
    assert stray_lines([[0], [1]], np.array([0.99, 0.99])) == []  # nothing else on the page


def test_a_short_line_and_a_page_of_nothing_but_words_are_kept():
    unsure = np.full(3, 0.6)
    assert word_lines([[0], [1, 2]], np.array([0.1, 1.0, 1.0]), unsure) == []  # two marks: touching digits, maybe
    assert word_lines([[0, 1, 2]], np.ones(3), unsure) == []  # nothing else on the page: the best guess there is


def _strokes(leans):
    """28x28 crops of straight strokes leaning ``leans`` degrees from upright."""
    crops = np.zeros((len(leans), 28, 28), np.uint8)
    for crop, degrees in zip(crops, leans):
        run = int(round(8 * np.tan(np.radians(degrees))))
        cv2.line(crop, (14 - run, 22), (14 + run, 6), 255, 2)
    return crops


def test_one_leaning_one_in_a_number_is_no_slash():
    # "4135 11" in date-like groups (4/35) but with one steep stroke: a
    # quickly written 1, not a date's slash; two in date places are.
    from digit_sheet_reader.pipeline.reject import date_slashes

    leans = [0, 40, 0, 0, 0, 0, 0]
    names = ["4", "1", "3", "5", "1", "1", "7"]
    boxes = np.array([[30 * k, 0, 20, 60 if k in (1, 4) else 48] for k in range(7)], float)
    assert date_slashes([list(range(7))], names, _strokes(leans), boxes) == []
    leans[4] = 40  # 4/35/17: a day, a month and a year of two
    assert date_slashes([list(range(7))], names, _strokes(leans), boxes) == [1, 4]


def test_a_date_whose_slashes_lean_unequally_is_told_by_their_mean_lean():
    # "3/13/1045" in writing slanting some 14 degrees: one slash leans 21,
    # the other 32; the first alone leans less than REJECT.slash_over
    # further than the digits slant, the pair on average more.
    from digit_sheet_reader.pipeline.reject import date_slashes, lean, slant

    names = ["3", "1", "1", "3", "1", "1", "0", "4", "5"]
    boxes = np.array([[30 * k, 0, 20, 60 if k in (1, 4) else 48] for k in range(9)], float)
    leans = [12, 20, 12, 12, 32, 12, 12, 12, 12]
    writing = slant(_strokes([12])[0])
    first, second = (lean(crop) for crop in _strokes([20, 32]))
    assert first - writing < REJECT.slash_over <= np.mean([first, second]) - writing
    assert date_slashes([list(range(9))], names, _strokes(leans), boxes) == [1, 4]
    leans[1] = leans[4] = 20  # control: both lean less than that further than the digits
    assert date_slashes([list(range(9))], names, _strokes(leans), boxes) == []


def test_of_two_pairs_that_could_cut_a_date_the_one_that_stands_out_is_taken():
    # "81/7/6718" written "8 1 / 7 / 6 7 1 8": the 1 of "81" leans as the
    # slashes do, so marks 1-4 and 2-4 both cut the line into a date; only
    # the slashes reach past the digits.
    from digit_sheet_reader.pipeline.reject import date_slashes

    names = ["8", "1", "1", "7", "1", "6", "7", "1", "8"]
    leans = [0, 30, 30, 0, 30, 0, 0, 0, 0]
    tall = (2, 4)
    boxes = np.array([[30 * k, 0, 20, 60 if k in tall else 48] for k in range(9)], float)
    assert date_slashes([list(range(9))], names, _strokes(leans), boxes) == [2, 4]
    boxes[1, 3] = 60  # control: the 1 as tall as the slashes, and either pair could be the date's
    assert date_slashes([list(range(9))], names, _strokes(leans), boxes) == []


def test_a_stretch_of_a_faint_column_rule_is_no_one_a_written_one_is():
    # A register's printed column rule, faint in the scan, with a stretch
    # dark enough to be ink and read as 1; a written 1 beside it, and one
    # standing on a level rule that crosses its foot.
    from digit_sheet_reader.pipeline.regions import Region
    from digit_sheet_reader.pipeline.reject import rule_strokes

    darkness = np.zeros((200, 120), np.uint8)
    darkness[:, 100:102] = 80  # the column rule, top to bottom
    darkness[60:90, 100:102] = 200  # its dark stretch
    darkness[60:90, 30:33] = 200  # a written 1
    darkness[140, :] = 80  # a level rule ...
    darkness[110:140, 60:63] = 200  # ... under another written 1
    labels = np.zeros(darkness.shape, np.int32)
    boxes = [(100, 60, 2, 30), (30, 60, 3, 30), (60, 110, 3, 30)]
    for k, (x, y, w, h) in enumerate(boxes, start=1):
        labels[y:y + h, x:x + w] = k
    regions = [Region(box, [k]) for k, box in enumerate(boxes, start=1)]
    assert rule_strokes(darkness, labels, regions, ["1", "1", "1"], 30.0) == [0]
    darkness[:, 100:102] = 0  # control: the stretch alone, no rule going on past it, is a 1
    darkness[60:90, 100:102] = 200
    assert rule_strokes(darkness, labels, regions, ["1", "1", "1"], 30.0) == []


def test_the_band_a_scan_s_margin_leaves_beside_a_cell_is_beyond_its_borders():
    # A scan's black margin narrower than the light's kernel leaves a band
    # of "ink" along its inner edge, against the cell's left border: the
    # outermost ink, a border of the view's, beyond which nothing of the
    # cell is written. The band, read as a 1, goes; the digits stay.
    from digit_sheet_reader.pipeline.ink import inside_borders

    ink = np.zeros((55, 180), np.uint8)
    ink[4:51, 7:18] = 1                                   # the band and the cell's left border
    ink[7:49, 25:28] = ink[7:49, 60:63] = 1               # two digits' strokes
    boxes = np.array([[7, 4, 11, 47], [25, 7, 3, 42], [60, 7, 3, 42]], float)
    assert beyond_borders(boxes, inside_borders(ink, ink)) == [0]
