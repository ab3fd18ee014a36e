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


def test_a_title_box_touching_the_table_does_not_skew_it(reader):
    image, truth = compose_table(np.random.default_rng(4), perspective=0.1)
    width = image.shape[1]
    cv2.rectangle(image, (width - 220, 15), (width - 60, 62), (30, 30, 30), 2)  # touches the top rule
    (table,) = reader.read(image).tables
    assert scored(truth, table) == []


def test_a_table_inside_a_ruled_frame_is_the_table():
    image, truth = compose_table(np.random.default_rng(1))
    h, w = image.shape[:2]
    page = np.full((2 * h, 2 * w, 3), 235, np.uint8)
    page[h // 2:h // 2 + h, w // 2:w // 2 + w] = image
    cv2.rectangle(page, (10, 10), (2 * w - 10, 2 * h - 10), (30, 30, 30), 3)  # a frame with a rule across:
    cv2.line(page, (10, h // 3), (2 * w - 10, h // 3), (30, 30, 30), 3)      # a grid of its own
    cv2.line(page, (w // 3, 10), (w // 3, 2 * h - 10), (30, 30, 30), 3)
    (table,) = find_tables(page)
    assert (table.rows, table.cols) == (len(truth), len(truth[0]))
    np.testing.assert_allclose(table.corners.min(axis=0), [w // 2 + 60, h // 2 + 60], atol=4)


def test_empty_cells_are_empty_not_a_guess(reader):
    image, truth = compose_table(np.random.default_rng(2), fill=0.3)
    (table,) = reader.read(image).tables
    empty = [(r, c) for r, row in enumerate(truth) for c, t in enumerate(row) if t == ""]
    assert len(empty) >= 5
    assert all(table.cell(r, c).text == "" and table.cell(r, c).confidence is None for r, c in empty)


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_turned_table_is_counted_from_its_own_top_left(reader, turn):
    image, truth = compose_table(np.random.default_rng(1), turn=turn)
    (table,) = reader.read(image).tables
    assert table.turn == turn  # as it lies in the image, counter-clockwise, like Page.rotation
    assert scored(truth, table) == []


@pytest.mark.parametrize("turn", [90, 270])
def test_which_way_up_is_found_on_several_tables(reader, turn):
    turns = [reader.read(compose_table(np.random.default_rng(seed), turn=turn)[0]).tables[0].turn
             for seed in range(4)]
    assert turns == [turn] * 4


def test_cells_are_quadrilaterals_in_the_original_pixels(reader):
    image, truth = compose_table(np.random.default_rng(1), cell=(70, 110))
    big = cv2.resize(image, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)  # read at a reduced size
    (table,) = SheetReader(max_side=800).read(big).tables
    x, y, w, h = table.cell(0, 0).box
    assert abs(x - 3 * 60) <= 12 and abs(y - 3 * 60) <= 12 and abs(w - 3 * 110) <= 15 and abs(h - 3 * 70) <= 15


@pytest.mark.parametrize("page", ["notebook", "squared", "frame"])
def test_grids_that_are_no_tables_are_read_as_lines(reader, page):
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
    if page == "squared":  # found as a grid: it is the writing across its rules that says it is no table
        assert find_tables(sheet)
    page_read = reader.read(sheet)
    assert page_read.tables == []
    assert "4711" in page_read.text.replace("\n", "")


def test_layout_lines_reads_no_tables(shipped_cnn):
    image, _ = compose_table(np.random.default_rng(1))
    assert SheetReader(shipped_cnn, layout="lines").read(image).tables == []


def test_a_blob_that_is_all_rule_leaves_no_empty_region():
    # Two thin tilted rules joined at one end (hatching, a double rule seen
    # slanted): taking the rules out leaves nothing of the blob. That used
    # to leave a region with no pixels, and the reader crashed on it.
    mask = np.zeros((200, 400), np.uint8)
    cv2.line(mask, (20, 100), (160, 124), 1, 2)
    cv2.line(mask, (26, 106), (166, 130), 1, 2)
    cv2.line(mask, (20, 100), (26, 106), 1, 2)
    mask[20:60, 340:346] = 1  # a digit-like stroke elsewhere
    segmentation = find_regions(mask, 40)
    assert all(region.pixels(segmentation.labels).any() for region in segmentation.regions)
    assert [box for box, reason in segmentation.rejected if reason == "line"] == [(19, 99, 149, 33)]


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
