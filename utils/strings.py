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

    python -m utils.strings --out output/digit_strings.model

``--init BUNDLE --sheet-views N`` fine-tunes a trained reader on regions the
sheet reader finds on generated sheets (``--views``: harvested beforehand by
``python -m utils.sheet_crops``), and ``--hard-repeat K`` adds the regions the
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
from dataclasses import dataclass

import cv2
import numpy as np

from utils.checker import helper_setup, joined_string
from utils.normalise import crop_to_ink

HEIGHT, WIDTH = 28, 96  # canvas
FRAME = 4  # canvas columns per output frame
INK_HEIGHT = 20  # as MNIST's 20x20 box
LABELS = ("blank",) + tuple(str(d) for d in range(10))
MAX_DIGITS = 4
DEFAULT_OUT = "output/digit_strings.model"
# 10 epochs, not 6: at 6 the validation loss was still falling (94.7 -> 97.2 % of strings exact).
DEFAULT_EXAMPLES, DEFAULT_EPOCHS = 200000, 10


def string_style(glyph):
    """White-on-black ``glyph`` (cropped to its ink) -> (28x96 uint8 canvas,
    (factor, x0)): canvas column c shows glyph column (c - x0) / factor."""
    h, w = glyph.shape
    factor = min(INK_HEIGHT / h, (WIDTH - 4) / w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    small = cv2.resize(glyph, size, interpolation=cv2.INTER_AREA)
    canvas = np.zeros((HEIGHT, WIDTH), np.uint8)
    y0, x0 = (HEIGHT - size[1]) // 2, (WIDTH - size[0]) // 2
    canvas[y0:y0 + size[1], x0:x0 + size[0]] = small
    return canvas, (factor, x0)


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


@dataclass
class StringReading:
    """A region read as a sequence: its digits, how sure each is, the
    frames each was seen in (first, last), and the canvas columns a frame covers."""

    text: str
    confidences: list
    spans: list
    frame: float = FRAME
    shift: int = 0  # the canvas was read moved this many columns right

    @property
    def confidence(self):
        return float(min(self.confidences)) if self.confidences else 0.0

    def gaps(self):
        """Canvas columns midway between one digit's last frame and the next one's first."""
        return [(end + 1 + start) * self.frame / 2.0 - self.shift for (_, end), (start, _) in zip(self.spans, self.spans[1:])]


def decode(probs):
    """Greedy CTC decoding of (N, frames, 11) probabilities -> StringReadings:
    the best class per frame, repeats merged, blanks dropped. The frames
    span the canvas's width, whatever reader made them."""
    probs = np.asarray(probs)
    frame = WIDTH / probs.shape[1]
    readings = []
    for frames in probs:
        best = frames.argmax(axis=1)
        text, confidences, spans = "", [], []
        for t, c in enumerate(best):
            if c == 0:
                continue
            if t > 0 and best[t - 1] == c:  # the same digit seen in the next frame too
                confidences[-1] = max(confidences[-1], float(frames[t, c]))
                spans[-1] = (spans[-1][0], t)
                continue
            text += LABELS[c]
            confidences.append(float(frames[t, c]))
            spans.append((t, t))
        readings.append(StringReading(text, confidences, spans, frame))
    return readings


def string_log_odds(frames, text):
    """log P(``text`` | ``frames``): CTC's probability of a digit string,
    summed over every way of placing it (the forward recursion over the
    string with a blank before, between and after its digits). ``frames``
    is one region's (frames, 11) probabilities, or a stack of them
    (..., frames, 11), which gives one log probability each."""
    labels = np.zeros(2 * len(text) + 1, int)
    labels[1::2] = [int(c) + 1 for c in text]
    # A path may skip the blank between two different digits, not between equal ones.
    skip = np.zeros(len(labels), bool)
    skip[3::2] = labels[3::2] != labels[1:-2:2]
    frames = np.asarray(frames, np.float64)[..., labels]  # (..., frames, states)
    alpha = np.zeros(frames.shape[:-2] + (len(labels),))
    alpha[..., :2] = frames[..., 0, :2]
    for t in range(1, frames.shape[-2]):
        came = alpha.copy()
        came[..., 1:] += alpha[..., :-1]
        came[..., 2:] += np.where(skip[2:], alpha[..., :-2], 0.0)
        alpha = came * frames[..., t, :]
    odds = alpha[..., -1] + (alpha[..., -2] if text else 0.0)
    return np.log(np.maximum(odds, 1e-300))


def averaged_readers(first, second, names="the sequence readers"):
    """One sequence reader from two ``predict`` functions: their frame
    probabilities averaged (an ensemble, whose errors are fewer where the
    two err differently). ModelError, when asked, if their frames differ.

    >>> one = lambda c: np.tile(np.eye(11)[1], (len(c), 24, 1))   # a 0 in every frame
    >>> two = lambda c: np.tile(np.eye(11)[0], (len(c), 24, 1))   # blank everywhere
    >>> averaged_readers(one, two)(np.zeros((2, 28, 96), np.uint8))[0, 0, :2]
    array([0.5, 0.5])
    """
    from utils.errors import ModelError

    def read(canvases):
        one, two = np.asarray(first(canvases)), np.asarray(second(canvases))
        if one.shape != two.shape:  # checked here, not by a trial read at start-up
            raise ModelError(f"{names}: their frames differ ({one.shape[1:]} against {two.shape[1:]})")
        return (one + two) / 2.0

    return read


def _moved(canvases, shift):
    """(N, 28, 96) canvases moved ``shift`` columns right (left if negative)."""
    moved = np.zeros_like(canvases)
    if shift >= 0:
        moved[:, :, shift:] = canvases[:, :, :canvases.shape[2] - shift]
    else:
        moved[:, :, :shift] = canvases[:, :, -shift:]
    return moved


def read_moved(read_strings, canvases, shifts=(0,)):
    """Read each canvas as it is and moved a few columns sideways, and keep
    the string that all the readings together find likeliest.

    A frame is 4 columns wide, so a canvas moved 1-3 columns shows the
    reader its ink at another phase, and max-pooling nets do not read
    every phase alike: two equal digits that overlap may leave room for
    the blank CTC needs between them at one phase and not at another.
    Each phase's greedy string is a candidate, scored by its summed log
    :func:`string_log_odds` over the phases (test-time augmentation).

    Parameters
    ----------
    read_strings : callable
        ``read_strings(canvases) -> (N, frames, 11)`` probabilities.
    canvases : ndarray
        (N, 28, 96) views as :func:`string_style` makes them.
    shifts : sequence of int
        Columns to move the canvases by; the first phase that found the
        chosen string gives its spans (:meth:`StringReading.gaps` maps
        them back); each digit is as sure as the surest phase that read
        the string saw it, and where the string overrules the first
        phase's, no surer than its share of the candidates' odds.

    Returns
    -------
    list of StringReading

    Examples
    --------
    >>> def bars(canvases):  # a stand-in reader: a 1 wherever a frame has ink
    ...     inked = canvases.reshape(len(canvases), 28, 24, 4).max(axis=(1, 3)) > 0
    ...     return np.where(inked[..., None], np.eye(11)[2], np.eye(11)[0])
    >>> canvas = np.zeros((1, 28, 96), np.uint8); canvas[0, 4:24, [30, 40]] = 255
    >>> [(r.text, r.gaps()) for r in read_moved(bars, canvas, (0, 2))]
    [('11', [36.0])]
    """
    count = len(canvases)
    probs = np.asarray(read_strings(np.concatenate([_moved(canvases, s) for s in shifts])))
    probs = probs.reshape(len(shifts), count, *probs.shape[1:])  # one batch: phase, canvas
    phases = [decode(p) for p in probs]
    for shift, readings in zip(shifts, phases):
        for reading in readings:
            reading.shift = int(shift)
    chosen = []
    for i in range(count):
        found = {readings[i].text: readings[i] for readings in reversed(phases)}  # the first phase's, per string
        found = [found.pop(phases[0][i].text)] + list(found.values())
        best, ceiling = _likeliest(found, probs[:, i]) if len(found) > 1 else (found[0], 1.0)
        chosen.append(_agreed(best, [r[i] for r in phases if r[i].text == best.text], ceiling))
    return chosen


def _agreed(best, readings, ceiling=1.0):
    """``best`` with each digit as sure as the surest of the ``readings`` of
    its string (every phase that read it) saw it, and no surer than
    ``ceiling``: a digit straddling two frames at one phase fills one at
    another."""
    best.confidences = [min(ceiling, float(c)) for c in np.max([r.confidences for r in readings], axis=0)]
    return best


def _likeliest(readings, frames):
    """(reading, ceiling): the reading whose string the frames of every phase
    together find likeliest, and how sure its digits may be: where it
    overrules the first phase's reading (``readings[0]``), no surer than
    its string's share of the candidates' odds."""
    log_odds = np.array([string_log_odds(frames, r.text).sum() for r in readings])
    best = int(np.argmax(log_odds))
    share = np.exp(log_odds - log_odds.max())
    return readings[best], (float(share[best] / share.sum()) if best > 0 else 1.0)


def one_digit_odds(probs):
    """(N, frames, 11) probabilities -> (N, 10): how likely the sequence
    reader finds each region to hold exactly one digit, digit by digit.

    CTC's own probability of the one-digit string, summed over every way
    of placing it (blanks, then the digit over one or more frames, then
    blanks): the forward recursion with three states, :func:`string_log_odds`
    for every one-digit string at once. Unlike greedy decoding's confidence
    (the digit's best frame), it counts the paths
    that read something else: a region whose frames might read ``"7"`` or
    ``"17"`` gives 7 only the share of the paths that read ``"7"``.

    >>> probs = np.full((1, 3, 11), 0.0); probs[0, :, 0] = 0.5
    >>> probs[0, :, 8] = 0.5                       # blank or 7, frame by frame
    >>> round(float(one_digit_odds(probs)[0, 7]), 3)  # 6 of 8 paths: not all blank, not 7-blank-7
    0.75
    """
    probs = np.asarray(probs, np.float64)
    blank, digits = probs[:, :, :1], probs[:, :, 1:]
    before = blank[:, 0]  # only blanks so far
    inside = digits[:, 0]  # the digit seen in the latest frame
    after = np.zeros_like(inside)  # the digit seen, blanks since
    for t in range(1, probs.shape[1]):
        before, inside, after = (before * blank[:, t], (before + inside) * digits[:, t],
                                 (inside + after) * blank[:, t])
    return inside + after


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
                             "(utils/sheet_crops.py), and judge on a tenth as many from the validation digits "
                             "(default: 0)")
    parser.add_argument("--views", nargs="+", metavar="NPZ",
                        help="instead of harvesting --sheet-views: regions harvested beforehand from sheets of the "
                             "training digits (python -m utils.sheet_crops --digits train ...)")
    parser.add_argument("--held-views", metavar="NPZ",
                        help="with --views: regions from sheets of the validation digits to judge on "
                             "(python -m utils.sheet_crops --digits validation ...)")
    parser.add_argument("--hard-repeat", type=int, default=0,
                        help="with --init: add the sheet regions that reader misreads (at the reader's five phases) "
                             "this many times more: hard examples (default: 0)")


