"""Ruled tables: found in drawn pages (straight, in perspective, turned,
with a printed header), read cell by cell, empty cells left empty; grids
that are no tables (squared paper, ruled lines, a frame) left alone."""

import csv
import subprocess
import sys

import cv2
import numpy as np
import pytest

from digit_sheet_reader.pipeline.reader import SheetReader
from digit_sheet_reader.pipeline.regions import find_regions
from digit_sheet_reader.pipeline.tables import find_tables
from digit_sheet_reader.synth.tables import compose_table


@pytest.fixture(scope="module")
def reader(shipped_cnn):
    return SheetReader(shipped_cnn)


def scored(truth, table):
    """Cells (row, col, truth, read) that differ; header words (truth None) not scored."""
    assert (table.rows, table.cols) == (len(truth), len(truth[0]))
    grid = table.grid()
    return [(r, c, t, grid[r][c]) for r, row in enumerate(truth) for c, t in enumerate(row)
            if t is not None and grid[r][c] != t]


def test_a_drawn_grid_is_found_with_its_rules():
    page = np.full((400, 500), 255, np.uint8)
    for k in range(5):
        cv2.line(page, (50, 50 + 75 * k), (450, 50 + 75 * k), 0, 2)
    for k in range(4):
        cv2.line(page, (50 + 133 * k, 50), (50 + 133 * k, 350), 0, 2)
    (table,) = find_tables(page)
    assert (table.rows, table.cols) == (4, 3)
    np.testing.assert_allclose(table.corners, [[50, 50], [449, 50], [449, 350], [50, 350]], atol=3)


@pytest.mark.parametrize("style", [{}, {"perspective": 0.08}, {"header": ["Name", "Maths", "Art", "Sum"]},
                                   {"rows": 9, "cols": 9, "cell": (60, 60), "digits": (1, 1), "thick_every": 3}],
                         ids=["straight", "perspective", "header", "sudoku"])
def test_cells_are_read_where_they_are(reader, style):
    image, truth = compose_table(np.random.default_rng(1), **style)
    page = reader.read(image)
    (table,) = page.tables
    assert scored(truth, table) == []
    assert page.lines == []  # the table's digits are not read again as lines


def test_empty_cells_are_empty_not_a_guess(reader):
    image, truth = compose_table(np.random.default_rng(2), fill=0.3)
    (table,) = reader.read(image).tables
    empty = [(r, c) for r, row in enumerate(truth) for c, t in enumerate(row) if t == ""]
    assert len(empty) >= 5
    assert all(table.cell(r, c).text == "" and table.cell(r, c).confidence is None for r, c in empty)


def test_a_table_turned_upside_down_is_counted_from_its_own_top_left(reader):
    image, truth = compose_table(np.random.default_rng(1), turn=180)
    (table,) = reader.read(image).tables
    assert table.turn == 180
    assert scored(truth, table) == []


def test_cells_are_quadrilaterals_in_the_original_pixels(reader):
    image, truth = compose_table(np.random.default_rng(1), cell=(70, 110))
    big = cv2.resize(image, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)  # read at a reduced size
    (table,) = SheetReader(max_side=800).read(big).tables
    x, y, w, h = table.cell(0, 0).box
    assert abs(x - 3 * 60) <= 12 and abs(y - 3 * 60) <= 12 and abs(w - 3 * 110) <= 15 and abs(h - 3 * 70) <= 15


@pytest.mark.parametrize("page", ["notebook", "squared", "frame"])
def test_grids_that_are_no_tables_are_read_as_lines(reader, page):
    image, truth = compose_table(np.random.default_rng(3), rows=1, cols=1, cell=(80, 300), fill=0)
    sheet = np.full((480, 640), 240, np.uint8)
    if page == "notebook":  # horizontal rules only
        for y in range(40, 480, 40):
            cv2.line(sheet, (0, y), (639, y), 120, 1)
    elif page == "squared":  # digits written across the squares
        for k in range(0, 640, 20):
            cv2.line(sheet, (k, 0), (k, 479), 150, 1)
            cv2.line(sheet, (0, k), (639, k), 150, 1)
    else:  # one box drawn round the writing
        cv2.rectangle(sheet, (100, 150), (540, 330), 30, 3)
    for k, digit in enumerate("4711"):
        cv2.putText(sheet, digit, (160 + 90 * k, 280), cv2.FONT_HERSHEY_SIMPLEX, 3, 20, 8, cv2.LINE_AA)
    page_read = reader.read(sheet)
    assert page_read.tables == []
    assert "4711" in page_read.text.replace("\n", "")


def test_layout_lines_reads_no_tables(shipped_cnn):
    image, _ = compose_table(np.random.default_rng(1))
    assert SheetReader(shipped_cnn, layout="lines").read(image).tables == []


def test_a_blob_that_is_all_rule_leaves_no_empty_region():
    # A wide blob that is only a rule: taking the rule out leaves nothing,
    # and used to leave a region with no pixels (the reader then crashed).
    mask = np.zeros((200, 400), np.uint8)
    mask[100:102, 20:380] = 1
    mask[40:80, 60:66] = 1  # a digit-like stroke elsewhere sets the scale
    segmentation = find_regions(mask, 40)
    assert all(region.pixels(segmentation.labels).any() for region in segmentation.regions)


def test_csv_from_the_cli_reads_back_as_the_grid(tmp_path):
    image, truth = compose_table(np.random.default_rng(1))
    cv2.imwrite(str(tmp_path / "marks.png"), image)
    out = tmp_path / "marks.csv"
    run = subprocess.run([sys.executable, "-m", "digit_sheet_reader", "-i", str(tmp_path / "marks.png"),
                          "--csv", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with open(out, newline="") as handle:
        assert list(csv.reader(handle)) == truth
    assert sorted(p.name for p in tmp_path.iterdir()) == ["marks.csv", "marks.png"]  # no temporary left
    assert run.stdout.splitlines()[0].split("\t") == [t or "." for t in truth[0]]


def test_layout_table_without_a_table_is_one_line_and_exit_11(tmp_path):
    sheet = np.full((200, 300), 240, np.uint8)
    cv2.putText(sheet, "42", (60, 140), cv2.FONT_HERSHEY_SIMPLEX, 3, 20, 8)
    cv2.imwrite(str(tmp_path / "free.png"), sheet)
    run = subprocess.run([sys.executable, "-m", "digit_sheet_reader", "-i", str(tmp_path / "free.png"),
                          "--layout", "table"], capture_output=True, text=True)
    assert run.returncode == 11
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("error:") and "no ruled table" in run.stderr
