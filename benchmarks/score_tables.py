#!/usr/bin/env python
"""Read photos of grids with known cells and print how well the cells were read.

    python benchmarks/score_tables.py ../shared/datasets/real-dev/sudoku/val
    python benchmarks/score_tables.py ../shared/datasets/real-dev/sudoku/train --limit 5 --texts runs/sudoku.json
    python benchmarks/score_tables.py --synthetic 70          # tables drawn by the project, no data needed

A folder holds ``images/<name>.jpg``, ``labels/<name>.txt`` (the grid's
cells as rows of integers: 0 blank, 1-9 that digit, 10 pencilled
candidates) and optionally ``metadata.csv`` with the grid's corners
(``x_topleft_absolute`` ...), the layout of the sudoku-scanner data set.
With corners, the table scored is the one whose corners lie nearest them;
without, the first table of the labels' shape. ``--synthetic N`` scores N
tables drawn by :mod:`digit_sheet_reader.synth.tables` in turn in each
style of ``STYLES`` (marks lists with a printed header, in perspective,
turned, sudoku grids), numbers of one or two digits; header words are not
scored.

Prints the cell accuracy over the cells that are not candidates, the
accuracy on blank cells, how many candidate cells were flagged as such,
grids read exactly, grids whose table was not found, and seconds per
photo (the whole reader, as the CLI runs it, models loaded once).
``--texts`` writes each photo's wrong cells. The images are read where
they are; nothing is copied.
"""

import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from digit_sheet_reader.errors import DataError, command_parser, run_cli

CANDIDATES = "candidates"  # a cell of pencilled candidates: counted apart, flagged or not
CORNERS = ("topleft", "topright", "bottomright", "bottomleft")
STYLES = {
    "marks list": dict(rows=8, cols=4, header=["Name", "Test 1", "Test 2", "Total"]),
    "form in perspective": dict(rows=4, cols=3, cell=(80, 160), perspective=0.1),
    "turned 90": dict(turn=90),
    "upside down": dict(turn=180),
    "turned 270": dict(turn=270),
    "sudoku": dict(rows=9, cols=9, cell=(60, 60), digits=(1, 1), thick_every=3, fill=0.4),
}


def sudoku_truth(labels):
    """The sudoku-scanner labels (0 blank, 1-9, 10 candidates) as cell texts."""
    return [["" if v == 0 else CANDIDATES if v == 10 else str(v) for v in row] for row in labels.tolist()]


def synthetic_grids(count):
    """[(name, BGR image, truth, None)] of ``count`` drawn tables, cycling through STYLES."""
    from digit_sheet_reader.synth.tables import compose_table

    grids = []
    for k in range(count):
        name, style = list(STYLES.items())[k % len(STYLES)]
        image, truth = compose_table(np.random.default_rng(1000 + k), **style)
        grids.append((f"{name} #{k}", image, truth, None))
    return grids


def load_grids(folder):
    """[(image path, truth, corners or None)] of a folder in the sudoku-scanner layout."""
    folder = Path(folder)
    corners = {}
    if (folder / "metadata.csv").is_file():
        with open(folder / "metadata.csv", newline="") as handle:
            for row in csv.DictReader(handle):
                corners[row["Name"]] = np.float32([[float(row[f"x_{c}_absolute"]), float(row[f"y_{c}_absolute"])]
                                                   for c in CORNERS])
    images = sorted((folder / "images").glob("*.jpg")) + sorted((folder / "images").glob("*.png"))
    if not images:
        raise DataError(f"{folder}: no images/*.jpg or images/*.png (a folder in the sudoku-scanner layout)")
    grids = []
    for image in images:
        label_file = folder / "labels" / (image.stem + ".txt")
        try:
            labels = np.loadtxt(label_file, dtype=int, ndmin=2)
        except (OSError, ValueError) as error:
            raise DataError(f"{label_file}: cannot read the cell labels ({error})") from None
        grids.append((str(image), image, sudoku_truth(labels), corners.get(image.name)))
    return grids


