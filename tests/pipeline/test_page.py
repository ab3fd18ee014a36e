"""Page finding, top-down warping, turning views and the writing direction."""

import cv2
import numpy as np
import pytest

from benchmarks.perturb_real import cast_shadow
from digit_sheet_reader.pipeline.page import (
    View,
    find_page,
    fitted_angle,
    hanging_from_tops,
    order_corners,
    top_down,
    turn,
    whole,
    writing_angle,
)

CORNERS = np.float32([[120, 90], [520, 130], [500, 420], [90, 380]])


def desk_photo(corners=CORNERS, size=(480, 640)):
    photo = np.full((*size, 3), (40, 55, 75), np.uint8)
    cv2.fillConvexPoly(photo, corners.astype(np.int32), (235, 238, 240))
    return photo


def test_a_shaded_yellow_note_on_wood_is_found_by_its_colour():
    # No brighter than the wood's light grain in its strongest channel,
    # nor, where shaded, than the wood in its weakest: the brightness finds
    # no page. Its colour is its own, shaded or not.
    h, w = 480, 640
    x = np.arange(w)[None, :] + 25 * np.sin(np.arange(h)[:, None] / 30.0)
    grain = 0.95 + 0.3 * np.sin(x / 9.0)  # streaks 0.65 .. 1.25 of the wood's colour
    photo = np.float32([45, 95, 175]) * grain[..., None]
    corners = np.float32([[170, 110], [470, 80], [500, 370], [190, 400]])
    note = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(note, corners.astype(np.int32), 1)
    yy, xx = np.mgrid[0:h, 0:w]
    shade = np.clip(1.0 - 0.45 * ((xx - 170) / 330 + (yy - 80) / 320 - 0.6), 0.55, 1.0)  # darker towards a corner
    photo[note > 0] = np.float32([70, 205, 215]) * shade[note > 0][:, None]
    found = find_page(photo.clip(0, 255).astype(np.uint8))
    assert found is not None
    assert np.abs(found - corners).max() < 8


def test_no_page_in_a_photo_of_paper_with_a_colour_cast():
    # A webcam's paper, pink at the top and blue below: no colour of its own
    # that a desk's could differ from.
    yy = np.linspace(0, 1, 480)[:, None, None]
    photo = (np.float32([200, 190, 215]) * (1 - yy) + np.float32([225, 205, 190]) * yy) * np.ones((1, 640, 1))
    photo += np.random.default_rng(0).normal(0, 4, photo.shape)  # sensor noise
    assert find_page(photo.clip(0, 255).astype(np.uint8)) is None


def test_finds_a_slanted_sheet_on_a_desk():
    found = find_page(desk_photo())
    assert found is not None
    assert np.abs(found - CORNERS).max() < 6


def test_finds_a_narrow_strip_of_paper_seen_at_a_slant():
    strip = np.float32([[150, 200], [470, 230], [460, 290], [140, 250]])  # about 6 % of the photo
    found = find_page(desk_photo(strip))
    assert found is not None
    assert np.abs(found - strip).max() < 8  # a sharp corner of a thin strip rounds off on the thumbnail


@pytest.mark.parametrize("photo", [np.full((480, 640, 3), 235, np.uint8),  # only paper
                                   np.full((480, 640, 3), 30, np.uint8)],  # only desk
                         ids=["paper", "desk"])
def test_no_page_where_there_is_no_edge_to_find(photo):
    assert find_page(photo) is None


def test_paper_in_shadow_is_not_taken_for_desk():
    photo = np.full((480, 640, 3), 235, np.uint8)
    photo[:, 400:] = 170  # a shadow: darker, but nowhere near a desk
    assert find_page(photo) is None


def test_corner_order_survives_a_page_turned_45_degrees():
    diamond = np.float32([[300, 50], [550, 300], [300, 550], [50, 300]])
    ordered = order_corners(diamond[[2, 0, 3, 1]])
    assert cv2.contourArea(ordered) > 0  # clockwise in image coordinates, no crossing edges
    assert ordered.tolist()[0] in ([300, 50], [50, 300])


