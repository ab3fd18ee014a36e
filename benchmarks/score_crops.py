#!/usr/bin/env python
"""Recognisers compared on the digits the reader cuts from sheets, in seconds.

    python benchmarks/score_crops.py output/mnist_cnn.model runs/candidate.model
    python benchmarks/score_crops.py output/mnist_cnn.model --crops runs/crops_777.npz --count 20000 --seed 777

Reading 600 sheets takes minutes, and a sheet is lost by one digit of 30:
where a retrained recogniser loses sheets, this says which digits it
misreads and as what. The first run harvests ``--count`` crops the shipped
reader cuts from sheets of *validation* digits (the digits the benchmark
sheets are made of, held out from training; ``digit_sheet_reader.training.harvest``)
and keeps them in ``--crops`` (about 2 minutes for 20,000); later runs read
that file. For each bundle it prints the crops misread and the commonest
confusions (true -> read), through the runtime the reader uses.
"""

import io
from collections import Counter
from pathlib import Path

import numpy as np

from digit_sheet_reader.errors import DataError, command_parser, run_cli
from digit_sheet_reader.io.atomic import write_atomic
from digit_sheet_reader.models.runtime import RUNTIMES, load_recogniser

ROOT = Path(__file__).resolve().parent.parent


def confusions(labels, predicted, top=8):
    """The ``top`` commonest misreadings as ``[((true, read), count), ...]``.

    >>> confusions(np.array([7, 7, 7, 9, 1]), np.array([1, 1, 7, 4, 1]))
    [((7, 1), 2), ((9, 4), 1)]
    """
    wrong = np.flatnonzero(np.asarray(labels) != np.asarray(predicted))
    return Counter((int(labels[i]), int(predicted[i])) for i in wrong).most_common(top)


def harvested_crops(path, count, seed, data=None):
    """(images, labels) of the crops in ``path``, harvested into it first if it does not exist."""
    path = Path(path)
    if not path.exists():
        from digit_sheet_reader.data.loaders import load_mnist, train_val_split
        from digit_sheet_reader.pipeline.reader import SheetReader
        from digit_sheet_reader.synth.sheets import mnist_glyph_source
        from digit_sheet_reader.training.harvest import harvest

        _, val = train_val_split(load_mnist(data).train, 0.1, 1)  # the split training holds out
        crops = harvest(SheetReader(), mnist_glyph_source(val), count, seed=seed)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, images=crops.images, labels=crops.labels)
        write_atomic(path, buffer.getvalue())
    try:
        with np.load(path) as saved:
            return saved["images"], saved["labels"]
    except (OSError, ValueError, KeyError) as error:
        raise DataError(f"{path}: not a crops file of benchmarks/score_crops.py ({error})") from None


def main(argv=None):
    parser = command_parser(__doc__)
    parser.add_argument("models", nargs="+", help="recogniser bundles to compare")
    parser.add_argument("--crops", default=str(ROOT / "runs" / "crops_val_777.npz"),
                        help="harvested crops: read if it exists, else harvested into it (default: %(default)s)")
    parser.add_argument("--count", type=int, default=20000, help="crops to harvest (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=777, help="seed of the harvested sheets (default: %(default)s)")
    parser.add_argument("--data", help="MNIST location (default: dataset/, then $MNIST_DIR)")
    parser.add_argument("--runtime", choices=RUNTIMES, default="auto", help="(default: %(default)s)")
    args = parser.parse_args(argv)
    images, labels = harvested_crops(args.crops, args.count, args.seed, args.data)
    for model in args.models:
        predicted = load_recogniser(model, args.runtime).predict(images).argmax(axis=1)
        errors = int((predicted != labels).sum())
        common = ", ".join(f"{t}->{r}: {n}" for (t, r), n in confusions(labels, predicted))
        print(f"{model}: {errors} of {len(labels)} crops misread ({1 - errors / len(labels):.2%} right); {common}")
    return 0


if __name__ == "__main__":
    run_cli(main)
