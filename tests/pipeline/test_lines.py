"""Reading order: lines, skew, uneven baselines, columns."""

import numpy as np

from digit_sheet_reader.pipeline.lines import block_by_block, group_lines, group_starts, rows_as_lines


def row(y, xs, h=30, w=20, slope=0.0):
    return [[x, y + slope * x, w, h] for x in xs]


def texts(boxes, order):
    return [[tuple(boxes[i][:2]) for i in line] for line in order]


def test_lines_top_to_bottom_digits_left_to_right():
    boxes = row(100, [10, 40, 70]) + row(20, [70, 10, 40])
    order = group_lines(boxes, 30)
    assert [[boxes[i][0] for i in line] for line in order] == [[10, 40, 70], [10, 40, 70]]
    assert all(boxes[line[0]][1] == y for line, y in zip(order, (20, 100)))


def test_skew_of_a_few_degrees_keeps_long_lines_together():
    xs = list(range(0, 1300, 32))  # 41 digits, drifting 1.5 digit heights over the line
    boxes = row(100, xs, slope=0.035) + row(160, xs, slope=0.035)
    order = group_lines(boxes, 30)
    assert [len(line) for line in order] == [41, 41]


def test_uneven_baselines():
    rng = np.random.default_rng(0)
    boxes = [[x, 100 + rng.normal(0, 4), 20, 30 + rng.normal(0, 3)] for x in range(0, 300, 28)]
    assert len(group_lines(boxes, 30)) == 1


def test_two_columns_are_read_block_by_block():
    boxes = row(20, [10, 35, 60, 85]) + row(20, [300, 325, 350]) + row(80, [10, 35, 60]) + row(80, [300, 325])
    order = group_lines(boxes, 30)
    assert [[boxes[i][0] for i in line] for line in order] == [[10, 35, 60, 85], [300, 325, 350], [10, 35, 60],
                                                               [300, 325]]
    # A gutter down three rows: the left column top to bottom, then the right.
    third = row(140, [10, 35]) + row(140, [300, 325, 350])
    columns = rows_as_lines(group_lines(boxes + third, 30), boxes + third)
    assert [len(line) for line in columns] == [4, 3, 2, 3, 2, 3]
    assert [min((boxes + third)[i][0] for i in line) for line in columns] == [10, 10, 10, 300, 300, 300]


def test_a_column_missing_a_row_and_a_heading_across_the_gutter_keep_their_blocks():
    # The right column has no second row; a heading runs across the gutter
    # (x 10-330, over the right column's start at 300), its middle nearer
    # the left column's: it is read with the left block.
    boxes = (row(20, list(range(10, 311, 25))) + row(80, [10, 35]) + row(80, [300, 325])
             + row(140, [10, 35, 60]) + row(200, [10, 35]) + row(200, [300, 325, 350]) + row(260, [10])
             + row(260, [300]))
    columns = block_by_block(group_lines(boxes, 30), np.array(boxes, np.float64))
    assert [min(boxes[i][1] for i in line) for line in columns] == [20, 80, 140, 200, 260, 80, 200, 260]


def test_a_wide_gap_in_fewer_rows_than_a_gutter_runs_down_parts_groups_not_lines():
    # img.jpg: two rows "12345   67891" and "23456   19773", each one line
    # of two groups. Read as four lines, a tilted photo's pieces of a row
    # no longer share a row in the photo, and the rows fall apart.
    boxes = row(20, [10, 35, 60, 85, 110]) + row(20, [220, 245, 270, 295, 320]) \
        + row(80, [10, 35, 60, 85, 110]) + row(80, [220, 245, 270, 295, 320])
    order = rows_as_lines(group_lines(boxes, 30), boxes)
    assert [[boxes[i][0] for i in line] for line in order] == [[10, 35, 60, 85, 110, 220, 245, 270, 295, 320]] * 2
    assert group_starts([boxes[i] for i in order[0]], 30) == {5: " "}
    # However far apart, as an amount and its closing "/=" may set them.
    far = row(20, [10, 35, 60]) + row(20, [400, 425])
    assert [len(line) for line in rows_as_lines(group_lines(far, 30), far)] == [5]


def test_a_row_of_widely_spaced_digits_is_one_line_beside_dense_ones():
    # 1-100.jpg: a first row "0 1 2 ... 13" of single digits far apart,
    # over rows of close two-digit numbers. Every gap in it is wider than
    # a column gap on this page, but none stands out from the row's own
    # spacing: a gutter does (the control: the same row with one gap four
    # times as wide).
    wide = row(20, [0, 70, 140, 210, 280, 350])
    dense = row(80, [0, 25, 50, 75, 100, 125, 150])
    order = group_lines(wide + dense, 30)
    assert [len(line) for line in order] == [6, 7]
    gutter = row(20, [0, 70, 140, 410, 480, 550])
    assert [len(line) for line in group_lines(gutter + dense, 30)] == [3, 3, 7]


def test_close_lines_do_not_zip_together():
    boxes = row(0, [0, 25, 50, 75]) + row(34, [12, 37, 62, 87])  # lines only 34 px apart, offset
    order = group_lines(boxes, 30)
    assert sorted(len(line) for line in order) == [4, 4]


def test_a_short_digit_sitting_low_does_not_break_its_line():
    # Boxes from a development sheet (touching/0027): the 8 at x=208 chose
    # the level 8 at x=271 over the short 5 between them, whose centre sits
    # lower, and the line broke in two where there is no gap.
    boxes = [[37, 23, 32, 35], [75, 16, 35, 42], [121, 21, 33, 38], [153, 21, 41, 36], [208, 18, 33, 42],
             [250, 37, 22, 32], [271, 22, 26, 38], [293, 28, 43, 38], [349, 34, 29, 35]]
    assert group_lines(boxes, 36) == [list(range(9))]


def test_empty():
    assert group_lines([], 30) == []


def test_a_phone_number_breaks_into_its_groups_and_stays_one_line():
    # 020 7946 0958: gaps of a third of a digit inside groups, a digit apart between them.
    xs, x = [], 0
    for size in (3, 4, 4):
        for _ in range(size):
            xs.append(x)
            x += 26
        x += 30
    boxes = np.array(row(50, xs))
    [line] = group_lines(boxes, 30)
    assert group_starts(boxes[line], 30) == {3: " ", 7: " "}


def test_evenly_spaced_digits_and_a_wide_usual_gap_are_one_group():
    assert group_starts(np.array(row(0, range(0, 300, 30))), 30) == {}
    assert group_starts(np.array(row(0, [0, 60, 120])), 30) == {}  # every gap wide: nothing stands out
    assert group_starts(np.array(row(0, [0, 60])), 30) == {}  # one gap: nothing to compare it with


def test_a_date_breaks_at_its_separator_marks():
    boxes = np.array(row(0, [0, 24, 60, 84, 120, 144]))  # 31 12 99, the marks between
    marks = [((47, 26, 5, 9), "dot"), ((107, 12, 10, 4), "dash"), ((200, 12, 10, 4), "dash")]  # a comma, a dash, one after the line
    assert group_starts(boxes, 30, [((48, 8, 4, 4), "dot")]) == {}  # a lone speck high in the line
    assert group_starts(boxes, 30, marks) == {2: ",", 4: "-"}
    colon = [((49, 8, 4, 4), "dot"), ((49, 20, 4, 4), "dot")]
    assert group_starts(boxes, 30, colon) == {2: ":"}
    far_below = [((48, 50, 4, 4), "dot")]  # a speck under the line, not in it
    assert group_starts(boxes, 30, far_below) == {}
