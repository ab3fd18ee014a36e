"""Second looks with the recogniser: touching digits split, broken ones joined
or read again with their gaps bridged. Glyphs are Hershey digits (digit_sheet_reader.synth.glyphs)."""

import cv2
import numpy as np
import pytest
from conftest import ROOT

from digit_sheet_reader.models.runtime import load_recogniser
from digit_sheet_reader.models.sequences import decode
from digit_sheet_reader.pipeline.crops import normalise_all
from digit_sheet_reader.pipeline.ink import threshold
from digit_sheet_reader.pipeline.recognise import RECOGNISE, Read, read_regions, view_confidence
from digit_sheet_reader.pipeline.refine import (
    REFINE,
    join_broken,
    join_fragments,
    reread_bridged,
    second_opinion,
    split_by_strings,
    split_touching,
)
from digit_sheet_reader.pipeline.refine.second_opinion import pen_skips
from digit_sheet_reader.pipeline.refine.split import cut_candidates, seam
from digit_sheet_reader.pipeline.regions import Region, find_regions
from digit_sheet_reader.synth.glyphs import render_glyph

H = 48


@pytest.fixture(scope="module")
def classify(shipped_cnn):
    return load_recogniser(shipped_cnn, "auto", None).classify


@pytest.fixture(scope="module")
def shipped_check():
    """The shipped one-digit checker: P(not one digit) per crop."""
    judge = load_recogniser(ROOT / "output" / "digit_check.model")
    return lambda crops: judge.predict(crops)[:, 1]


@pytest.fixture(scope="module", params=["width", "checker"])
def check(request, shipped_check):
    """Splits judged by width alone, or with the shipped one-digit checker."""
    return None if request.param == "width" else shipped_check


@pytest.fixture(scope="module")
def read_strings():
    """The shipped sequence reader's ``predict``."""
    return load_recogniser(ROOT / "output" / "digit_strings.model").predict


def glyph(char, seed, width=None):
    g = render_glyph(char, np.random.default_rng(seed), height=H, stroke=0.09, slant=0.1 if width is None else 0.0,
                     font=cv2.FONT_HERSHEY_SIMPLEX)
    return g if width is None else cv2.resize(g, (width, H))


def page(glyphs, overlap=0.1):
    """Glyphs side by side on black, each overlapping the last by ``overlap`` H."""
    darkness = np.zeros((120, 60 + sum(g.shape[1] for g in glyphs)), np.uint8)
    x = 30
    for g in glyphs:
        spot = darkness[36:36 + H, x:x + g.shape[1]]
        np.maximum(spot, g, out=spot)
        x += g.shape[1] - int(overlap * H)
    segmentation = find_regions(threshold(darkness), H)
    return segmentation, darkness


def first_look(segmentation, darkness, classify):
    return read_regions(segmentation.labels, segmentation.regions, darkness, classify)


@pytest.mark.parametrize("pair", ["38", "25", "60"])
def test_touching_pair_is_split_into_the_right_digits(pair, classify, check):
    segmentation, darkness = page([glyph(c, 1) for c in pair])
    assert len(segmentation.regions) == 1  # joined by ink
    read = split_touching(segmentation.labels, first_look(segmentation, darkness, classify), H, darkness, classify,
                          check)
    assert read.names == list(pair)
    boxes = [r.box for r in read.regions]
    assert boxes[0][0] < boxes[1][0] and all(b[3] > 0.8 * H for b in boxes)


def natural_pair(first, second, small=0.6, tall=1.2, seed=1):
    """``first`` written ``small`` H tall touching ``second`` written ``tall``
    H tall with its tail below the line, as handwriting sizes digits: one
    region, whose height is the tall digit's."""
    a, b = glyph(first, seed), glyph(second, seed)
    a = cv2.resize(a, (a.shape[1], int(small * H)))
    b = cv2.resize(b, (b.shape[1], int(tall * H)))
    darkness = np.zeros((40 + b.shape[0] + 40, 60 + a.shape[1] + b.shape[1]), np.uint8)
    darkness[40 + H - a.shape[0]:40 + H, 30:30 + a.shape[1]] = a  # on the line
    x = 30 + a.shape[1] - int(0.08 * H)
    spot = darkness[40:40 + b.shape[0], x:x + b.shape[1]]
    np.maximum(spot, b, out=spot)
    return find_regions(threshold(darkness), H), darkness


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_small_digit_touching_a_tall_one_is_split_off(seed, classify, shipped_check):
    # Where the checker is sure the region holds several digits, a split's
    # pieces are held to a digit's least height, as regions are, not to a
    # share of the pair's height, which the tall digit's tail sets.
    segmentation, darkness = natural_pair("0", "9", seed=seed)
    assert len(segmentation.regions) == 1 and segmentation.regions[0].box[3] >= 1.15 * H
    read = first_look(segmentation, darkness, classify)
    assert shipped_check(read.crops)[0] >= REFINE.sure_whole
    read = split_touching(segmentation.labels, read, H, darkness, classify, shipped_check)
    assert read.names == ["0", "9"]


