"""Documents of several pages: PDFs and multi-page TIFFs, page by page.

A PDF is rendered with PDFium (pypdfium2) at ``dpi``; a TIFF's pages are
decoded by OpenCV one at a time. Each page is checked against the same
size limits as a single image before it is rendered or decoded, so one
huge page costs nothing and a long document holds one page in memory at
a time.

Examples
--------
>>> is_document("scan.pdf"), is_document("photo.jpg")        # doctest: +SKIP
(True, False)
"""

from pathlib import Path

import cv2
import numpy as np

from ..errors import ImageError
from . import DEFAULT_DPI
from .files import regular_file
from .images import IMAGE_EXTENSIONS, MAX_PIXELS, read_header

PDF_MAGIC = b"%PDF-"
# What a batch reads from a folder: images, and PDFs.
DOCUMENT_EXTENSIONS = IMAGE_EXTENSIONS | {".pdf"}


def _is_pdf(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(len(PDF_MAGIC)) == PDF_MAGIC
    except OSError:
        return False  # unreadable: load_image says why, in one line


def is_document(path):
    """True for a PDF (by its first bytes) or a TIFF of more than one page."""
    path = Path(path)
    if not path.is_file():
        return False  # load_image says what is wrong with it
    if _is_pdf(path):
        return True
    return path.suffix.lower() in (".tif", ".tiff") and _tiff_pages(path) > 1


def _tiff_pages(path):
    header = read_header(path)
    return header.frames if header is not None and header.format == "TIFF" else 1


def _tiff_page_sizes(path):
    """(width, height) of each page of a TIFF, from its directories only."""
    from PIL import Image

    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # the size is checked here, page by page
    try:
        with Image.open(path) as im:
            sizes = []
            for index in range(getattr(im, "n_frames", 1)):
                im.seek(index)
                sizes.append(im.size)
            return sizes
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def document_pages(path, dpi=DEFAULT_DPI):
    """Yield ``(number, BGR array)`` for each page of a PDF or multi-page
    TIFF, numbered from 1.

    Raises
    ------
    ImageError
        An encrypted, broken or empty PDF, a page over ``MAX_PIXELS`` at
        this ``dpi``, or a page that cannot be decoded.
    """
    path = Path(path)
    regular_file(path, ImageError)
    yield from (_pdf_pages(path, dpi) if _is_pdf(path) else _tiff_pages_of(path))


def _pdf_pages(path, dpi):
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ImageError(f"{path}: encrypted PDF (needs a password); save an unencrypted copy first") from None
        raise ImageError(f"{path}: not a PDF that can be read: broken, or no pages ({exc})") from None
    try:
        if len(pdf) == 0:  # PDFium refuses most such files itself
            raise ImageError(f"{path}: PDF with no pages")
        scale = dpi / 72.0  # PDF sizes are in points, 72 to the inch
        for index in range(len(pdf)):
            page = pdf[index]
            width, height = (int(round(v * scale)) for v in page.get_size())
            if width * height > MAX_PIXELS:
                raise ImageError(f"{path}: page {index + 1} at {dpi:g} dpi would be {width}x{height} pixels "
                                 f"(limit {MAX_PIXELS // 1_000_000} MP); use a lower --dpi")
            try:
                image = page.render(scale=scale).to_numpy()  # BGR(x), white paper
            except pdfium.PdfiumError as exc:
                raise ImageError(f"{path}: page {index + 1} cannot be rendered ({exc})") from None
            yield index + 1, np.ascontiguousarray(image[:, :, :3])
    finally:
        pdf.close()


def _tiff_pages_of(path):
    for index, (width, height) in enumerate(_tiff_page_sizes(path)):
        if width * height > MAX_PIXELS:
            raise ImageError(f"{path}: page {index + 1} of {width}x{height} pixels is too large "
                             f"(limit {MAX_PIXELS // 1_000_000} MP)")
        ok, mats = cv2.imreadmulti(str(path), start=index, count=1, flags=cv2.IMREAD_UNCHANGED)
        if not ok or not mats or mats[0].size == 0:
            raise ImageError(f"{path}: page {index + 1} cannot be decoded")
        yield index + 1, mats[0]
