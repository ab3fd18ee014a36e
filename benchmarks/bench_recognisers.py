#!/usr/bin/env python
"""Training seconds per epoch and inference latency per runtime.

    python benchmarks/bench_recognisers.py [--train-samples 6000]

Training speed: one epoch of each architecture (with augmentation) on
``--train-samples`` MNIST images, scaled to the 54,000 of a full epoch.
Inference: the shipped bundles, LiteRT and Keras, batches of 1, 100 and
1000 digits (median of several calls after a warm-up).
"""

import statistics
import time
from pathlib import Path

import numpy as np

from digit_sheet_reader.errors import command_parser

ROOT = Path(__file__).resolve().parent.parent


def bench_training(samples):
    import keras

    from digit_sheet_reader.data.loaders import encode, load_mnist
    from digit_sheet_reader.training.architectures import build_bn_cnn, build_classic_cnn, build_mlp
    from digit_sheet_reader.training.augment import build_augmenter
    from digit_sheet_reader.training.recogniser import as_inputs, seed_everything

    train = load_mnist().train
    x, y = as_inputs(train.images[:samples]), encode(train.labels[:samples])
    for name, build, batch in (("mlp 784-256-256-10", build_mlp, 100), ("classic cnn", build_classic_cnn, 128),
                               ("bn cnn", build_bn_cnn, 128)):
        seed_everything(0)
        model = keras.Sequential([build_augmenter(0), build()])
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        model.fit(x[:batch * 4], y[:batch * 4], batch_size=batch, epochs=1, verbose=0)  # compile the graph
        started = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        seconds = (time.perf_counter() - started) * 54000 / samples
        print(f"train  {name:<20} {seconds:6.1f} s per 54k-image epoch ({build().count_params():,} parameters)")


def bench_inference():
    from digit_sheet_reader.models.runtime import load_recogniser

    rng = np.random.default_rng(0)
    for bundle in ("mnist_cnn.model", "mnist_mlp.model"):
        for runtime in ("litert", "keras"):
            started = time.perf_counter()
            recogniser = load_recogniser(ROOT / "output" / bundle, runtime)
            load_ms = (time.perf_counter() - started) * 1000
            cells = []
            for n in (1, 100, 1000):
                crops = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
                recogniser.predict(crops)  # warm-up (and graph build for this size)
                times = []
                for _ in range(7):
                    started = time.perf_counter()
                    recogniser.predict(crops)
                    times.append((time.perf_counter() - started) * 1000)
                cells.append(f"{n:>4} digits {statistics.median(times):7.2f} ms")
            print(f"infer  {bundle:<16} {runtime:<7} load {load_ms:6.0f} ms | " + " | ".join(cells))


def main():
    parser = command_parser(__doc__)
    parser.add_argument("--train-samples", type=int, default=6000)
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    bench_inference()
    if not args.skip_training:
        bench_training(args.train_samples)


if __name__ == "__main__":
    main()
