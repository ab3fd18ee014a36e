"""Golden-image regression tests: the reader on committed sheets.

Inputs are drawn by the project's own code (see tests/golden/README.md).
For each, the expected JSON and annotated PNG are committed; the test reads
the sheet with the shipped CNN and compares the text exactly, the boxes
within 3 px, and the annotated image within a tolerance on the fraction of
differing pixels. A negative control shows the comparison catches a wrong
label and a moved box.

Regenerate the expected files on purpose with:
    pytest tests/test_golden.py --update-golden
"""

import copy
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from digit_sheet_reader.io.draw import annotate, fraction_differing
from digit_sheet_reader.pipeline.reader import SheetReader

GOLDEN = Path(__file__).resolve().parent / "golden"
INPUTS = sorted(p for p in GOLDEN.iterdir() if p.suffix in (".png", ".jpg") and ".expected" not in p.name)
# At most this fraction of pixels may differ. Re-reading on one machine is
# pixel-identical; the allowance is for drawing or float noise elsewhere.
# One wrong label changes at least 1e-4 of the pixels (measured on these
# sheets), a box moved by 4 px at least 1e-3.
TOLERANCE = 2e-5


@pytest.fixture(scope="module")
def reader(shipped_cnn):
    return SheetReader(shipped_cnn)


def digits(line):
    return "".join(d["label"] for d in line["digits"])


def expected_paths(image_path):
    return image_path.with_suffix(".expected.json"), image_path.with_suffix(".expected.png")


def stable(page_dict):
    """The result without what varies run to run (timings) or by checkout (paths)."""
    out = {k: v for k, v in page_dict.items() if k not in ("timing_ms", "image", "model", "models")}
    return out


@pytest.mark.parametrize("image_path", INPUTS, ids=[p.name for p in INPUTS])
def test_golden_sheet(reader, image_path, update_golden):
    page = reader.read(image_path)
    annotated = annotate(page.work_image, page, page.work_scale)
    json_path, png_path = expected_paths(image_path)
    if update_golden:
        json_path.write_text(json.dumps(stable(page.to_dict()), indent=1) + "\n")
        cv2.imwrite(str(png_path), annotated)
    expected = json.loads(json_path.read_text())
    truth = json.loads(image_path.with_suffix(".truth.json").read_text())
    got = stable(page.to_dict())
    # The golden itself must be right, not just stable (the truth has no groups: a line's digits are compared).
    assert [digits(line) for line in expected["lines"]] == [line["text"] for line in truth["lines"]]
    assert [line["text"] for line in got["lines"]] == [line["text"] for line in expected["lines"]]
    assert [[(g["text"], g["separator"]) for g in line["groups"]] for line in got["lines"]] == \
        [[(g["text"], g["separator"]) for g in line["groups"]] for line in expected["lines"]]
    want_tables = [[cell["text"] for cell in table["cells"]] for table in expected.get("tables", [])]
    true_tables = [[text for row in table for text in row] for table in truth.get("tables", [])]
    assert len(want_tables) == len(true_tables)
    for want, true in zip(want_tables, true_tables):
        assert [w for w, t in zip(want, true) if t is not None] == [t for t in true if t is not None]
    assert [[cell["text"] for cell in table["cells"]] for table in got["tables"]] == want_tables
    got_boxes = [d["box"] for line in got["lines"] for d in line["digits"]]
    want_boxes = [d["box"] for line in expected["lines"] for d in line["digits"]]
    if want_boxes:
        np.testing.assert_allclose(got_boxes, want_boxes, atol=3)
    assert fraction_differing(annotated, cv2.imread(str(png_path))) <= TOLERANCE


WITH_DIGITS = [p for p in INPUTS if json.loads(p.with_suffix(".truth.json").read_text())["lines"]]


@pytest.fixture(scope="module")
def pages(reader):
    return {p: reader.read(p) for p in WITH_DIGITS}


@pytest.mark.parametrize("image_path", WITH_DIGITS, ids=[p.name for p in WITH_DIGITS])
def test_negative_control_wrong_label_is_caught(pages, image_path):
    page, expected = pages[image_path], cv2.imread(str(expected_paths(image_path)[1]))
    wrong = copy.deepcopy(page)
    digit = wrong.lines[0].digits[0]
    digit.label = "1" if digit.label != "1" else "7"
    assert fraction_differing(annotate(page.work_image, wrong, page.work_scale), expected) > TOLERANCE


@pytest.mark.parametrize("image_path", WITH_DIGITS, ids=[p.name for p in WITH_DIGITS])
def test_negative_control_moved_box_is_caught(pages, image_path):
    page, expected = pages[image_path], cv2.imread(str(expected_paths(image_path)[1]))
    moved = copy.deepcopy(page)
    x, y, w, h = moved.lines[0].digits[0].box
    moved.lines[0].digits[0].box = (x + max(4, round(4 * page.work_scale)), y, w, h)
    assert fraction_differing(annotate(page.work_image, moved, page.work_scale), expected) > TOLERANCE


WITH_TABLES = [p for p in INPUTS if json.loads(p.with_suffix(".truth.json").read_text()).get("tables")]


@pytest.mark.parametrize("image_path", WITH_TABLES, ids=[p.name for p in WITH_TABLES])
def test_negative_control_wrong_cell_is_caught(reader, image_path):
    page, expected = reader.read(image_path), cv2.imread(str(expected_paths(image_path)[1]))
    wrong = copy.deepcopy(page)
    cell = next(c for c in wrong.tables[0].cells if c.text)
    cell.text = cell.read = "1" if cell.text != "1" else "7"
    assert fraction_differing(annotate(page.work_image, wrong, page.work_scale), expected) > TOLERANCE


def test_separators_between_groups_are_read_as_written(pages):
    page = pages[GOLDEN / "punctuation_frames.jpg"]  # its last line: 988,05.9
    assert page.lines[2].text == "988 05 9"
    assert page.render_text(separators=True).splitlines()[2] == "988,05.9"
    assert [line.text for line in page.lines[:2]] == ["6185", "56745"]  # no mark, no clear gap: one group


def test_blank_page_is_empty_not_an_error(reader):
    page = reader.read(GOLDEN / "blank.png")
    assert page.lines == [] and page.text == ""