@pytest.mark.parametrize("char", "0247")
def test_a_wide_single_digit_stays_whole(char, classify, check):
    segmentation, darkness = page([glyph(char, 2, width=int(1.35 * H))])
    read = split_touching(segmentation.labels, first_look(segmentation, darkness, classify), H, darkness, classify,
                          check)
    assert read.names == [char]


def test_a_five_broken_in_two_is_joined(classify):
    five = glyph("5", 3, width=None)
    cv2.line(five, (24, 0), (24, 60), 0, 4)  # a gap right through it
    segmentation, darkness = page([five])
    first = first_look(segmentation, darkness, classify)
    assert len(first.regions) == 2
    read = join_broken(segmentation.labels, first, H, darkness, classify)
    assert read.names == ["5"] and len(read.regions) == 1


def test_a_zero_cut_across_is_joined_though_each_half_is_a_digit_high(classify):
    zero = glyph("0", 0, width=int(0.8 * H))
    cv2.line(zero, (zero.shape[1], 0), (0, H), 0, 4)  # two halves sharing most of their columns
    segmentation, darkness = page([zero])
    first = first_look(segmentation, darkness, classify)
    assert len(first.regions) == 2 and all(r.box[3] > 0.75 * H for r in first.regions)
    read = join_broken(segmentation.labels, first, H, darkness, classify)
    assert read.names == ["0"]


def wide_broken_four():
    """A 4 1.25 digit heights wide whose bar broke just left of its stem."""
    width = int(1.25 * H)
    four = np.zeros((H, width), np.uint8)
    stem, bar = int(0.72 * width), int(0.62 * H)
    cv2.line(four, (int(0.3 * width), 3), (4, bar), 255, 5, cv2.LINE_AA)
    cv2.line(four, (4, bar), (width - 4, bar), 255, 5, cv2.LINE_AA)
    cv2.line(four, (stem, 3), (stem, H - 3), 255, 5, cv2.LINE_AA)
    cv2.line(four, (stem - 8, int(0.5 * H)), (stem - 8, int(0.75 * H)), 0, 4)
    return four


@pytest.mark.parametrize("checker_says, expected", [(None, ["1", "6"]), ("one", ["4"]), ("two", ["1", "6"])])
def test_a_union_wider_than_a_digit_is_joined_only_if_the_checker_takes_it_for_one(checker_says, expected, classify):
    segmentation, darkness = page([wide_broken_four()])
    first = first_look(segmentation, darkness, classify)
    assert sorted(first.names) == ["1", "6"]  # the stem, and the rest
    check = None if checker_says is None else (lambda crops: np.full(len(crops), 0.0 if checker_says == "one" else 1.0))
    read = join_broken(segmentation.labels, first, H, darkness, classify, check)
    assert sorted(read.names) == sorted(expected)


def test_two_close_ones_are_not_joined(classify, check):
    segmentation, darkness = page([glyph("1", 4), glyph("1", 5)], overlap=-0.15)
    first = first_look(segmentation, darkness, classify)
    read = join_broken(segmentation.labels, first, H, darkness, classify, check)
    assert read.names == ["1", "1"]


@pytest.mark.parametrize("seed", [0, 1])
def test_a_zero_cut_down_its_middle_is_joined_where_the_checker_takes_the_union_for_one_digit(seed, classify,
                                                                                              shipped_check):
    zero = glyph("0", seed, width=int(0.8 * H))
    middle = zero.shape[1] // 2
    zero[:, middle - 2:middle + 2] = 0  # two halves side by side, each read surely as a 1
    segmentation, darkness = page([zero])
    first = first_look(segmentation, darkness, classify)
    assert first.names == ["1", "1"] and min(first.confidences) > 0.95
    assert join_broken(segmentation.labels, first, H, darkness, classify).names == ["1", "1"]  # no gain in confidence
    assert join_broken(segmentation.labels, first, H, darkness, classify, shipped_check).names == ["0"]


