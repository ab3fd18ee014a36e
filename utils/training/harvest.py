"""Training crops cut the way the reader cuts them.

MNIST digits are clean scans, centred by the same rule the reader uses, but
the crops the reader cuts from photos went through more: uneven light, blur,
JPEG, a threshold, rules erased across them, a pen's colour. On the
development sheets that costs the recogniser about half a point of
accuracy (99.5 % on clean sheets, 99.1 % on photo tiers). The field's
answer is to train on the target domain: compose photo-like sheets from
*training* digits, read them with the reader, and keep each crop that
matches a digit of the ground truth, under that digit's label.

The sequence reader (:mod:`digit_sheet_reader.training.sequence_reader`) learns the same way from the
regions the reader finds, joined digits and single ones, each under the
digits it holds (:func:`harvest_strings`).

Measured (README, "Development benchmark"): fine-tuning the shipped CNN on
54,000 such crops raised its accuracy on held-out crops, but on the sheets
it traded tiers (broken and desk better, clean and tilt worse), so the
shipped model is not fine-tuned; the option stays for users' own data.

Harvesting is the slow part of fine-tuning (about 8,000 regions a minute
on one core), so regions can be harvested beforehand, several seeds in
parallel, into files that :mod:`digit_sheet_reader.training.sequence_reader` reads (``--views``)::

    python -m digit_sheet_reader.training.harvest --digits train --count 75000 --seed 21 --out runs/views_21.npz

Examples
--------
>>> from digit_sheet_reader.pipeline.reader import SheetReader                           # doctest: +SKIP
>>> from digit_sheet_reader.synth.sheets import mnist_glyph_source                    # doctest: +SKIP
>>> crops = harvest(SheetReader(), mnist_glyph_source(train), 5000)  # doctest: +SKIP
>>> crops.images.shape                                             # doctest: +SKIP
(5000, 28, 28)
"""

import argparse
import io
import sys
import zipfile

import numpy as np
from tqdm import tqdm

from ..data.loaders import Dataset
from ..errors import DataError, command_parser
from ..io.atomic import write_atomic
from ..models.sequences import MAX_DIGITS
from ..pipeline.recognise import string_view
from ..synth.scoring import intersection, iou, match_boxes
from ..synth.sheets import compose_sheet

# Photo-like tiers whose every crop holds one digit. Touching digits and
# strips are left out: a crop of two joined digits has no single label.
TIERS = ("clean", "photo", "hard", "desk", "tilt", "broken", "show_through")
# For the sequence reader: joined digits mostly, and single digits under
# show-through, punctuation and broken strokes that it must not split.
STRING_TIERS = ("touching", "strips", "touching", "show_through", "touching", "punctuation", "touching", "broken")
# A crop is kept under a digit's label only if it covers that digit well.
# Two equal digits read as one give about 0.5 against either.
MIN_IOU = 0.6
# Sheets read without a single match before giving up (digits the reader
# cannot find at all: not digit images, or a broken pipeline).
BARREN_SHEETS = 50


def harvest(reader, glyph_source, count, seed=0, tiers=TIERS, quiet=False):
    """``count`` crops the reader cut from generated sheets, with true labels.

    Parameters
    ----------
    reader : digit_sheet_reader.pipeline.reader.SheetReader
    glyph_source : callable
        As for :func:`digit_sheet_reader.synth.sheets.compose_sheet`; give it training digits
        only, so that no benchmark or validation digit is learned.
    count : int
    seed : int
        Sheet ``i`` is composed with ``default_rng([seed, i])``.
    tiers : sequence of str
        Sheet tiers, taken in turn.

    Returns
    -------
    Dataset
        (count, 28, 28) uint8 crops, white ink on black, and their labels.
    """
    found = _collect(lambda image, truth: _matched(reader.read(image), truth), glyph_source, count, seed, tiers,
                     "sheet crops", quiet)
    return Dataset(np.stack([c for c, _ in found]).astype(np.uint8), np.array([label for _, label in found], np.int64))


def harvest_strings(reader, glyph_source, count, seed=0, tiers=STRING_TIERS, quiet=False):
    """``count`` regions the reader found on generated sheets, as the
    sequence reader sees them (:func:`digit_sheet_reader.pipeline.refine.string_view`), each
    with the digits it holds, left to right.

    Every region of one connected component at least half a digit wide
    counts: single digits too, so that the sequence reader learns not to
    split them. A region is kept only where it covers its digits well and
    cuts none in part. Parameters as :func:`harvest`.

    Returns
    -------
    views : ndarray
        (count, 28, 96) uint8 canvases, white ink on black.
    texts : list of str
        The digits in each view, e.g. ``"407"``.
    """
    found = _collect(lambda image, truth: _string_views(reader, image, truth), glyph_source, count, seed, tiers,
                     "sheet strings", quiet)
    return np.stack([v for v, _ in found]), [text for _, text in found]


def _collect(extract, glyph_source, count, seed, tiers, what, quiet):
    """The first ``count`` items ``extract(image, truth)`` finds on sheet after sheet."""
    items = []
    with tqdm(total=count, desc=what, unit="item", file=sys.stderr, disable=quiet) as bar:
        i = 0
        while len(items) < count:
            image, truth = compose_sheet(glyph_source, np.random.default_rng([seed, i]), tiers[i % len(tiers)])
            i += 1
            found = extract(image, truth)
            items += found
            bar.update(min(len(found), count - bar.n))
            if i >= BARREN_SHEETS and not items:
                raise DataError(f"no digit found on {i} generated sheets: are these digit images?")
    return items[:count]


