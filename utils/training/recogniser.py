"""The training loop shared by ``train_mlp.py`` and ``train_cnn.py``.

Both scripts parse the same options (:func:`add_training_arguments`), load
data the same way, train with the same callbacks and write the same bundle:
only the architecture differs. Steps:

1. seed every generator (Python, NumPy, TensorFlow) and make ops deterministic;
2. load the data, carve a seeded validation split from the *training* set;
3. train with on-the-fly augmentation, an exponential learning-rate
   schedule, early stopping that restores the best weights on validation
   accuracy, one progress line per epoch;
4. evaluate once on the test set, write the bundle with curves, confusion
   matrix, a sample grid and a metrics JSON.
"""

import os
import platform
import time
from pathlib import Path

import numpy as np

from ..data import loaders as data_io
from ..errors import UsageError, command_parser
from ..models.bundle import bundle_metadata, check_writable_parent, save_bundle, write_json

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Learning rates that actually train with each optimiser. Keras 3's Adadelta
# default (0.001) reaches only ~48 % after 3 epochs; the original Keras used 1.0.
DEFAULT_LEARNING_RATES = {"adam": 1e-3, "sgd": 0.05, "rmsprop": 1e-3, "adadelta": 1.0}


def add_training_arguments(parser, defaults):
    """Add the options both training scripts share; ``defaults`` overrides some."""
    parser.add_argument("--data", help="MNIST location: a folder or file in any supported layout "
                        "(default: dataset/, then $MNIST_DIR)")
    parser.add_argument("--out", default=defaults["out"], help="bundle directory to write (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=defaults["epochs"], help="maximum epochs (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=defaults["batch_size"], help="(default: %(default)s)")
    parser.add_argument("--optimizer", choices=sorted(DEFAULT_LEARNING_RATES), default=defaults["optimizer"],
                        help="(default: %(default)s)")
    parser.add_argument("--lr", type=float, help="initial learning rate (default: adam/rmsprop 1e-3, "
                        "sgd 0.05 with Nesterov momentum, adadelta 1.0)")
    parser.add_argument("--lr-decay", type=float, default=defaults.get("lr_decay", 0.9),
                        help="learning rate multiplied by this after every epoch (default: %(default)s)")
    parser.add_argument("--patience", type=int, default=8,
                        help="stop after this many epochs without a better validation accuracy (default: %(default)s)")
    parser.add_argument("--val-fraction", type=float, default=0.1,
                        help="fraction of the training set held out for validation (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of initialisation, shuffling and augmentation "
                        "(default: %(default)s)")
    parser.add_argument("--split-seed", type=int, default=1,
                        help="seed of the validation split, kept apart from --seed so that runs with other seeds "
                        "hold out the same digits, which the development benchmark draws from (default: %(default)s)")
    parser.add_argument("--no-augment", action="store_true", help="train on the plain images")
    parser.add_argument("--init", help="start from the weights of this model bundle (fine-tuning; an ensemble's "
                        "members are trained on one by one) instead of fresh ones")
    parser.add_argument("--sheet-crops", type=int, default=0, metavar="N",
                        help="also train on N crops that the reader (with --init's model, else the shipped CNN) "
                        "cuts from photo-like sheets of training digits, and validate on crops of validation "
                        "digits too (utils/training/harvest.py; default: 0)")
    parser.add_argument("--broken-strokes", type=int, default=0, metavar="N",
                        help="also train on N training digits with gaps cut across their strokes, as a skipping "
                        "pen leaves them, and validate on validation digits cut the same way (default: 0)")
    parser.add_argument("--flagged-ones", type=int, default=0, metavar="N",
                        help="also train on N training 1s given the flag many writers start a 1 with "
                        "(utils/synth/hard_cases.py add_flag), and validate on flagged validation 1s too "
                        "(default: 0)")
    parser.add_argument("--printed", type=int, default=0, metavar="N",
                        help="also train on N printed digits drawn in Hershey's sans and serif faces (forms, a "
                        "sudoku's givens), and validate on printed digits too (default: 0)")
    parser.add_argument("--keep", type=float, default=0.0, metavar="W",
                        help="with --init: weight (0..1) of a second loss term that keeps each member's predictions "
                        "close to those of the member it started from, on the same augmented images, wherever that "
                        "member reads them right (learning without forgetting: a fine-tune then moves only where "
                        "its new examples ask; default: 0)")
    parser.add_argument("--limit", type=int, help="train on the first N training images only (quick runs)")
    parser.add_argument("--num-classes", type=int, default=10, help="classes in the data set (default: %(default)s)")
    parser.add_argument("--transpose", action="store_true", help="transpose IDX images (EMNIST)")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress lines")
    return parser


def new_parser(description, example):
    return command_parser(description, f"example:\n  {example}")


def seed_everything(seed):
    """Same seed, same data, same machine: same weights."""
    import keras
    import tensorflow as tf

    # Fresh global state (layer counters, seed generators, TF op seeds), so a
    # second run in the same process repeats the first exactly.
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def make_optimizer(name, learning_rate=None):
    import keras

    lr = learning_rate or DEFAULT_LEARNING_RATES[name]
    if name == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True)
    return {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
            "adadelta": keras.optimizers.Adadelta}[name](lr)