def test_top_down_view_maps_boxes_back_to_the_photo():
    photo = desk_photo()
    x, y = 300, 260  # a dot of ink in the photo
    cv2.circle(photo, (x, y), 6, (20, 20, 20), -1)
    view = top_down(whole(photo), find_page(photo))
    ys, xs = np.nonzero(view.image.max(axis=2) < 80)
    box = (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    x0, y0, x1, y1 = view.box_to_photo(box)
    assert abs((x0 + x1) / 2 - x) < 3 and abs((y0 + y1) / 2 - y) < 3


@pytest.mark.parametrize("angle", [90, 180, 270, 30, -12.5])
def test_turned_view_maps_boxes_back_and_reports_the_page_turn(angle):
    image = np.full((300, 400, 3), 255, np.uint8)
    cv2.rectangle(image, (50, 60), (80, 110), (0, 0, 0), -1)
    view = turn(whole(image), angle)
    ys, xs = np.nonzero(view.image.max(axis=2) < 128)
    box = (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    x0, y0, x1, y1 = view.box_to_photo(box)
    assert abs((x0 + x1) / 2 - 65.5) < 3 and abs((y0 + y1) / 2 - 85.5) < 3
    page_turn = (-angle) % 360  # turning the photo by +a reads a page turned by -a
    assert (view.rotation + view.skew) % 360 == pytest.approx(page_turn, abs=1e-6)
    assert view.rotation in (0, 90, 180, 270) and -45 <= view.skew <= 45


@pytest.mark.parametrize("degrees", [0, 12, -30, 44, 88])
def test_writing_angle_of_two_lines(degrees):
    along = np.arange(10) * 30.0  # digits 30 px apart, lines 70 px apart
    t = np.radians(degrees)
    centres = [np.stack([along * np.cos(t) + 70 * k * np.sin(t), 300 - along * np.sin(t) + 70 * k * np.cos(t)], axis=1)
               for k in range(2)]
    angle = writing_angle(np.vstack(centres))
    assert abs((angle - degrees + 90) % 180 - 90) < 1.0  # the same direction, modulo 180


@pytest.mark.parametrize("seed", range(10))
def test_writing_angle_of_a_square_grid_is_one_of_its_two_directions(seed):
    # Digits as close above and below as beside (a practice sheet of 10 x 10
    # digits): the nearest neighbours run along the rows and the columns
    # alike. Their mean direction fell between the two (the photo of such a
    # sheet turned 30 deg was read down its diagonals); the reader needs one
    # of them, and tries the other across it.
    rng = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(np.arange(10) * 50.0, np.arange(10) * 50.0), axis=-1).reshape(-1, 2)
    for degrees in (15, 25, 30, 35, -20, -30):
        t = np.radians(degrees)
        centres = (grid + rng.normal(0, 3, grid.shape)) @ np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
        angle = writing_angle(centres)
        assert abs((angle - degrees + 45) % 90 - 45) < 3  # a row's direction or a column's


def test_fitted_angle_and_a_page_hanging_from_its_tops():
    heights = np.array([30, 26, 34, 28, 31, 25, 33])
    x = np.arange(7) * 25.0
    upright = np.stack([x, 100 - heights - 0.1 * x, np.full(7, 20), heights], axis=1)
    assert fitted_angle(upright, [list(range(7))]) == pytest.approx(np.degrees(np.arctan(0.1)), abs=1.5)
    assert not hanging_from_tops(upright, [list(range(7))])
    flipped = upright.copy()
    flipped[:, 1] = 60 - 0.1 * x
    assert hanging_from_tops(flipped, [list(range(7))])


def test_whole_is_the_identity():
    view = whole(np.zeros((10, 20, 3), np.uint8))
    assert isinstance(view, View) and view.box_to_photo((2, 3, 4, 5)) == pytest.approx((2, 3, 6, 8))


def test_a_soft_shadow_across_the_page_does_not_cut_it():
    photo = desk_photo().astype(np.float32)
    shade = np.ones(photo.shape[:2], np.float32)
    shade[:, :260] = 0.35  # a hand's shadow over the left of the sheet and the desk
    photo = np.clip(photo * cv2.GaussianBlur(shade, (0, 0), 16)[..., None], 0, 255).astype(np.uint8)  # a penumbra
    found = find_page(photo)
    # Either the whole sheet, or nothing (read as it is): never only its lit part.
    assert found is None or np.abs(found - CORNERS).max() < 10


@pytest.mark.parametrize("darkest", [0.45, 0.55])
def test_a_sharp_shadow_across_a_written_sheet_does_not_cut_it(darkest):
    # A phone's shadow over the left of a sheet on a desk, its edge sharp:
    # the lit part is a bright quadrilateral with sharp sides, but beyond
    # its left side lies paper (its colour, as plain), written on.
    photo = desk_photo()
    for y in (190, 300):
        cv2.putText(photo, "3081 5926", (150, y), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.6, (40, 30, 30), 3)
    found = find_page(cast_shadow(photo, darkest))
    assert found is not None and np.abs(found - CORNERS).max() < 6  # the whole sheet, at the darker split


@pytest.mark.parametrize("desk_share, found", [(0.65, True), (0.9, False)])
def test_a_sheet_on_a_desk_two_thirds_as_bright_is_found_paper_on_paper_is_not(desk_share, found):
    # Grey paper on light wood: the desk is 0.65 of the paper's brightness, a
    # smaller step across each side than a shadow's edge may make, but a sharp one.
    # At 0.9 the step is too small to tell a sheet from paper beside it.
    photo = desk_photo().astype(np.float32)
    photo[(photo == [40, 55, 75]).all(axis=2)] = desk_share * np.float32([235, 238, 240])  # the sheet's colour
    photo = cv2.GaussianBlur(photo, (3, 3), 0).astype(np.uint8)
    corners = find_page(photo)
    assert (corners is not None) == found
    assert not found or np.abs(corners - CORNERS).max() < 6


def test_grey_paper_on_a_wooden_desk_as_bright_in_red_is_found():
    # Dim grey paper on orange-brown wood: the desk's red is as bright as the
    # paper, so the strongest channel sees no page; the weakest sees grey
    # paper (bright in every channel) against wood (bright in one).
    photo = desk_photo().astype(np.float32)
    photo[(photo == [40, 55, 75]).all(axis=2)] = [70, 110, 150]  # BGR wood
    photo[(photo == [235, 238, 240]).all(axis=2)] = [148, 150, 150]  # grey paper
    photo = cv2.GaussianBlur(photo, (3, 3), 0).astype(np.uint8)
    corners = find_page(photo)
    assert corners is not None and np.abs(corners - CORNERS).max() < 6


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_finds_a_small_turned_note_on_a_textured_desk(seed):
    # A sticky note a tenth of a 12 MP photo wide, turned 30 deg on wood or
    # leather: on the page thumbnail its corners span a few pixels only.
    from digit_sheet_reader.synth.hard_cases import desk_texture

    rng = np.random.default_rng(seed)
    photo = np.clip(desk_texture(3000, 4000, rng), 0, 255).astype(np.uint8)
    centre = (int(rng.integers(600, 3400)), int(rng.integers(600, 2400)))
    corners = cv2.boxPoints((centre, (420, 160), 30)).astype(np.float32)
    cv2.fillConvexPoly(photo, corners.astype(np.int32), (150, 235, 250))
    found = find_page(photo)
    assert found is not None
    assert np.abs(order_corners(found) - order_corners(corners)).max() < 25  # within a thumbnail pixel of the crop


def shaded_corner_photo(darkest):
    """A sheet whose bottom-right corner darkens smoothly to ``darkest`` of
    its brightness (the phone's shadow, a vignetting lens), on a dark desk."""
    photo = desk_photo().astype(np.float32)
    sheet = np.zeros(photo.shape[:2], np.uint8)
    cv2.fillConvexPoly(sheet, CORNERS.astype(np.int32), 1)
    ys, xs = np.mgrid[:photo.shape[0], :photo.shape[1]]
    towards = np.clip(((xs - 360) / 90 + (ys - 280) / 90) / 2, 0, 1)  # 0 inside, 1 at the corner
    shade = 1 - (1 - darkest) * towards
    photo[sheet > 0] *= shade[sheet > 0, None]
    return photo.astype(np.uint8)


@pytest.mark.parametrize("restore", [True, False], ids=["restored", "control"])
def test_a_sheet_whose_corner_is_as_dark_as_the_desk_is_found_whole(restore, monkeypatch):
    import digit_sheet_reader.pipeline.page as page

    photo = shaded_corner_photo(darkest=0.2)  # the corner at 47 of 255, darker than the desk's red
    if not restore:
        monkeypatch.setattr(page, "_cut_corners_restored", lambda polygon, bright: np.empty((0, 2), np.float32))
        # Grey paper on a brown desk: the paper's colour, which shade leaves
        # alone, would find it whole too.
        monkeypatch.setattr(page, "_paper_colour_maps", lambda thumb: iter(()))
    found = find_page(photo)
    if restore:
        assert found is not None and np.abs(found - CORNERS).max() < 8
    else:  # the outline's tightest rectangle has a side across the shade, which is soft: no page
        assert found is None


def test_a_card_with_rounded_corners_is_found():
    # A sticky note's or an index card's rounded corners put the outline's
    # fitted corners a few pixels inside the paper.
    card = np.zeros((480, 640), np.uint8)
    cv2.fillConvexPoly(card, CORNERS.astype(np.int32), 1)
    card = cv2.morphologyEx(card, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (61, 61)))
    photo = np.full((480, 640, 3), (40, 55, 75), np.uint8)
    photo[card > 0] = (235, 238, 240)
    found = find_page(photo)
    assert found is not None and np.abs(found - CORNERS).max() < 20  # within the rounding


