"""Load a photo or scan as 8-bit BGR at a working resolution.

- Any format OpenCV decodes (JPEG, PNG, BMP, TIFF, WebP, ...), from a path
  (non-ASCII names included) or an array already in memory.
- EXIF orientation is honoured (OpenCV applies it when decoding in colour).
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
from .atomic import write_atomic

# The file types the reader and the batch jobs take as images.
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm"}

MAX_SIDE = 2400
# Default for ``min_side``: the longer side a DCT-reduced JPEG keeps at least
# (a 12 MP photo decodes at 2000x1500). The reader asks for less first.
MIN_REDUCED_SIDE = 1600
# Refuse what no phone or scanner makes (the largest phone sensors give
# 50-108 MP) before decoding eats the memory: 120 MP is 360 MB decoded.
MAX_PIXELS = 120_000_000

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
    """Grey, BGR, BGRA, 16-bit or float -> 8-bit BGR; alpha composited over white."""
    if image.dtype == np.uint16:
        image = (image / 257.0).round().astype(np.uint8)
    elif image.dtype != np.uint8:
        image = image.astype(np.float64)
        peak = 1.0 if image.max() <= 1.0 else 255.0
        image = np.clip(image * (255.0 / peak), 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        paper = np.full_like(image[:, :, :3], 255, dtype=np.float32)
        return (image[:, :, :3] * alpha + paper * (1 - alpha)).round().astype(np.uint8)
    if image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return image[:, :, :3]


def _header_size(data):
    """(width, height) from the file header without decoding pixels, or None."""
    import io
    import warnings

    from PIL import Image  # only the header is read

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its decompression-bomb warning: we check size ourselves
            limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                with Image.open(io.BytesIO(data)) as im:
                    return im.size
            finally:
                Image.MAX_IMAGE_PIXELS = limit
    except Exception:  # unknown to Pillow: OpenCV will say whether it can decode it
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
        Missing path, a directory, zero bytes, or bytes OpenCV cannot decode.

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
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a directory, not an image")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise ImageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if data.size == 0:
        raise ImageError(f"{path}: empty file (0 bytes)")
    return _decode(data, path, max_side, min_side)


def _decode(data, path, max_side, min_side=MIN_REDUCED_SIDE):
    size = _header_size(data.tobytes()[:1 << 20])
    if size and size[0] * size[1] > MAX_PIXELS:
        raise ImageError(f"{path}: image of {size[0]}x{size[1]} pixels is too large "
                         f"(limit {MAX_PIXELS // 1_000_000} MP); scale it down first")
    is_jpeg = data[:2].tobytes() == b"\xff\xd8"
    # libjpeg decodes a truncated file into a grey-bottomed picture with only
    # a warning; the end-of-image marker (never stuffed inside entropy data)
    # tells a complete file.
    if is_jpeg and b"\xff\xd9" not in data[-4096:].tobytes():
        raise ImageError(f"{path}: truncated JPEG (no end-of-image marker)")
    if is_jpeg:
        # JPEG: decode at the largest DCT reduction (1/2, 1/4, 1/8) that keeps
        # the longer side at least MIN_REDUCED_SIDE. OpenCV applies EXIF
        # orientation in these colour modes.
        reduction = 1
        if size:
            while reduction < 8 and max(size) / (reduction * 2) >= min(max_side, min_side):
                reduction *= 2
        image = cv2.imdecode(data, _REDUCED[reduction])
    else:
        image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise ImageError(f"{path}: not an image OpenCV can decode (corrupt, truncated or another format)")
    full_size = size if size and is_jpeg else (image.shape[1], image.shape[0])
    if is_jpeg and size and (image.shape[0] > image.shape[1]) != (size[1] > size[0]) and size[0] != size[1]:
        full_size = (size[1], size[0])  # EXIF rotated the picture by 90 degrees
    work = _fit(_to_bgr8(image), max_side)
    return LoadedImage(work, tuple(int(v) for v in full_size), full_size[0] / work.shape[1])


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
    try:
        write_atomic(path, encoded.tobytes())
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