def as_inputs(images):
    """uint8 (N, H, W) -> float32 (N, H, W, 1) in [0, 1], the bundle's input."""
    return (images.astype(np.float32) / 255.0)[..., None]


def load_training_data(args):
    """Train / validation / test datasets as the options ask."""
    splits = data_io.load_mnist(args.data, transpose=args.transpose)
    for part in (splits.train, splits.test):
        data_io.check_labels(part, args.num_classes)
    train = splits.train if args.limit is None else splits.train.subset(slice(0, args.limit))
    train, val = data_io.train_val_split(train, args.val_fraction, args.split_seed)
    if args.sheet_crops > 0:
        train, val = with_sheet_crops(train, val, args)
    if args.broken_strokes > 0:
        train, val = with_broken_strokes(train, val, args.broken_strokes, args.seed)
    if args.flagged_ones > 0:
        train, val = with_flagged_ones(train, val, args.flagged_ones, args.seed)
    if args.printed > 0:
        train, val = with_printed(train, val, args.printed, args.seed)
    return train, val, splits.test, splits


def joined_in_proportion(train, val, count, make):
    """``train`` joined by ``make(train, count)`` and ``val`` by
    ``make(val, n)``, ``n`` as many, in proportion, as the split holds
    back: the extra examples are judged on held-out ones of their kind."""
    val_count = max(1, round(count * len(val) / len(train)))
    return train.joined(make(train, count)), val.joined(make(val, val_count))


def with_printed(train, val, count, seed):
    """``train`` and ``val`` each joined by printed digits: MNIST holds
    only handwriting, and forms and puzzles print their numbers."""
    from ..synth.glyphs import printed_digits

    rng = np.random.default_rng([seed, 11])  # a stream of its own
    return joined_in_proportion(train, val, count, lambda data, n: printed_digits(n, rng))


def with_broken_strokes(train, val, count, seed):
    """``train`` and ``val`` each joined by copies of some of their own
    digits with one or two gaps cut across the strokes
    (:func:`digit_sheet_reader.synth.hard_cases.break_strokes`): a recogniser
    trained on whole strokes reads a 9 whose loop a skipping pen left open as a 7."""
    rng = np.random.default_rng([seed, 7])  # a stream of its own: shuffling and augmentation keep theirs
    return joined_in_proportion(train, val, count, lambda data, n: broken_copies(data, n, rng))