def test_a_side_fitted_inside_the_paper_is_judged_at_the_paper_s_edge():
    # The outline's corners can sit a few pixels inside the paper (a corner
    # darkened or rounded): a side through them has paper on both sides
    # and looks soft, until it is moved onto the step beside it.
    from digit_sheet_reader.pipeline.page import _sharp_sides, _snapped_to_edges

    bright = np.full((200, 300), 40, np.uint8)
    bright[50:150, 60:240] = 200
    fitted = np.float32([[60, 54], [240, 54], [240, 150], [60, 150]])  # the top side 4 px inside
    assert not _sharp_sides(bright, fitted)
    snapped = _snapped_to_edges(bright, fitted)
    assert abs(snapped[:, 1].min() - 50) <= 1.5 and np.abs(snapped[2:] - fitted[2:]).max() <= 1.5
    assert _sharp_sides(bright, snapped)
    # Snapping finds no step that is not there: a soft shadow stays soft.
    soft = np.tile(np.linspace(200, 40, 300).astype(np.uint8), (200, 1))
    half = np.float32([[0, 0], [150, 0], [150, 199], [0, 199]])
    assert not _sharp_sides(soft, _snapped_to_edges(soft, half))


def test_a_corner_restored_beyond_the_photo_is_no_page_corner():
    # Extending a page's sides past a soft one must not put a corner far
    # outside the photo (the warp to it would be huge): such a fit is refused.
    from digit_sheet_reader.pipeline.page import _cut_corners_restored

    bright = np.full((100, 100), 30, np.uint8)
    house = np.float32([[10, 40], [50, 15], [90, 40], [90, 90], [10, 90]])
    cv2.fillConvexPoly(bright, house.astype(np.int32), 200)
    cv2.fillConvexPoly(bright, np.int32([[10, 0], [50, 0], [50, 15], [10, 40]]), 200)  # paper beyond the roof's left side
    assert len(_cut_corners_restored(house, bright)) == 0  # its neighbours meet at (10, -10)
    inside = house + [0, 20]
    bright2 = np.full((120, 100), 30, np.uint8)
    cv2.fillConvexPoly(bright2, inside.astype(np.int32), 200)
    cv2.fillConvexPoly(bright2, np.int32([[10, 10], [50, 10], [50, 35], [10, 60]]), 200)
    restored = _cut_corners_restored(inside, bright2)
    assert len(restored) == 4 and np.abs(restored - [[10, 10], [90, 60], [90, 110], [10, 110]]).max() < 1


