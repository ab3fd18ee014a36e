#!/usr/bin/env python
"""Compare two runs of the reader sheet by sheet (or real image by image).

    python benchmarks/score_sheets.py runs/sheets --texts runs/a.json      # one reader
    python benchmarks/score_sheets.py runs/sheets --texts runs/b.json      # another
    python benchmarks/compare_texts.py runs/a.json runs/b.json

``benchmarks/score_real.py TRUTH.json --texts`` writes files it compares too.

Prints, per tier, how many sheets the second run reads exactly that the
first does not (+) and the other way round (-), and each sheet that
changed with its truth and both readings: one sheet is 0.02 of a tier of
50, so a change is judged by the sheets it wins and loses, not by the net.
"""

import json
from pathlib import Path

from digit_sheet_reader.errors import DataError, command_parser, run_cli
from digit_sheet_reader.synth.scoring import compare_runs


def main(argv=None):
    parser = command_parser(__doc__)
    parser.add_argument("before", help="--texts file of the first run")
    parser.add_argument("after", help="--texts file of the second run")
    parser.add_argument("--quiet", action="store_true", help="only the counts, not each sheet")
    args = parser.parse_args(argv)
    runs = []
    for path in (args.before, args.after):
        try:
            runs.append(json.loads(Path(path).read_text()))
        except (OSError, ValueError) as error:
            raise DataError(f"{path}: not a --texts file of benchmarks/score_sheets.py ({error})") from None
    before, after = runs
    changes = compare_runs(before, after)
    for tier, (gained, lost) in sorted(changes.items()):
        print(f"{tier}: +{len(gained)} -{len(lost)}")
        if not args.quiet:
            for sign, names in (("+", gained), ("-", lost)):
                for name in names:
                    print(f"  {sign} {name}: truth {before[name]['truth']!r}")
                    print(f"      was {before[name]['read']!r}\n      now {after[name]['read']!r}")
    gained, lost = (sum(len(names[k]) for names in changes.values()) for k in (0, 1))
    print(f"all: +{gained} -{lost} of {len(before.keys() & after.keys())} sheets")
    return 0


if __name__ == "__main__":
    run_cli(main)
