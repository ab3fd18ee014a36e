"""Regions from masks, and MNIST-style crops."""

import cv2
import numpy as np
import pytest

from digit_sheet_reader.pipeline.crops import mnist_style, normalise, normalise_all, stroke_width
from digit_sheet_reader.pipeline.regions import find_regions


def blank(h=200, w=400):
    return np.zeros((h, w), np.uint8)


def test_holes_do_not_split_a_zero_and_specks_are_dropped():
    mask = blank()
    cv2.ellipse(mask, (100, 100), (25, 40), 0, 0, 360, 1, 6)  # a 0 with its hole
    cv2.circle(mask, (250, 100), 1, 1, -1)  # a speck
    cv2.line(mask, (300, 60), (300, 140), 1, 6)  # a 1
    seg = find_regions(mask, 80)
    assert sorted(r.box[0] for r in seg.regions) == [72, 297]


def test_fragments_of_one_digit_are_merged_neighbours_are_not():
    mask = blank()
    cv2.line(mask, (60, 60), (100, 60), 1, 6)       # a 5's floating top bar
    cv2.ellipse(mask, (80, 100), (22, 25), 0, 200, 520, 1, 6)  # and its body, 9 px below
    cv2.line(mask, (160, 60), (160, 140), 1, 6)     # a neighbouring 1
    seg = find_regions(mask, 80)
    assert len(seg.regions) == 2
    five = min(seg.regions, key=lambda r: r.box[0])
    assert five.box[1] <= 58 and five.box[1] + five.box[3] >= 125


def test_a_wide_digit_broken_across_its_middle_is_merged_side_by_side_halves_are_not():
    mask = blank()
    # A 2 one and a quarter digit heights wide, its stroke broken at mid-height:
    # the top arc under half a digit high, stacked on the rest.
    cv2.ellipse(mask, (105, 85), (40, 22), 0, 180, 360, 1, 6)  # top arc, rows ~60-88
    cv2.line(mask, (145, 95), (60, 135), 1, 6)                 # the diagonal, below the break
    cv2.line(mask, (60, 135), (155, 135), 1, 6)                # and the foot
    # The same width made of two small marks side by side: two marks, not one digit.
    cv2.line(mask, (230, 100), (275, 100), 1, 6)
    cv2.line(mask, (285, 100), (330, 100), 1, 6)
    seg = find_regions(mask, 80)
    assert len(seg.regions) == 1
    [two] = seg.regions
    assert two.box[2] > 1.15 * 80 and two.box[1] <= 62 and two.box[1] + two.box[3] >= 135


def test_digits_joined_by_a_stretch_of_rule_are_found_and_a_bare_long_line_is_not():
    mask = blank(200, 700)
    cv2.line(mask, (20, 150), (680, 150), 1, 3)  # a rule the digits stand on, 8 digit heights long
    for x in (100, 250, 400):
        cv2.line(mask, (x, 70), (x, 152), 1, 6)   # 1s standing on it
    cv2.ellipse(mask, (560, 110), (25, 40), 0, 0, 360, 1, 6)  # a 0 touching it
    cv2.line(mask, (20, 30), (680, 30), 1, 3)    # a line alone
    seg = find_regions(mask, 80)
    assert sorted(r.box[0] for r in seg.regions) == [97, 247, 397, 532]
    assert all(r.box[3] < 1.15 * 80 for r in seg.regions)  # the rule is not part of them
    assert [reason for _, reason in seg.rejected] == ["line"]


def test_a_digit_with_a_stretch_of_thin_rule_beside_it_loses_the_rule_pen_bars_are_kept():
    mask = blank(200, 700)
    cv2.line(mask, (20, 150), (250, 150), 1, 2)     # a fine rule running into a 1 ...
    cv2.line(mask, (240, 70), (240, 152), 1, 6)     # ... 2.9 digit heights with it
    for x in (400, 480, 560):                       # 7s whose 6 px bars join: no rule
        cv2.line(mask, (x, 70), (x + 80, 70), 1, 6)
        cv2.line(mask, (x + 80, 70), (x + 40, 150), 1, 6)
    boxes = sorted(r.box for r in find_regions(mask, 80).regions)
    assert [b[0] for b in boxes] == [237, 397]
    assert boxes[0][2] < 10                          # the 1 alone
    assert boxes[1][2] > 2.5 * 80                    # the 7s still one region, for the splitters