def test_streaks_of_a_desk_s_grain_are_taken_off_the_page_at_the_darker_split():
    # At the darker split, the lighter streaks of a wooden desk reach the
    # paper's level and join it: opened first, the region is the page.
    from digit_sheet_reader.pipeline.page import PAGE, _largest_bright

    bright = np.full((240, 320), 40, np.uint8)
    for x in range(-240, 320, 12):
        cv2.line(bright, (x, 0), (x + 240, 240), 90, 2)  # the grain, as light as the paper's shaded part
    cv2.rectangle(bright, (60, 50), (260, 200), 100, -1)  # the page
    page_area = 200 * 150
    opened = next(_largest_bright(bright, [80], PAGE.grain))
    assert abs(cv2.contourArea(opened) - page_area) < 0.03 * page_area
    assert cv2.contourArea(cv2.convexHull(opened)) < 1.05 * page_area
    joined = next(_largest_bright(bright, [80]))  # control: not opened, the streaks hang on to the page
    assert cv2.contourArea(cv2.convexHull(joined)) > 1.5 * page_area


def streaky_wood(h=480, w=640, seed=0):
    """Orange wood whose light streaks outshine a dim note in every channel."""
    rng = np.random.default_rng(seed)
    x = np.arange(w)[None, :] + np.arange(h)[:, None] * 0.8
    streaks = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), sigmaX=1.5, sigmaY=25)
    streaks = cv2.warpAffine(streaks, cv2.getRotationMatrix2D((w / 2, h / 2), -40, 1.0), (w, h),
                             borderMode=cv2.BORDER_REFLECT)
    grain = 1.0 + 0.45 * np.sin(x / 7.0) + 0.25 * streaks / streaks.std()
    return np.float32([45, 95, 175]) * grain[..., None]


