"""The benchmarks' scorers: synthetic sheets by boxes, real photos by lines."""

import json

import cv2
import numpy as np
import pytest
from conftest import ROOT

from digit_sheet_reader.errors import DataError
from digit_sheet_reader.synth.scoring import Tally, compare_runs, iou, match_boxes, real_page_errors


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


def line(text, x, y, w=20, h=10):
    return {"text": text, "box": [x, y, w, h]}


def test_real_scoring_matches_lines_in_any_order_and_joins_a_row():
    page = [line("45", 0, 40), line("12", 0, 0), line("3", 30, 1)]
    assert real_page_errors(["123", "45"], page) == (0, 5, 2)  # "12" and "3" share a row
    assert real_page_errors(["123", "46"], page) == (1, 5, 1)
    assert real_page_errors(["123"], []) == (3, 3, 0)  # nothing read
    assert real_page_errors([], [line("7", 0, 0)]) == (1, 0, 0)  # a digit where there is none


def test_real_scoring_counts_only_digits():
    assert real_page_errors(["3112"], [line("31/12", 0, 0)]) == (0, 4, 1)


def test_compare_runs_takes_the_exact_flag_where_given():
    before = {"photos/a.jpg": {"truth": "12\n3", "read": "3\n12", "exact": True}}
    after = {"photos/a.jpg": {"truth": "12\n3", "read": "3\n17", "exact": False}}
    assert compare_runs(before, after) == {"photos": ([], ["photos/a.jpg"])}


def test_score_real_reads_a_truth_file_and_writes_the_texts(tmp_path, capsys):
    from benchmarks import score_real

    golden = ROOT / "tests" / "golden"
    truth = [[item["text"] for item in json.loads((golden / name).read_text())["lines"]]
             for name in ("clean_lines.truth.json", "two_columns.truth.json")]
    wrong = [truth[1][0][:-1] + str((int(truth[1][0][-1]) + 1) % 10)] + truth[1][1:]  # a negative control
    (tmp_path / "truth.json").write_text(json.dumps([
        {"image": str(golden / "clean_lines.png"), "lines": truth[0]},
        {"image": str(golden / "two_columns.jpg"), "lines": wrong}]))
    assert score_real.main([str(tmp_path / "truth.json"), "--texts", str(tmp_path / "texts.json")]) == 0
    assert "1/2 images read exactly" in capsys.readouterr().out
    texts = json.loads((tmp_path / "texts.json").read_text())
    assert [t["exact"] for t in texts.values()] == [True, False] and list(texts.values())[1]["errors"] == 1
    assert score_real.main([str(tmp_path / "truth.json"), "--only", "two_columns"]) == 0
    assert "0/1 images read exactly" in capsys.readouterr().out  # the wrong one alone
    with pytest.raises(DataError, match="no image path contains"):
        score_real.main([str(tmp_path / "truth.json"), "--only", "nowhere"])