def main(argv=None):
    import keras

    from utils.bundle import bundle_metadata, save_bundle, write_json
    from utils.errors import UsageError
    from utils.runtime import load_recogniser

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
               "examples": "1-4 training digits joined, gaps -0.2..0.03 digit heights (see utils/strings.py)"
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
    from utils.errors import ModelError
    from utils.runtime import load_keras_model

    reader = load_keras_model(init)
    if not isinstance(reader.layers[-1], keras.layers.Softmax) or reader.output_shape[1:] != (WIDTH // FRAME, len(LABELS)):
        raise ModelError(f"{init}: not a sequence reader (expected {WIDTH // FRAME} frames of {len(LABELS)} classes)")
    return keras.Model(reader.inputs, reader.layers[-2].output, name="digit_strings")


def sheet_views(train, val, count, seed):
    """((views, targets) for training, (views, targets) held out): regions the
    shipped reader finds on generated sheets of ``train``'s digits, and a
    tenth as many from ``val``'s; uint8 views, targets as :func:`make_strings`."""
    from utils.reader import SheetReader
    from utils.sheet_crops import harvest_strings
    from utils.sheets import mnist_glyph_source

    reader = SheetReader()
    parts = [harvest_strings(reader, mnist_glyph_source(data), n, seed=seed + offset)
             for data, n, offset in ((train, count, 0), (val, max(1, count // 10), 1000))]
    return tuple((views, string_targets(texts)) for views, texts in parts)


def given_views(args):
    """((views, targets) for training, (views, targets) held out) from the
    files of ``--views`` and ``--held-views``."""
    from utils.sheet_crops import load_views

    parts = [load_views(path) for path in args.views]
    held, held_texts = load_views(args.held_views)
    train = (np.concatenate([v for v, _ in parts]), string_targets([t for _, texts in parts for t in texts]))
    return train, (held, string_targets(held_texts))


def misread(read_strings, views, targets, batch=2048):
    """Boolean mask of the ``views`` that ``read_strings`` (a sequence
    reader's predict) reads wrongly, as the sheet reader uses it: at the
    five phases of :data:`utils.second_look.STRING_SHIFTS`."""
    from utils.second_look import STRING_SHIFTS

    truth = target_texts(targets)
    texts = [r.text for i in range(0, len(views), batch)
             for r in read_moved(read_strings, views[i:i + batch], STRING_SHIFTS)]
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
    from utils.errors import run_cli

    run_cli(main)
