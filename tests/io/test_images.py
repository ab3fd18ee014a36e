"""Loading: EXIF orientation, reduced decoding of large photos, array input, and the
files refused before any pixel is decoded."""

import io
import os

import numpy as np
import pytest
from PIL import Image

from digit_sheet_reader.errors import ImageError, OutputError
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


@pytest.mark.parametrize("suffix", [".png", ".webp", ".tiff"])
def test_exif_orientation_is_honoured_beyond_jpeg(tmp_path, suffix):
    pixels = np.zeros((100, 200, 3), np.uint8)
    pixels[:, :50] = 255
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(tmp_path / f"phone{suffix}", exif=exif, **({"lossless": True} if suffix == ".webp" else {}))
    loaded = load_image(tmp_path / f"phone{suffix}")
    assert loaded.image.shape[:2] == (200, 100) and loaded.original_size == (100, 200)
    assert loaded.image[:50].mean() > 200 and loaded.image[100:].mean() < 50


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_matches_pillows(tmp_path, orientation):
    from PIL import ImageOps

    pixels = np.random.default_rng(orientation).integers(0, 255, (30, 50, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = orientation
    image.save(tmp_path / "o.png", exif=exif)
    shown = np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "o.png")))[:, :, ::-1]  # RGB -> BGR
    np.testing.assert_array_equal(load_image(tmp_path / "o.png").image, shown)


def _tiff_with_its_directory_at_the_end(path, width, height, sample_bits=8, samples=1):
    """A TIFF header whose first directory lies past 1 MB (libtiff's usual
    layout), declaring ``width`` x ``height`` pixels over filler bytes."""
    import struct

    filler = bytes(1_100_000)
    entries = [(256, 4, width), (257, 4, height), (258, 3, sample_bits), (259, 3, 1), (262, 3, 1),
               (273, 4, 8), (277, 3, samples), (278, 4, height), (279, 4, len(filler))]
    directory = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value))
        for tag, kind, value in entries) + struct.pack("<I", 0)
    path.write_bytes(b"II*\x00" + struct.pack("<I", 8 + len(filler)) + filler + directory)
    return path


def test_a_tiff_over_the_pixel_limit_is_refused_whatever_its_layout(tmp_path):
    path = _tiff_with_its_directory_at_the_end(tmp_path / "big.tif", 11_000, 11_000)  # 121 MP
    with pytest.raises(ImageError, match="too large"):
        load_image(path)


def _radiance(path, width, height):
    path.write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y %d +X %d\n" % (height, width) + bytes(64))
    return path


def test_radiance_hdr_named_png_is_sized_from_its_own_header(tmp_path):
    with pytest.raises(ImageError, match="too large"):
        load_image(_radiance(tmp_path / "page.png", 11_000, 11_000))


def test_an_image_too_large_decoded_is_refused_before_decoding(tmp_path):
    # Under the pixel limit, but three float channels: 1.1 GB decoded.
    with pytest.raises(ImageError, match="would take 1.1 GB decoded"):
        load_image(_radiance(tmp_path / "page.hdr", 10_000, 10_000))


def test_a_16_bit_rgba_page_converts_strip_by_strip_as_a_whole(tmp_path):
    from digit_sheet_reader.io import images

    rng = np.random.default_rng(0)
    page = rng.integers(0, 65535, (700, 90, 4), dtype=np.uint16)
    whole = images._to_8bit(page)
    alpha = whole[:, :, 3:4].astype(np.float32) / 255.0
    expected = (whole[:, :, :3] * alpha + 255 * (1 - alpha)).round().astype(np.uint8)
    np.testing.assert_array_equal(images._to_bgr8(page), expected)  # 700 rows: three strips


def test_a_jpeg_cut_short_and_closed_with_an_end_marker_is_truncated(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (400, 400, 3), dtype=np.uint8)).save(buffer, "JPEG")
    data = buffer.getvalue()
    (tmp_path / "cut.jpg").write_bytes(data[:len(data) // 2] + b"\xff\xd9")
    with pytest.raises(ImageError, match="truncated JPEG"):
        load_image(tmp_path / "cut.jpg")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_without_opening_it(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    with pytest.raises(ImageError, match="not a regular file \\(a named pipe\\)"):
        load_image(tmp_path / "pipe.png")  # opening it would wait for a writer forever


def test_a_device_is_refused():
    with pytest.raises(ImageError, match="not a regular file \\(a character device\\)"):
        load_image("/dev/zero")
