"""The development benchmark's scorer."""

import pytest

from digit_sheet_reader.synth.scoring import Tally, iou, match_boxes


def test_iou():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (20, 0, 5, 5)) == 0.0


def test_match_boxes_is_one_to_one_best_first():
    truth = [(0, 0, 10, 10), (12, 0, 10, 10)]
    predicted = [(11, 0, 10, 10), (1, 0, 10, 10), (100, 100, 5, 5)]
    assert sorted(match_boxes(truth, predicted)) == [(0, 1), (1, 0)]


def test_tally_counts_a_misread_and_a_missed_digit():
    truth = {"lines": [{"text": "12", "boxes": [[0, 0, 10, 10], [20, 0, 10, 10]]},
                       {"text": "34", "boxes": [[0, 30, 10, 10], [20, 30, 10, 10]]}]}
    page = {"lines": [{"text": "12", "digits": [{"label": "1", "box": [0, 0, 10, 10]}, {"label": "2", "box": [20, 0, 10, 10]}]},
                      {"text": "8", "digits": [{"label": "8", "box": [0, 30, 10, 10]}]}]}
    tally = Tally()
    tally.add(truth, page, 0.5, "sheet")
    s = tally.summary()
    assert s["recall"] == 0.75 and s["precision"] == 1.0
    assert s["label_accuracy"] == pytest.approx(2 / 3)
    assert s["cer"] == pytest.approx(2 / 5)  # "12\n34" -> "12\n8": one substitution, one deletion
    assert s["line_exact"] == 0.5 and s["sheet_exact"] == 0.0
    assert tally.failures == ["sheet"]