def test_perturb_real_rereads_the_images_read_exactly_changed(tmp_path, capsys):
    from benchmarks import perturb_real

    golden = ROOT / "tests" / "golden"
    truth = [item["text"] for item in json.loads((golden / "clean_lines.truth.json").read_text())["lines"]]
    (tmp_path / "truth.json").write_text(json.dumps([
        {"image": str(golden / "clean_lines.png"), "lines": truth},
        {"image": str(golden / "clean_lines.png"), "lines": ["0"]}]))  # not read exactly as it is: left out
    argv = [str(tmp_path / "truth.json"), "--changes", "tilt8", "desk15", "--json", str(tmp_path / "out.json"),
            "--strips", "0.2", "--cells"]
    assert perturb_real.main(argv) == 0
    out = capsys.readouterr().out
    assert "1 images read exactly as they are" in out and "tilt8    1/1 still read exactly" in out
    assert f"strips cut 0.2 line heights around: {len(truth)}/{len(truth)} read as the line" in out
    assert f"strips cut 0.2 line heights around, in a cell's borders: {len(truth)}/" in out
    assert "in a cell's borders beside a scan's margin" in out
    strip = perturb_real.strip_of(np.zeros((100, 200, 3), np.uint8), (50, 40, 60, 20), 0.5)
    assert strip.shape == (40, 80, 3)  # 10 px (half the line's height) around it
    readings = json.loads((tmp_path / "out.json").read_text())
    assert next(iter(readings.values()))["tilt8"].splitlines() == truth
    strips = {key: value for key, value in next(iter(readings.values())).items() if key.startswith("strip")}
    assert len(strips) == len(truth) and strips["strip 0.2 line 1"] == {"truth": truth[0], "read": truth[0]}
    assert {"cell 0.2 line 1", "margin 0.2 line 1"} <= next(iter(readings.values())).keys()
    cell = perturb_real.beside_scan_margin(perturb_real.in_cell(np.full((60, 120, 3), 200, np.uint8)))
    assert cell.shape == (60, 130, 3) and cell[:, :10].max() == 15 and cell[0, 60].tolist() == [40] * 3
    assert cell[30, 70].tolist() == [200] * 3
    with pytest.raises(SystemExit):  # cells are strips read so: nothing to read without them
        perturb_real.main([str(tmp_path / "truth.json"), "--cells"])
    desk = perturb_real.on_desk(np.full((40, 60, 3), 230, np.uint8), 15, np.random.default_rng(0))
    assert desk.shape == (82, 102, 3) and desk[41, 51].tolist() == [230, 230, 230] and desk[:3, :3].max() < 200
    light = perturb_real.on_desk(np.full((40, 60, 3), 230, np.uint8), 15, np.random.default_rng(0), lit=0.5)
    assert 100 < cv2.cvtColor(light[:8], cv2.COLOR_BGR2GRAY).mean() < 130  # half the paper's 230, give or take the grain
    assert perturb_real.at_megapixels(np.zeros((300, 400, 3), np.uint8), 0.48).shape == (600, 800, 3)
    assert perturb_real.ALL_CHANGES["smallnote16"](np.full((60, 90, 3), 230, np.uint8), np.random.default_rng(0)).size \
        == pytest.approx(3 * 16e6, rel=0.01)
    shaded = perturb_real.ALL_CHANGES["shadow"](np.full((100, 200, 3), 200, np.uint8), np.random.default_rng(0))
    assert shaded[50, 10].tolist() == [110] * 3 and shaded[50, 190].tolist() == [200] * 3  # 0.55 of the paper, left
    page = np.full((100, 2000, 3), 235, np.uint8)
    page[40:60, 999:1001] = 35  # a 2 px stroke
    glared = perturb_real.ALL_CHANGES["glare"](page, np.random.default_rng(0))
    assert glared[50, 1000].tolist() == [134] * 3 and glared[5, 5].tolist() == [244] * 3  # 0.55 of the way to white
    blurred = perturb_real.ALL_CHANGES["blur"](page, np.random.default_rng(0))
    assert 35 < blurred[50, 1000, 0] < 200 and blurred[50, 996, 0] < 235 == blurred[50, 990, 0]  # sigma 2 px


def test_score_crops_counts_each_bundles_misreads_and_names_them(tmp_path, capsys):
    from benchmarks import score_crops
    from digit_sheet_reader.synth.glyphs import printed_digits

    digits = printed_digits(20, np.random.default_rng(0))  # printed digits the shipped CNN reads right
    labels = digits.labels.copy()
    labels[labels == 1] = 7  # a negative control: its 1s labelled 7 must be counted as 7s read as 1
    np.savez(tmp_path / "crops.npz", images=digits.images, labels=labels)
    model = str(ROOT / "output" / "mnist_cnn.model")
    assert score_crops.main([model, model, "--crops", str(tmp_path / "crops.npz")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0] == lines[1]
    assert lines[0].startswith(f"{model}: 2 of 20 crops misread") and lines[0].endswith("7->1: 2")
    (tmp_path / "not.npz").write_text("not an array file")
    with pytest.raises(DataError, match="not a crops file"):
        score_crops.main([model, "--crops", str(tmp_path / "not.npz")])