def test_digits_joined_by_the_dashes_of_a_broken_rule_are_cut_apart():
    mask = blank(200, 500)
    for k in range(4):  # 0s of a 6 px pen, 14 px apart ...
        cv2.ellipse(mask, (60 + 100 * k, 110), (40, 40), 0, 0, 360, 1, 6)
    for k in range(3):  # ... joined by 1 px dashes of a rule across their middles
        mask[110, 100 + 100 * k:121 + 100 * k] = 1
    assert cv2.connectedComponents(mask)[0] == 2  # one blob, 5 digit heights long
    seg = find_regions(mask, 80)
    assert [r.box[0] for r in sorted(seg.regions, key=lambda r: r.box[0])] == [17, 117, 217, 317]
    assert seg.rejected == []


def test_a_blob_too_large_without_a_straight_line_in_it_stays_rejected():
    mask = blank(200, 700)
    cv2.ellipse(mask, (350, 100), (300, 50), 0, 0, 360, 1, 6)  # an oval drawn around a number, 7 digit heights wide
    seg = find_regions(mask, 80)
    assert seg.regions == [] and [reason for _, reason in seg.rejected] == ["too large"]


def test_a_sliver_much_thinner_than_the_pen_is_no_digit_a_thin_pen_1_is():
    mask = blank()
    cv2.line(mask, (40, 60), (40, 140), 1, 1)    # what a removed frame left of its side: 1 px
    cv2.line(mask, (100, 60), (100, 140), 1, 6)  # 1s of a 6 px pen
    cv2.ellipse(mask, (200, 100), (25, 40), 0, 0, 360, 1, 6)
    seg = find_regions(mask, 80)
    assert sorted(r.box[0] for r in seg.regions) == [97, 172]
    assert [(box[0], reason) for box, reason in seg.rejected] == [(40, "line")]
    thin = blank()  # a page written with a fine pen: its 1s are 1 px wide too
    for x in (40, 100):
        cv2.line(thin, (x, 60), (x, 140), 1, 1)
    cv2.ellipse(thin, (200, 100), (25, 40), 0, 0, 360, 1, 1)
    assert len(find_regions(thin, 80).regions) == 3


@pytest.mark.parametrize("band, is_blot", [(14, True), (6, False)], ids=["a margin's solid band", "a 1 of the pen"])
def test_a_solid_band_beside_the_frame_wider_than_the_pen_is_no_digit(band, is_blot):
    # What the ink map leaves of a scan's black margin narrower than the
    # light's kernel: a solid band along its inner edge, 2.3 pens wide,
    # which read as a sure 1 ("0869" read "10869").
    mask = blank()
    mask[55:151, 4:4 + band] = 1  # no longer than a tall digit
    for x in (100, 160, 220):
        cv2.ellipse(mask, (x, 100), (22, 40), 0, 0, 360, 1, 6)  # 0s of a 6 px pen
    seg = find_regions(mask, 80)
    assert len(seg.regions) == (3 if is_blot else 4)
    assert (((4, 55, band, 96), "blot") in seg.rejected) == is_blot


def test_dots_and_dashes_are_dropped():
    mask = blank()
    cv2.line(mask, (60, 60), (60, 140), 1, 6)
    cv2.circle(mask, (100, 138), 4, 1, -1)  # a full stop
    cv2.line(mask, (130, 100), (150, 100), 1, 5)  # a dash
    cv2.line(mask, (190, 60), (190, 140), 1, 6)
    assert len(find_regions(mask, 80).regions) == 2


def test_mnist_style_fits_20px_and_centres_mass():
    glyph = np.zeros((90, 40), np.uint8)
    cv2.line(glyph, (5, 5), (35, 85), 255, 8)
    crop = mnist_style(glyph)
    ys, xs = np.nonzero(crop > 30)
    assert crop.shape == (28, 28) and crop.dtype == np.uint8
    assert 19 <= ys.max() - ys.min() + 1 <= 22  # the longer side fills the 20 px box
    m = cv2.moments(crop.astype(np.float32))
    assert abs(m["m10"] / m["m00"] - 13.5) < 0.6 and abs(m["m01"] / m["m00"] - 13.5) < 0.6


def test_thin_pen_is_thickened_towards_mnist_stroke():
    mask = blank()
    cv2.line(mask, (100, 20), (100, 180), 1, 2)  # a 1 drawn with a 2 px pen, 160 px tall
    seg = find_regions(mask, 160)
    crop = normalise_all(seg.labels, seg.regions)[0]
    # In MNIST a stroke is 2-3 px wide in the 20 px box; a plain resize would leave 0.25 px.
    assert 1.5 <= stroke_width((crop > 100).astype(np.uint8) * 255) <= 4.5


