"""The reader on pages turned, tilted, on a desk: the same text as upright,
boxes on the original photo, and the turn reported."""

import json
from dataclasses import replace

import cv2
import numpy as np
import pytest
from conftest import ROOT

from benchmarks.perturb_real import cast_shadow, in_cell, tilted, under_glare
from digit_sheet_reader.errors import PageError
from digit_sheet_reader.pipeline.reader import SheetReader
from digit_sheet_reader.synth.glyphs import render_glyph
from digit_sheet_reader.synth.scoring import match_boxes

UPRIGHT = ROOT / "tests" / "golden" / "clean_lines.png"
TURNS = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}


@pytest.fixture(scope="module")
def reader(shipped_cnn):
    return SheetReader(shipped_cnn)


@pytest.fixture(scope="module")
def upright(reader):
    page = reader.read(UPRIGHT)
    truth = json.loads(UPRIGHT.with_suffix(".truth.json").read_text())
    assert page.text.splitlines() == [line["text"] for line in truth["lines"]]
    assert (page.rotation, page.skew) == (0, 0.0)
    return page


@pytest.mark.parametrize("quarter", sorted(TURNS))
def test_a_turned_page_reads_as_upright_with_its_turn_reported(reader, upright, quarter):
    image = cv2.rotate(cv2.imread(str(UPRIGHT)), TURNS[quarter])
    page = reader.read(image)
    assert page.text == upright.text
    assert page.rotation == quarter and abs(page.skew) < 2
    # Boxes are in the turned photo's pixels: turn the upright boxes the same way and compare.
    h, w = cv2.imread(str(UPRIGHT)).shape[:2]
    expected = [_turn_box(d.box, quarter, w, h) for d in upright.digits]
    assert len(match_boxes(expected, [d.box for d in page.digits], min_iou=0.7)) == len(expected)


def test_a_page_tilted_30_degrees_reads_as_upright(reader, upright):
    page = reader.read(tilted(cv2.imread(str(UPRIGHT)), 30))
    assert page.text == upright.text
    assert page.rotation == 0 and page.skew == pytest.approx(30, abs=3)


def test_a_ruled_page_tilted_30_degrees_reads_as_upright(reader, upright):
    # Rules this steep are not found as rules: they join each line's digits
    # into one blob, so the tilt comes from the rules' own direction.
    image = cv2.imread(str(UPRIGHT))
    for line in upright.lines:
        x, y, w, h = line.box
        cv2.line(image, (0, y + h - 2), (image.shape[1], y + h - 2), (150, 120, 110), 2, cv2.LINE_AA)  # through their feet
    page = reader.read(tilted(image, 30))
    assert page.text == upright.text
    assert page.skew == pytest.approx(30, abs=3)


def test_a_page_written_joined_is_judged_upright_by_the_sequence_reader(reader):
    # The recogniser reads each joined group as one digit, unsurely whichever
    # way up; the sequence reader is far surer of the upright view.
    from digit_sheet_reader.pipeline.page import turn
    from digit_sheet_reader.pipeline.reader import READER, _Clock, load_image, page_view, scaled_to_work

    view, rough = scaled_to_work(*page_view(load_image(ROOT / "tests" / "golden" / "touching_pairs.jpg").image))
    upright = reader._find(view, rough, _Clock())
    flipped = reader._find(turn(upright.view, 180), rough, _Clock())
    assert upright.score > flipped.score + 5 * READER.turn_margin
    assert upright.score != pytest.approx(np.mean(upright.read.confidences))  # not the recogniser's


def register_crop_with_a_shaded_page_edge():
    """A crop of a scanned register: black scan margin on the left, the
    page's edge shaded where it curls into it, a small number in pale pencil."""
    image = np.full((216, 128, 3), 200, np.uint8)
    image[:, :46] = 15
    image[:66, 46:49] = np.array([150, 170, 185], np.uint8)[None, :, None]
    rng = np.random.default_rng(0)
    for k, digit in enumerate("12"):
        glyph = render_glyph(digit, rng, height=14, stroke=0.12, slant=0.0).astype(np.float32) / 255
        y, x = 78, 80 + 10 * k
        patch = image[y:y + glyph.shape[0], x:x + glyph.shape[1]].astype(np.float32)
        image[y:y + glyph.shape[0], x:x + glyph.shape[1]] = (patch * (1 - 0.3 * glyph[..., None])).astype(np.uint8)
    return image


def test_a_shaded_page_edge_at_the_crop_frame_does_not_shrink_a_small_pale_number(reader):
    # Counted as a digit, the edge's blob (four times their height) shrank the
    # view until the pencil digits were a few pixels tall: read "18".
    from digit_sheet_reader.pipeline.reader import page_view, scaled_to_work

    image = register_crop_with_a_shaded_page_edge()
    _, rough = scaled_to_work(*page_view(image))
    assert rough == pytest.approx(14, abs=2)
    assert reader.read(image).text == "12"


def test_a_page_of_small_digits_is_read_enlarged_a_crop_of_a_number_is_not(reader):
    # Digits 14 px tall have strokes of a pixel or two and holes as small
    # (`realphoto.jpg` at half size read a narrow 0 as 1): a page of them is
    # read enlarged until they stand READER.small_digit tall. A crop of a
    # number is not: its small print and specks would grow into digits.
    from digit_sheet_reader.pipeline.reader import READER, enlarged_if_small, page_view, scaled_to_work

    page = _small_digits_page()
    view, rough = enlarged_if_small(*scaled_to_work(*page_view(page)), max_side=2400)
    assert view.image.shape[1] > 1.5 * page.shape[1] and rough == pytest.approx(READER.small_digit, abs=1)
    corner = cv2.perspectiveTransform(np.float64([[[view.image.shape[1], view.image.shape[0]]]]), view.to_photo)
    np.testing.assert_allclose(corner[0, 0], [page.shape[1], page.shape[0]], atol=2)  # boxes map back to the photo
    assert [line.text for line in reader.read(page).lines] == ["3081 5926", "7460 1839", "0628 4175"]
    crop_view, crop_rough = enlarged_if_small(*scaled_to_work(*page_view(register_crop_with_a_shaded_page_edge())),
                                              max_side=2400)
    assert max(crop_view.image.shape[:2]) <= 216 and crop_rough == pytest.approx(14, abs=2)  # 216 x 128, digits 14 px


def test_a_large_photo_of_small_digits_is_decoded_again_not_enlarged(reader, tmp_path):
    # Its fast decode shows the digits small: the photo's own pixels are
    # decoded, rather than the small decode enlarged.
    page = np.full((600, 700, 3), 245, np.uint8)
    small = _small_digits_page()
    page[:small.shape[0], :small.shape[1]] = small
    path = tmp_path / "large.jpg"  # 1680 x 1440, digits under 24 px in a decode at half size
    cv2.imwrite(str(path), cv2.resize(page, None, fx=2.4, fy=2.4, interpolation=cv2.INTER_CUBIC))
    loaded, reading = reader.first_reading(path)
    assert loaded.image.shape[:2] == (1440, 1680)
    assert reading.view.image.shape[1] <= 1680  # read at the photo's own pixels, not enlarged


