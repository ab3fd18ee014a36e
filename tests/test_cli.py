"""The command line (digit_sheet_reader.cli, run as recognize.py) end to end: output formats and every bad input."""

import json
import struct
import subprocess
import sys
import zlib
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import ROOT

from digit_sheet_reader import cli
from digit_sheet_reader.errors import ImageError, ModelError, OutputError

SHEET = ROOT / "examples" / "sheet.jpg"


def run(*argv):
    result = subprocess.run([sys.executable, "recognize.py", *argv], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    return result.returncode, result.stdout, result.stderr


def assert_one_line_error(stderr, fragment):
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert fragment in errors[0]


def test_text_output_matches_ground_truth(shipped_cnn, capsys):
    truth = json.loads(SHEET.with_suffix(".truth.json").read_text())
    assert cli.main(["-i", str(SHEET)]) == 0
    assert capsys.readouterr().out.splitlines() == [line["text"] for line in truth["lines"]]


@pytest.mark.slow
def test_json_is_one_document_on_stdout(shipped_cnn):
    code, out, _ = run("-i", str(SHEET), "--json")
    assert code == 0
    doc = json.loads(out)  # exactly one JSON document, nothing else
    assert set(doc) == {"image", "size", "model", "rotation", "skew", "lines", "tables", "rejected", "timing_ms",
                        "warnings", "models"}
    assert doc["warnings"] == []  # every shipped helper model was found
    assert Path(doc["models"]["strings"]).name == "digit_strings.model"
    assert doc["rotation"] == 0 and abs(doc["skew"]) < 5  # the example lies upright
    for mark in doc["rejected"]:
        assert set(mark) == {"box", "reason"} and len(mark["box"]) == 4
    image = cv2.imread(str(SHEET))
    assert doc["size"] == [image.shape[1], image.shape[0]]
    assert doc["model"] == "output/mnist_cnn.model"
    assert set(doc["timing_ms"]) == {"load", "tables", "page", "ink", "regions", "recognise", "refine", "lines", "total"}
    assert doc["tables"] == []  # the example sheet has no ruled table
    for line in doc["lines"]:
        assert line["text"] == "".join(d["label"] for d in line["digits"])
        xs = [d["box"][0] for d in line["digits"]]
        assert xs == sorted(xs)  # left to right
        for d in line["digits"]:
            x, y, w, h = d["box"]
            assert 0 <= x and 0 <= y and x + w <= doc["size"][0] and y + h <= doc["size"][1]
            assert 0 < d["confidence"] <= 1
    tops = [line["box"][1] for line in doc["lines"]]
    assert tops == sorted(tops)  # one column: top to bottom


def test_annotated_output_written(tmp_path, shipped_cnn):
    out = tmp_path / "annotated.png"
    assert cli.main(["-i", str(SHEET), "-o", str(out)]) == 0
    written = cv2.imread(str(out))
    original = cv2.imread(str(SHEET))
    assert written.shape == original.shape
    assert (np.abs(written.astype(int) - original).max(axis=2) > 60).mean() > 0.001  # boxes drawn
    assert [p.name for p in tmp_path.iterdir()] == ["annotated.png"]  # no temporary left


def test_mlp_model_works_too(shipped_cnn, capsys):
    assert cli.main(["-i", str(SHEET), "-m", "output/mnist_mlp.model"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4


@pytest.mark.slow
def test_keras_runtime_reads_the_same(shipped_cnn, capsys):
    cli.main(["-i", str(SHEET), "--runtime", "keras"])
    keras_text = capsys.readouterr().out
    cli.main(["-i", str(SHEET), "--runtime", "litert"])
    assert capsys.readouterr().out == keras_text


def test_show_without_display_says_so(shipped_cnn, monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert cli.main(["-i", str(SHEET), "--show"]) == 0
    assert "no display" in capsys.readouterr().err


def test_grey_rgba_and_16bit_inputs(tmp_path, shipped_cnn, capsys):
    base = cv2.imread(str(SHEET))
    grey = cv2.cvtColor(base, cv2.COLOR_BGR2GRAY)
    rgba = cv2.cvtColor(base, cv2.COLOR_BGR2BGRA)
    rgba[:, :, 3] = 255
    deep = base.astype(np.uint16) * 257
    cli.main(["-i", str(SHEET)])
    expected = capsys.readouterr().out
    for name, image in (("grey.png", grey), ("rgba.png", rgba), ("deep.png", deep), ("same.webp", base)):
        cv2.imwrite(str(tmp_path / name), image, [cv2.IMWRITE_WEBP_QUALITY, 101] if name.endswith("webp") else [])
        assert cli.main(["-i", str(tmp_path / name)]) == 0
        assert capsys.readouterr().out == expected, name


def test_transparent_background_is_paper(tmp_path, shipped_cnn, capsys):
    # Ink drawn on a fully transparent (black, alpha 0) canvas must not read as a black page.
    base = cv2.cvtColor(cv2.imread(str(SHEET)), cv2.COLOR_BGR2GRAY)
    rgba = np.zeros((*base.shape, 4), np.uint8)
    rgba[:, :, 3] = 255 - base
    cv2.imwrite(str(tmp_path / "ink.png"), rgba)
    cli.main(["-i", str(SHEET)])
    expected = capsys.readouterr().out
    assert cli.main(["-i", str(tmp_path / "ink.png")]) == 0
    assert capsys.readouterr().out == expected


def huge_png(path, side=20000):
    """A valid, all-white PNG of side x side pixels, written without holding it in memory."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor, parts = zlib.compressobj(9), []
    row = b"\x00" + b"\xff" * side
    for _ in range(side):
        parts.append(compressor.compress(row))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b""))
    return path


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    (folder / "notes.jpg").write_text("this is a text file, not a photo\n")
    (folder / "empty.png").write_bytes(b"")
    jpeg = SHEET.read_bytes()
    (folder / "cut.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (folder / "a_folder").mkdir()
    huge_png(folder / "huge.png")
    return folder


@pytest.mark.parametrize("name, fragment", [
    ("notes.jpg", "not an image"),
    ("empty.png", "empty file"),
    ("cut.jpg", "truncated JPEG"),
    ("a_folder", "is a directory"),
    ("missing.jpg", "no such file"),
    ("huge.png", "too large"),
])
@pytest.mark.slow
def test_bad_images(bad_inputs, name, fragment, shipped_cnn):
    code, out, err = run("-i", str(bad_inputs / name))
    assert code == ImageError.exit_code
    assert out == ""
    assert_one_line_error(err, fragment)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["README.md", "tests", "nowhere.model"])
def test_bad_model(model):
    code, _, err = run("-i", str(SHEET), "-m", model)
    assert code == ModelError.exit_code
    assert_one_line_error(err, model)


@pytest.mark.slow
def test_unwritable_output(tmp_path, shipped_cnn):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    code, _, err = run("-i", str(SHEET), "-o", str(blocker / "out.png"))
    assert code == OutputError.exit_code
    assert_one_line_error(err, "cannot write")
    assert blocker.read_text() == "not a folder"


def test_missing_output_folder_is_created(tmp_path, shipped_cnn):
    out = tmp_path / "new" / "folder" / "out.png"
    assert cli.main(["-i", str(SHEET), "-o", str(out)]) == 0
    assert out.stat().st_size > 0


@pytest.mark.slow
def test_unknown_output_extension(tmp_path, shipped_cnn):
    code, _, err = run("-i", str(SHEET), "-o", str(tmp_path / "out.xyz"))
    assert code == OutputError.exit_code
    assert_one_line_error(err, "cannot encode")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_blank_page_exits_zero(shipped_cnn):
    code, out, err = run("-i", str(ROOT / "tests" / "golden" / "blank.png"))
    assert code == 0 and out == "" and "no digits found" in err


@pytest.mark.slow
def test_help_has_an_example():
    code, out, _ = run("--help")
    assert code == 0 and "examples:" in out and "--json" in out


def test_the_second_opinion_pairs_with_the_shipped_cnn_only():
    from digit_sheet_reader import ModelSet, SheetReader

    assert SheetReader().second is not None and SheetReader().skipping is not None
    mlp = SheetReader(ROOT / "output" / "mnist_mlp.model")
    assert mlp.second is None and mlp.skipping is None  # the MLP reads on its own
    shipped = ModelSet.shipped()
    assert SheetReader(models=shipped.without("second")).skipping is None  # no second opinion, on no page
    no_skipping = SheetReader(models=shipped.without("skipping"))
    assert no_skipping.skipping is None and no_skipping.second is not None
    with pytest.raises(ModelError, match="labels"):
        SheetReader(models=replace(ModelSet.shipped(), second=ROOT / "output" / "digit_check.model"))  # not a digit recogniser
    with pytest.raises(ModelError, match="labels"):
        SheetReader(models=replace(ModelSet.shipped(), skipping=ROOT / "output" / "digit_check.model"))