def loops(crop):
    """How many holes the crop's ink (half its brightest) encloses."""
    ink = (crop >= crop.max() / 2).astype(np.uint8)
    _, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    return 0 if hierarchy is None else int((hierarchy[0][:, 3] >= 0).sum())


def test_bridging_gaps_keeps_the_loops_of_a_narrow_eight():
    # A narrow 8 in a thick pen: at crop scale its loops are a pixel or two
    # across, and closing the gaps of a skipping pen would fill them (a 1).
    mask = blank()
    cv2.ellipse(mask, (100, 72), (8, 14), 0, 0, 360, 1, 8)
    cv2.ellipse(mask, (100, 104), (9, 16), 0, 0, 360, 1, 8)
    seg = find_regions(mask, 70)
    [eight] = seg.regions
    assert loops(normalise(seg.labels, eight)) == 2
    assert loops(normalise(seg.labels, eight, bridge=0.12 * 70)) == 2


def test_marks_that_are_not_digits_are_listed_with_a_reason():
    mask = blank(200, 600)
    cv2.line(mask, (60, 60), (60, 140), 1, 6)       # a 1
    cv2.line(mask, (100, 100), (125, 100), 1, 6)    # a dash
    cv2.circle(mask, (160, 136), 5, 1, -1)          # a full stop
    cv2.line(mask, (20, 170), (560, 170), 1, 4)     # an underline far longer than a digit
    seg = find_regions(mask, 80)
    assert [r.box[0] for r in seg.regions] == [57]
    reasons = sorted(reason for _, reason in seg.rejected)
    assert reasons == ["dash", "dot", "line"]
    # The dash and the dot stay at hand as regions: either may be a loose piece of a digit.
    assert sorted(f.box[0] for f in seg.fragments) == [97, 155] and all(f.ids for f in seg.fragments)


def test_the_dots_of_a_colon_do_not_make_a_digit():
    mask = blank()
    cv2.line(mask, (60, 60), (60, 140), 1, 6)    # a 1
    cv2.circle(mask, (100, 88), 6, 1, -1)        # a colon: two dots 0.16 h across, 0.2 h apart,
    cv2.circle(mask, (100, 118), 6, 1, -1)       # together half a digit high
    cv2.line(mask, (140, 60), (140, 140), 1, 6)  # another 1
    seg = find_regions(mask, 80)
    assert [r.box[0] for r in sorted(seg.regions, key=lambda r: r.box[0])] == [57, 137]
    assert [reason for _, reason in seg.rejected] == ["dot", "dot"]


def _merged_by_rescanning(regions, h):
    """The merge order merge_fragments promises, the slow way: after every
    merge, scan again from the smallest fragment."""
    from digit_sheet_reader.pipeline.regions import REGIONS, _should_merge

    regions = sorted(regions, key=lambda r: -r.area)
    merged = True
    while merged:
        merged = False
        for i in range(len(regions) - 1, -1, -1):
            small = regions[i]
            if small.box[3] >= REGIONS.whole_height * h and small.box[2] >= REGIONS.whole_width * h:
                continue
            if max(small.box[2], small.box[3]) < REGIONS.least_piece * h:
                continue
            partners = [j for j in range(len(regions)) if j != i and max(regions[j].box[2:]) >= REGIONS.dot * h
                        and _should_merge(small, regions[j], h)]
            if partners:
                j = max(partners, key=lambda k: regions[k].area)
                regions[j] = regions[j].merged(small)
                del regions[i]
                merged = True
                break
    return regions


def _random_fragments(rng, count, h, side):
    from digit_sheet_reader.pipeline.regions import Region

    boxes = np.column_stack([rng.integers(0, side, count), rng.integers(0, side, count),
                             rng.integers(1, int(1.2 * h), count), rng.integers(1, int(1.2 * h), count)])
    return [Region(tuple(int(v) for v in box), [k + 1], int(rng.integers(1, box[2] * box[3] + 1)))
            for k, box in enumerate(boxes)]


@pytest.mark.parametrize("seed", range(6))
def test_merging_fragments_near_by_near_merges_as_rescanning_does(seed):
    from digit_sheet_reader.pipeline.regions import merge_fragments

    rng = np.random.default_rng(seed)
    h = 20
    regions = _random_fragments(rng, 150, h, 200)  # crowded: many chains of merges
    fast = merge_fragments(list(regions), h)
    slow = _merged_by_rescanning(list(regions), h)
    assert sorted((r.box, sorted(r.ids)) for r in fast) == sorted((r.box, sorted(r.ids)) for r in slow)
    assert len(fast) < len(regions)  # something merged


