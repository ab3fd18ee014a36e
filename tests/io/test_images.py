"""Loading: EXIF orientation, reduced decoding of large photos, array input."""

import io

import numpy as np
import pytest
from PIL import Image

from digit_sheet_reader.errors import OutputError
from digit_sheet_reader.io.images import load_image, save_image


def test_exif_orientation_is_honoured(tmp_path):
    pixels = np.zeros((100, 200, 3), np.uint8)
    pixels[:, :50] = 255  # white band on the left of the stored pixels
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    image.save(tmp_path / "phone.jpg", exif=exif, quality=95)
    loaded = load_image(tmp_path / "phone.jpg")
    assert loaded.image.shape[:2] == (200, 100)  # displayed upright: portrait
    assert loaded.original_size == (100, 200)
    assert loaded.image[:50].mean() > 200  # the band is now at the top


def test_large_jpeg_is_read_at_reduced_size_with_scale(tmp_path):
    big = np.full((3000, 4000, 3), 230, np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(big).save(buffer, "JPEG")
    (tmp_path / "big.jpg").write_bytes(buffer.getvalue())
    loaded = load_image(tmp_path / "big.jpg", max_side=2400)
    assert max(loaded.image.shape[:2]) <= 2400
    assert loaded.original_size == (4000, 3000)
    assert loaded.scale == pytest.approx(4000 / loaded.image.shape[1])


def test_array_input_grey_and_float():
    loaded = load_image(np.full((50, 80), 0.5, np.float32))
    assert loaded.image.shape == (50, 80, 3) and loaded.image.dtype == np.uint8
    assert abs(int(loaded.image[0, 0, 0]) - 128) <= 1


def test_save_image_is_atomic_and_rejects_unknown_extension(tmp_path):
    image = np.zeros((10, 10, 3), np.uint8)
    save_image(tmp_path / "ok.png", image)
    with pytest.raises(OutputError, match="cannot encode"):
        save_image(tmp_path / "bad.nope", image)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.png"]