def test_a_small_page_in_a_large_photo_is_warped_from_the_photo_s_own_pixels(reader, tmp_path):
    # A note a seventh of a 12 MP photo wide: in the 2000 px decode its
    # digits stand 20 px tall, in the photo 40. The page is warped again
    # from a decode with the pixels they need (READER.work_digit_height).
    photo = np.full((3000, 4000, 3), 45, np.uint8)
    rows = [_written(text, height=40, seed=k) for k, text in enumerate(["3081 5926", "7460 1839"])]
    page = np.full((400, max(r.shape[1] for r in rows) + 100, 3), 245, np.uint8)
    for k, row in enumerate(rows):
        page[40 + 150 * k:40 + 150 * k + row.shape[0], 50:50 + row.shape[1]] = row
    photo[1200:1200 + page.shape[0], 1500:1500 + page.shape[1]] = page
    path = tmp_path / "note.jpg"
    cv2.imwrite(str(path), photo, [cv2.IMWRITE_JPEG_QUALITY, 92])
    loaded, reading = reader.first_reading(path)
    assert loaded.scale == pytest.approx(2.0)  # the working image is the decode at half size ...
    assert reading.view.image.shape[1] > 0.9 * page.shape[1]  # ... the page nearly all the photo's pixels
    assert reading.segmentation.digit_height > 30
    corner = cv2.perspectiveTransform(np.float64([[reading.view.image.shape[1::-1]]]), reading.view.to_photo)[0, 0]
    np.testing.assert_allclose(corner * loaded.scale, [1500 + page.shape[1], 1200 + page.shape[0]], atol=6)
    assert [line.text for line in reader.read(path).lines] == ["3081 5926", "7460 1839"]


def paper_with_a_shadow_across(rows):
    """A photo of paper, nothing else, ``rows`` written on it, and the
    sharp shadow of a phone over its left part, cutting across the rows."""
    written = [_written(text, height=40, seed=k) for k, text in enumerate(rows)]
    photo = np.full((640, 960, 3), 245, np.uint8)
    for k, row in enumerate(written):
        photo[120 + 180 * k:120 + 180 * k + row.shape[0], 60:60 + row.shape[1]] = row
    return cast_shadow(photo)


def test_writing_in_a_shadow_across_the_paper_is_read_with_the_rest(reader):
    # The lit part of the paper is a bright quadrilateral with sharp sides,
    # the shadow paper-coloured and plain, written on: no desk, the paper
    # goes on beyond the shadow's edge (page.shadowed_paper_beyond).
    page = reader.read(paper_with_a_shadow_across(["3081 5926", "7460 1839"]))
    assert [line.text for line in page.lines] == ["3081 5926", "7460 1839"]