def test_merging_fragments_costs_in_proportion_to_the_regions(monkeypatch):
    # A crowded page of fragments. Rescanning after every merge asked
    # _should_merge 14.8 million times here (18,500 a region; 39 s).
    from digit_sheet_reader.pipeline import regions as stage

    calls = []
    real = stage._should_merge
    monkeypatch.setattr(stage, "_should_merge", lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(0)
    fragments = _random_fragments(rng, 800, 20, 1000)
    stage.merge_fragments(fragments, 20)
    assert len(calls) < 40 * len(fragments)


# Marks of a register crop's edges, each beside a 40 px digit at (50, 60): (what, its box, an edge?).
# The short ones are half a digit tall: tall enough to be read as digits were they not at the edge.
EDGE_MARKS = [
    ("a black scan margin's rim, 1.4 digits long, a few px in", (7, 7, 6, 56), True),
    ("the cut-off end of the next column's writing, on the edge", (124, 110, 16, 20), True),
    ("a short thin stroke 8 px in from the edge", (129, 160, 3, 20), True),
    ("a whole digit touching the edge", (0, 150, 22, 40), False),
    ("a 1 as close to the edge as the rim", (132, 100, 4, 40), False),
]


@pytest.mark.parametrize("what, box, is_edge", EDGE_MARKS, ids=[m[0] for m in EDGE_MARKS])
def test_marks_at_the_photos_edge_are_edges_digits_there_stay(what, box, is_edge):
    mask = np.zeros((200, 140), np.uint8)
    mask[60:100, 50:76] = 1
    x, y, w, h = box
    mask[y:y + h, x:x + w] = 1
    seg = find_regions(mask, 40)
    assert ((box, "edge") in seg.rejected) == is_edge
    assert sorted(r.box for r in seg.regions) == sorted([(50, 60, 26, 40)] + ([] if is_edge else [box]))


def _l_along_the_frame(mask):
    mask[0:2, 0:70] = mask[0:90, 0:2] = 1  # a sliver of desk along a found page's top and left


def _zero_cut_by_the_frame(mask):
    cv2.ellipse(mask, (10, 150), (13, 20), 0, 0, 360, 1, 4)  # its left side beyond the frame


@pytest.mark.parametrize("draw, is_edge", [(_l_along_the_frame, True), (_zero_cut_by_the_frame, False)],
                         ids=["an L of thin rim along two sides", "a 0 cut by the frame"])
def test_ink_running_along_the_frame_is_an_edge_whatever_its_box(draw, is_edge):
    # The L's box (70 x 90 px) is no line's: only where its pixels lie tells it from a digit.
    mask = np.zeros((200, 140), np.uint8)
    mask[60:100, 50:76] = 1
    draw(mask)
    seg = find_regions(mask, 40)
    kept = sorted(r.box for r in seg.regions)
    assert (len(kept) == 1) == is_edge
    assert kept[-1] == (50, 60, 26, 40) if is_edge else any(b[0] == 0 for b in kept)


def test_a_small_zero_beside_tall_digits_is_a_digit_a_dot_is_not():
    # Natural handwriting: a 0 a third as tall as the 7s whose tails set the
    # digit height. Solid, the same size, it is a dot.
    mask = blank()
    for x in (40, 120):
        cv2.line(mask, (x, 40), (x + 50, 40), 1, 6)
        cv2.line(mask, (x + 50, 40), (x + 15, 170), 1, 6)  # tall 7s
    cv2.ellipse(mask, (220, 150), (12, 17), 0, 0, 360, 1, 5)  # a small 0 on the line
    cv2.circle(mask, (300, 160), 13, 1, -1)  # a blot as large
    seg = find_regions(mask, 130)
    assert sorted(r.box[0] for r in seg.regions) == [37, 117, 205]
    assert [reason for _, reason in seg.rejected] == ["dot"]


def test_the_two_dashes_of_an_equals_sign_do_not_make_a_digit():
    # "730/=": two level strokes 0.3 digit heights apart would be a region
    # as tall as a small digit; no digit is made of level strokes alone.
    mask = blank()
    for y in (100, 124):
        cv2.line(mask, (100, y), (128, y), 1, 6)
    seg = find_regions(mask, 80)
    assert seg.regions == []
    assert [reason for _, reason in seg.rejected] == ["dash", "dash"]
    # Control: a 5's level bar still joins the body below it (the merge above).
    cv2.ellipse(mask, (250, 130), (22, 25), 0, 200, 520, 1, 6)
    cv2.line(mask, (230, 90), (270, 90), 1, 6)
    assert len(find_regions(mask, 80).regions) == 1
