#!/usr/bin/env python
"""Run the reader over a folder of generated sheets and print the scores.

    python benchmarks/score_sheets.py runs/sheets [-m output/mnist_cnn.model] [--failures runs/failures]

Prints per tier and overall: digit recall and precision, label accuracy,
character error rate, line exact rate, sheet exact rate, seconds per sheet
(reader only, model loaded once).
"""

import json
import sys
import time
from pathlib import Path

from tqdm import tqdm

from digit_sheet_reader.errors import command_parser, run_cli
from digit_sheet_reader.synth.scoring import Tally, digits_only, format_table


def main(argv=None):
    parser = command_parser(__doc__)
    parser.add_argument("folder", help="made by benchmarks/make_sheets.py")
    parser.add_argument("-m", "--model", default="output/mnist_cnn.model")
    parser.add_argument("--runtime", default="auto", choices=["auto", "litert", "keras"])
    parser.add_argument("--failures", help="write annotated images of misread sheets here")
    parser.add_argument("--json", help="also write the summary as JSON here")
    parser.add_argument("--texts", help="also write each sheet's true and read text as JSON here "
                        "(compare two runs with benchmarks/compare_texts.py)")
    parser.add_argument("--by-condition", action="store_true",
                        help="also break the scores down by the generator's conditions (grid, desk, shadow ...)")
    args = parser.parse_args(argv)

    from digit_sheet_reader.io.draw import annotate
    from digit_sheet_reader.pipeline.reader import SheetReader

    reader = SheetReader(args.model, args.runtime)
    tallies, conditions, overall, texts = {}, {}, Tally(), {}
    truths = sorted(Path(args.folder).rglob("*.json"))
    for truth_path in tqdm(truths, file=sys.stderr):
        image_path = next(p for p in truth_path.parent.glob(truth_path.stem + ".*") if p.suffix != ".json")
        truth = json.loads(truth_path.read_text())
        started = time.perf_counter()
        page = reader.read(image_path)
        seconds = time.perf_counter() - started
        name = str(image_path.relative_to(args.folder))
        read = "\n".join(digits_only(line.text) for line in page.lines)  # no groups in the truth
        texts[name] = {"truth": "\n".join(line["text"] for line in truth["lines"]), "read": read}
        groups = [tallies.setdefault(truth["tier"], Tally()), overall]
        if args.by_condition:
            groups += [conditions.setdefault(key, Tally()) for key, on in truth.get("conditions", {}).items()
                       if on is True]
        for tally in groups:
            tally.add(truth, page.to_dict(), seconds, name)
        if args.failures and read != texts[name]["truth"]:
            out = Path(args.failures) / name.replace("/", "_")
            out.parent.mkdir(parents=True, exist_ok=True)
            import cv2

            cv2.imwrite(str(out.with_suffix(".png")), annotate(page.work_image, page, page.work_scale))
    summaries = {**{k: tallies[k].summary() for k in sorted(tallies)}, "all": overall.summary()}
    print(format_table(summaries))
    if conditions:
        print("\nby condition (sheets where it applies, all tiers):")
        print(format_table({k: conditions[k].summary() for k in sorted(conditions)}))
    for tier, tally in sorted(tallies.items()):
        if tally.failures:
            print(f"misread {tier}: {' '.join(tally.failures[:12])}{' ...' if len(tally.failures) > 12 else ''}")
    if args.json:
        Path(args.json).write_text(json.dumps(summaries, indent=2))
    if args.texts:
        Path(args.texts).write_text(json.dumps(texts, indent=1))
    return 0


if __name__ == "__main__":
    run_cli(main)
