"""Load a photo or scan as 8-bit BGR at a working resolution.

- Any format OpenCV decodes (JPEG, PNG, BMP, TIFF, WebP, ...), from a path
  (non-ASCII names included) or an array already in memory.
- EXIF orientation is honoured (OpenCV applies it to JPEGs, this module to
  PNG, WebP and TIFF).
- Only regular files are read, and only after their header says how large
  they are: a page over ``MAX_PIXELS`` or ``MAX_DECODED_BYTES`` is refused
  before any pixel is decoded.
- Grey, colour, RGBA (composited over white paper) and 16-bit inputs.
- Large JPEGs are decoded at reduced size by the codec itself (DCT scaling
  by 1/2, 1/4 or 1/8: a fraction of the time, no resize after), keeping the
  longer side at least ``min_side``; other large images are resized. The
  working image's longer side is at most ``max_side``. :attr:`LoadedImage.scale` maps working pixels back to the
  original's.
"""

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import ImageError, OutputError
from .atomic import save_output
from .files import captured_stderr, regular_file

# The file types the reader and the batch jobs take as images.
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm"}

MAX_SIDE = 2400
# Default for ``min_side``: the longer side a DCT-reduced JPEG keeps at least
# (a 12 MP photo decodes at 2000x1500). The reader asks for less first.
MIN_REDUCED_SIDE = 1600
# Refuse what no phone or scanner makes (the largest phone sensors give
# 50-108 MP) before decoding eats the memory: 120 MP is 360 MB decoded.
MAX_PIXELS = 120_000_000
# ... nor one whose decoded pixels would take more than this (a 16-bit RGBA
# page of 118 MP is 0.95 GB), nor convert more than STRIP_ROWS rows at a time.
MAX_DECODED_BYTES = 1 << 30
STRIP_ROWS = 256
# Formats whose EXIF orientation OpenCV applies itself (JPEG in colour, TIFF always).
ORIENTED_BY_OPENCV = ("JPEG", "MPO", "TIFF")

_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
            8: cv2.IMREAD_REDUCED_COLOR_8}


@dataclass
class LoadedImage:
    """The working image and how it maps to the original.

    Attributes
    ----------
    image : ndarray uint8 (H, W, 3)
        BGR at working resolution.
    original_size : tuple
        ``(width, height)`` of the image as the user sees it (after EXIF rotation).
    scale : float
        Original pixels per working pixel (>= 1).
    """

    image: np.ndarray
    original_size: tuple
    scale: float


def _to_bgr8(image):
    """Grey, BGR, BGRA, 16-bit or float -> 8-bit BGR; alpha composited over white.

    Converted in strips of rows, so that a large 16-bit page needs little
    more memory than its decoded pixels.
    """
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(_to_8bit(image.reshape(image.shape[:2])), cv2.COLOR_GRAY2BGR)
    out = np.empty((*image.shape[:2], 3), np.uint8)
    peak = None if image.dtype in (np.uint8, np.uint16) else (1.0 if image.max() <= 1.0 else 255.0)
    for top in range(0, image.shape[0], STRIP_ROWS):
        strip = _to_8bit(image[top:top + STRIP_ROWS], peak)
        if strip.shape[2] == 4:
            alpha = strip[:, :, 3:4].astype(np.float32) / 255.0
            paper = np.full_like(strip[:, :, :3], 255, dtype=np.float32)
            strip = (strip[:, :, :3] * alpha + paper * (1 - alpha)).round().astype(np.uint8)
        out[top:top + STRIP_ROWS] = strip[:, :, :3]
    return out


def _to_8bit(image, peak=None):
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return (image / 257.0).round().astype(np.uint8)
    image = image.astype(np.float64)
    peak = peak or (1.0 if image.max() <= 1.0 else 255.0)
    return np.clip(image * (255.0 / peak), 0, 255).astype(np.uint8)


