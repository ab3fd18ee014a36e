#!/usr/bin/env python
"""Throughput and memory of batch mode on a folder of 12 MP photos.

    python benchmarks/bench_batch.py [--photos 200] [--workers 2] [--images]

Draws 20 distinct 12 MP photos of about 60 digits (Hershey digits, no data
needed), copies them to ``--photos`` files, runs
``recognize.py -i DIR --out OUT --no-images`` in a fresh process and prints
photos per second, the median per-stage times from results.jsonl, and the
peak resident memory of the largest process (main or worker).
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from digit_sheet_reader.errors import command_parser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for benchmarks.bench_reader
from benchmarks.bench_reader import make_photo  # noqa: E402


def make_photos(folder, count):
    folder.mkdir(parents=True)
    distinct = [folder / f"src_{i:02d}.jpg" for i in range(min(20, count))]
    digits = [make_photo(path, seed=100 + i, digits_wanted=60) for i, path in enumerate(distinct)]
    for i in range(len(distinct), count):
        shutil.copy(distinct[i % len(distinct)], folder / f"copy_{i:04d}.jpg")
    (folder / "digits.json").write_text(json.dumps(digits))


def main():
    parser = command_parser(__doc__)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--workers", type=int, default=None, help="(default: number of cores)")
    parser.add_argument("--images", action="store_true", help="also write annotated PNGs")
    parser.add_argument("--scheduler", help="as recognize.py --scheduler")
    parser.add_argument("--make", help=argparse.SUPPRESS)  # internal: draw the photos into this folder
    args = parser.parse_args()
    if args.make:
        return make_photos(Path(args.make), args.photos)
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "photos", Path(tmp) / "out"
        # Drawn in a child process: a child forked from a parent holding large
        # arrays starts with the parent's memory, which would pollute ru_maxrss.
        subprocess.run([sys.executable, __file__, "--make", str(folder), "--photos", str(args.photos)], check=True)
        digits = json.loads((folder / "digits.json").read_text())
        command = [sys.executable, "recognize.py", "-i", str(folder), "--out", str(out), "--quiet"]
        command += [] if args.images else ["--no-images"]
        command += ["--workers", str(args.workers)] if args.workers else []
        command += ["--scheduler", args.scheduler] if args.scheduler else []
        # A wrapper reports the peak of recognize.py's own process tree only
        # (RUSAGE_CHILDREN here would also count the process that drew the photos).
        wrapper = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
                   "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", wrapper, *command], cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        peak_mb = int(result.stdout.split()[-1]) / 1024
        records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    ok = [r for r in records if r["status"] == "ok"]
    print(f"{len(records)} photos of 12 MP (~{statistics.mean(digits):.0f} digits each), exit {result.returncode}, "
          f"{len(ok)} ok; workers {args.workers or 'all cores'}{'; with annotated PNGs' if args.images else ''}")
    print(f"wall {seconds:.1f} s incl. start-up: {len(records) / seconds:.1f} photos/s")
    stages = ok[0]["timing_ms"].keys()
    print("per photo, median ms: " + ", ".join(f"{k} {statistics.median(r['timing_ms'][k] for r in ok):.0f}"
                                               for k in stages))
    print(f"peak resident memory of the largest process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
