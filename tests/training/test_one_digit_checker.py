"""The one-digit checker: its training examples, the shipped bundle's
judgement on drawn digits, and a tiny training run end to end."""

import json

import cv2
import numpy as np
import pytest
from conftest import ROOT, train_tiny_helper

from digit_sheet_reader.models.runtime import load_recogniser
from digit_sheet_reader.pipeline.crops import mnist_style
from digit_sheet_reader.synth.glyphs import render_glyph
from digit_sheet_reader.training import one_digit_checker as checker

SHIPPED = ROOT / "output" / "digit_check.model"


@pytest.fixture(scope="module")
def not_one():
    if not (SHIPPED / "bundle.json").exists():
        pytest.fail("output/digit_check.model is missing: the shipped checker must be committed")
    judge = load_recogniser(SHIPPED)
    return lambda crops: judge.predict(np.asarray(crops))[:, 1]


def crop(glyph):
    ys, xs = np.nonzero(glyph > 30)
    return mnist_style(glyph[ys.min():ys.max() + 1, xs.min():xs.max() + 1])


def drawn(text, seed=1, overlap=5):
    """Hershey digits side by side, each overlapping the last by ``overlap`` px."""
    rng = np.random.default_rng(seed)
    glyphs = [render_glyph(c, rng, height=48, stroke=0.09, slant=0.1, font=cv2.FONT_HERSHEY_SIMPLEX) for c in text]
    canvas = np.zeros((48, sum(g.shape[1] for g in glyphs) + 4), np.uint8)
    x = 0
    for g in glyphs:
        np.maximum(canvas[:, x:x + g.shape[1]], g, out=canvas[:, x:x + g.shape[1]])
        x += g.shape[1] - overlap
    return crop(canvas)


def test_examples_are_balanced_deterministic_and_normalised():
    digits = np.stack([mnist_style(render_glyph(str(d), np.random.default_rng(d), height=40)) for d in range(10)])
    a, labels = checker.make_examples(digits, 40, np.random.default_rng(5))
    b, _ = checker.make_examples(digits, 40, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert labels.tolist() == [0, 1] * 20
    assert a.shape == (40, 28, 28) and a.dtype == np.uint8
    for img in a:  # ink, fitted into 20x20 (a pixel more after the sub-pixel shift), its mass centred
        rows, columns = np.nonzero(img > 30)
        assert img.max() > 100 and max(np.ptp(rows), np.ptp(columns)) + 1 <= 21
        moments = cv2.moments(img.astype(np.float32))
        assert abs(moments["m10"] / moments["m00"] - 13.5) < 1 and abs(moments["m01"] / moments["m00"] - 13.5) < 1


def test_shipped_checker_tells_single_digits_from_joined_ones_and_marks(not_one):
    singles = not_one([drawn(str(d), seed=d) for d in range(10)])
    assert (singles < 0.5).sum() >= 9, singles.round(2)
    pairs = not_one([drawn(p, seed=3) for p in ("38", "25", "60", "47", "913")])
    assert (pairs > 0.5).all(), pairs.round(2)
    dash = np.zeros((20, 40), np.uint8)
    cv2.line(dash, (2, 10), (37, 10), 255, 5)
    dot = np.zeros((20, 20), np.uint8)
    cv2.circle(dot, (10, 10), 8, 255, -1)
    assert (not_one([crop(dash), crop(dot)]) > 0.5).all()


def test_shipped_checker_takes_held_out_digits_written_wide_for_one_digit(not_one, mnist_dir):
    from digit_sheet_reader.data.loaders import load_mnist, train_val_split
    from digit_sheet_reader.pipeline.crops import crop_to_ink
    from digit_sheet_reader.training.one_digit_checker import joined

    val = train_val_split(load_mnist(mnist_dir).train, 0.1, 1)[1]
    rng = np.random.default_rng(0)
    glyphs = [crop_to_ink(val.images[i], 30) for i in rng.choice(len(val), 400, replace=False)]
    wide = [mnist_style(cv2.resize(g, (round(g.shape[1] * 1.3), g.shape[0]))) for g in glyphs]
    # 0.97 measured; the checker trained without wide positives: 0.58.
    assert np.mean(not_one(wide) < 0.5) > 0.9
    pairs = [mnist_style(crop_to_ink(joined(val.images, rng, 2), 30)) for _ in range(400)]
    assert np.mean(not_one(pairs) >= 0.5) > 0.98  # joined pairs still are not one digit


def test_shipped_checker_takes_small_soft_digits_for_one_digit(not_one, mnist_dir):
    # Digits 12-20 px tall in a soft photo: the checker trained on MNIST's
    # sharp strokes alone took most of them for "not one" (0.57 of the real
    # register digits it was asked about).
    from digit_sheet_reader.data.loaders import load_mnist, train_val_split
    from digit_sheet_reader.pipeline.crops import crop_to_ink

    val = train_val_split(load_mnist(mnist_dir).train, 0.1, 1)[1]
    rng = np.random.default_rng(1)
    soft = []
    for i in rng.choice(len(val), 300, replace=False):
        glyph = crop_to_ink(val.images[i], 30)
        height = int(rng.integers(12, 21))
        small = cv2.resize(glyph, (max(2, round(glyph.shape[1] * height / glyph.shape[0])), height),
                           interpolation=cv2.INTER_AREA)
        blurred = cv2.GaussianBlur(small.astype(np.float32), (0, 0), 0.9)
        soft.append(mnist_style(crop_to_ink(np.clip(blurred * 1.6, 0, 255).astype(np.uint8), 30)))
    assert np.mean(not_one(soft) < 0.5) > 0.85


def test_soft_examples_are_small_blurred_and_stretched_to_white():
    glyph = np.zeros((60, 30), np.uint8)
    glyph[5:55, 12:18] = 255
    soft = checker.small_and_soft(glyph, np.random.default_rng(3))
    assert max(soft.shape) <= 28 and soft.max() == 255
    ink = soft[soft > 0]
    assert ((ink > 0) & (ink < 255)).mean() > 0.2  # soft edges: grey levels between paper and core


def test_shipped_checker_records_how_it_was_made():
    metrics = json.loads((SHIPPED / "metrics.json").read_text())
    # Its validation examples are drawn small and soft in part, as its training ones: harder than MNIST's own.
    assert metrics["validation_accuracy"] > 0.95
    assert metrics["hyper_parameters"]["split_seed"] == 1  # the recognisers' validation digits stay unseen


@pytest.mark.slow
def test_a_tiny_training_run_writes_a_bundle_the_reader_can_load(tiny_idx_dir, tmp_path):
    judge = train_tiny_helper(checker.main, tiny_idx_dir, tmp_path / "check.model", 400)
    assert judge.labels == list(checker.LABELS)
    assert judge.predict(np.zeros((3, 28, 28), np.uint8)).shape == (3, 2)