def pencil_with_uneven_pressure(rows, seed):
    """A photo of paper with ``rows`` written in pencil (grey 160 on 245
    where pressed hardest), the pressure varying along each row from full
    to 0.8 of it, as a hand's does."""
    rng = np.random.default_rng(seed)
    photo = np.full((480, 800, 3), 245, np.uint8)
    for k, text in enumerate(rows):
        row = _written(text, height=40, seed=k).astype(np.float32)
        pressure = cv2.resize(rng.uniform(0.8, 1.0, (3, row.shape[1] // 20 + 1)).astype(np.float32), row.shape[1::-1],
                              interpolation=cv2.INTER_CUBIC).clip(0.2, 1.0)
        row = 245 - (245 - row) * pressure[..., None] * (85 / 210)
        photo[80 + 180 * k:80 + 180 * k + row.shape[0], 60:60 + row.shape[1]] = row.astype(np.uint8)
    return photo


@pytest.mark.parametrize("seed", range(5))
def test_pale_pencil_is_thresholded_by_the_page_s_own_strokes(reader, seed):
    # Pencil strokes about as dark as the usual high threshold: where the
    # hand pressed less they fall under it, and digits fall apart or
    # vanish. Thresholded in proportion to the page's own strokes
    # (ink.ink_scale), every digit is whole.
    page = reader.read(pencil_with_uneven_pressure(["3081 5926", "7460 1839"], seed))
    assert [line.text for line in page.lines] == ["3081 5926", "7460 1839"]


def number_over_the_next_row(cut, ruled=False):
    """A register's row number "45" cropped with the next row's "2706",
    whose writing the crop's foot cuts ``cut`` px down it (its lowest
    digits' feet lie at 99 and 97 px); ``ruled``: cut out along the row's
    rules, 5 px dark lines along the top and the foot."""
    below = _written("2706", seed=2)[:cut]
    number = _written("45", seed=1)
    number = np.hstack([number, np.full((number.shape[0], below.shape[1] - number.shape[1], 3), 245, np.uint8)])
    crop = np.vstack([number, below])
    if ruled:
        crop[:5] = crop[-5:] = 40
    return crop


@pytest.mark.parametrize("cut, ruled", [(97, False), (98, False), (95, True), (100, True)])
def test_the_next_row_cut_across_by_a_crop_s_foot_is_left_out(reader, cut, ruled):
    # The next row goes on below the crop, so it is another row's; its
    # other digits end above the foot, so not every mark of it is cut.
    # Cut along the rules, its feet run into the rule at the foot, not out
    # of the image, and the rules pass takes the rule off with a band of ink
    # beside it: inside the cut-in rules (ink.inside_borders) they are cut
    # as at the frame.
    page = reader.read(number_over_the_next_row(cut, ruled))
    assert [line.text for line in page.lines] == ["45"]
    assert any(mark.reason == "edge" for mark in page.rejected)


@pytest.mark.parametrize("seed", range(4))
def test_an_amount_over_a_cheque_s_pale_guilloche_is_read(reader, seed):
    # At the usual thresholds the guilloche is ink too, one network through
    # every digit: nothing is digit-sized, or its loops are. Lifted above
    # the pattern (ink.above_pale_pattern), the pen's digits stand alone.
    from digit_sheet_reader.synth.hard_cases import over_guilloche

    page = reader.read(over_guilloche(_written("4096 1385", seed=seed), np.random.default_rng(seed), strength=0.7))
    assert [line.text for line in page.lines] == ["4096 1385"]


def test_pale_writing_is_not_sized_by_a_desk_s_edges_in_the_photo_s_corners(reader):
    # Writing paled by glare reaches the usual thresholds nowhere; the only
    # ink at them is a dark desk's edges in two corners, cut by the frame
    # and far taller than the digits. Sized by those, the page was shrunk
    # until its digits were specks and the edges read as "11"; ink clear of
    # the frame found at the pale page's thresholds sizes it instead.
    from digit_sheet_reader.pipeline.reader import page_view

    photo = np.full((1000, 1400, 3), 245, np.uint8)
    for k, text in enumerate(["3081 5926", "7460 1839"]):
        row = _written(text, height=60, seed=k)
        photo[300 + 250 * k:300 + 250 * k + row.shape[0], 200:200 + row.shape[1]] = row
    photo = under_glare(photo, 0.35)
    cv2.fillConvexPoly(photo, np.int32([[0, 0], [60, 0], [0, 450]]), (70, 60, 50))
    cv2.fillConvexPoly(photo, np.int32([[1399, 0], [1339, 0], [1399, 450]]), (70, 60, 50))
    view, rough = page_view(photo)
    assert view.faint < 1.0 and rough == pytest.approx(60, rel=0.3)
    assert [line.text for line in reader.read(photo).lines] == ["3081 5926", "7460 1839"]
    dark = photo.copy()  # the control: dark writing beside the same edges is sized by itself at the usual thresholds
    for k, text in enumerate(["3081 5926", "7460 1839"]):
        row = _written(text, height=60, seed=k)
        dark[300 + 250 * k:300 + 250 * k + row.shape[0], 200:200 + row.shape[1]] = row
    assert page_view(dark)[0].faint == 1.0


@pytest.mark.parametrize("pen, height, full_decode", [("thin", 60, True), ("thin", 100, True), ("bold", 60, False),
                                                     ("bold", 100, False)])
def test_thin_strokes_at_the_fast_decode_are_read_from_the_full_one(reader, tmp_path, pen, height, full_decode):
    # A DCT-reduced decode averages a thin stroke into the paper: digits
    # written with a 2 px pen (1 px in the decode at half size) are read
    # from the photo's own pixels, shrunk with their strokes kept dark,
    # however tall they stand. Bold strokes are read from the fast decode.
    photo = np.full((1800, 2400, 3), 235, np.uint8)
    line = _written("135790", height=height)
    if pen == "thin":
        line = _thinned(line, width=2)
    photo[800:800 + line.shape[0], 300:300 + line.shape[1]] = line
    path = tmp_path / "photo.jpg"
    cv2.imwrite(str(path), photo, [cv2.IMWRITE_JPEG_QUALITY, 92])
    loaded, _ = reader.first_reading(path)
    assert (loaded.scale == 1.0) == full_decode
    assert reader.read(path).text == "135790"


def _thinned(written, width):
    """``written`` redrawn with a pen ``width`` px wide along its strokes' middles."""
    from skimage.morphology import skeletonize

    middles = skeletonize(written[..., 0] < 140).astype(np.uint8)
    ink = cv2.dilate(middles, np.ones((width, width), np.uint8)) > 0
    thin = np.full_like(written, 245)
    thin[ink] = (40, 30, 30)
    return thin


def _small_digits_page():
    """Three rows of digits 14 px tall on a page about 450 px wide."""
    rows = [_written(text, height=14, seed=k) for k, text in enumerate(["3081 5926", "7460 1839", "0628 4175"])]
    page = np.full((300, max(r.shape[1] for r in rows) + 300, 3), 245, np.uint8)
    for k, row in enumerate(rows):
        page[20 + 30 * k:20 + 30 * k + row.shape[0], 100:100 + row.shape[1]] = row
    return page


def number_over_a_printed_footer():
    """A register crop: a handwritten number, and a line of small print at the foot of the page."""
    image = np.full((220, 260, 3), 235, np.uint8)
    rng = np.random.default_rng(3)
    x = 90
    for digit in "47":
        glyph = render_glyph(digit, rng, height=30).astype(np.float32) / 255
        patch = image[60:60 + glyph.shape[0], x:x + glyph.shape[1]].astype(np.float32)
        image[60:60 + glyph.shape[0], x:x + glyph.shape[1]] = (patch * (1 - 0.85 * glyph[..., None])).astype(np.uint8)
        x += glyph.shape[1] + 6
    cv2.putText(image, "Printed for the parish", (10, 190), cv2.FONT_HERSHEY_COMPLEX, 0.6, (40, 40, 40), 1, cv2.LINE_AA)
    return image


def test_a_printed_footer_is_rejected_as_a_word_and_the_number_kept(reader, monkeypatch):
    page = reader.read(number_over_a_printed_footer())
    assert page.text == "47"
    assert any(mark.reason == "word" for mark in page.rejected)
    # The control: without the word rule the footer is read as digits.
    from digit_sheet_reader.pipeline import reject

    monkeypatch.setattr(reject, "REJECT", replace(reject.REJECT, word_doubt=1.01))
    assert reader.read(number_over_a_printed_footer()).text.startswith("47\n")


def test_a_page_of_nothing_but_a_word_and_a_stray_mark_keeps_the_mark(reader, monkeypatch):
    # Every short line taken for a stray mark: the number is one, the footer
    # a word. A page of nothing else keeps its guesses, but a word is never a
    # number and a lone mark may be one.
    from digit_sheet_reader.pipeline import reject

    monkeypatch.setattr(reject, "REJECT", replace(reject.REJECT, stray_doubt=0.0))
    page = reader.read(number_over_a_printed_footer())
    assert page.text == "47" and any(mark.reason == "word" for mark in page.rejected)


@pytest.mark.parametrize("columns", [(40,), (30, 60, 90)], ids=["one", "three"])
@pytest.mark.parametrize("top", [0, 6], ids=["cut", "clear"])
def test_a_line_the_crops_frame_cuts_is_another_rows(reader, columns, top):
    # A register crop: strokes of the row above (or a rule's stub) cut by the
    # crop's top edge read as 1s; the same strokes clear of the edge are a
    # line of their own (the control).
    image = number_over_a_printed_footer()[:150].copy()
    for x in columns:
        cv2.line(image, (x, top), (x, top + 30), (50, 50, 50), 3, cv2.LINE_AA)
    page = reader.read(image)
    assert page.text == ("47" if top == 0 else "1" * len(columns) + "\n47")
    assert [mark.reason for mark in page.rejected].count("edge") == (len(columns) if top == 0 else 0)


def number_over_a_written_cross(strokes):
    """The register crop's number, no footer, and a cross written under it."""
    image = number_over_a_printed_footer()[:150]
    for start, end in strokes:
        cv2.line(image, start, end, (50, 50, 50), 3, cv2.LINE_AA)
    return image


@pytest.mark.parametrize("strokes", [[((100, 110), (100, 140)), ((88, 122), (112, 122))],   # a plus
                                     [((90, 112), (108, 138)), ((106, 110), (92, 140))]],  # an x
                         ids=["plus", "x"])
def test_a_cross_written_under_a_number_is_rejected_as_a_stray_mark(reader, monkeypatch, strokes):
    # The shipped checker learnt written crosses as "not one digit"
    # (training.one_digit_checker.written_cross); the recogniser reads them
    # surely as a 4, a 7 or an 8.
    page = reader.read(number_over_a_written_cross(strokes))
    assert page.text == "47" and [m.reason for m in page.rejected].count("mark") == 1
    # The control: without the stray-mark rule the cross is read as a digit.
    from digit_sheet_reader.pipeline import reject

    monkeypatch.setattr(reject, "REJECT", replace(reject.REJECT, stray_doubt=1.01))
    plain = reader.read(number_over_a_written_cross(strokes))
    assert plain.text.splitlines()[0] == "47" and len(plain.lines) == 2


def number_with_a_pale_digit(strengths, digits="61"):
    """A number whose digits are written in ink of the given strengths (0..1): the pen ran pale."""
    image = np.full((160, 240, 3), 225, np.uint8)
    rng = np.random.default_rng(6)
    x = 50
    for digit, strength in zip(digits, strengths):
        glyph = render_glyph(digit, rng, height=34, stroke=0.07).astype(np.float32) / 255
        patch = image[60:60 + glyph.shape[0], x:x + glyph.shape[1]].astype(np.float32)
        image[60:60 + glyph.shape[0], x:x + glyph.shape[1]] = (patch * (1 - strength * glyph[..., None])).astype(np.uint8)
        x += glyph.shape[1] + 8
    return image


def test_a_pale_digit_beside_a_dark_one_is_read_with_it(reader):
    # At the usual thresholds only the 1 was ink: the number read "1".
    assert reader.read(number_with_a_pale_digit((0.25, 0.8))).text == "61"


def number_with_a_pale_topped_6(digits="365812", pale=0.15, strong=0.8):
    """A number whose 6 was written with its top half (above the loop) pale: less pressure on the pen."""
    image = np.full((160, 60 * len(digits) + 80, 3), 225, np.uint8)
    rng, x = np.random.default_rng(6), 40
    for digit in digits:
        glyph = render_glyph(digit, rng, height=40, stroke=0.08).astype(np.float32) / 255
        strength = np.full(glyph.shape[0], strong, np.float32)
        if digit == "6":
            strength[:glyph.shape[0] // 2] = pale
        patch = image[60:60 + glyph.shape[0], x:x + glyph.shape[1]].astype(np.float32)
        image[60:60 + glyph.shape[0], x:x + glyph.shape[1]] = (
            patch * (1 - strength[:, None, None] * glyph[..., None])).astype(np.uint8)
        x += glyph.shape[1] + 10
    return image


@pytest.mark.parametrize("digits", ["365812", "365"])
def test_a_digit_whose_top_was_written_pale_is_read_whole(reader, monkeypatch, digits):
    import digit_sheet_reader.pipeline.reader as reader_module

    image = number_with_a_pale_topped_6(digits)
    assert reader.read(image).text == digits
    # The control: at the usual thresholds alone, the 6's loop is read as 0.
    monkeypatch.setattr(reader_module, "pale_continuations", lambda found, darkness: None)
    assert reader.read(image).text == digits.replace("6", "0")


def test_pale_ink_between_two_digits_found_is_not_added():
    from digit_sheet_reader.pipeline.reader import pale_digits_beside
    from digit_sheet_reader.pipeline.regions import Region, Segmentation

    found = Segmentation([Region((50, 60, 20, 34), [1]), Region((110, 60, 20, 34), [2])], np.zeros((300, 300)), 34.0)
    pale = Segmentation([Region((50, 60, 20, 34), [1]), Region((80, 62, 14, 30), [2]),  # between them
                         Region((140, 58, 20, 34), [3])], np.zeros((300, 300)), 34.0)    # after the number
    assert [r.box for r in pale_digits_beside(found, pale)] == [(140, 58, 20, 34)]


def test_pale_digits_beside_pale_digits_added_join_the_number_too():
    # A number whose first digits lie in the photo's darker half: only its
    # last digit reached the usual thresholds, the others one beside another.
    from digit_sheet_reader.pipeline.reader import pale_digits_beside
    from digit_sheet_reader.pipeline.regions import Region, Segmentation

    found = Segmentation([Region((170, 60, 20, 34), [1])], np.zeros((300, 300)), 34.0)
    pale = Segmentation([Region((50, 60, 20, 34), [1]), Region((90, 61, 20, 33), [2]), Region((130, 59, 20, 34), [3]),
                         Region((20, 160, 20, 34), [4]),  # another line: not the number's
                         Region((0, 60, 24, 34), [5])], np.zeros((300, 300)), 34.0)  # cut by the frame: the next column's
    assert sorted(r.box[0] for r in pale_digits_beside(found, pale)) == [50, 90, 130]


def test_a_pale_digit_added_reaches_its_neighbour_by_its_own_height():
    # Only the 9 of "13579" reached the usual thresholds, and only its
    # darker part (31 px tall there, 44 px pale): the 7 lies 28 px before
    # it, the 5, 3 and 1 each 34 px before the next, more than the 31 px
    # the found 9 measures, but within the height of the pale digit added.
    from digit_sheet_reader.pipeline.reader import pale_digits_beside
    from digit_sheet_reader.pipeline.regions import Region, Segmentation

    found = Segmentation([Region((252, 62, 12, 31), [1])], np.zeros((300, 320)), 31.0)
    pale = Segmentation([Region((x, 60, 24, 44), [k]) for k, x in enumerate((26, 84, 142, 200))],
                        np.zeros((300, 320)), 44.0)
    assert sorted(r.box[0] for r in pale_digits_beside(found, pale)) == [26, 84, 142, 200]


def cell_crop(digit, seed, margin=0):
    """One handwritten digit cut out of a table with its cell's dark borders
    (darker than the pen), and ``margin`` px of a scan's black margin."""
    glyph = render_glyph(digit, np.random.default_rng(seed), height=48, stroke=0.1).astype(np.float32) / 255
    gh, gw = glyph.shape
    image = np.full((gh + 30, gw + 30, 3), 120, np.float32)
    image[15:15 + gh, 15:15 + gw] *= 1 - 0.7 * glyph[..., None]
    image[:2] = image[-2:] = image[:, :2] = image[:, -2:] = 40
    if margin:
        image = np.hstack([np.full((image.shape[0], margin, 3), 15, np.float32), image])
    return image.astype(np.uint8)


@pytest.mark.parametrize("margin", [0, 8], ids=["borders", "borders_and_margin"])
def test_a_digit_in_a_cell_crop_is_read_not_its_borders(reader, margin):
    # The borders hold as much ink as the digit: the digit is still the
    # lone character that fills the crop (sized so), and a frame round a 1
    # is no piece of a ruled line along its column. Before, 8 of these 20
    # crops were misread or lost (the 1s, and with the margin 8, 9, 0, 1).
    read = [reader.read(cell_crop(digit, seed, margin)).text for seed in (0, 2) for digit in "0123456789"]
    assert read == list("0123456789") * 2


def tight_cell_crop(digits, seed):
    """A number cut out of a table so tightly that its digits touch the
    cell's dark borders above and below."""
    rng = np.random.default_rng(seed)
    glyphs = [render_glyph(d, rng, height=48, stroke=0.1).astype(np.float32) / 255 for d in digits]
    height, width = max(g.shape[0] for g in glyphs), sum(g.shape[1] + 12 for g in glyphs)
    image = np.full((height + 4, width + 4, 3), 120, np.float32)
    x = 8
    for glyph in glyphs:
        image[2:2 + glyph.shape[0], x:x + glyph.shape[1]] *= 1 - 0.7 * glyph[..., None]
        x += glyph.shape[1] + 12
    image[:2] = image[-2:] = image[:, :2] = image[:, -2:] = 40
    return image.astype(np.uint8)


def test_digits_written_against_a_cell_s_borders_are_cut_off_them(reader):
    # Joined to the borders, the digits made one blob with them, whose
    # sides were read as 1s: "113571" for each of these four.
    assert [reader.read(tight_cell_crop("1357", seed)).text for seed in (0, 2, 3, 4)] == ["1357"] * 4


def number_in_a_cell_touching_its_sides(text, seed):
    """``text`` cut out 3 px above and below its ink and none beside it, in
    a cell's dark borders (``perturb_real.in_cell``): its first and last
    digits touch the cell's sides."""
    page = _written(text, height=48, seed=seed)
    ys, xs = np.nonzero(page[..., 0] < 140)
    return in_cell(page[ys.min() - 3:ys.max() + 4, xs.min():xs.max() + 1])


def test_digits_written_against_a_cell_s_sides_are_cut_off_them(reader):
    # Once the top and bottom borders are taken off as rules, the cell's
    # sides stop short of the crop's ends by their width: they were not
    # found as borders, and "9087" was read "190871", "0869" upside down.
    read = [reader.read(number_in_a_cell_touching_its_sides(text, seed)).text
            for text in ("0869", "9087", "2345") for seed in range(4)]
    assert read == ["0869"] * 4 + ["9087"] * 4 + ["2345"] * 4


def ruled_page_with_a_digit(strength):
    """A ruled register page: dark printed rules, and a 4 written in ink of ``strength`` (0..1)."""
    image = np.full((240, 160, 3), 225, np.uint8)
    cv2.line(image, (0, 20), (159, 20), (60, 60, 60), 2)
    cv2.line(image, (140, 0), (140, 239), (60, 60, 60), 2)
    glyph = render_glyph("4", np.random.default_rng(2), height=36, stroke=0.06).astype(np.float32) / 255
    patch = image[100:100 + glyph.shape[0], 50:50 + glyph.shape[1]].astype(np.float32)
    image[100:100 + glyph.shape[0], 50:50 + glyph.shape[1]] = (patch * (1 - strength * glyph[..., None])).astype(np.uint8)
    return image


@pytest.mark.parametrize("strength, pale", [(0.25, True), (0.6, False)])
def test_a_view_whose_rules_alone_reach_the_ink_thresholds_is_read_as_a_pale_page(reader, strength, pale):
    # The thumbnail's rough height came from something else (print, a
    # stroke's darkest pixels): the view is read at the usual thresholds,
    # which the rules reach and the pale pencil does not.
    from digit_sheet_reader.pipeline.ink import INK
    from digit_sheet_reader.pipeline.page import whole
    from digit_sheet_reader.pipeline.reader import _Clock

    reading = reader._find(whole(ruled_page_with_a_digit(strength)), 36.0, _Clock())
    assert reading.read.names == ["4"]
    assert reading.view.faint == (INK.faint if pale else 1.0)  # a dark digit is read as it was


def test_upright_clean_page_takes_no_second_look_at_orientation(reader, upright, monkeypatch):
    passes = []
    original = SheetReader._find
    monkeypatch.setattr(SheetReader, "_find", lambda self, *a: passes.append(1) or original(self, *a))
    assert reader.read(UPRIGHT).text == upright.text
    assert len(passes) == 1  # read once: no levelling, no turning


def _turn_box(box, quarter, w, h):
    x, y, bw, bh = box
    if quarter == 90:   # counter-clockwise: (x, y) -> (y, w - x)
        return [y, w - x - bw, bh, bw]
    if quarter == 180:
        return [w - x - bw, h - y - bh, bw, bh]
    return [h - y - bh, x, bh, bw]


def test_a_page_of_more_marks_than_any_sheet_is_refused_quickly():
    rng = np.random.default_rng(0)
    page = np.full((1500, 2000, 3), 255, np.uint8)
    for x, y in zip(rng.integers(10, 1990, 4000), rng.integers(10, 1490, 4000)):
        cv2.circle(page, (int(x), int(y)), 3, (0, 0, 0), -1)
    with pytest.raises(PageError, match="more than any sheet of digits holds"):
        SheetReader().read(page)


def _written(text, height=48, seed=3):
    """``text`` written in the project's handwriting glyphs on light paper, a space a digit wide."""
    from digit_sheet_reader.synth.glyphs import render_glyph

    rng = np.random.default_rng(seed)
    glyphs = [None if c == " " else render_glyph(c, rng, height=height) for c in text]
    page = np.full((3 * height, sum(height if g is None else g.shape[1] + height // 5 for g in glyphs) + 2 * height, 3),
                   245, np.uint8)
    x = height
    for glyph in glyphs:
        if glyph is not None:
            y = height + int(rng.integers(-3, 4))
            alpha = glyph.astype(np.float32)[..., None] / 255
            roi = page[y:y + glyph.shape[0], x:x + glyph.shape[1]]
            page[y:y + glyph.shape[0], x:x + glyph.shape[1]] = (roi * (1 - alpha) + alpha * (40, 30, 30)).astype(np.uint8)
        x += height if glyph is None else glyph.shape[1] + height // 5
    return page


def number_with_a_mark_below(mark, seed=1):
    """ "45" written 48 px tall, and below its last digit ``mark``: a tick
    a pen's stroke 20 px long, or a 7 written as tall as the number."""
    page = _written("45", height=48, seed=seed)
    page = np.vstack([page, np.full((80, page.shape[1], 3), 245, np.uint8)])
    right = int(np.flatnonzero((page[..., 0] < 140).any(axis=0)).max())
    if mark == "tick":
        cv2.line(page, (right + 6, 118), (right + 8, 138), (40, 30, 30), 3)
    else:
        seven = _written("7", height=48, seed=seed)[40:110, 40:90]
        page[110:180, right - 30:right + 20] = np.minimum(page[110:180, right - 30:right + 20], seven)
    return page


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_tick_below_a_number_is_a_stray_mark_a_digit_there_is_not(reader, seed):
    # A clerk's tick under a register number, under half the digits' height,
    # was read as a line of its own: "45", "1".
    assert [line.text for line in reader.read(number_with_a_mark_below("tick", seed)).lines] == ["45"]
    assert [line.text for line in reader.read(number_with_a_mark_below("7", seed)).lines] == ["45", "7"]


def test_a_phone_number_reads_as_its_groups(reader):
    page = reader.read(_written("020 7946 0958"))
    [line] = page.to_dict()["lines"]
    assert line["text"] == "020 7946 0958"
    assert [(g["text"], g["separator"]) for g in line["groups"]] == [("020", ""), ("7946", " "), ("0958", " ")]
    first, second = (g["box"] for g in line["groups"][:2])
    assert first[0] + first[2] < second[0]  # each group's own box
    assert page.render_text(separators=True) == "020 7946 0958"


@pytest.mark.parametrize("seed", [2, 3])
def test_a_small_note_on_a_dark_desk_is_read_not_the_desk(reader, seed):
    # The generator's "note" tier: a note of one line covering about 1 % of a
    # photo of several MP, turned by 5-40 deg on wood or leather. Without the
    # page found, the desk's grain was read as rows of 1s and the note not at all.
    from digit_sheet_reader.synth.sheets import compose_sheet, hershey_glyph_source

    image, truth = compose_sheet(hershey_glyph_source(), np.random.default_rng(seed), "note")
    page = reader.read(image)
    assert ["".join(d.label for d in line.digits) for line in page.lines] == [line["text"] for line in truth["lines"]]


def test_a_blank_card_on_a_grey_sheet_does_not_hide_the_writing(reader, upright, monkeypatch):
    # A small white card is the brightest thing in the photo. Beyond its
    # sides lies the sheet, of the paper's colour, as plain and written on:
    # no page (as the lit part of a sheet in shadow is none).
    image = cv2.imread(str(UPRIGHT))
    image = cv2.copyMakeBorder(image, 0, 0, 0, image.shape[1] // 2, cv2.BORDER_REPLICATE)
    grey = (image.astype(np.float32) * 0.55).astype(np.uint8)  # the sheet in dim light
    h, w = grey.shape[:2]
    card = cv2.boxPoints(((w - w // 8, h // 2), (w // 10, h // 8), 20)).astype(np.int32)
    cv2.fillConvexPoly(grey, card, (250, 250, 250))
    from digit_sheet_reader.pipeline import page

    assert page.find_page(grey) is None
    assert reader.read(grey).text == upright.text
    # Found as "the page" all the same, it is blank: the whole photo is read.
    monkeypatch.setattr(page, "shadowed_paper_beyond", lambda thumb, corners, maps=None: False)
    assert page.find_page(grey) is not None
    assert reader.read(grey).text == upright.text


def test_a_small_note_written_pale_is_the_page_not_a_blank_card(reader, upright):
    # A note covering 4 % of a photo of a dark desk, its writing at 0.3 of
    # the usual darkness (a thin pen in a small decode): blank at the usual
    # thresholds, it is no blank card while ink reaches the faint ones. The
    # whole photo was read instead, the note's edge as a 1.
    from digit_sheet_reader.pipeline.reader import page_view

    note = (255 - (255 - cv2.imread(str(UPRIGHT)).astype(np.float32)) * 0.3).astype(np.uint8)
    height, width = note.shape[:2]
    photo = np.full((5 * height, 5 * width, 3), 50, np.uint8)
    photo += np.random.default_rng(0).integers(0, 12, photo.shape, dtype=np.uint8)  # the desk's grain
    photo[2 * height:3 * height, 2 * width:3 * width] = note
    view, _ = page_view(photo)
    assert view.all_paper and view.faint < 1.0
    read = reader.read(photo)
    assert [len(line.digits) for line in read.lines] == [len(line.digits) for line in upright.lines]
    assert sum(a != b for line, ref in zip(read.lines, upright.lines) for a, b in zip(line.text, ref.text)) <= 1


@pytest.mark.parametrize("contrast", [0.3, 0.2])
def test_a_pale_page_is_read_at_lower_thresholds_a_noisy_blank_one_stays_empty(reader, upright, monkeypatch, contrast):
    # Faint pencil or a pale scan: the ink reaches a third (a fifth: pencil
    # on an overexposed scan, read at INK.faintest) of its usual darkness,
    # under the usual thresholds everywhere.
    image = (255 - (255 - cv2.imread(str(UPRIGHT)).astype(np.float32)) * contrast).astype(np.uint8)
    pale = reader.read(image)
    assert [len(line.digits) for line in pale.lines] == [len(line.digits) for line in upright.lines]
    wrong = sum(a != b for line, ref in zip(pale.lines, upright.lines) for a, b in zip(line.text, ref.text))
    assert wrong <= 1
    noise = np.clip(235 + np.random.default_rng(0).normal(0, 6, (600, 800, 3)), 0, 255).astype(np.uint8)
    assert reader.read(noise).text == ""
    if contrast < 0.25:  # the control: with no fainter try, the palest page is read by its strokes' scale alone ...
        from digit_sheet_reader.pipeline import ink
        from digit_sheet_reader.pipeline import reader as reader_module

        monkeypatch.setattr(reader_module, "INK", replace(reader_module.INK, faintest=reader_module.INK.faint))
        assert reader.read(image).text != ""
        monkeypatch.setattr(ink, "INK", replace(ink.INK, palest_scale=1.0))  # ... and with neither, reads as blank
        assert reader.read(image).text == ""


def test_noise_is_not_read_at_the_palest_thresholds(reader, monkeypatch):
    # Half the pixels black at random: its 320 px thumbnail, where the digit
    # height is first estimated, averages to an even grey in which no ink is
    # found even at INK.faint; INK.faintest would find its grain.
    noise = (np.random.default_rng(0).random((3000, 4000)) < 0.5).astype(np.uint8) * 255
    with pytest.raises(PageError):  # read at the usual thresholds: far too many marks
        reader.read(noise)
    from digit_sheet_reader.pipeline import ink

    monkeypatch.setattr(ink, "INK", replace(ink.INK, quiet_paper=1e9))  # the grain not measured
    assert reader.read(noise).text != ""


def test_a_dark_line_on_the_photos_edge_is_not_smeared_into_1s_when_the_page_is_levelled(reader, upright):
    # A scan tilted 8 deg with a scanner's dark line along its top edge: the
    # levelled view's opened corners must not continue that line as streaks.
    image = cv2.imread(str(UPRIGHT))
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), 8, 1.0)
    tilted = cv2.warpAffine(image, matrix, (w, h), borderValue=(245, 245, 248))
    for x in (10, 40, w - 60, w - 25):
        tilted[0:2, x:x + 12] = 20  # dark dashes along the top rows
    page = reader.read(tilted)
    assert page.text == upright.text
    assert page.skew > 3  # read from a levelled view


def scan_with_margin(band_x):
    """A scan 480 px wide with a black margin 44 px wide at its left (too
    little of the frame for the page to be found) and the digits 4 7 after
    a 1, a dark stroke 6 px wide and 50 px tall at ``band_x``: written up
    against the margin, as in a table's first column, or clear of it."""
    image = np.full((260, 480, 3), 235, np.uint8)
    image[:, :44] = 25
    image[110:160, band_x:band_x + 6] = 90
    x = 160
    for k, digit in enumerate("47"):
        glyph = render_glyph(digit, np.random.default_rng(k), height=60).astype(np.float32) / 255
        spot = image[100:100 + glyph.shape[0], x:x + glyph.shape[1]].astype(np.float32)
        image[100:100 + glyph.shape[0], x:x + glyph.shape[1]] = (spot * (1 - glyph[..., None]) + 30 * glyph[..., None])
        x += glyph.shape[1] + 12
    return cv2.GaussianBlur(image, (3, 3), 0)


@pytest.mark.parametrize("band_x", [50, 110])
def test_a_1_written_beside_a_scan_margin_is_read_as_one_clear_of_it_is(reader, band_x):
    # A 1 with half its ink within a quarter digit of the margin was taken
    # for the paper's edge and dropped (band_x 50: "47"); the edge itself is
    # judged by its shape (a rim along the frame, a solid band, a line).
    page = reader.read(scan_with_margin(band_x))
    assert page.text == "147"
    assert "edge" not in [r.reason for r in page.rejected]


def photo_with_a_one(path):
    """A 1600x1200 JPEG of 4 7 1 0 3 (digits 160 px high): decoded fast at
    half size."""
    image = np.full((1200, 1600, 3), 235, np.uint8)
    x = 300
    for k, digit in enumerate("47103"):
        glyph = render_glyph(digit, np.random.default_rng(k), height=160, stroke=0.09).astype(np.float32) / 255
        spot = image[500:500 + glyph.shape[0], x:x + glyph.shape[1]].astype(np.float32)
        image[500:500 + glyph.shape[0], x:x + glyph.shape[1]] = spot * (1 - glyph[..., None]) + 40 * glyph[..., None]
        x += glyph.shape[1] + 60
    cv2.imwrite(str(path), image)
    return path


@pytest.mark.parametrize("as_file, text", [(True, "47103"), (False, "47 03")])
def test_a_mark_judged_show_through_in_a_fast_decode_is_judged_again_at_full_size(
        reader, tmp_path, monkeypatch, as_file, text):
    # A fine, pale stroke pales further in a decode at half size and may fall
    # under the show-through limit there, not in the photo's own pixels. Fault
    # injection: the narrowest mark is show-through in the first judgement only.
    import digit_sheet_reader.pipeline.reader as reader_module

    judged = []

    def faint_first_time(darkness, labels, regions):
        judged.append(len(regions))
        return [int(np.argmin([r.box[2] for r in regions]))] if len(judged) == 1 else []

    monkeypatch.setattr(reader_module, "faint_marks", faint_first_time)
    path = photo_with_a_one(tmp_path / "five.jpg")
    page = reader.read(path if as_file else cv2.imread(str(path)))
    assert page.text == text
    assert len(judged) == (2 if as_file else 1)  # an array has all its pixels already: judged once


def _grid_of_rows(rows, height=40, pitch=1.3):
    """Rows of digits one under another, ``pitch`` digit heights apart: closer
    than the digits within a row, like a practice sheet of 10 x 10 digits."""
    pieces = [_written(row, height, seed=i)[height - 4:2 * height + 4] for i, row in enumerate(rows)]
    width = max(p.shape[1] for p in pieces)
    page = np.full((int(pitch * height) * len(rows) + 3 * height, width + 2 * height, 3), 245, np.uint8)
    for i, piece in enumerate(pieces):
        y = height + int(i * pitch * height)
        page[y:y + piece.shape[0], height:height + piece.shape[1]] = np.minimum(
            page[y:y + piece.shape[0], height:height + piece.shape[1]], piece)
    return page


@pytest.mark.parametrize("angle, pitch", [(12, 1.3), (-16, 1.3), (30, 1.3), (-30, 1.2), (35, 1.2)])
def test_a_tilted_grid_of_digits_reads_row_by_row(reader, angle, pitch):
    # In a grid the nearest neighbour of a digit is as often the one below
    # it: the tilt the neighbours give is off by several degrees, and rows
    # chained into one line at that tilt read surely all the same. Rows as
    # close as the digits in them (pitch 1.2) were read down the diagonals.
    page = reader.read(tilted(_grid_of_rows([" ".join(d * 8) for d in "1234567890"], pitch=pitch), angle))
    assert [len(line.digits) for line in page.lines] == [8] * 10  # row by row, whatever each digit reads as
    assert page.skew == pytest.approx(angle, abs=3)


def test_a_levelled_view_may_lose_unsure_marks_not_sure_digits():
    # A desk's grain beside a tilted note is read as a few unsure marks that
    # come and go with the turn; the note's digits, read surely, must stay.
    from types import SimpleNamespace

    from digit_sheet_reader.pipeline.reader import _no_worse

    def reading(*confidences):
        return SimpleNamespace(read=SimpleNamespace(confidences=np.array(confidences)), score=0.95)

    tilted = reading(*[1.0] * 10, 0.5, 0.6, 0.7, 0.4, 0.6, 0.5, 0.3)
    assert _no_worse(reading(*[1.0] * 10), tilted)  # 10 of 17 regions kept, all 10 sure ones
    assert not _no_worse(reading(*[1.0] * 7, 0.6, 0.6, 0.6), tilted)  # 3 sure digits lost


def _reading(*confidences, score=0.95, hangs=False):
    from types import SimpleNamespace

    return SimpleNamespace(read=SimpleNamespace(confidences=np.array(confidences)), score=score,
                           hangs_from_tops=lambda: hangs)


def test_a_levelled_view_is_taken_less_sure_where_two_tilt_estimates_agree():
    # A webcam photo of "1285" turned 20 degrees: the tilted view reads the
    # flagged 1 as a sure 7 (0.99996 overall); levelled, the 1 is read right
    # and every digit surely, but the view scores 0.901.
    from digit_sheet_reader.pipeline.reader import _no_worse

    tilted, levelled = _reading(1.0, 1.0, 1.0, 1.0, score=0.99996), _reading(1.0, 1.0, 1.0, 0.997, score=0.901)
    assert not _no_worse(levelled, tilted)  # a rough tilt alone: the loss of score says it was wrong
    assert _no_worse(levelled, tilted, confirmed=True)
    assert not _no_worse(_reading(1.0, 1.0, 0.5, 0.6, score=0.99), tilted, confirmed=True)  # sure digits lost


def test_a_view_turned_180_degrees_that_reads_fewer_digits_surely_is_not_upright():
    from digit_sheet_reader.pipeline.reader import turned_is_upright

    levelled = _reading(1.0, 1.0, 1.0, 0.997, score=0.901, hangs=True)  # four digits whose tops line up
    assert not turned_is_upright(_reading(1.0, 0.506, 0.999, 0.984, score=0.922), levelled)  # "1285" read "5871"
    assert turned_is_upright(_reading(1.0, 1.0, 1.0, 1.0, score=0.99), _reading(0.6, 0.97, 0.5, 0.95, score=0.7))
    # A turned view whose digits hang from their tops must be far surer than the view as it is.
    assert not turned_is_upright(_reading(1.0, 1.0, 1.0, 1.0, score=0.93, hangs=True), levelled)


def test_a_view_turned_180_degrees_must_read_most_of_its_marks_surely():
    # A register crop: a number and a stray stroke, read "714" as it is and
    # "214" turned, one mark more surely: no sign the crop was upside down.
    from digit_sheet_reader.pipeline.reader import READER, turned_is_upright

    as_it_is = _reading(0.95, 0.6, 0.5, score=0.561)
    turned = _reading(0.99, 0.97, 0.6, score=0.636)
    assert 2 < READER.turned_sure * 3
    assert not turned_is_upright(turned, as_it_is)
    assert turned_is_upright(_reading(0.99, 0.97, 0.95, score=0.98), as_it_is)  # control: all read surely


def _view(sure, unsure, score):
    from types import SimpleNamespace

    boxes = np.array([[40 * k, 100, 30, 40] for k in range(sure + unsure)], float)  # one level line
    return SimpleNamespace(read=SimpleNamespace(confidences=np.array([1.0] * sure + [0.5] * unsure)), score=score,
                           boxes=boxes, lines=[list(range(len(boxes)))])


def test_beyond_45_degrees_a_levelled_view_as_sure_wins_over_the_view_as_it_was():
    from digit_sheet_reader.pipeline.reader import most_upright

    # A photo turned 20 degrees whose margin line (at 70 degrees) gave the direction: as it was,
    # its flagged 1 reads as a sure 7 and the view scores higher than levelled along its rows.
    as_it_was, along_margin, along_rows = _view(8, 1, 0.98), _view(2, 7, 0.765), _view(8, 1, 0.944)
    assert most_upright(as_it_was, [along_margin, along_rows], ruled=True) is along_rows
    assert most_upright(as_it_was, [along_margin, along_rows]) is as_it_was  # no rule: by score alone
    # A column of single digits lines up vertically too: turned, its digits read unsurely.
    column, turned = _view(5, 0, 0.99), _view(3, 2, 0.8)
    assert most_upright(column, [turned], ruled=True) is column


def _date(text, height=48, lean=35, seed=0):
    """``text`` written with upright digits, slashes leaning ``lean`` degrees
    and dashes ("-", "=" two of them) at mid-height, dark on light paper."""
    from digit_sheet_reader.synth.glyphs import render_glyph

    rng = np.random.default_rng(seed)
    page = np.full((3 * height, 2 * height * (len(text) + 2), 3), 245, np.uint8)
    x = height
    for c in text:
        if c == "/":
            run = int(1.1 * height * np.tan(np.radians(lean)))
            cv2.line(page, (x, 2 * height + 4), (x + run, height - 2), (40, 30, 30), 5, cv2.LINE_AA)
            x += run + height // 3
            continue
        if c in "-=":
            for dy in (0,) if c == "-" else (-6, 6):
                cv2.line(page, (x, 3 * height // 2 + dy), (x + height // 2, 3 * height // 2 + dy), (40, 30, 30), 5)
            x += height
            continue
        glyph = render_glyph(c, rng, height=height, slant=0.0).astype(np.float32)[..., None] / 255
        roi = page[height:height + glyph.shape[0], x:x + glyph.shape[1]]
        page[height:height + glyph.shape[0], x:x + glyph.shape[1]] = (roi * (1 - glyph) + glyph * (40, 30, 30)).astype(np.uint8)
        x += glyph.shape[1] + height // 4
    return page


@pytest.mark.parametrize("date", ["31/12/1999", "5/06/23"])
def test_the_slashes_of_a_date_are_separators_not_ones(reader, date):
    page = reader.read(_date(date))
    assert page.render_text(separators=True) == date
    assert page.text == date.replace("/", " ")
    assert [r["reason"] for r in page.to_dict()["rejected"]].count("slash") == 2


@pytest.mark.parametrize("amount", ["1500/-", "34700/-", "730/="])
def test_the_slash_closing_an_amount_is_no_one(reader, amount):
    # "1500/-" on a cheque or a receipt: the slash before the closing dash.
    page = reader.read(_date(amount))
    assert page.text == amount[:-2]
    assert [r["reason"] for r in page.to_dict()["rejected"]].count("slash") == 1


def test_a_one_ending_a_number_stays_with_or_without_a_dash_after_it(reader):
    # Controls: an upright 1 before the dash, and a leaning one with nothing after it.
    assert reader.read(_date("1501-", lean=3)).text == "1501"
    assert reader.read(_date("1501")).text == "1501"


def test_a_slash_leaning_like_the_digits_around_it_is_a_one(reader):
    # Control: the same line with its "slashes" upright is a number whose 1s stay.
    assert reader.read(_date("31/12/1999", lean=3)).text == "3111211999"


def test_a_view_turned_another_way_must_read_most_of_its_regions_surely():
    # A register crop of "125": as it is, four marks all read surely (0.881);
    # turned 90 degrees, two marks, one of them unsure, score higher (0.952).
    from digit_sheet_reader.pipeline.reader import most_upright

    as_it_is, turned = _view(4, 0, 0.881), _view(1, 1, 0.952)
    assert most_upright(as_it_is, [turned]) is as_it_is
    surely = _view(2, 0, 0.952)  # control: turned, every region read surely
    assert most_upright(as_it_is, [surely]) is surely


def test_a_row_its_tilt_broke_into_pieces_is_read_levelled_though_less_surely():
    # "237845" photographed tilted 16 degrees on a desk: as it is, the row
    # is grouped as four lines ("2", "37", "8", "45"), scoring 0.984;
    # levelled, one line of six, scoring 0.93 (plus a stray mark).
    from types import SimpleNamespace

    from digit_sheet_reader.pipeline.reader import _gathered

    def view(lines, sure):
        boxes = np.array([[40 * k, 100, 30, 40] for k in range(sum(map(len, lines)))], float)
        return SimpleNamespace(read=SimpleNamespace(confidences=np.array([1.0] * sure + [0.5] * (len(boxes) - sure))),
                               boxes=boxes, lines=lines)

    as_it_is = view([[0], [1, 2], [3], [4, 5]], 6)
    levelled = view([[0, 1, 2, 3, 4, 5], [6]], 7)
    assert _gathered(levelled, as_it_is)
    assert not _gathered(view([[0, 1, 2], [3, 4, 5]], 6), as_it_is)  # control: no line twice as long
    assert not _gathered(view([[0, 1, 2, 3, 4, 5]], 3), as_it_is)  # control: sure digits lost