def with_flagged_ones(train, val, count, seed):
    """``train`` and ``val`` each joined by flagged copies of their own 1s
    (:func:`digit_sheet_reader.synth.hard_cases.add_flag`): MNIST's 1s are
    bare strokes, and a recogniser trained on them alone reads the flagged
    1 of continental handwriting as a 7."""
    rng = np.random.default_rng([seed, 13])  # a stream of its own
    return joined_in_proportion(train, val, count, lambda data, n: flagged_copies(data, n, rng))


def flagged_copies(data, count, rng):
    """``count`` flagged copies of random 1s of ``data`` (1s leaning left are passed over)."""
    from ..synth.hard_cases import add_flag

    ones = np.flatnonzero(data.labels == 1)
    images = []
    while len(images) < count:
        drawn = [add_flag(data.images[k], rng) for k in rng.choice(ones, count - len(images))] if ones.size else []
        if not any(image is not None for image in drawn):
            raise ValueError("no 1 to flag: the data holds no 1s, or only 1s leaning left")
        images += [image for image in drawn if image is not None]
    return data_io.Dataset(np.stack(images), np.ones(count, data.labels.dtype), data.sources)


def broken_copies(data, count, rng):
    """``count`` random samples of ``data``, each with its strokes cut across."""
    from ..synth.hard_cases import break_strokes

    picked = data.subset(rng.choice(len(data), count, replace=count > len(data)))  # more copies than digits: repeats
    images = np.stack([np.round(255 * break_strokes(image / 255.0, rng)) for image in picked.images])
    return data_io.Dataset(images.astype(np.uint8), picked.labels, picked.sources)


def with_sheet_crops(train, val, args):
    """``train`` and ``val`` each joined by crops the reader cut from sheets
    of their own digits (as many validation crops, in proportion, as the
    split holds back): the recogniser learns, and is judged on, digits as
    the reader sees them in photos."""
    from ..pipeline.reader import SheetReader
    from ..synth.sheets import mnist_glyph_source
    from .harvest import harvest

    reader = SheetReader(args.init)  # None: the shipped CNN
    val_count = max(1, round(args.sheet_crops * len(val) / len(train)))
    crops = harvest(reader, mnist_glyph_source(train), args.sheet_crops, seed=args.seed, quiet=args.quiet)
    held_out = harvest(reader, mnist_glyph_source(val), val_count, seed=args.seed + 1000, quiet=args.quiet)
    return train.joined(crops), val.joined(held_out)


def fit(core, train, val, args, seed, teacher=None):
    """Train ``core`` (augmenting on the fly) and return its Keras history dict.

    Call :func:`seed_everything` before building ``core``: its initial
    weights come from the same generators. With a ``teacher`` (the model
    ``core`` was fine-tuned from, given where ``args.keep`` > 0), the loss
    also keeps ``core``'s predictions close to the teacher's
    (:func:`kept_close_loss`).
    """
    import keras

    from .augment import build_augmenter

    augment = None if args.no_augment else build_augmenter(seed)
    if teacher is not None:
        trainer = _beside_teacher(core, teacher, augment)
        loss, metrics = kept_close_loss(args.keep, args.num_classes), [student_accuracy(args.num_classes)]
    else:
        trainer = core if augment is None else keras.Sequential([augment, core])
        loss, metrics = "categorical_crossentropy", ["accuracy"]
    trainer.compile(optimizer=make_optimizer(args.optimizer, args.lr), loss=loss, metrics=metrics)
    lr0 = float(args.lr or DEFAULT_LEARNING_RATES[args.optimizer])
    callbacks = [
        keras.callbacks.LearningRateScheduler(lambda epoch: lr0 * args.lr_decay**epoch),
        keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=args.patience,
                                      restore_best_weights=True, verbose=0 if args.quiet else 1),
    ]
    history = trainer.fit(
        as_inputs(train.images), data_io.encode(train.labels, args.num_classes),
        validation_data=(as_inputs(val.images), data_io.encode(val.labels, args.num_classes)),
        epochs=args.epochs, batch_size=args.batch_size, callbacks=callbacks,
        shuffle=True, verbose=0 if args.quiet else 2,
    )
    return {key: [float(v) for v in values] for key, values in history.history.items()}


