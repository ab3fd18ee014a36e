"""Crops harvested from generated sheets carry the labels of the digits they show."""

import numpy as np
import pytest

from digit_sheet_reader.pipeline.reader import SheetReader
from digit_sheet_reader.synth.sheets import hershey_glyph_source
from digit_sheet_reader.training.harvest import _digits_inside, harvest, harvest_strings


@pytest.fixture(scope="module")
def reader():
    return SheetReader()


@pytest.fixture(scope="module")
def crops(reader):
    return harvest(reader, hershey_glyph_source(), 60, seed=0, tiers=("clean", "photo"), quiet=True)


def test_harvest_gives_the_count_asked_for_in_mnist_format(crops):
    assert crops.images.shape == (60, 28, 28) and crops.images.dtype == np.uint8
    assert crops.labels.shape == (60,) and set(crops.labels) <= set(range(10))
    assert len(set(crops.labels)) >= 8  # sheets of random digits, not one digit over and over
    # MNIST polarity: white ink on a black border.
    assert crops.images[:, 0, :].max() < 64 and crops.images.max() == 255


def test_each_crop_is_labelled_with_the_digit_it_shows(crops, reader):
    names, _ = reader.recogniser.classify(crops.images)
    read = np.array([int(n) for n in names])
    assert np.mean(read == crops.labels) >= 0.9
    # Negative control: the same crops under shuffled labels would not pass.
    shuffled = np.random.default_rng(0).permutation(crops.labels)
    assert np.mean(read == shuffled) < 0.5


@pytest.mark.slow
def test_harvest_gives_up_with_a_clear_error_when_no_digit_is_ever_found():
    from digit_sheet_reader.errors import DataError
    from digit_sheet_reader.pipeline.result import Page

    class BlindReader:  # a pipeline that finds nothing, whatever the sheet
        def read(self, image):
            return Page("<array>", image.shape[1::-1], "none", [])

    with pytest.raises(DataError, match="no digit found"):
        harvest(BlindReader(), hershey_glyph_source(), 10, quiet=True)


@pytest.fixture(scope="module")
def views(reader):
    return harvest_strings(reader, hershey_glyph_source(), 80, seed=0, tiers=("touching",), quiet=True)


def test_string_views_hold_joined_and_single_digits(views):
    canvases, texts = views
    assert canvases.shape == (80, 28, 96) and canvases.dtype == np.uint8 and len(texts) == 80
    assert all(t.isdigit() and 1 <= len(t) <= 4 for t in texts)
    assert sum(len(t) >= 2 for t in texts) >= 10  # touching sheets: joined pairs and triples
    assert sum(len(t) == 1 for t in texts) >= 10  # and single digits, which must stay single


def test_each_string_view_is_labelled_with_the_digits_it_shows(views):
    from digit_sheet_reader.training.sequence_reader import decode

    canvases, texts = views
    read = [r.text for r in decode(SheetReader().read_strings(canvases))]
    assert np.mean([a == b for a, b in zip(read, texts)]) >= 0.8
    # Negative control: the same views under shuffled texts would not pass.
    shuffled = np.random.default_rng(0).permutation(texts)
    assert np.mean([a == b for a, b in zip(read, shuffled)]) < 0.5


def test_a_region_holds_the_digits_whose_centres_it_covers_left_to_right():
    digits = np.array([[50, 0, 20, 30], [10, 0, 20, 30], [30, 0, 20, 30], [200, 0, 20, 30]], np.float64)
    np.testing.assert_array_equal(_digits_inside(digits, (10, 0, 60, 30)), [1, 2, 0])
    assert _digits_inside(digits, (10, 0, 48, 30)) is None  # cuts 40 % off the digit at 50
    assert _digits_inside(digits, (190, 0, 120, 40)) is None  # far larger than the one digit it holds
    assert _digits_inside(digits, (100, 0, 30, 30)) is None  # holds none


def test_harvested_regions_saved_to_a_file_load_back_and_a_wrong_file_is_a_clear_error(tmp_path):
    from digit_sheet_reader.errors import DataError
    from digit_sheet_reader.training.harvest import load_views, save_views

    views = np.random.default_rng(0).integers(0, 256, (3, 28, 96), dtype=np.uint8)
    save_views(tmp_path / "views.npz", views, ["4", "07", "1119"])
    loaded, texts = load_views(tmp_path / "views.npz")
    np.testing.assert_array_equal(loaded, views)
    assert texts == ["4", "07", "1119"]  # texts stay strings: "07" keeps its 0
    (tmp_path / "not.npz").write_text("not a zip")
    with pytest.raises(DataError, match="not a file of harvested sheet regions"):
        load_views(tmp_path / "not.npz")
    np.savez(tmp_path / "crops.npz", views=np.zeros((2, 28, 28)), texts=np.array(["1", "2"]))
    with pytest.raises(DataError, match="not a file of harvested sheet regions"):
        load_views(tmp_path / "crops.npz")