@dataclass
class Header:
    """What an image file says of itself before its pixels are decoded."""

    size: tuple  # (width, height) as stored
    channels: int
    sample_bytes: int  # bytes per channel of each pixel
    orientation: int = 1  # EXIF orientation (1: as stored)
    format: str = ""  # as Pillow names it: JPEG, PNG, TIFF, ...
    frames: int = 1  # pages of a multi-page TIFF (only the first is read as an image)

    @property
    def decoded_bytes(self):
        return self.size[0] * self.size[1] * self.channels * self.sample_bytes


def read_header(path):
    """The :class:`Header` of the image file at ``path``, or None if its
    format is not one this reader can size before decoding.

    Pillow reads only the header, wherever the format keeps it (a TIFF's
    directory may lie at the end of the file); Radiance HDR, which Pillow
    does not know, is sized from its own text header.
    """
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its decompression-bomb warning: we check size ourselves
            limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                with Image.open(path) as im:
                    return Header(im.size, len(im.getbands()), _sample_bytes(im, path),
                                  int(im.getexif().get(0x0112, 1) or 1), im.format or "", getattr(im, "n_frames", 1))
            finally:
                Image.MAX_IMAGE_PIXELS = limit
    except Exception:  # not Pillow's: perhaps a format it does not know
        return _radiance_header(path)