def _beside_teacher(core, teacher, augment=None):
    """A model whose output is ``core``'s softmax and a frozen ``teacher``'s
    side by side, both on the same (augmented) input."""
    import keras

    teacher.trainable = False  # batch norm then runs in inference mode too
    inputs = keras.Input(core.input_shape[1:])
    seen = inputs if augment is None else augment(inputs)
    both = keras.layers.Concatenate()([core(seen), teacher(seen, training=False)])
    return keras.Model(inputs, both, name=f"{core.name}_beside_teacher")


def kept_close_loss(weight, num_classes):
    """(1 - ``weight``) x cross-entropy with the labels + ``weight`` x the
    KL divergence of the student's softmax from the teacher's, for outputs
    made by :func:`_beside_teacher` (student first).

    The second term counts only where the teacher reads the example right:
    the new examples a fine-tune is for (a flagged 1 the teacher reads as 7)
    are learnt from their labels alone, and everything the teacher already
    read right stays as it was, ambiguous glyphs included."""
    from keras import losses, ops

    def loss(labels, both):
        student, teacher = both[:, :num_classes], both[:, num_classes:]
        right = ops.cast(ops.argmax(teacher, axis=-1) == ops.argmax(labels, axis=-1), student.dtype)
        return ((1 - weight) * losses.categorical_crossentropy(labels, student)
                + weight * right * losses.kl_divergence(teacher, student))

    return loss


def student_accuracy(num_classes):
    """Accuracy of the student half of :func:`_beside_teacher`'s output."""
    import keras

    def accuracy(labels, both):
        return keras.metrics.categorical_accuracy(labels, both[:, :num_classes])

    return accuracy


def evaluate(model, test, num_classes):
    """Accuracy overall and per class, and the confusion matrix, on ``test``."""
    probs = np.concatenate([np.asarray(model.predict_on_batch(as_inputs(test.images[i:i + 1000])))
                            for i in range(0, len(test), 1000)])
    predicted = probs.argmax(axis=1)
    confusion = np.bincount(test.labels * num_classes + predicted, minlength=num_classes**2)
    confusion = confusion.reshape(num_classes, num_classes)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return {
        "test_accuracy": float((predicted == test.labels).mean()),
        "test_errors": int((predicted != test.labels).sum()),
        "test_samples": int(len(test)),
        "per_class_accuracy": {str(c): round(float(a), 5) for c, a in enumerate(per_class)},
        "confusion_matrix": confusion.tolist(),
    }, predicted


def library_versions():
    import cv2
    import keras
    import tensorflow as tf

    return {"python": platform.python_version(), "numpy": np.__version__, "tensorflow": tf.__version__,
            "keras": keras.__version__, "opencv": cv2.__version__, "platform": platform.platform()}


def data_checksums(splits):
    """sha256 per data file; a folder tree of images gets one combined digest."""
    files = sorted({Path(p) for part in (splits.train, splits.test) for p in part.sources})
    if len(files) <= 16:
        return {str(f): data_io.file_sha256(f) for f in files}
    import hashlib

    digest = hashlib.sha256()
    for f in files:
        digest.update(data_io.file_sha256(f).encode())
    return {f"{len(files)} files under {splits.location}": digest.hexdigest()}


