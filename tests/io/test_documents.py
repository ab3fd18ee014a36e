"""PDFs and multi-page TIFFs: every page read, numbered, through the API,
the CLI and batch mode; broken, empty and oversized PDFs are one-line errors."""

import csv
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import ROOT
from PIL import Image

from digit_sheet_reader.errors import ImageError
from digit_sheet_reader.io.documents import document_pages, is_document
from digit_sheet_reader.pipeline.reader import SheetReader
from digit_sheet_reader.synth.tables import compose_table

SHEET = ROOT / "examples" / "sheet.jpg"


def rgb(image):
    return Image.fromarray(np.ascontiguousarray(image[:, :, ::-1]))


@pytest.fixture(scope="module")
def table():
    return compose_table(np.random.default_rng(1))


@pytest.fixture(scope="module")
def two_pages(table, tmp_path_factory):
    """A PDF and a TIFF of the same two pages: a ruled table, then a sheet of lines."""
    folder = tmp_path_factory.mktemp("documents")
    sheet = cv2.imread(str(SHEET))
    rgb(table[0]).save(folder / "form.pdf", save_all=True, append_images=[rgb(sheet)], resolution=100)
    assert cv2.imwritemulti(str(folder / "form.tif"), [table[0], sheet])
    return folder


@pytest.fixture(scope="module")
def reader(shipped_cnn):
    return SheetReader(shipped_cnn)


@pytest.mark.parametrize("name", ["form.pdf", "form.tif"])
def test_every_page_is_read_and_numbered(reader, two_pages, table, name):
    pages = list(reader.read_document(two_pages / name))
    assert [page.page for page in pages] == [1, 2]
    assert pages[0].tables[0].grid() == table[1]
    alone = reader.read(SHEET)
    assert pages[1].text == alone.text  # the second page reads as the image on its own
    assert pages[0].to_dict()["page"] == 1


def test_pages_are_rendered_one_at_a_time(reader, two_pages, monkeypatch):
    import digit_sheet_reader.pipeline.reader as reading

    rendered = []

    def counted(path, dpi):
        for number, image in document_pages(path, dpi):
            rendered.append(number)
            yield number, image

    monkeypatch.setattr(reading, "document_pages", counted)
    pages = reader.read_document(two_pages / "form.pdf")
    assert next(pages).page == 1 and rendered == [1]  # the second page is not rendered yet
    assert next(pages).page == 2 and rendered == [1, 2]


def test_an_image_is_one_page_without_a_number(reader):
    (page,) = reader.read_document(SHEET)
    assert page.page is None and "page" not in page.to_dict()
    assert not is_document(SHEET)


def test_broken_and_empty_pdfs_are_image_errors(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is no PDF\n")
    with pytest.raises(ImageError, match="not a PDF that can be read"):
        list(document_pages(broken))
    import pypdfium2 as pdfium

    empty = tmp_path / "empty.pdf"
    pdfium.PdfDocument.new().save(str(empty))
    with pytest.raises(ImageError, match="not a PDF that can be read"):  # PDFium refuses a PDF of no pages
        list(document_pages(empty))


def test_an_encrypted_pdf_says_it_needs_a_password(two_pages, tmp_path):
    import pikepdf

    with pikepdf.open(two_pages / "form.pdf") as pdf:
        pdf.save(tmp_path / "locked.pdf", encryption=pikepdf.Encryption(owner="owner", user="secret"))
    with pytest.raises(ImageError, match="encrypted PDF"):
        next(document_pages(tmp_path / "locked.pdf"))


def test_a_page_too_large_at_the_dpi_asked_is_refused_before_rendering(two_pages):
    with pytest.raises(ImageError, match="use a lower --dpi"):
        next(document_pages(two_pages / "form.pdf", dpi=20000))


def test_cli_prints_one_document_and_writes_a_picture_per_page(two_pages, table, tmp_path):
    pdf = two_pages / "form.pdf"
    run = subprocess.run([sys.executable, "-m", "digit_sheet_reader", "-i", str(pdf), "--json", "-o",
                          str(tmp_path / "seen.png"), "--csv", str(tmp_path / "cells.csv")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["image"] == str(pdf) and [p["page"] for p in document["pages"]] == [1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cells.csv", "seen.png", "seen_2.png"]
    with open(tmp_path / "cells.csv", newline="") as handle:
        assert list(csv.reader(handle)) == table[1]
    text = subprocess.run([sys.executable, "-m", "digit_sheet_reader", "-i", str(pdf)], capture_output=True,
                          text=True).stdout.splitlines()
    assert text[0] == "--- page 1 ---" and "--- page 2 ---" in text


def test_cli_refuses_a_dpi_of_zero(two_pages):
    run = subprocess.run([sys.executable, "-m", "digit_sheet_reader", "-i", str(two_pages / "form.pdf"),
                          "--dpi", "0"], capture_output=True, text=True)
    assert run.returncode == 2 and "--dpi must be more than 0" in run.stderr


def test_a_batch_records_a_row_per_page(two_pages, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "form.pdf").write_bytes((two_pages / "form.pdf").read_bytes())
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7 nothing more")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "digit_sheet_reader", "-i", str(folder), "--out", str(out),
                          "--workers", "1", "--quiet", "--no-images"], capture_output=True, text=True)
    assert run.returncode == 7, run.stderr  # the broken PDF failed, the batch went on
    with open(out / "results.csv", newline="") as handle:
        rows = [(r["path"], r["page"], r["status"]) for r in csv.DictReader(handle)]
    assert rows == [("broken.pdf", "", "error"), ("form.pdf", "1", "ok"), ("form.pdf", "2", "ok")]
    assert [p["page"] for p in json.loads((out / "form.pdf.json").read_text())["pages"]] == [1, 2]
    assert (out / "form.pdf.csv").exists()
