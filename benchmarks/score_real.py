#!/usr/bin/env python
"""Read real photos listed in a truth file and print how well they were read.

    python benchmarks/score_real.py ../shared/datasets/real-dev/photos/truth.json --texts runs/real_a.json
    python benchmarks/score_real.py TRUTH.json --texts runs/real_b.json
    python benchmarks/score_real.py ../shared/datasets/real-dev/mgr-rowid/truth.json --only /val/
    python benchmarks/compare_texts.py runs/real_a.json runs/real_b.json      # image by image, +N -M

A truth file lists ``[{"image": PATH, "lines": ["0123", ...]}, ...]``, one
string of digits per line of the image, top to bottom. Paths are relative
to the truth file's folder, or to the folder above it (the real-dev sets
name their images from there). Prints images read exactly, true lines read
exactly and the character error rate, scored as
``../shared/tools/real_check.py`` scores them (digits only; lines matched
in any order; read lines sharing a row may be joined), and the worst
images. ``--texts`` writes each image's truth and reading side by side.
The images are read where they are; nothing is copied.
"""

import json
import sys
import time
from pathlib import Path

from tqdm import tqdm

from digit_sheet_reader.errors import DataError, command_parser, run_cli
from digit_sheet_reader.synth.scoring import real_page_errors


def load_truth(path):
    """[(image path, true lines)] from a truth file, the paths resolved."""
    path = Path(path)
    try:
        items = json.loads(path.read_text())
        entries = [(item["image"], [str(line) for line in item["lines"]]) for item in items]
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise DataError(f"{path}: not a truth file of [{{\"image\": ..., \"lines\": [...]}}] ({error})") from None
    resolved = []
    for image, lines in entries:
        candidates = [path.parent / image, path.parent.parent / image]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise DataError(f"{path}: {image} is in neither {path.parent} nor {path.parent.parent}")
        resolved.append((image, found, lines))
    return resolved


def main(argv=None):
    parser = command_parser(__doc__)
    parser.add_argument("truth", help="truth file in the real-dev format")
    parser.add_argument("-m", "--model", help="recogniser bundle (default: the shipped CNN and its helpers)")
    parser.add_argument("--texts", help="write each image's truth and reading here (JSON; compare two runs with "
                                        "benchmarks/compare_texts.py)")
    parser.add_argument("--worst", type=int, default=5, help="list this many of the worst-read images (default: 5)")
    parser.add_argument("--only", metavar="TEXT", help="read only the images whose path contains TEXT (/val/: "
                                                      "a set's validation split)")
    args = parser.parse_args(argv)

    from digit_sheet_reader import SheetReader

    items = [item for item in load_truth(args.truth) if args.only is None or args.only in item[0]]
    if not items:
        raise DataError(f"{args.truth}: no image path contains {args.only!r}")
    reader = SheetReader(args.model)
    edits = chars = exact = lines_exact = lines = 0
    texts, worst, started = {}, [], time.perf_counter()
    for name, image, truth in tqdm(items, file=sys.stderr, disable=len(items) < 10):
        page = reader.read(image).to_dict()
        errors, count, right = real_page_errors(truth, page["lines"])
        edits, chars, lines, lines_exact = edits + errors, chars + count, lines + len(truth), lines_exact + right
        exact += errors == 0
        read = "\n".join(line["text"] for line in page["lines"])
        texts[name] = {"truth": "\n".join(truth), "read": read, "exact": errors == 0, "errors": errors}
        if errors:
            worst.append((errors / max(1, count), name, read.replace("\n", " | ")))
    seconds = (time.perf_counter() - started) / max(1, len(items))
    print(f"{args.truth}: {exact}/{len(items)} images read exactly ({exact / max(1, len(items)):.2f}), "
          f"lines {lines_exact}/{lines} ({lines_exact / max(1, lines):.2f}), "
          f"character error rate {edits / max(1, chars):.3f}, {seconds:.2f} s an image")
    for rate, name, read in sorted(worst, reverse=True)[:args.worst]:
        print(f"  {rate:5.2f}  {name}  read: {read[:80]}")
    if args.texts:
        write_json(args.texts, texts)
    return 0


def write_json(path, data):
    """``data`` written to ``path`` as indented JSON, its folder made if need be."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=1))


if __name__ == "__main__":
    run_cli(main)