def test_a_dim_note_on_streaky_wood_is_found_as_the_plain_region():
    # Darker than the light streaks in every channel, and of no colour the
    # brightest pixels (the streaks) have: its plainness tells its colour.
    corners = np.float32([[250, 120], [420, 170], [380, 330], [210, 280]])
    photo = streaky_wood()
    cv2.fillConvexPoly(photo, corners.astype(np.int32), (50, 92, 98))
    found = find_page(photo.clip(0, 255).astype(np.uint8))
    assert found is not None
    assert np.abs(order_corners(found) - order_corners(corners)).max() < 6
    assert find_page(streaky_wood().clip(0, 255).astype(np.uint8)) is None  # the desk alone: no page


def light_streaky_desk(h=480, w=640):
    """A light wooden desk: grey, with light streaks as bright as paper, all running one way."""
    photo = np.full((h, w, 3), 120, np.uint8)
    for y in range(-w, h, 22):
        cv2.line(photo, (0, y), (w - 1, y + w // 2), (215, 212, 210), 4)
    return photo


def test_a_page_on_a_light_desk_whose_streaks_join_it_is_found_by_its_straight_sides(monkeypatch):
    # The streaks reach the paper's brightness and join it at every split:
    # no bright region is a convex quadrilateral. The page's sides are its
    # straightest edges, stepping up into it all along.
    from digit_sheet_reader.pipeline import page

    corners = np.float32([[140, 100], [500, 130], [480, 400], [120, 370]])
    photo = light_streaky_desk()
    cv2.fillConvexPoly(photo, corners.astype(np.int32), (225, 228, 230))
    found = find_page(photo)
    assert found is not None
    assert np.abs(order_corners(found) - corners).max() < 8
    assert find_page(light_streaky_desk()) is None  # the desk alone: streaks, no page
    monkeypatch.setattr(page, "edge_quadrilateral", lambda bright: None)
    assert find_page(photo) is None  # control: the bright regions find none


def test_a_ruled_scan_has_no_page_in_its_straight_lines():
    # A table's rules are straight edges too, but paper lies on both sides of each.
    scan = np.full((480, 640, 3), 235, np.uint8)
    for x in (60, 250, 580):
        cv2.line(scan, (x, 30), (x, 450), (60, 60, 60), 3)
    for y in (30, 120, 300, 450):
        cv2.line(scan, (60, y), (580, y), (60, 60, 60), 3)
    assert find_page(scan) is None
