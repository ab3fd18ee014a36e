"""A sequence reader for regions that may hold several joined digits.

The digit recogniser reads one digit per crop, and reads two touching
digits as one digit, often surely (a 1 joined to a 4 is a fine 4). Cutting
first and asking it about the pieces fails exactly where the join is not
thin. The field's answer is to read the whole region as a *sequence*: a
small convolutional network slides along the region and says, for every
4-pixel column band, which digit (or none) it sees; CTC (Connectionist
Temporal Classification) training needs only the digit string of each
example, not where the digits are, and greedy decoding gives both the
string and where each digit lies.

Input: the region's ink, white on black, scaled so its height is 20 px
(MNIST's box) and centred in a 28x96 canvas (wider regions are scaled to
fit). Output: 24 frames x 11 classes (blank, then the digits 0-9).

Training examples are strings of one to four MNIST *training* digits
(``--split-seed 1``, as the recognisers) joined side by side, overlapping
or touching, at the reader's own crop normalisation; validation strings are
made from the held-out validation digits; the test set is not used::

    python -m digit_sheet_reader.training.sequence_reader --out output/digit_strings.model

``--init BUNDLE --sheet-views N`` fine-tunes a trained reader on regions the
sheet reader finds on generated sheets (``--views``: harvested beforehand by
``python -m digit_sheet_reader.training.harvest``), and ``--hard-repeat K`` adds the regions the
starting reader misreads K more times (hard examples): so was
``output/digit_strings_hard.model`` made, which the sheet reader averages
with the first reader (:func:`averaged_readers`) on joined regions.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> digits = np.zeros((4, 28, 28), np.uint8); digits[:, 6:22, 12:16] = 255
>>> crops, targets = make_strings(digits, np.arange(4), 6, rng)
>>> crops.shape, targets.shape
((6, 28, 96), (6, 4))
>>> probs = np.full((2, 24, 11), 0.01); probs[:, :, 0] = 0.9  # all blank ...
>>> probs[0, 5:7, 3], probs[0, 12, 8] = 0.95, 0.95           # ... but a 2, then a 7
>>> [(r.text, len(r.spans)) for r in decode(probs)]
[('27', 2), ('', 0)]
"""

import time

import cv2
import numpy as np

from ..models.sequences import FRAME, HEIGHT, LABELS, MAX_DIGITS, WIDTH, decode, read_moved
from ..pipeline.crops import crop_to_ink, string_style
from .one_digit_checker import helper_setup, joined_string

DEFAULT_OUT = "output/digit_strings.model"
# 10 epochs, not 6: at 6 the validation loss was still falling (94.7 -> 97.2 % of strings exact).
DEFAULT_EXAMPLES, DEFAULT_EPOCHS = 200000, 10


def _varied(glyph, rng):
    """Pens differ: thicker or thinner strokes, a slant."""
    kind = rng.random()
    if kind < 0.25:
        glyph = cv2.dilate(glyph, np.ones((2, 2), np.uint8))
    elif kind < 0.4:
        eroded = cv2.erode(glyph, np.ones((2, 2), np.uint8))
        glyph = eroded if eroded.max() > 30 else glyph
    shear = rng.uniform(-0.25, 0.25)
    h, w = glyph.shape
    pad = int(abs(shear) * h) + 1
    matrix = np.float32([[1, shear, pad - shear * h / 2], [0, 1, 0]])
    return cv2.warpAffine(glyph, matrix, (w + 2 * pad, h), flags=cv2.INTER_LINEAR)


def make_strings(digits, labels, count, rng):
    """``count`` canvases of 1-4 joined digits, and their targets: (N, 4)
    class indices (digit d is d + 1), 0-padded (0 is the CTC blank)."""
    crops = np.zeros((count, HEIGHT, WIDTH), np.uint8)
    targets = np.zeros((count, MAX_DIGITS), np.int32)
    for i in range(count):
        n = int(rng.choice([1, 2, 3, 4], p=[0.3, 0.35, 0.25, 0.1]))
        canvas, picks = joined_string(digits, rng, n, gap=(-0.2, 0.03))
        crops[i] = string_style(crop_to_ink(_varied(canvas, rng), 30))[0]
        targets[i, :n] = np.asarray(labels)[picks] + 1
    return crops, targets