def _sample_bytes(im, path):
    """Bytes per channel as the decoder will give them (Pillow reduces 16-bit colour PNGs to 8 bits itself)."""
    if im.format == "PNG":
        with open(path, "rb") as handle:
            depth = handle.read(25)[24:25]  # IHDR's bit depth
        return 2 if depth == b"\x10" else 1
    if im.format == "TIFF":
        bits = im.tag_v2.get(258, (8,))
        return max(1, max(bits if isinstance(bits, tuple) else (bits,)) // 8)
    return {"I;16": 2, "I;16B": 2, "I;16L": 2, "I": 4, "F": 4}.get(im.mode, 1)


def _radiance_header(path):
    """A Radiance HDR file's size from its text header (``-Y rows +X columns``), or None."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head.startswith((b"#?RADIANCE", b"#?RGBE")):
        return None
    for line in head.split(b"\n"):
        parts = line.split()
        if len(parts) == 4 and parts[0] in (b"-Y", b"+Y") and parts[2] in (b"+X", b"-X"):
            try:
                return Header((int(parts[3]), int(parts[1])), 3, 4, 1, "HDR")
            except ValueError:
                return None
    return None


def _fit(image, max_side):
    longest = max(image.shape[:2])
    if longest <= max_side:
        return image
    factor = max_side / longest
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)


def load_image(source, max_side=MAX_SIDE, min_side=MIN_REDUCED_SIDE):
    """Load ``source`` (a path or an array) as a :class:`LoadedImage`.

    ``min_side``: a large JPEG is decoded at the smallest DCT reduction
    that keeps its longer side at least this long.

    Raises
    ------
    ImageError
        Missing path, a directory or another file that is not a regular
        one, zero bytes, a format that cannot be sized before decoding,
        an image over ``MAX_PIXELS`` or ``MAX_DECODED_BYTES``, or bytes
        OpenCV cannot decode.

    Examples
    --------
    >>> loaded = load_image(np.full((120, 300), 255, np.uint8))
    >>> loaded.image.shape, loaded.original_size, loaded.scale
    ((120, 300, 3), (300, 120), 1.0)
    """
    if isinstance(source, np.ndarray):
        if source.size == 0:
            raise ImageError("empty image array")
        full = _to_bgr8(source)
        work = _fit(full, max_side)
        return LoadedImage(work, (full.shape[1], full.shape[0]), full.shape[1] / work.shape[1])
    path = Path(source)
    if path.is_dir():
        raise ImageError(f"{path}: is a directory, not an image")
    regular_file(path, ImageError)
    if path.stat().st_size == 0:
        raise ImageError(f"{path}: empty file (0 bytes)")
    header = read_header(path)
    if header is None:
        raise ImageError(f"{path}: not an image this reader takes (JPEG, PNG, TIFF, BMP, WebP, ...), "
                         "or one whose size cannot be read before decoding")
    _check_size(path, header)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise ImageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return _decode(data, path, header, max_side, min_side)


def _check_size(path, header):
    width, height = header.size
    if width * height > MAX_PIXELS:
        raise ImageError(f"{path}: image of {width}x{height} pixels is too large "
                         f"(limit {MAX_PIXELS // 1_000_000} MP); scale it down first")
    if header.decoded_bytes > MAX_DECODED_BYTES:
        raise ImageError(f"{path}: image of {width}x{height} pixels with {header.channels} channels of "
                         f"{8 * header.sample_bytes} bits would take {header.decoded_bytes / 2**30:.1f} GB decoded "
                         f"(limit {MAX_DECODED_BYTES / 2**30:.0f} GB); save it as 8-bit or smaller first")


def _decode(data, path, header, max_side, min_side=MIN_REDUCED_SIDE):
    size = header.size
    is_jpeg = data[:2].tobytes() == b"\xff\xd8"
    # libjpeg decodes a truncated file into a grey-bottomed picture with only
    # a warning; the end-of-image marker (never stuffed inside entropy data)
    # tells a complete file, and the warning one cut short with a marker added.
    if is_jpeg and b"\xff\xd9" not in data[-4096:].tobytes():
        raise ImageError(f"{path}: truncated JPEG (no end-of-image marker)")
    with captured_stderr() as decoder_said:  # codec warnings: read here, never printed
        if is_jpeg:
            # JPEG: decode at the largest DCT reduction (1/2, 1/4, 1/8) that keeps
            # the longer side at least min_side. OpenCV applies EXIF
            # orientation in these colour modes.
            reduction = 1
            while reduction < 8 and max(size) / (reduction * 2) >= min(max_side, min_side):
                reduction *= 2
            image = cv2.imdecode(data, _REDUCED[reduction])
        else:
            image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if is_jpeg and "premature end" in decoder_said.text.lower():
        raise ImageError(f"{path}: truncated JPEG (its data ends early)")
    if image is None or image.size == 0:
        raise ImageError(f"{path}: not an image OpenCV can decode (corrupt, truncated or another format)")
    del data
    if header.format not in ORIENTED_BY_OPENCV:
        image = _oriented(image, header.orientation)
    full_size = size if is_jpeg else (image.shape[1], image.shape[0])
    if is_jpeg and (image.shape[0] > image.shape[1]) != (size[1] > size[0]) and size[0] != size[1]:
        full_size = (size[1], size[0])  # EXIF rotated the picture by 90 degrees
    work = _fit(_to_bgr8(image), max_side)
    return LoadedImage(work, tuple(int(v) for v in full_size), full_size[0] / work.shape[1])


def _oriented(image, orientation):
    """``image`` as EXIF ``orientation`` (2-8) says it is to be shown."""
    if orientation in (5, 6, 7, 8):
        image = cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE if orientation in (5, 6) else cv2.ROTATE_90_COUNTERCLOCKWISE)
    if orientation in (2, 5, 7):
        image = cv2.flip(image, 1)
    elif orientation in (3, 4):
        image = cv2.rotate(image, cv2.ROTATE_180) if orientation == 3 else cv2.flip(image, 0)
    return image


def save_image(path, image):
    """Write ``image`` atomically: encode in memory, write a temporary file, rename.

    The format follows the extension (.png, .jpg, .webp, ...).
    """
    path = Path(path)
    try:
        ok, encoded = cv2.imencode(path.suffix or ".png", image)
    except cv2.error:
        ok = False
    if not ok:
        raise OutputError(f"{path}: cannot encode an image with extension '{path.suffix}' (use .png or .jpg)")
    save_output(path, encoded.tobytes())
