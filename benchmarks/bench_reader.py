#!/usr/bin/env python
"""Time the whole CLI on a 12 MP photo with about 100 digits.

    python benchmarks/bench_reader.py [--runs 5] [--runtime litert|keras] [--turn 90|180|270]

Draws the photo with the project's own Hershey digits (no data needed),
runs ``recognize.py --json`` in fresh processes (start-up, imports and model
loading included, as a user experiences it) and prints the wall time and
the reader's own per-stage breakdown. ``--turn`` photographs the page
turned, so the reader has to search for its orientation.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from digit_sheet_reader.errors import command_parser
from digit_sheet_reader.synth.sheets import compose_sheet, hershey_glyph_source

ROOT = Path(__file__).resolve().parent.parent


def make_photo(path, seed=5, digits_wanted=100, size=(4000, 3000), turn=0):
    """A 4000x3000 JPEG of a sheet on a desk with roughly ``digits_wanted`` digits."""
    # Two columns of 4-7 digits: about 11 digits a row.
    rows = max(1, round(digits_wanted / 11))
    for attempt in range(50):
        image, truth = compose_sheet(hershey_glyph_source(), np.random.default_rng([seed, attempt]), "photo",
                                     lines=rows, two_columns=True, desk=True, digit_height=90)
        count = sum(len(line["text"]) for line in truth["lines"])
        if abs(count - digits_wanted) <= 0.15 * digits_wanted:
            break
    image = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)
    if turn:
        image = cv2.rotate(image, {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180,
                                   270: cv2.ROTATE_90_CLOCKWISE}[turn])
    cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return count


def main():
    parser = command_parser(__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--runtime", default="litert", choices=["litert", "keras"])
    parser.add_argument("-m", "--model", default="output/mnist_cnn.model")
    parser.add_argument("--turn", type=int, default=0, choices=[0, 90, 180, 270],
                        help="photograph the page turned by this much (default: upright)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "photo_12mp.jpg"
        digits = make_photo(photo, turn=args.turn)
        walls, stages = [], []
        command = [sys.executable, "recognize.py", "-i", str(photo), "-m", args.model, "--json", "--runtime", args.runtime]
        for _ in range(args.runs + 1):  # the first run warms the disk cache
            started = time.perf_counter()
            out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
            walls.append(time.perf_counter() - started)
            stages.append(json.loads(out)["timing_ms"])
        read = sum(len(line["text"]) for line in json.loads(out)["lines"])
    walls, stages = walls[1:], stages[1:]
    print(f"12 MP photo (4000x3000 JPEG, turned {args.turn}), {digits} digits drawn, {read} read "
          f"(rotation found: {json.loads(out)['rotation']}); runtime {args.runtime}; {args.runs} runs")
    print(f"whole CLI wall time: median {statistics.median(walls):.3f} s (min {min(walls):.3f}, max {max(walls):.3f})")
    print("reader stages (median ms): " + ", ".join(
        f"{k} {statistics.median(s[k] for s in stages):.0f}" for k in stages[0]))
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("note: PYTHONDONTWRITEBYTECODE is set, so every run compiles the package from source; "
              "an installed copy, with its bytecode cached, starts about 50 ms sooner")


if __name__ == "__main__":
    main()