def build_string_reader():
    """A small fully convolutional sequence model: (28, 96, 1) -> 24 frames
    of 11 logits. No recurrent layer, so it exports to LiteRT as it is."""
    import keras
    from keras import layers

    inputs = keras.Input((HEIGHT, WIDTH, 1))
    x = inputs
    for filters, pool in ((24, (2, 2)), (48, (2, FRAME // 2)), (64, None)):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        if pool:
            x = layers.MaxPooling2D(pool)(x)
    x = layers.Permute((2, 1, 3))(x)  # (frames, rows, channels)
    x = layers.Reshape((WIDTH // FRAME, (HEIGHT // 4) * 64))(x)  # rows: halved by both poolings
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Conv1D(128, 3, padding="same", activation="relu")(x)  # neighbouring frames: where a digit ends
    logits = layers.Dense(len(LABELS))(x)
    return keras.Model(inputs, logits, name="digit_strings")


def _options(parser):
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (default: %(default)s)")
    parser.add_argument("--init", help="start from this trained sequence reader's weights (fine-tuning)")
    parser.add_argument("--sheet-views", type=int, default=0,
                        help="add this many regions found on generated sheets of the training digits "
                             "(utils/training/harvest.py), and judge on a tenth as many from the validation digits "
                             "(default: 0)")
    parser.add_argument("--views", nargs="+", metavar="NPZ",
                        help="instead of harvesting --sheet-views: regions harvested beforehand from sheets of the "
                             "training digits (python -m digit_sheet_reader.training.harvest --digits train ...)")
    parser.add_argument("--held-views", metavar="NPZ",
                        help="with --views: regions from sheets of the validation digits to judge on "
                             "(python -m digit_sheet_reader.training.harvest --digits validation ...)")
    parser.add_argument("--hard-repeat", type=int, default=0,
                        help="with --init: add the sheet regions that reader misreads (at the reader's five phases) "
                             "this many times more: hard examples (default: 0)")


def main(argv=None):
    import keras

    from ..errors import UsageError
    from ..models.bundle import bundle_metadata, save_bundle, write_json
    from ..models.runtime import load_recogniser

    args, train, val, rng = helper_setup(argv, __doc__, DEFAULT_OUT, DEFAULT_EXAMPLES, DEFAULT_EPOCHS, _options)
    if args.hard_repeat and not args.init:
        raise UsageError("--hard-repeat needs --init: the hard examples are those the starting reader misreads")
    if bool(args.views) != bool(args.held_views):
        raise UsageError("--views and --held-views go together")
    x, y = make_strings(train.images, train.labels, args.examples, rng)
    vx, vy = make_strings(val.images, val.labels, max(1000, args.examples // 10), rng)
    sheet = None  # held-out sheet regions, as model input, and their targets
    views = given_views(args) if args.views else (
        sheet_views(train, val, args.sheet_views, args.seed) if args.sheet_views > 0 else None)
    if views:
        (sx, sy), (held_x, held_y) = views
        x, y = np.concatenate([x, sx]), np.concatenate([y, sy])
        if args.hard_repeat > 0:
            hard = misread(load_recogniser(args.init).predict, sx, sy)
            print(f"{hard.sum()} of {len(sx)} sheet regions misread by {args.init}: repeated {args.hard_repeat} times more")
            x, y = np.concatenate([x] + [sx[hard]] * args.hard_repeat), np.concatenate([y] + [sy[hard]] * args.hard_repeat)
        sheet = (_as_input(held_x), held_y)
    x, vx = _as_input(x), _as_input(vx)
    model = starting_model(args.init)
    model.compile(keras.optimizers.Adam(args.lr), keras.losses.CTC())
    schedule = keras.callbacks.ReduceLROnPlateau(factor=0.3, patience=1)
    judged = (np.concatenate([vx, sheet[0]]), np.concatenate([vy, sheet[1]])) if sheet else (vx, vy)
    started = time.perf_counter()
    history = model.fit(x, y, validation_data=judged,
                        epochs=args.epochs, batch_size=128, verbose=2, callbacks=[schedule]).history
    seconds = time.perf_counter() - started
    reader = keras.Model(model.inputs, keras.layers.Softmax()(model.outputs[0]), name="digit_strings")
    exact = {"validation_string_accuracy": string_accuracy(reader.predict(vx, verbose=0), vy)}
    if sheet:
        exact["validation_sheet_view_accuracy"] = string_accuracy(reader.predict(sheet[0], verbose=0), sheet[1])
        exact["validation_sheet_view_accuracy_five_phases"] = float(np.mean(~misread(
            lambda canvases: reader.predict(_as_input(canvases), verbose=0), held_x, held_y)))
    metrics = {**exact, "training_seconds": round(seconds, 1),
               "hyper_parameters": vars(args), "history": {k: [float(v) for v in vs] for k, vs in history.items()},
               "parameters": int(model.count_params()),
               "examples": "1-4 training digits joined, gaps -0.2..0.03 digit heights (see digit_sheet_reader/training/sequence_reader.py)"
                           + (", and regions found on sheets of training digits" if sheet else "")
                           + (", those the starting reader misreads repeated" if sheet and args.hard_repeat else "")}
    meta = bundle_metadata(LABELS, "digit_strings", exact)
    meta["input"] = {"shape": [HEIGHT, WIDTH, 1], "dtype": "float32", "scale": 1.0 / 255.0,
                     "polarity": "white ink on black", "layout": f"ink 20 px high, centred in 28x96; {FRAME} px a frame"}
    save_bundle(reader, args.out, meta, [lambda d: write_json(d / "metrics.json", metrics)])
    print(f"string reader: {', '.join(f'{k} {v:.4f}' for k, v in exact.items())}; written to {args.out}")
    return 0


def _as_input(canvases):
    return canvases[..., None].astype(np.float32) / 255.0  # float32: half the memory of float64


def starting_model(init=None):
    """The model to train, emitting logits for CTC: a new one, or the
    trained reader at ``init`` without its closing softmax."""
    import keras

    if init is None:
        return build_string_reader()
    from ..errors import ModelError
    from ..models.runtime import load_keras_model

    reader = load_keras_model(init)
    if not isinstance(reader.layers[-1], keras.layers.Softmax) or reader.output_shape[1:] != (WIDTH // FRAME, len(LABELS)):
        raise ModelError(f"{init}: not a sequence reader (expected {WIDTH // FRAME} frames of {len(LABELS)} classes)")
    return keras.Model(reader.inputs, reader.layers[-2].output, name="digit_strings")


def sheet_views(train, val, count, seed):
    """((views, targets) for training, (views, targets) held out): regions the
    shipped reader finds on generated sheets of ``train``'s digits, and a
    tenth as many from ``val``'s; uint8 views, targets as :func:`make_strings`."""
    from ..pipeline.reader import SheetReader
    from ..synth.sheets import mnist_glyph_source
    from .harvest import harvest_strings

    reader = SheetReader()
    parts = [harvest_strings(reader, mnist_glyph_source(data), n, seed=seed + offset)
             for data, n, offset in ((train, count, 0), (val, max(1, count // 10), 1000))]
    return tuple((views, string_targets(texts)) for views, texts in parts)


def given_views(args):
    """((views, targets) for training, (views, targets) held out) from the
    files of ``--views`` and ``--held-views``."""
    from .harvest import load_views

    parts = [load_views(path) for path in args.views]
    held, held_texts = load_views(args.held_views)
    train = (np.concatenate([v for v, _ in parts]), string_targets([t for _, texts in parts for t in texts]))
    return train, (held, string_targets(held_texts))


def misread(read_strings, views, targets, batch=2048):
    """Boolean mask of the ``views`` that ``read_strings`` (a sequence
    reader's predict) reads wrongly, as the sheet reader uses it: at the
    five phases of ``REFINE.string_shifts`` (:mod:`digit_sheet_reader.pipeline.refine`)."""
    from ..pipeline.refine import REFINE

    truth = target_texts(targets)
    texts = [r.text for i in range(0, len(views), batch)
             for r in read_moved(read_strings, views[i:i + batch], REFINE.string_shifts)]
    return np.array([t != s for t, s in zip(texts, truth)], bool)


def string_targets(texts):
    """Digit strings -> (N, 4) CTC targets as :func:`make_strings` gives them."""
    targets = np.zeros((len(texts), MAX_DIGITS), np.int32)
    for i, text in enumerate(texts):
        targets[i, :len(text)] = [int(c) + 1 for c in text]
    return targets


def target_texts(targets):
    """CTC targets (as :func:`make_strings` gives them) -> digit strings: :func:`string_targets` undone."""
    return ["".join(LABELS[c] for c in row if c) for row in targets]


def string_accuracy(probs, targets):
    """Share of strings decoded exactly (targets as :func:`make_strings` gives them)."""
    truth = target_texts(targets)
    return float(np.mean([r.text == t for r, t in zip(decode(probs), truth)]))


if __name__ == "__main__":
    from ..errors import run_cli

    run_cli(main)