def four_in_two_strokes():
    """A 4 whose open angle and stem are separate strokes, each a digit's
    size: half a digit height wide or more, three quarters high or more."""
    width = int(1.05 * H)
    four = np.zeros((H, width), np.uint8)
    bar = int(0.78 * H)
    cv2.line(four, (width // 2, 3), (4, bar), 255, 5, cv2.LINE_AA)
    cv2.line(four, (4, bar), (width - 4, bar), 255, 5, cv2.LINE_AA)
    cv2.line(four, (int(0.7 * width), 3), (int(0.7 * width), H - 3), 255, 5, cv2.LINE_AA)
    four[bar - 5:bar + 6, int(0.52 * width) - 2:int(0.52 * width) + 2] = 0
    return four


@pytest.mark.parametrize("pieces_read, checker, expected", [
    ((0.5, 0.4), True, ["4"]),  # both strokes read unsurely, the checker takes the union for one digit
    ((0.5, 0.4), False, ["1", "1"]),  # no checker: digit-sized pieces are never joined
    ((0.95, 0.95), True, ["1", "1"]),  # strokes read surely are digits of their own
])
def test_digit_sized_strokes_read_unsurely_are_joined_where_the_checker_agrees(pieces_read, checker, expected,
                                                                                classify, shipped_check):
    segmentation, darkness = page([four_in_two_strokes()])
    first = first_look(segmentation, darkness, classify)
    assert len(first.regions) == 2
    assert all(r.box[2] >= 0.45 * H and r.box[3] >= 0.75 * H for r in first.regions)
    first = Read(first.regions, first.names, np.array(pieces_read), first.crops)  # how surely the pieces read
    read = join_broken(segmentation.labels, first, H, darkness, classify, shipped_check if checker else None)
    assert sorted(read.names) == expected


def wide_zero_with_a_loose_arc():
    """A 0 1.45 digit heights wide whose lower right arc came apart: a
    piece too small for a digit, within the 0's own columns."""
    width = int(1.45 * H)
    zero = np.zeros((H, width), np.uint8)
    centre, axes = (width // 2, H // 2), (width // 2 - 4, H // 2 - 4)
    cv2.ellipse(zero, centre, axes, 0, 0, 360, 255, 5, cv2.LINE_AA)
    for angle in (10, 80):
        cv2.ellipse(zero, centre, axes, 0, angle - 3, angle + 3, 0, 9)
    return zero


def test_a_loose_arc_within_a_wide_zero_is_joined_back(classify, check):
    segmentation, darkness = page([wide_zero_with_a_loose_arc()])
    first = first_look(segmentation, darkness, classify)
    assert len(first.regions) == 1 and len(segmentation.fragments) == 1
    assert first.regions[0].box[2] > 1.3 * H  # wider than any union of pieces may grow
    read = join_fragments(segmentation.labels, first, H, darkness, classify, segmentation.fragments, check)
    assert segmentation.fragments[0].ids[0] in read.regions[0].ids
    assert read.names == ["0"] and read.confidences[0] > first.confidences[0] + 0.1


def test_an_underline_wider_than_its_digit_is_not_joined_to_it(classify, check):
    segmentation, darkness = page([glyph("7", 2)])
    x, _, w, _ = segmentation.regions[0].box
    cv2.line(darkness, (x - 20, 36 + H + 4), (x + w + 20, 36 + H + 4), 255, 4)  # just below the 7
    segmentation = find_regions(threshold(darkness), H)
    first = first_look(segmentation, darkness, classify)
    assert len(first.regions) == 1 and len(segmentation.fragments) == 1
    read = join_fragments(segmentation.labels, first, H, darkness, classify, segmentation.fragments, check)
    assert read.regions == first.regions and read.names == ["7"]


def seven_with_a_loose_bar():
    """A 7 with an upright stem whose bar broke halfway: its left half is
    too small for a digit and would be set aside as a dash."""
    width = int(0.6 * H)
    seven = np.zeros((H, width), np.uint8)
    cv2.line(seven, (3, 4), (width - 4, 4), 255, 5, cv2.LINE_AA)
    cv2.line(seven, (width - 4, 4), (width - 10, H - 3), 255, 5, cv2.LINE_AA)
    seven[:12, width // 2 - 2:width // 2 + 2] = 0
    return seven


def test_a_loose_piece_of_bar_is_joined_back_to_its_seven(classify, check):
    segmentation, darkness = page([seven_with_a_loose_bar()])
    first = first_look(segmentation, darkness, classify)
    assert first.names == ["1"] and len(segmentation.fragments) == 1  # the stem alone, and the bar set aside
    read = join_fragments(segmentation.labels, first, H, darkness, classify, segmentation.fragments, check)
    assert read.names == ["7"]
    assert read.regions[0].box[0] == segmentation.fragments[0].box[0]  # the box now starts at the bar


def test_a_dash_between_digits_is_not_joined_to_them(classify, check):
    dash = np.zeros((H, int(0.35 * H)), np.uint8)
    cv2.line(dash, (3, H // 2), (dash.shape[1] - 4, H // 2), 255, 5)
    segmentation, darkness = page([glyph("1", 1), dash, glyph("3", 2)], overlap=-0.2)
    first = first_look(segmentation, darkness, classify)
    assert sorted(first.names) == ["1", "3"] and len(segmentation.fragments) == 1
    read = join_fragments(segmentation.labels, first, H, darkness, classify, segmentation.fragments, check)
    assert read.regions == first.regions and read.names == first.names


def test_an_unsure_nine_with_a_broken_stroke_is_read_again_bridged(classify):
    nine = render_glyph("9", np.random.default_rng(3), height=H, stroke=0.09, slant=0.0, font=cv2.FONT_HERSHEY_SIMPLEX)
    cv2.line(nine, (0, 20), (60, 20), 0, 4)
    segmentation, darkness = page([nine])
    first = first_look(segmentation, darkness, classify)
    assert first.names != ["9"] or first.confidences[0] < 0.9  # the broken 9 reads badly
    read = reread_bridged(segmentation.labels, first, H, darkness, classify)
    assert read.names == ["9"] and read.confidences[0] > 0.9


def test_closing_that_bridges_no_gap_turns_no_digit_into_another():
    """Closing the strokes of a whole digit only adds ink in its angles and
    openings (a 4's open top filled into a 9): that reading may confirm the
    first one or be a 1 (a flag's angle filled), not another digit. The
    recogniser here reads the plain crop as an unsure 4 and any other (the
    closed one) as ``label``, surely."""
    nine = render_glyph("9", np.random.default_rng(3), height=H, stroke=0.09, slant=0.0, font=cv2.FONT_HERSHEY_SIMPLEX)
    broken = nine.copy()
    cv2.line(broken, (0, 20), (60, 20), 0, 4)

    def reread(glyph, label):
        segmentation, darkness = page([glyph])
        regions = segmentation.regions
        assert len(regions) == 1
        plain = normalise_all(segmentation.labels, regions, darkness)

        def classify(crops):
            closed = (crops != plain).any(axis=(1, 2))
            return [label if c else "4" for c in closed], np.where(closed, 0.95, 0.6)

        first = Read(regions, ["4"], np.array([0.6]), plain)
        return reread_bridged(segmentation.labels, first, H, darkness, classify)

    assert reread(nine, "8").names == ["4"]  # one piece of ink: nothing bridged
    confirmed = reread(nine, "4")
    assert confirmed.names == ["4"] and confirmed.confidences[0] == 0.95
    assert reread(nine, "1").names == ["1"]
    assert reread(broken, "8").names == ["8"]  # control: a gap bridged, the reading changes


def test_the_piece_of_a_split_keeps_its_label_however_unsure(classify):
    """A piece cut from joined digits got its digit from the sequence reader
    or a validated split; bridged alone, it often reads as its neighbour's
    stroke closed into a loop."""
    nine = render_glyph("9", np.random.default_rng(3), height=H, stroke=0.09, slant=0.0, font=cv2.FONT_HERSHEY_SIMPLEX)
    cv2.line(nine, (0, 20), (60, 20), 0, 4)
    segmentation, darkness = page([nine])
    whole = first_look(segmentation, darkness, classify).regions[0]
    piece = Region(whole.box, whole.ids, whole.area, mask=whole.pixels(segmentation.labels))
    crops = np.zeros((1, 28, 28), np.uint8)
    first = Read([piece], ["7"], np.array([0.6]), crops)  # as the sequence reader gave it
    read = reread_bridged(segmentation.labels, first, H, darkness, classify)
    assert read.names == ["7"] and read.confidences[0] == 0.6
    assert reread_bridged(segmentation.labels, Read([whole], ["7"], np.array([0.6]), crops), H, darkness,
                          classify).names == ["9"]  # the same ink, not a piece: read again


def test_seam_follows_the_gap_between_slanted_strokes():
    inside = np.zeros((40, 30), bool)
    for r in range(40):  # two strokes leaning right, a gap between them that moves with the row
        inside[r, max(0, 4 + r // 4):8 + r // 4] = True
        inside[r, 14 + r // 4:18 + r // 4] = True
    path = seam(inside, 12, 8)
    assert not inside[np.arange(40), path].any()  # never cuts through ink


def test_cut_candidates_keep_pieces_wide_enough():
    profile = np.array([5, 5, 5, 5, 1, 5, 5, 5, 5, 1, 0, 1, 5, 5, 5, 5, 5, 5, 5, 5], float)  # thinnest at 10
    cuts = [c for (c,) in cut_candidates(profile, height=20, parts=2)]
    assert 10 in cuts and all(3 <= c <= 17 for c in cuts)


@pytest.mark.parametrize("text", ["38", "25", "60", "14", "71", "358", "962"])
def test_sequence_reader_splits_touching_digits_into_the_right_ones(text, classify, read_strings):
    segmentation, darkness = page([glyph(c, 1) for c in text])
    assert len(segmentation.regions) == 1  # joined by ink
    read = split_by_strings(segmentation.labels, first_look(segmentation, darkness, classify), H, darkness, classify,
                            read_strings)
    assert "".join(read.names) == text
    lefts = [r.box[0] for r in read.regions]
    assert lefts == sorted(lefts) and all(r.box[3] > 0.6 * H for r in read.regions)


def test_a_joined_pair_holding_a_loose_bar_is_read_as_a_sequence_too(classify, read_strings, shipped_check):
    one, five = glyph("1", 1), glyph("5", 1)
    five[0:12, 17:22] = 0  # the 5's bar came apart from its stem: a second component, merged in
    segmentation, darkness = page([one, five])
    assert len(segmentation.regions) == 1 and len(segmentation.regions[0].ids) == 2
    first = first_look(segmentation, darkness, classify)
    assert first.names != ["1", "5"]
    read = split_by_strings(segmentation.labels, first, H, darkness, classify, read_strings, shipped_check)
    assert read.names == ["1", "5"]


@pytest.mark.parametrize("char", "0247")
def test_sequence_reader_leaves_a_wide_single_digit_whole(char, classify, read_strings):
    segmentation, darkness = page([glyph(char, 2, width=int(1.35 * H))])
    first = first_look(segmentation, darkness, classify)
    read = split_by_strings(segmentation.labels, first, H, darkness, classify, read_strings)
    assert read is first


@pytest.mark.parametrize("text", ["14", "41", "16", "18", "13"])
def test_a_one_joined_to_a_narrow_neighbour_is_read_as_two_digits(text, classify, read_strings, shipped_check):
    """Such a pair is under 0.75 digit heights wide (here ~0.73): narrower than any two other digits."""
    segmentation, darkness = page([glyph(c, 1) if c == "1" else glyph(c, 1, width=int(0.5 * H)) for c in text])
    [region] = segmentation.regions  # joined by ink
    assert region.box[2] < 0.75 * max(H, region.box[3])
    first = first_look(segmentation, darkness, classify)
    assert len(first.names) == 1  # read whole as one digit
    read = split_by_strings(segmentation.labels, first, H, darkness, classify, read_strings, shipped_check)
    assert "".join(read.names) == text


@pytest.mark.parametrize("text", ["14", "18", "13", "11", "71"])
def test_a_one_overlapping_a_narrow_neighbour_is_read_as_two_digits(text, classify, read_strings, shipped_check):
    """Overlapping, such a pair is under 0.6 digit heights wide (here ~0.55)."""
    segmentation, darkness = page([glyph(c, 1) if c == "1" else glyph(c, 1, width=int(0.35 * H)) for c in text])
    [region] = segmentation.regions
    assert region.box[2] < 0.6 * max(H, region.box[3])
    first = first_look(segmentation, darkness, classify)
    read = split_by_strings(segmentation.labels, first, H, darkness, classify, read_strings, shipped_check)
    assert len(first.names) == 1 and "".join(read.names) == text


@pytest.mark.parametrize("char", "0478")
def test_a_narrow_single_digit_stays_whole(char, classify, read_strings, check):
    segmentation, darkness = page([glyph(char, 2, width=int(0.7 * H))])
    first = first_look(segmentation, darkness, classify)
    read = split_by_strings(segmentation.labels, first, H, darkness, classify, read_strings, check)
    assert read.names == first.names == [char]


def fake_strings(text, spans, confidence=0.99):
    """A stand-in sequence reader that sees ``text`` in the frames ``spans``."""
    def read_strings(canvases):
        probs = np.full((len(canvases), 24, 11), 0.001)
        probs[:, :, 0] = 0.99
        for digit, (first, last) in zip(text, spans):
            probs[:, first:last + 1, [0, int(digit) + 1]] = 1 - confidence, confidence
        return probs
    return read_strings


@pytest.mark.parametrize("text, kept", [("32", True), ("12", False)])
def test_a_sure_sequence_reading_is_taken_over_the_recogniser_but_a_disputed_one_must_be_surer(text, kept, classify):
    # The recogniser sees two 0s. A reading at 0.95 is taken for a 3 and a 2; the sequence
    # reader's typical mistake is a 1 seen in a stroke, so a 1 the recogniser does not see
    # in its piece must be read REFINE.string_alone surely, and the region stays whole.

    assert REFINE.string_sure <= 0.95 < REFINE.string_alone
    segmentation, darkness = page([glyph("0", 1, width=H), glyph("0", 1, width=H)], overlap=0.15)
    first = first_look(segmentation, darkness, classify)
    read = split_by_strings(segmentation.labels, first, H, darkness, classify,
                            fake_strings(text, [(6, 8), (16, 17)], confidence=0.95))
    assert read.names == (list(text) if kept else first.names)


def test_the_sequence_reader_says_how_surely_a_view_reads_where_there_is_one(classify):
    # Which way up a page is, is judged by how surely its regions read. The
    # recogniser reads a joined pair as one digit; the sequence reader reads
    # it as it is, so where there is one, it judges, on the largest regions.
    segmentation, darkness = page([glyph("3", 1), glyph("8", 1), glyph("7", 3)], overlap=0.1)
    read = first_look(segmentation, darkness, classify)
    assert view_confidence(segmentation.labels, read, darkness) == pytest.approx(np.mean(read.confidences))
    batches, sure = [], fake_strings("38", [(6, 8), (12, 14)], confidence=0.97)
    confidence = view_confidence(segmentation.labels, read, darkness,
                                             lambda canvases: batches.append(len(canvases)) or sure(canvases))
    assert batches == [len(read.regions)] and confidence == pytest.approx(0.97)
    assert np.mean(read.confidences) != pytest.approx(0.97)
    n = RECOGNISE.view_sample + 4
    many = Read(read.regions * n, read.names * n, np.tile(read.confidences, n), np.tile(read.crops, (n, 1, 1)))
    batches.clear()
    view_confidence(segmentation.labels, many, darkness, lambda c: batches.append(len(c)) or sure(c))
    assert batches == [RECOGNISE.view_sample]  # a sample, not every region


def test_cuts_fall_between_the_frames_the_digits_were_seen_in(classify):
    segmentation, darkness = page([glyph("0", 1, width=H), glyph("0", 1, width=H)], overlap=0.15)
    first = first_look(segmentation, darkness, classify)
    [region] = first.regions
    assert decode(fake_strings("12", [(6, 8), (16, 17)])(np.zeros((1, 28, 96))))[0].text == "12"
    read = split_by_strings(segmentation.labels, first, H, darkness, classify, fake_strings("12", [(6, 8), (16, 17)]))
    assert read.names == ["1", "2"] and read.confidences.tolist() == pytest.approx([0.99, 0.99])
    left, right = read.regions
    middle = region.box[0] + region.box[2] / 2  # the cut, between frames 8 and 16, is at the middle of the canvas
    assert abs(left.box[0] + left.box[2] - middle) < 0.3 * H and abs(right.box[0] - middle) < 0.3 * H
    earlier = split_by_strings(segmentation.labels, first, H, darkness, classify, fake_strings("12", [(3, 4), (9, 12)]))
    assert earlier.regions[0].box[2] < left.box[2] - 0.3 * H  # frames further left: a cut further left
    unsure = split_by_strings(segmentation.labels, first, H, darkness, classify,
                              fake_strings("12", [(6, 8), (16, 17)], confidence=0.5))
    assert unsure is first  # negative control: an unsure sequence reading changes nothing


@pytest.mark.parametrize("whole_read, ones_read, split", [
    (0.9999, 0.95, False),  # the recogniser is all but certain of a 0: a 1 read at 0.95 beside it is a stroke of it
    (0.9999, 0.995, True),  # ... unless the sequence reader is as sure of the 1 as of any disputed 1
    (0.99, 0.95, True),  # the recogniser less sure: the sequence reading is taken
])
def test_a_one_seen_in_a_zero_read_surely_whole_must_be_read_surely(whole_read, ones_read, split, classify):
    # The sequence reader's typical mistake on a small, slanted 0 is "10"
    # (its left side taken for a 1); on a crop holding that 0 alone it is
    # the only wide region, so the page counts as written joined, where
    # a disputed 1 is taken from REFINE.joined_alone.
    assert REFINE.joined_alone < 0.95 < REFINE.string_alone < 0.995 and REFINE.whole_sure <= 0.9999
    not_one = lambda crops: np.ones(len(crops))  # noqa: E731 - a checker sure it is not one digit
    segmentation, darkness = page([glyph("0", 1, width=int(1.15 * H))])
    first = first_look(segmentation, darkness, classify)
    first = Read(first.regions, ["0"], np.array([whole_read]), first.crops)
    reading = fake_strings("10", [(6, 8), (16, 17)], confidence=ones_read)
    read = split_by_strings(segmentation.labels, first, H, darkness, classify, reading, check=not_one)
    assert read.names == (["1", "0"] if split else ["0"])


def test_a_region_wide_as_two_digits_takes_an_unsure_sequence_reading(classify):
    # Wider than REFINE.string_wide digit heights and not one digit by the checker:
    # read whole it loses a digit for sure, so a reading at 0.6 is taken,
    # even where the recogniser reads the pieces otherwise (0s, not 1 and 2).
    not_one = lambda crops: np.ones(len(crops))  # noqa: E731 - a checker sure it is not one digit
    reading = fake_strings("12", [(6, 8), (16, 17)], confidence=0.6)
    two, darkness = page([glyph("0", 1, width=H), glyph("0", 1, width=H)], overlap=0.15)
    first = first_look(two, darkness, classify)
    assert first.regions[0].box[2] > REFINE.string_wide * H
    assert split_by_strings(two.labels, first, H, darkness, classify, reading, check=not_one).names == ["1", "2"]
    assert split_by_strings(two.labels, first, H, darkness, classify, reading) is first  # no checker: width alone is no proof
    one, darkness = page([glyph("0", 1, width=int(1.15 * H))])
    narrower = first_look(one, darkness, classify)
    assert split_by_strings(one.labels, narrower, H, darkness, classify, reading, check=not_one) is narrower


@pytest.mark.parametrize("whole_read, ones, expected", [
    (0.6, 7, "32"),  # the recogniser doubts the region: the unsure reading is taken
    (0.95, 7, "0"),  # it is sure, and one region in eight is joined: not
    (0.95, 2, "32"),  # one in three: digits are written joined on this page, so it is
])
def test_an_unsure_sequence_reading_is_taken_where_the_whole_is_doubted_or_the_page_written_joined(
        whole_read, ones, expected, classify):
    # A region narrower than REFINE.string_wide that the checker says is not one digit, read at
    # 0.6 by the sequence reader, among ones (too narrow to be asked).

    assert max(REFINE.doubted_sure, REFINE.joined_sure) <= 0.6 < REFINE.string_sure and 0.6 < REFINE.whole_doubted < 0.95
    assert 1 / 8 < REFINE.joined_share <= 1 / 3
    not_one = lambda crops: np.ones(len(crops))  # noqa: E731 - a checker sure it is not one digit
    gap = np.zeros((H, H // 3), np.uint8)
    ones_apart = [g for k in range(ones) for g in (gap, glyph("1", k))]
    segmentation, darkness = page([glyph("0", 1, width=int(1.15 * H))] + ones_apart, overlap=0)
    first = first_look(segmentation, darkness, classify)
    zero = first.names.index("0")
    assert len(first.regions) == ones + 1 and first.regions[zero].box[2] < REFINE.string_wide * H
    confidences = first.confidences.copy()
    confidences[zero] = whole_read
    first = Read(first.regions, first.names, confidences, first.crops)
    read = split_by_strings(segmentation.labels, first, H, darkness, classify,
                            fake_strings("32", [(6, 8), (16, 17)], confidence=0.6), check=not_one)
    assert "".join(n for n in read.names if n != "1") == expected


@pytest.mark.parametrize("ones, expected", [
    (2, "3232"),  # one region in four is surely joined: the page is written joined, the other is read too
    (7, "320"),  # one in nine: the checker keeps the other whole
])
def test_on_a_page_written_joined_every_wide_region_is_read_as_a_sequence(ones, expected, classify):

    assert REFINE.joined_check == 0 and 1 / 9 < REFINE.joined_share <= 1 / 4
    checker = lambda crops: np.array([0.9, 0.0])[:len(crops)]  # noqa: E731 - the first is several digits, the second one
    gap = np.zeros((H, H // 3), np.uint8)
    zeros = [glyph("0", 1, width=int(1.15 * H)), gap, glyph("0", 2, width=int(1.15 * H))]
    segmentation, darkness = page(zeros + [g for k in range(ones) for g in (gap, glyph("1", k))], overlap=0)
    first = first_look(segmentation, darkness, classify)
    assert len(first.regions) == ones + 2
    read = split_by_strings(segmentation.labels, first, H, darkness, classify,
                            fake_strings("32", [(6, 8), (16, 17)], confidence=0.95), check=checker)
    assert "".join(n for n in read.names if n != "1") == expected


def test_a_second_opinion_relabels_unsure_whole_digits_only():
    from digit_sheet_reader.pipeline.regions import Region

    labels = [str(d) for d in range(10)]
    regions = [Region((0, 0, 10, 20), [1]), Region((20, 0, 10, 20), [2]),
               Region((40, 0, 10, 20), [3], mask=np.ones((20, 10), bool))]  # a piece of a split region
    read = Read(regions, ["3", "3", "3"], np.array([0.999, 0.6, 0.6]), np.zeros((3, 28, 28), np.uint8))

    asked = []
    other = leaning(8, 3, 0.6)  # not REFINE.overrule_sure of its 8: no bridging asked for
    assert 0.6 < REFINE.overrule_sure
    ask_other = lambda crops: asked.append(len(crops)) or other(crops)  # noqa: E731 - counts what is asked
    again = second_opinion(None, read, H, None, leaning(3, 8, 0.4), ask_other, labels)
    w = REFINE.second_weight  # for a 3: 0.4 (1 - w) + 0.3 w; for an 8: 0.3 (1 - w) + 0.6 w
    assert again.names == ["3", "8", "3"]
    assert again.confidences[1] == pytest.approx(0.3 * (1 - w) + 0.6 * w) and again.confidences[0] == read.confidences[0]
    assert asked == [1]  # the sure digit and the piece were not asked
    assert read.names == ["3", "3", "3"]  # the first reading is left as it was


def test_the_sequence_reader_has_a_say_on_unsure_digits_of_one_piece_of_ink():
    # Both recognisers lean to a 3 (0.5 against 0.3 for an 8); the sequence reader sees one 8.
    # The product of the experts reads the unsure digit of one piece of ink as an 8. A region
    # joined from two pieces of ink (a broken stroke), a sure digit (asked here all the same:
    # with one region in three joined, the pen skips), and recognisers whose classes are not
    # the ten digits are left to the recognisers.

    gap = np.zeros((H, H // 2), np.uint8)
    segmentation, darkness = page([glyph("3", 0), gap, glyph("3", 1), gap, glyph("3", 2)], overlap=0)
    assert len(segmentation.regions) == 3
    first, joined, sure = segmentation.regions
    joined = Region(joined.box, joined.ids + [99])  # as join_broken makes them
    read = Read([first, joined, sure], ["3"] * 3, np.array([0.5, 0.5, 0.999]), np.zeros((3, 28, 28), np.uint8))
    assert 0.5 < REFINE.second_unsure < 0.999
    seen = []

    def read_strings(canvases):
        seen.append(len(canvases))
        probs = np.full((len(canvases), 24, 11), 0.001)
        probs[:, :, 0] = 0.99
        probs[:, 10:13, 9], probs[:, 10:13, 0] = 0.98, 0.011  # an 8 in three frames
        return probs

    digits = [str(d) for d in range(10)]
    again = second_opinion(segmentation.labels, read, H, darkness, leaning(3, 8, 0.5), leaning(3, 8, 0.5), digits,
                           read_strings=read_strings)
    assert again.names == ["8", "3", "3"] and again.confidences[0] > 0.9
    assert seen == [1]  # one batch, of the one region it may judge
    without = second_opinion(segmentation.labels, read, H, darkness, leaning(3, 8, 0.5), leaning(3, 8, 0.5), digits)
    assert without.names == ["3", "3", "3"]
    letters = list("abcdefghij")
    other = second_opinion(segmentation.labels, read, H, darkness, leaning(3, 8, 0.5), leaning(3, 8, 0.5), letters,
                           read_strings=read_strings)
    assert other.names == ["d"] * 3 and seen == [1]  # one region in three joined: the pen skips, all are asked


@pytest.mark.parametrize("joined, expected", [(1, ["3"] * 20 + ["3"]), (2, ["8"] * 20 + ["3"])])
def test_on_a_page_where_the_pen_skips_every_digit_gets_a_weightier_second_opinion(joined, expected):
    # Twenty whole digits read 0.999 surely as 3s, and a piece of a split region. Where one in
    # twenty was joined from pieces of ink, no digit is asked; from REFINE.skipping_share (two in
    # twenty) the pen skips on this page: every whole digit is asked, the second opinion
    # weighing REFINE.skipping_weight, and its 8 wins. The piece keeps its label either way.
    from digit_sheet_reader.pipeline.regions import Region

    assert 1 / 20 < REFINE.skipping_share <= 2 / 20 and REFINE.skipping_weight > 0.5
    regions = [Region((20 * k, 0, 10, 20), [k + 1, 100 + k] if k < joined else [k + 1]) for k in range(20)]
    regions.append(Region((400, 0, 10, 20), [21, 121, 122], mask=np.ones((20, 10), bool)))
    read = Read(regions, ["3"] * 21, np.full(21, 0.999), np.zeros((21, 28, 28), np.uint8))
    assert pen_skips(regions) == (joined == 2)
    again = second_opinion(None, read, H, None, leaning(3, 8, 0.4), leaning(8, 3, 0.6), [str(d) for d in range(10)])
    assert again.names == expected
    # Where a recogniser for such pages ships, it is the one asked there, and only there.
    special = second_opinion(None, read, H, None, leaning(3, 8, 0.4), leaning(8, 3, 0.6), [str(d) for d in range(10)],
                             skipping=leaning(9, 3, 0.6))
    assert special.names == ([str(9)] * 20 + ["3"] if joined == 2 else expected)


def leaning(first, second, p):
    """A fake recogniser: ``first`` at ``p``, ``second`` at 0.3, the rest alike."""
    def predict(crops):
        probs = np.full((len(crops), 10), (1 - p - 0.3) / 8)
        probs[:, first], probs[:, second] = p, 0.3
        return probs
    return predict


@pytest.mark.parametrize("bridged_p8, expected", [(0.6, "8"), (0.25, "2")])
def test_a_sure_second_opinion_overrules_where_bridging_the_gaps_agrees(bridged_p8, expected):
    # The recogniser reads a 2 (0.8; 8 at 0.15), the second recogniser an 8 at 0.95. With the
    # strokes bridged the recogniser finds the 8 0.6 likely: the gap misled it, the second
    # one weighs REFINE.overrule_weight and the digit is an 8. At 0.25 (not REFINE.overrule_gain times 0.15)
    # it weighs REFINE.second_weight only, and the 2 stays.

    segmentation, darkness = page([glyph("8", 1)])
    read = Read(segmentation.regions, ["2"], np.array([0.7]), np.zeros((1, 28, 28), np.uint8))
    mine, theirs = np.full((1, 10), 0.05 / 8), np.full((1, 10), 0.05 / 9)
    mine[0, 2], mine[0, 8], theirs[0, 8] = 0.8, 0.15, 0.95
    bridged = np.full((1, 10), (1 - bridged_p8) / 9)
    bridged[0, 8] = bridged_p8
    seen = []

    def predict(crops):
        seen.append(crops)
        return mine if len(seen) == 1 else bridged

    again = second_opinion(segmentation.labels, read, H, darkness, predict, lambda crops: theirs,
                           [str(d) for d in range(10)])
    assert len(seen) == 2 and seen[1].any()  # asked again about the digit's own ink, bridged
    assert (bridged_p8 >= REFINE.overrule_gain * 0.15) == (expected == "8")
    w = REFINE.overrule_weight if expected == "8" else REFINE.second_weight
    assert again.names == [expected]
    assert again.confidences[0] == pytest.approx(max((1 - w) * 0.8 + w * 0.05 / 9, (1 - w) * 0.15 + w * 0.95))


def test_a_seven_whose_bar_came_apart_is_read_whole_and_its_bar_not_rejected():
    from digit_sheet_reader.pipeline.reader import SheetReader

    darkness, x = np.zeros((140, 400), np.uint8), 40
    for g in [glyph("2", 1), glyph("5", 2), seven_with_a_loose_bar(), glyph("3", 3)]:
        darkness[46:46 + H, x:x + g.shape[1]] = g
        x += g.shape[1] + 20
    page = SheetReader().read(cv2.cvtColor(255 - darkness, cv2.COLOR_GRAY2BGR))
    assert page.text == "2573"
    assert page.rejected == []  # the bar is part of the 7, not a dash beside a 1