def matching_table(tables, shape, corners):
    """The table scored against the labels: nearest the true corners, else the first of their shape."""
    if corners is not None and tables:
        return min(tables, key=lambda t: float(np.abs(np.float32(t.corners) - corners).max()))
    return next((t for t in tables if (t.rows, t.cols) == shape), None)


def shape(truth):
    return len(truth), len(truth[0])


def score_grid(table, truth):
    """Per-cell outcome of one grid: (counts dict, wrong cells). ``truth``:
    rows of cell texts ("" blank), ``CANDIDATES``, or None (not scored)."""
    counts = dict(cells=0, right=0, blank=0, blank_right=0, candidates=0, candidates_flagged=0)
    wrong = []
    shape_ok = table is not None and (table.rows, table.cols) == shape(truth)
    for r, row in enumerate(truth):
        for c, want in enumerate(row):
            cell = table.cell(r, c) if shape_ok else None
            if want is None:
                continue
            if want == CANDIDATES:
                counts["candidates"] += 1
                counts["candidates_flagged"] += cell is not None and "candidates" in cell.flags
                continue
            got = cell.text if cell is not None else None
            counts["cells"] += 1
            counts["right"] += got == want
            counts["blank"] += want == ""
            counts["blank_right"] += want == "" and got == want
            if got != want:
                wrong.append({"row": r, "col": c, "truth": want, "read": got})
    return counts, wrong


def main(argv=None):
    parser = command_parser(__doc__)
    parser.add_argument("folder", nargs="*", help="folders in the sudoku-scanner layout")
    parser.add_argument("--synthetic", type=int, default=0, help="also score this many drawn tables")
    parser.add_argument("-m", "--model", default=None, help="recogniser bundle (default: the shipped CNN)")
    parser.add_argument("--limit", type=int, help="read only the first N photos of each folder")
    parser.add_argument("--texts", help="write each photo's wrong cells here (JSON)")
    args = parser.parse_args(argv)

    from digit_sheet_reader.pipeline.reader import SheetReader

    grids = [g for folder in args.folder for g in load_grids(folder)[:args.limit]] + synthetic_grids(args.synthetic)
    if not grids:
        parser.error("give a folder, or --synthetic N")
    reader = SheetReader(args.model)
    reader.read(grids[0][1])  # warm up: the first inference builds the runtime's plan
    totals, report, not_found, exact, seconds = {}, [], 0, 0, []
    for name, image, truth, corners in tqdm(grids, unit="image", file=sys.stderr):
        started = time.perf_counter()
        page = reader.read(image)
        seconds.append(time.perf_counter() - started)
        table = matching_table(page.tables, shape(truth), corners)
        counts, wrong = score_grid(table, truth)
        not_found += table is None or (table.rows, table.cols) != shape(truth)
        exact += not wrong
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        report.append({"image": name, "found": None if table is None else [table.rows, table.cols],
                       "wrong": wrong, "seconds": round(seconds[-1], 3)})
    t = totals
    print(f"images: {len(grids)}; grids read exactly: {exact} ({exact / len(grids):.3f}); "
          f"table not found: {not_found}")
    print(f"cell accuracy (non-candidate cells): {t['right'] / max(1, t['cells']):.4f} ({t['right']}/{t['cells']})")
    print(f"blank cells left empty: {t['blank_right'] / max(1, t['blank']):.4f} ({t['blank_right']}/{t['blank']})")
    print(f"candidate cells flagged: {t['candidates_flagged']}/{t['candidates']}")
    print(f"seconds per image: median {np.median(seconds):.3f}, max {max(seconds):.3f}")
    if args.texts:
        Path(args.texts).parent.mkdir(parents=True, exist_ok=True)
        Path(args.texts).write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    run_cli(main)
