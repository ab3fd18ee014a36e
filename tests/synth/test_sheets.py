"""The sheet generator behind the development benchmark and golden sheets."""

import cv2
import numpy as np
import pytest

from digit_sheet_reader.synth.hard_cases import add_flag, break_strokes
from digit_sheet_reader.synth.sheets import ALL_TIERS, compose_sheet, hershey_glyph_source

SOURCE = hershey_glyph_source(height=48)


@pytest.mark.parametrize("tier", ALL_TIERS)
def test_deterministic_and_truth_boxes_sit_on_ink(tier):
    a, truth = compose_sheet(SOURCE, np.random.default_rng(3), tier)
    b, _ = compose_sheet(SOURCE, np.random.default_rng(3), tier)
    np.testing.assert_array_equal(a, b)
    assert truth["size"] == [a.shape[1], a.shape[0]]
    grey = a.mean(axis=2)
    for line in truth["lines"]:
        assert len(line["text"]) == len(line["boxes"]) >= 1
        for x, y, w, h in line["boxes"]:
            assert 0 <= x and 0 <= y and x + w <= a.shape[1] and y + h <= a.shape[0]
            inside = grey[y:y + h, x:x + w]
            assert inside.max() - inside.min() > 40  # ink on paper inside every box


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_forcing_a_condition_keeps_the_text_and_every_choice_made_before_it(seed):
    _, free = compose_sheet(SOURCE, np.random.default_rng(seed), "hard")
    _, forced = compose_sheet(SOURCE, np.random.default_rng(seed), "hard", desk=not free["conditions"]["desk"])
    assert forced["conditions"]["desk"] != free["conditions"]["desk"]
    # Conditions are recorded in the order they are chosen; the desk's own
    # draws (its border and texture) may move the choices after it.
    order = list(free["conditions"])
    before = {k: free["conditions"][k] for k in order[:order.index("desk")]}
    assert len(before) >= 8
    assert {k: forced["conditions"][k] for k in before} == before
    assert [line["text"] for line in forced["lines"]] == [line["text"] for line in free["lines"]]


def test_two_columns_are_read_column_by_column():
    _, truth = compose_sheet(SOURCE, np.random.default_rng(8), "photo", lines=3, two_columns=True, tilt=0.0)
    tops = [min(b[1] for b in line["boxes"]) for line in truth["lines"]]
    lefts = [min(b[0] for b in line["boxes"]) for line in truth["lines"]]
    assert len(truth["lines"]) == 6
    assert max(lefts[:3]) < min(lefts[3:])  # the left column first ...
    assert tops[:3] == sorted(tops[:3]) and tops[3:] == sorted(tops[3:])  # ... each top to bottom


