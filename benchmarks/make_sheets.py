#!/usr/bin/env python
"""Compose the development benchmark: photo-like sheets of MNIST digits.

Digits come from the *validation* split that training holds out (same
split, same seed as train_cnn.py / train_mlp.py), never from the 10k test
set and never from digits the shipped models trained on.

    python benchmarks/make_sheets.py --out runs/sheets --per-tier 50

writes runs/sheets/<tier>/<nnnn>.jpg (clean: .png) and a .json ground truth
beside each.
"""

import json
import sys
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from digit_sheet_reader.data.loaders import load_mnist, train_val_split
from digit_sheet_reader.errors import command_parser, run_cli
from digit_sheet_reader.synth.sheets import ALL_TIERS, compose_sheet, hershey_glyph_source, mnist_glyph_source


def main(argv=None):
    parser = command_parser(__doc__)
    parser.add_argument("--out", default="runs/sheets", help="(default: %(default)s)")
    parser.add_argument("--per-tier", type=int, default=50, help="sheets per tier (default: %(default)s)")
    parser.add_argument("--tiers", nargs="+", default=list(ALL_TIERS), choices=ALL_TIERS)
    parser.add_argument("--seed", type=int, default=2024, help="(default: %(default)s)")
    parser.add_argument("--split-seed", type=int, default=1, help="seed of the training run's validation split (default: 1)")
    parser.add_argument("--val-fraction", type=float, default=0.1, help="as in training (default: 0.1)")
    parser.add_argument("--data", help="MNIST location (default: dataset/, then $MNIST_DIR)")
    parser.add_argument("--hershey", action="store_true", help="draw digits with Hershey fonts instead of MNIST")
    args = parser.parse_args(argv)

    if args.hershey:
        source = hershey_glyph_source()
    else:
        _, val = train_val_split(load_mnist(args.data).train, args.val_fraction, args.split_seed)
        source = mnist_glyph_source(val)
    for tier in args.tiers:
        t = ALL_TIERS.index(tier)  # the same sheets whichever tiers are asked for
        folder = Path(args.out) / tier
        folder.mkdir(parents=True, exist_ok=True)
        for i in tqdm(range(args.per_tier), desc=tier, file=sys.stderr):
            rng = np.random.default_rng([args.seed, t, i])
            image, truth = compose_sheet(source, rng, tier)
            name = folder / f"{i:04d}{'.png' if tier == 'clean' else '.jpg'}"
            cv2.imwrite(str(name), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
            name.with_suffix(".json").write_text(json.dumps(truth))
    return 0


if __name__ == "__main__":
    run_cli(main)
