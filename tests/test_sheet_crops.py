"""Crops harvested from generated sheets carry the labels of the digits they show."""

import numpy as np
import pytest

from utils.reader import SheetReader
from utils.sheet_crops import harvest
from utils.sheets import hershey_glyph_source


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


def test_harvest_gives_up_with_a_clear_error_when_no_digit_is_ever_found():
    from utils.errors import DataError
    from utils.result import Page

    class BlindReader:  # a pipeline that finds nothing, whatever the sheet
        def read(self, image):
            return Page("<array>", image.shape[1::-1], "none", [])

    with pytest.raises(DataError, match="no digit found"):
        harvest(BlindReader(), hershey_glyph_source(), 10, quiet=True)