def test_two_columns_on_two_rows_are_one_line_a_row():
    # A gutter down two lines is no column layout: the truth joins each
    # row's columns into one line, as the reader reads them.
    image, truth = compose_sheet(SOURCE, np.random.default_rng(8), "photo", lines=2, two_columns=True, tilt=0.0)
    assert len(truth["lines"]) == 2
    lefts = [[b[0] for b in line["boxes"]] for line in truth["lines"]]
    assert all(xs == sorted(xs) for xs in lefts)
    gaps = [b - a for xs in lefts for a, b in zip(xs, xs[1:])]
    assert max(gaps) > 2 * sorted(gaps)[len(gaps) // 2]  # the gutter lies inside each line


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_turned_pages_keep_reading_order_in_their_truth(turn):
    _, upright = compose_sheet(SOURCE, np.random.default_rng(9), "turned", turn=0, tilt=0.0)
    image, turned = compose_sheet(SOURCE, np.random.default_rng(9), "turned", turn=turn, tilt=0.0)
    assert [line["text"] for line in turned["lines"]] == [line["text"] for line in upright["lines"]]
    first = turned["lines"][0]["boxes"]
    if turn == 90:   # the first line now runs bottom to top
        assert first[0][1] > first[-1][1]
    elif turn == 180:
        assert first[0][0] > first[-1][0]
    else:
        assert first[0][1] < first[-1][1]


def test_strips_are_small_grey_scans_of_one_line():
    image, truth = compose_sheet(SOURCE, np.random.default_rng(4), "strips")
    assert image.shape[0] == 45 and image.shape[1] < 400
    assert (image[..., 0] == image[..., 2]).all()  # grey
    assert len(truth["lines"]) == 1 and 2 <= len(truth["lines"][0]["text"]) <= 7


def test_broken_strokes_are_cut_across_not_along():
    """A skipping pen leaves a short gap across a stroke; a cut along it
    would erase the whole bar (a 7 without its bar is a 1, not a broken 7)."""
    bar = np.zeros((60, 70), np.float32)
    bar[26:34, 10:60] = 1.0  # a bar 8 px thick, 50 px long
    for seed in range(20):
        lost = ((bar > 0.5) & (break_strokes(bar, np.random.default_rng(seed)) <= 0.5)).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(lost)
        assert count >= 2  # something was cut
        for x, y, w, h, area in stats[1:]:
            assert w <= 16  # a short gap along the bar (at most 0.1 h wide, slanted, anti-aliased) ...
            assert h == 8 or x in (10, 60 - w)  # ... through its whole thickness, unless it nicked an end


def test_a_flag_falls_from_the_top_of_a_1_to_its_left():
    """The flag of a continental 1 starts at the stem's top and falls to
    the left, steeper than a 7's bar; a 1 leaning left gets none."""
    one = np.zeros((28, 28), np.uint8)
    cv2.line(one, (14, 4), (14, 23), 255, 2, cv2.LINE_AA)
    for seed in range(10):
        flagged = add_flag(one, np.random.default_rng(seed)) > 127
        rows, cols = np.nonzero(flagged)
        top, foot, left = rows.min(), rows.max(), cols.min()
        flag_end = rows[cols <= left + 1]
        assert flag_end.mean() > top + 1.5 and flag_end.max() < top + 0.6 * (foot - top)  # hangs below the top
        assert cols[rows == foot].min() >= left + 3  # the stem's foot lies right of the flag's end
        assert max(rows.max() - rows.min(), cols.max() - cols.min()) <= 20  # in MNIST's box again
    leaning_left = np.zeros((28, 28), np.uint8)
    cv2.line(leaning_left, (11, 4), (17, 23), 255, 2, cv2.LINE_AA)
    assert add_flag(leaning_left, np.random.default_rng(0)) is None


def test_a_dates_line_is_a_day_a_month_and_a_year_parted_by_marks():
    from digit_sheet_reader.pipeline.reject import lean
    from digit_sheet_reader.synth.hard_cases import mark_alpha

    for seed in range(5):
        image, truth = compose_sheet(SOURCE, np.random.default_rng(seed), "dates", tilt=0.0, desk=False)
        for line in truth["lines"]:
            assert 4 <= len(line["text"]) <= 8  # (1 or 2) + (1 or 2) + (2 or 4), the marks not in the truth
            gaps = [b[0] - (a[0] + a[2]) for a, b in zip(line["boxes"], line["boxes"][1:])]
            assert sorted(gaps)[-2] > 0.3 * min(b[3] for b in line["boxes"])  # room for the two marks
    slash, _ = mark_alpha("/", 48, lean=30)
    assert slash.shape[0] > 48 and 25 <= lean((slash * 255).astype(np.uint8)) <= 35


def test_a_sizes_sheet_writes_small_zeros_and_tails_below_the_line():
    small_zeros = tails = 0
    for seed in range(6):
        _, truth = compose_sheet(SOURCE, np.random.default_rng(seed), "sizes", tilt=0.0, desk=False)
        for line in truth["lines"]:
            heights = np.array([b[3] for b in line["boxes"]])
            feet = np.array([b[1] + b[3] for b in line["boxes"]])
            for label, height, foot in zip(line["text"], heights, feet):
                small_zeros += label == "0" and height < 0.8 * np.median(heights)
                tails += label in "479" and foot > np.median(feet) + 0.2 * np.median(heights)
    assert small_zeros >= 3 and tails >= 3


def test_an_amounts_line_is_digits_closed_by_a_slash_and_a_dash_or_equals():
    from digit_sheet_reader.synth.hard_cases import mark_alpha

    for seed in range(5):
        image, truth = compose_sheet(SOURCE, np.random.default_rng(seed), "amounts", tilt=0.0, desk=False)
        for line in truth["lines"]:
            assert 2 <= len(line["text"]) <= 7  # the comma, slash and dash are not in the truth
            last = line["boxes"][-1]
            h = max(b[3] for b in line["boxes"])
            after = image[last[1]:last[1] + last[3], last[0] + last[2] + 2:last[0] + last[2] + 2 + 2 * h]
            assert (after.min(axis=2) < 128).sum() > 0.05 * h * h  # ink after the last digit: the "/-" or "/="
    equals, _ = mark_alpha("=", 40)
    rows = np.nonzero((equals > 0.5).any(axis=1))[0]
    assert np.diff(rows).max() > 5  # two strokes with paper between them