def train_and_save(args, build_member, architecture, ensemble=1):
    """The whole job: data, training (one model or an ensemble), test, bundle.

    ``build_member(name)`` returns a fresh, uncompiled core model.
    Returns the metrics dict written to ``metrics.json``.
    """
    from .architectures import pack_ensemble, renamed

    if not 0 <= args.keep < 1 or (args.keep and not args.init):
        raise UsageError("--keep takes a weight from 0 to under 1, and needs --init: the model to keep close to")
    check_writable_parent(args.out)
    train, val, test, splits = load_training_data(args)
    started = time.perf_counter()
    members, histories = [], []
    starts = _trained_members(args.init) if args.init else None
    ensemble = len(starts) if starts else ensemble
    for i in range(ensemble):
        seed_everything(args.seed + i)
        name = f"{architecture}_seed{args.seed + i}" if ensemble > 1 else architecture
        # A copy built after seeding, so each member trains in a fresh session.
        member = renamed(starts[i], name) if starts else build_member(name)
        if not args.quiet and ensemble > 1:
            print(f"member {i + 1}/{ensemble} (seed {args.seed + i})", flush=True)
        # With --keep (which needs --init), the member's start is its teacher:
        # a copy under a name of its own, for one model cannot hold two parts
        # of the same name.
        teacher = renamed(starts[i], f"{name}_teacher") if args.keep > 0 else None
        histories.append(fit(member, train, val, args, args.seed + i, teacher))
        members.append(member)
    seconds = time.perf_counter() - started
    model = pack_ensemble(members)
    sizes = {"train_samples": len(train), "validation_samples": len(val)}
    if args.init:  # fine-tuned: name the starting weights, so the lineage can be checked
        weights = Path(args.init) / "model.weights.h5"
        sizes["init"] = {"bundle": str(args.init),
                         "weights_sha256": data_io.file_sha256(weights) if weights.exists() else None}
    return evaluate_and_save(model, test, splits, histories, seconds, architecture, args, sizes)


def _trained_members(bundle):
    """The member models of a trained bundle (loaded once), to fine-tune."""
    from ..models.runtime import load_keras_model
    from .architectures import members_of

    return members_of(load_keras_model(bundle))


def evaluate_and_save(model, test, splits, histories, seconds, architecture, args, extra=None):
    """Test once, then write the bundle with curves, confusion matrix, mistakes and metrics."""
    from .plots import plot_confusion, plot_dataset, plot_history

    scores, predicted = evaluate(model, test, args.num_classes)
    labels = [str(c) for c in range(args.num_classes)]
    metrics = {
        **{k: v for k, v in scores.items() if k != "confusion_matrix"},
        "validation_accuracy": [max(h["val_accuracy"]) for h in histories],
        "epochs_run": [len(h["loss"]) for h in histories],
        "best_epoch": [int(np.argmax(h["val_accuracy"])) + 1 for h in histories],
        "training_seconds": round(seconds, 1),
        "seconds_per_epoch": round(seconds / max(1, sum(len(h["loss"]) for h in histories)), 2),
        "parameters": int(model.count_params()),
        "architecture": architecture, "ensemble_members": len(histories),
        "hyper_parameters": {k: v for k, v in vars(args).items() if k not in ("data", "out", "quiet")},
        "augmentation": "off" if getattr(args, "no_augment", False) else "default (see utils/training/augment.py)",
        "data": {"location": str(splits.location), "sha256": data_checksums(splits)},
        "versions": library_versions(),
        **(extra or {}),
        "confusion_matrix": scores["confusion_matrix"],
        "history": histories,
    }
    wrong = np.flatnonzero(predicted != test.labels)[:16]
    writers = [
        lambda d: write_json(d / "metrics.json", metrics),
        lambda d: plot_history(histories, d / "curves.png"),
        lambda d: plot_confusion(scores["confusion_matrix"], labels, d / "confusion.png",
                                 f"{architecture}: test accuracy {scores['test_accuracy']:.2%}"),
        lambda d: plot_dataset(test.images[wrong], test.labels[wrong], d / "samples.png",
                               predictions=predicted[wrong], title="test-set mistakes"),
    ]
    summary = {k: metrics[k] for k in ("test_accuracy", "validation_accuracy", "per_class_accuracy",
                                       "training_seconds", "parameters")}
    save_bundle(model, args.out, bundle_metadata(labels, architecture, summary), writers)
    print(f"test accuracy {scores['test_accuracy']:.4%} ({scores['test_errors']} errors in {len(test)}); "
          f"bundle written to {args.out}", flush=True)
    return metrics
