#!/usr/bin/env python
"""Time and peak memory of the command on pages no sheet looks like.

    python benchmarks/bench_pathological.py [--only noise_800 table_1050]

Draws each page into a temporary folder, reads it once with
``recognize.py`` in a fresh process, and prints the wall time, the peak
resident memory of that process and how it ended (exit code and its first
line). Every page must finish in seconds with bounded memory: read, or
refused with exit code 9 where it holds far more marks than a sheet.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from digit_sheet_reader.errors import command_parser
from digit_sheet_reader.synth.glyphs import render_glyph

ROOT = Path(__file__).resolve().parent.parent


def noise(size):
    """Half the pixels black, at random."""
    rng = np.random.default_rng(0)
    return (rng.random(size[::-1]) < 0.5).astype(np.uint8) * 255


def dots(count, size=(4000, 3000)):
    """``count`` small round dots on white paper."""
    rng = np.random.default_rng(1)
    page = np.full(size[::-1], 255, np.uint8)
    for x, y in zip(rng.integers(10, size[0] - 10, count), rng.integers(10, size[1] - 10, count)):
        cv2.circle(page, (int(x), int(y)), 4, 0, -1)
    return page


def digit_grid(rows, cols, height=40, gap=(28, 30)):
    """A table of ``rows`` x ``cols`` handwritten-looking digits, ruled."""
    rng = np.random.default_rng(2)
    cell_w, cell_h = height + gap[0], height + gap[1]
    page = np.full((rows * cell_h + 40, cols * cell_w + 40), 255, np.uint8)
    for r in range(rows):
        for c in range(cols):
            glyph = render_glyph(str(rng.integers(10)), rng, height=height)
            y, x = 20 + r * cell_h, 20 + c * cell_w + (height - glyph.shape[1]) // 2
            h, w = min(glyph.shape[0], cell_h - 4), min(glyph.shape[1], cell_w - 4)
            page[y:y + h, x:x + w] = np.minimum(page[y:y + h, x:x + w], 255 - glyph[:h, :w])
    for r in range(rows + 1):
        cv2.line(page, (10, 12 + r * cell_h), (page.shape[1] - 10, 12 + r * cell_h), 150, 2)
    return page


def rgba16(side=10_900):
    """A 118.8 MP page of 16-bit RGBA, under the pixel limit: white paper, a black band."""
    page = np.full((side, side, 4), 65535, np.uint16)
    page[side // 2:side // 2 + 200, side // 4:3 * side // 4, :3] = 0
    return page


PAGES = {
    "noise_800": lambda: noise((800, 600)),
    "noise_4000": lambda: noise((4000, 3000)),
    "dots_5000": lambda: dots(5000),
    "table_1050": lambda: digit_grid(50, 21),
    "digits_5000": lambda: digit_grid(100, 50),
    "rgba16_118mp": rgba16,
}


def measure(path):
    """(seconds, peak MB, exit code, first line of stderr) of one run of the command."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "recognize.py", "-i", str(path)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    first = next((line for line in err.splitlines() if line.strip()), "")
    return seconds, usage.ru_maxrss / 1024, process.returncode, first


def main():
    parser = command_parser(__doc__)
    parser.add_argument("--only", nargs="+", choices=sorted(PAGES), help="these pages only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or PAGES:
            page = PAGES[name]()
            path = Path(tmp) / f"{name}.png"
            cv2.imwrite(str(path), page, [cv2.IMWRITE_PNG_COMPRESSION, 1])
            del page
            seconds, megabytes, code, first = measure(path)
            print(f"{name:12} {path.stat().st_size / 2**20:7.1f} MB file: {seconds:6.1f} s, peak {megabytes:6.0f} MB, "
                  f"exit {code}{': ' + first[:90] if first else ''}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