def _matched(page, truth):
    """(crop, true label) for each digit read that matches one truth digit."""
    t_boxes = [b for line in truth["lines"] for b in line["boxes"]]
    t_labels = "".join(line["text"] for line in truth["lines"])
    digits = [d for line in page.lines for d in line.digits]
    return [(digits[j].crop, int(t_labels[i])) for i, j in match_boxes(t_boxes, [d.box for d in digits], MIN_IOU)]


def _string_views(reader, image, truth):
    """(view, digits) for each single-component region of the sheet as
    found, before the reader's second looks, that holds 1-4 whole digits."""
    loaded, reading = reader.first_reading(image)
    t_boxes = np.array([b for line in truth["lines"] for b in line["boxes"]], np.float64).reshape(-1, 4)
    t_labels = "".join(line["text"] for line in truth["lines"])
    h = reading.segmentation.digit_height
    views = []
    for region in reading.read.regions:
        # One component only: the reader also asks about regions holding a
        # merged fragment (a loose bar), too rare to be worth their doubt here
        # (the fragment may belong to a neighbour); the shipped reader was
        # trained on this choice.
        if len(region.ids) != 1 or region.box[2] < 0.5 * max(h, region.box[3]):
            continue
        box = reading.photo_box(region.box, loaded)
        inside = _digits_inside(t_boxes, box)
        if inside is not None:
            canvas, _ = string_view(reading.segmentation.labels, region, reading.darkness)
            views.append((canvas, "".join(t_labels[k] for k in inside)))
    return views


def _digits_inside(t_boxes, box):
    """Indices of the truth digits ``box`` holds, left to right; None where
    it holds none or more than ``MAX_DIGITS``, cuts a digit in part (a
    third of it inside, its centre not), or is much larger than they are."""
    x, y, w, h = box
    centres = t_boxes[:, :2] + t_boxes[:, 2:] / 2
    inside = (centres[:, 0] >= x) & (centres[:, 0] <= x + w) & (centres[:, 1] >= y) & (centres[:, 1] <= y + h)
    overlap = np.array([intersection(t, box) for t in t_boxes])
    cut = (overlap > 0.3 * t_boxes[:, 2] * t_boxes[:, 3]) & ~inside
    if not 1 <= inside.sum() <= MAX_DIGITS or cut.any():
        return None
    held = t_boxes[inside]
    union = (*held[:, :2].min(0), *(held[:, :2] + held[:, 2:]).max(0) - held[:, :2].min(0))
    if iou(union, box) < MIN_IOU:
        return None
    return np.flatnonzero(inside)[np.argsort(centres[inside, 0])]


def save_views(path, views, texts):
    """Write harvested ``views`` and their ``texts`` to an ``.npz`` file, atomically."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, views=np.asarray(views, np.uint8), texts=np.asarray(texts, dtype=str))
    write_atomic(path, buffer.getvalue())


def load_views(path):
    """(views, texts) from a file :func:`save_views` wrote; DataError if it is not one."""
    try:
        with np.load(path) as saved:
            views, texts = saved["views"], [str(t) for t in saved["texts"]]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: not a file of harvested sheet regions ({exc})") from None
    if views.ndim != 3 or views.shape[1:] != (28, 96) or len(views) != len(texts):
        raise DataError(f"{path}: not a file of harvested sheet regions (views of shape {views.shape})")
    return views, texts


def _positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main(argv=None):
    from ..data.loaders import load_mnist, train_val_split
    from ..models.bundle import check_writable_parent
    from ..pipeline.reader import SheetReader
    from ..synth.sheets import mnist_glyph_source

    parser = command_parser("Harvest the regions the reader finds on generated sheets, "
                                                 "for fine-tuning the sequence reader (digit_sheet_reader/training/sequence_reader.py --views).")
    parser.add_argument("--out", required=True, help="the .npz file to write")
    parser.add_argument("--data", help="MNIST location (default: dataset/, then $MNIST_DIR)")
    parser.add_argument("--digits", choices=("train", "validation"), default="train",
                        help="compose sheets of the training or the held-out validation digits (default: %(default)s)")
    parser.add_argument("--count", type=_positive, default=75000, help="regions to harvest (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="sheet i is composed with default_rng([seed, i]) (default: %(default)s)")
    parser.add_argument("--split-seed", type=int, default=1, help="as the recognisers (default: %(default)s)")
    args = parser.parse_args(argv)
    check_writable_parent(args.out)
    train, val = train_val_split(load_mnist(args.data).train, 0.1, args.split_seed)
    views, texts = harvest_strings(SheetReader(), mnist_glyph_source(train if args.digits == "train" else val),
                                   args.count, seed=args.seed)
    save_views(args.out, views, texts)
    print(f"{len(views)} regions from sheets of {args.digits} digits (seed {args.seed}) written to {args.out}")
    return 0


if __name__ == "__main__":
    from ..errors import run_cli

    run_cli(main)
