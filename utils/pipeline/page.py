"""Where the page is and which way is up: photo -> top-down, upright view.

The reader works on a :class:`View`: an image plus the 3x3 matrix that
maps its pixels back to the loaded photo's, so boxes found in a warped or
turned view are still reported in the original photo's pixels.

- :func:`find_page` finds a sheet lying on a darker desk (the largest
  bright quadrilateral) and :func:`top_down` warps it to a rectangle,
  undoing the perspective of a slanted camera.
- :func:`writing_angle` estimates the direction the lines run from the
  digit regions' centres: digits in a line are nearer to each other than
  to the lines above and below.
- :func:`turn` rotates a view by any angle, growing the canvas so nothing
  is cut off.

Which way up a page is (0 or 180 deg; 90 or 270) is not geometry: the
reader decides it by asking the sequence reader (or the recogniser)
how surely each way up reads (see :mod:`digit_sheet_reader.pipeline.reader`).
"""

from dataclasses import dataclass

import cv2
import numpy as np

from .ink import INK, strongest_channel, weakest_channel


@dataclass(frozen=True)
class PageSettings:
    """How a page is found on a desk and warped top-down.

    Areas are shares of the photo, contrasts shares of the paper's brightness.
    """

    page_min_area: float = 0.003  # least share of the photo a page must cover to be warped (a sticky note in 16 MP)
    refit_below: float = 0.5  # a page narrower than this share of the thumbnail is fitted again on a crop around it
    splits: int = 2  # brightness splits tried: Otsu's, then Otsu's among the pixels above it
    page_max_area: float = 0.88  # most share of the photo a page may cover (else it is all paper)
    page_thumb_side: int = 320  # longer side (px) of the thumbnail the page is looked for on
    page_contrast: float = 0.7  # the desk is darker than this share of the paper
    side_contrast: float = 0.4  # across each side, inside must be brighter than outside by this share ...
    side_least: float = 0.3  # ... or by this share (the page_contrast a desk has), if the step is sharp:
    side_sharpness: float = 0.7  # most of it (this share) taken within 2 px of the side, as 6 px away
    side_snap: int = 6  # each side is moved (thumbnail px, either way) onto the sharpest step near it
    grain: int = 5  # at the darker split, streaks of a desk's grain thinner than this (thumbnail px) leave the page
    convex: float = 0.9  # the page's outline covers at least this share of the bright region in it
    corner_tolerance: float = 0.03  # corners are fitted within this share of the outline's length ...
    fine_tolerance: float = 0.01  # ... or within this, to see where shade cut a corner off
    outside: float = 0.02  # no corner lies farther outside the photo than this share of its longer side
    corner_smoothing: int = 16  # the corners a turn opens continue the image's edge averaged over this many px
    hanging: float = 0.8  # digits whose tops spread less than this share of their bottoms hang
    neighbours: int = 3  # each region votes for the direction lines run with this many nearest neighbours ...
    neighbours_from: int = 10  # ... where there are this many regions (else with its nearest)
    vote_spread: float = 5.0  # spread (deg) over which the votes are smoothed to find where most lie
    paper_share: float = 5.0  # the paper's colour is that of the brightest this many per cent of the pixels ...
    chroma_reach: float = 0.1  # ... and a colour this far from it (in chromaticity) is no paper's
    texture_window: int = 7  # texture: the brightness gradient averaged over this many thumbnail px
    edge_lines: int = 16  # where no bright region is a page: the strongest straight edges tried as its sides ...
    edge_parallel: int = 4  # ... at most this many within 8 deg of each other (a desk's grain runs one way) ...
    edge_support: float = 0.7  # ... a side holds if this share of it steps up into the page ...
    edge_step: float = 0.05  # ... by this share of the paper's brightness, 2 and 6 px either side (most of it at 2)
    beyond: tuple = (4, 16)  # the band (thumbnail px out from a side) looked at for paper in shadow beyond it ...
    shadow_chroma: float = 0.05  # ... paper's if its colour is this near the page's (chromaticity) ...
    shadow_texture: float = 2.0  # ... and at most this many times as textured (against its brightness) ...
    plain_texture: float = 0.02  # ... as the page, or as plain paper's grain and a JPEG's noise, if more
    writing_drop: float = 0.2  # ... and beyond the side, pixels this much darker than the paper around ...
    writing_share: float = 0.001  # ... in marks of writing's shape cover this share of it (a plain table has none)


PAGE = PageSettings()


@dataclass
class View:
    """An image to read and the 3x3 map from its pixels to the photo's."""

    image: np.ndarray
    to_photo: np.ndarray
    rotation: int = 0  # 0, 90, 180 or 270: the page's turn, counter-clockwise
    skew: float = 0.0  # degrees, counter-clockwise, on top of the rotation
    all_paper: bool = False  # the page was found and cut out: no desk in view
    faint: float = 1.0  # the ink thresholds are scaled by this: under 1 for pale writing, over 1 above a pale pattern

    def box_to_photo(self, box):
        """Axis-aligned (x0, y0, x1, y1) in photo pixels around a view box (x, y, w, h)."""
        x, y, w, h = box
        corners = np.float64([[[x, y], [x + w, y], [x + w, y + h], [x, y + h]]])
        mapped = cv2.perspectiveTransform(corners, self.to_photo)[0]
        return (*mapped.min(axis=0), *mapped.max(axis=0))


def whole(image):
    """The photo itself as a view."""
    return View(image, np.eye(3))


def find_page(image, refit=True):
    """Corners (4x2 float32, photo pixels) of a sheet on a darker desk, or None.

    Paper is where the brightness, with strokes closed away, reaches
    ``INK.desk_ratio`` of the paper level (the rule the preprocessing uses to
    tell desk from page, there on luminance). The largest such region must be a convex
    quadrilateral that covers part, not all, of the photo, with sharp
    sides (:func:`_is_sheet`); a corner cut off by shade is restored
    (:func:`_cut_corners_restored`), and only where no page is found so is
    the paper's darker part taken in (:func:`_paper_outlines`), and only where
    none is found so either is the paper told by its colour (a tinted note
    on a wooden desk, :func:`paper_likeness`); last, in a photo larger
    than the thumbnail with a darker surround, by its straight sides (a
    light desk whose streaks join the page: :func:`edge_quadrilateral`). A small sheet
    (a sticky note in a large photo) is fitted again on a closer crop
    around it, where its corners span enough pixels to be fitted
    (``refit``). No corner lies far outside the photo: the warp to it
    stays the photo's size.

    Examples
    --------
    >>> photo = np.full((300, 400, 3), 40, np.uint8)
    >>> _ = cv2.fillConvexPoly(photo, np.int32([[60, 50], [330, 70], [350, 260], [40, 240]]), (235, 235, 235))
    >>> corners = find_page(photo)
    >>> bool(np.abs(corners - [[60, 50], [330, 70], [350, 260], [40, 240]]).max() < 6)
    True
    >>> find_page(np.full((300, 400, 3), 235, np.uint8)) is None
    True
    """
    thumb, factor = _thumbnail(image)
    shade = {}  # the thumbnail's maps for shadowed_paper_beyond, made once for every page tried
    for bright, darker in _page_maps(thumb):
        for outline in _paper_outlines(bright, darker):
            corners = _fitted(image, outline, bright, factor, refit)
            if (corners is not None and _inside_image(corners, image.shape, PAGE.outside * max(image.shape[:2])).all()
                    and not shadowed_paper_beyond(thumb, corners / factor, shade)):
                return corners
    brightness = _channel(thumb)
    if factor == 1 or not _darker_surround(_strokes_closed(brightness)):
        # A crop no larger than the thumbnail (a number, a cell: its bold
        # strokes are straight edges too), or paper all over: no desk.
        return None
    corners = edge_quadrilateral(brightness)
    return None if corners is None or shadowed_paper_beyond(thumb, corners, shade) else corners * factor


def _darker_surround(bright):
    """True if enough of ``bright`` (strokes closed away) is dark enough to
    be the desk around a page: the share of the photo a page leaves
    uncovered at least (``PAGE.page_max_area``), half of it darker than
    ``PAGE.page_contrast`` of the brightest paper."""
    return np.percentile(bright, 50 * (1 - PAGE.page_max_area)) <= PAGE.page_contrast * float(bright.max())


def shadowed_paper_beyond(thumb, corners, maps=None):
    """True if beyond a side of the page ``corners`` (thumbnail pixels)
    lies more of the paper, in shadow, written on: the band
    ``PAGE.beyond`` px out from the side has the page's colour
    (``PAGE.shadow_chroma``) and is as plain as the page
    (``PAGE.shadow_texture``, ``PAGE.plain_texture``), texture measured
    against the brightness, which a shadow lowers with it, and no darker
    than paper in shade is (``INK.desk_ratio``); and beyond the side, on
    such paper, there is writing (``PAGE.writing_drop``, ``PAGE.writing_share``).

    The shadow of the phone or the hand across a sheet is a straight, sharp
    step down, and the lit part of the sheet a bright quadrilateral with
    sharp sides: the writing in the shadow would be cut off. A desk beyond
    a page has its own colour or grain, and a plain grey table no writing;
    the sides along the photo's frame have nothing beyond them. ``maps``,
    a dict, keeps the thumbnail's maps for the next page tried on it.

    Examples
    --------
    >>> thumb = np.full((200, 300, 3), 230, np.uint8)
    >>> thumb[:, :120] = 120                              # the left of the sheet in shadow ...
    >>> corners = np.float32([[120, 0], [299, 0], [299, 199], [120, 199]])
    >>> shadowed_paper_beyond(thumb, corners)             # ... not written on
    False
    >>> _ = cv2.putText(thumb, "42", (20, 120), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (40, 40, 40), 3)
    >>> shadowed_paper_beyond(thumb, corners)
    True
    >>> thumb[:, :120] = (40, 70, 110)                    # a brown desk there instead
    >>> shadowed_paper_beyond(thumb, corners)
    False
    """
    if not maps:
        maps = _shade_maps(thumb, maps)
    page = cv2.fillConvexPoly(np.zeros(thumb.shape[:2], np.uint8), corners.astype(np.int32), 1)
    near, far = PAGE.beyond
    square = np.ones((2 * near + 1, 2 * near + 1), np.uint8)
    inside = cv2.erode(page, square) > 0
    if not inside.any():
        return False
    bright, texture, chroma = maps["bright"], maps["texture"], maps["chroma"]
    paper_chroma = np.median(chroma[inside], axis=0)
    # The plainer quarter of each: writing on it does not count as texture.
    plain = PAGE.shadow_texture * max(float(np.percentile(texture[inside], 25)), PAGE.plain_texture)
    # Paper in a shadow, not a desk, a scan's black margin or a book's binding (nor the rim of
    # one, which the closing brightened).
    shaded = cv2.erode((bright >= INK.desk_ratio * np.median(bright[inside])).astype(np.uint8), square) > 0
    for a, b, inward in _sides(corners):
        out, beside = _from_side(maps["grid"], a, b, inward)
        beyond = (out >= near) & (page == 0)
        band = beyond & (out <= far) & beside
        if band.sum() < 2 * (far - near):
            continue  # a side along the photo's frame
        colour = float(np.linalg.norm(np.median(chroma[band], axis=0) - paper_chroma))
        if colour > PAGE.shadow_chroma or np.percentile(texture[band], 25) > plain or shaded[band].mean() < 0.5:
            continue
        beyond &= shaded
        if _written_pixels(maps["dark"] & beyond) >= PAGE.writing_share * beyond.sum():
            return True
    return False


def _shade_maps(thumb, maps=None):
    """The maps of ``thumb`` :func:`shadowed_paper_beyond` reads (into ``maps`` if given):
    its brightness and colour, strokes closed away, the texture of that brightness
    (:func:`_relative_texture`), the pixels ``PAGE.writing_drop`` darker than it, and the pixel grid."""
    maps = {} if maps is None else maps
    closed = _strokes_closed(thumb)
    bright = _channel(closed).astype(np.float32)
    maps.update(bright=bright, texture=_relative_texture(bright), chroma=chromaticity(closed),
                dark=_channel(thumb) < (1 - PAGE.writing_drop) * bright,
                grid=np.mgrid[:bright.shape[0], :bright.shape[1]])
    return maps


def _relative_texture(bright):
    """:func:`_texture` against the brightness there: the same on paper lit or in shadow."""
    return _texture(bright) / np.maximum(cv2.blur(bright, (PAGE.texture_window, PAGE.texture_window)), 1.0)


def _texture(grey):
    """The brightness gradient of ``grey`` (float32) averaged over ``PAGE.texture_window`` px."""
    gradient = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    return cv2.blur(gradient, (PAGE.texture_window, PAGE.texture_window))


def _from_side(grid, a, b, inward):
    """For each pixel of ``grid`` (``np.mgrid``'s y, x): how far it lies out
    beyond the side ``a``-``b`` (``inward`` its unit normal), and whether it
    lies beside the side, between its ends."""
    ys, xs = grid
    out = -((xs - a[0]) * inward[0] + (ys - a[1]) * inward[1])
    along = (xs - a[0]) * (b[0] - a[0]) + (ys - a[1]) * (b[1] - a[1])
    return out, (along >= 0) & (along <= float(np.dot(b - a, b - a)))


def _written_pixels(ink):
    """How many pixels of the mask ``ink`` lie in marks of writing's shape:
    no side more than four times the other (a rule, the rim of a scan's
    margin or a book's binding is a long line), a speck's few pixels
    excepted.

    >>> ink = np.zeros((40, 80), bool)
    >>> ink[5, 2:60] = True                               # a rule
    >>> _written_pixels(ink)
    0
    >>> ink[15:27, 20:28] = True                          # a blot of writing
    >>> _written_pixels(ink)
    96
    """
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    w, h, area = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_AREA]
    return int(area[(w <= 4 * h) & (h <= 4 * w) & (area >= 3)].sum())


def _channel(image):
    """The strongest channel of a colour image; a grey one as it is."""
    return strongest_channel(image) if image.ndim == 3 else image


def _page_maps(thumb):
    """Yield (a map of the thumbnail on which paper is bright, whether to
    split it lower, at the paper's darker parts), in the order tried: the
    brightness maps (:func:`_brightness_maps`), then the same split lower
    (only where no page is found without the darker parts), then the
    paper's colour (only where its brightness finds none:
    :func:`_paper_colour_maps`), the colour of the brightest paper first,
    then that of the plainest region (:func:`smoothness`)."""
    brightness = _brightness_maps(thumb)
    yield from ((bright, False) for bright in brightness)
    yield from ((bright, True) for bright in brightness)
    yield from ((likeness, False) for likeness in _paper_colour_maps(thumb))


def _fitted(image, outline, bright, factor, refit):
    """The corners (photo pixels) of the sheet outlined on the thumbnail, or None if it is no sheet."""
    x, y, w, h = cv2.boundingRect(outline)
    if max(w, h) < PAGE.refit_below * PAGE.page_thumb_side and factor > 1 and refit:
        # Fit again on the photo around it, so a note a tenth of the
        # frame wide gets a thumbnail of its own.
        margin = max(w, h) // 2 + 2
        x0, y0 = int(max(0, (x - margin) * factor)), int(max(0, (y - margin) * factor))
        x1, y1 = int((x + w + margin) * factor), int((y + h + margin) * factor)
        crop = image[y0:y1, x0:x1]
        corners = find_page(crop, refit=False)
        if corners is None or _cut_by_crop(corners, crop.shape, (x0, y0), image.shape):
            return None
        return corners + np.float32([x0, y0])
    corners = _sheet_corners(outline, bright)
    return None if corners is None else corners * factor


def _cut_by_crop(corners, crop_shape, origin, photo_shape, margin=2):
    """True if ``corners`` (crop pixels) reach an edge of the crop that lies
    inside the photo: a page cut off there by the crop goes on beyond it,
    it is not the small note the crop was made around."""
    (x0, y0), (h, w), (photo_h, photo_w) = origin, crop_shape[:2], photo_shape[:2]
    low, high = corners.min(axis=0), corners.max(axis=0)
    return bool((x0 > 0 and low[0] < margin) or (y0 > 0 and low[1] < margin)
                or (x0 + w < photo_w and high[0] > w - 1 - margin) or (y0 + h < photo_h and high[1] > h - 1 - margin))


def _brightness_maps(thumb):
    """The thumbnail's brightness with strokes closed away: first the
    strongest channel, where a white or tinted sheet (a yellow note) is
    bright; then, for a colour photo, the weakest channel, where grey
    paper in dim light stands out from a brown wooden desk as bright as it
    in red (paper is grey: bright in every channel, wood in one)."""
    if thumb.ndim != 3:
        return [_strokes_closed(thumb)]
    return [_strokes_closed(strongest_channel(thumb)), _strokes_closed(weakest_channel(thumb))]


def _paper_colour_maps(thumb):
    """Yield how near each pixel's colour is to the paper's, strokes closed
    away, for a colour thumbnail: a yellow note on orange wood is no
    brighter than the wood's light grain in any channel, and its shaded
    part no brighter than the wood, but its colour is its own, shaded or
    not (:func:`paper_likeness`). The paper's colour is first that of the
    brightest pixels; then, where the desk's light streaks outshine a dim
    note, that of each of the plainest regions in turn (a desk's grain or
    leather is textured, paper is not), the page then being all of
    that colour, shaded or not (the plain region stops where shade or
    writing begins)."""
    if thumb.ndim == 3:
        closed = _strokes_closed(thumb)
        yield paper_likeness(closed)
        for plain in _paper_outlines(smoothness(cv2.cvtColor(closed, cv2.COLOR_BGR2GRAY))):
            inside = cv2.drawContours(np.zeros(thumb.shape[:2], np.uint8), [plain], -1, 1, cv2.FILLED)
            yield paper_likeness(closed, inside > 0)


def paper_likeness(image, paper=None):
    """How near each pixel's colour is to the paper's, as uint8 (255: the
    paper's colour, 0: ``PAGE.chroma_reach`` or farther from it). Colour is
    chromaticity, each channel's share of their sum, which shade leaves
    alone; the paper's is the median of the pixels where the mask
    ``paper`` is true, by default the brightest ``PAGE.paper_share`` of them.

    Examples
    --------
    >>> wood = np.full((20, 40, 3), (45, 95, 175), np.uint8)
    >>> wood[5:15, 5:35] = (70, 205, 215)                 # a yellow note ...
    >>> wood[5:15, 20:35] = (38, 113, 118)                # ... shaded across half
    >>> likeness = paper_likeness(wood)
    >>> int(likeness[10, 10]), int(likeness[10, 30]) > 200, int(likeness[0, 0])
    (255, True, 0)
    """
    chroma = chromaticity(image)
    if paper is None:
        luminance = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        paper = luminance >= np.percentile(luminance, 100 - PAGE.paper_share)
    distance = np.linalg.norm(chroma - np.median(chroma[paper], axis=0), axis=2)
    return np.clip(255 * (1 - distance / PAGE.chroma_reach), 0, 255).astype(np.uint8)


def chromaticity(image):
    """Each channel's share of the channels' sum (float32): colour without
    brightness, which shade leaves alone. A grey image is all one colour."""
    pixels = image.astype(np.float32).reshape(image.shape[:2] + (-1,)) + 1.0
    return pixels / pixels.sum(axis=2, keepdims=True)


def smoothness(grey):
    """How plain the grey image is around each pixel, as uint8 (255: flat,
    0: as textured as the photo's median or more): its brightness
    gradient averaged over ``PAGE.texture_window`` px, against the median.

    Examples
    --------
    >>> desk = np.random.default_rng(0).integers(60, 200, (60, 80)).astype(np.uint8)
    >>> desk[20:40, 20:50] = 90                           # a plain note, darker than the desk's grain
    >>> plain = smoothness(desk)
    >>> int(plain[30, 35]), bool(np.median(plain[:15]) < 50)
    (255, True)
    """
    texture = _texture(grey.astype(np.float32))
    usual = max(float(np.median(texture)), 1e-3)
    return np.clip(255 * (1 - texture / usual), 0, 255).astype(np.uint8)


def _thumbnail(image):
    """(``image`` shrunk to ``PAGE.page_thumb_side``, the factor it was shrunk by)."""
    factor = max(1.0, max(image.shape[:2]) / PAGE.page_thumb_side)
    thumb = cv2.resize(image, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA) if factor > 1 else image
    return thumb, factor


def _strokes_closed(image):
    return cv2.morphologyEx(image, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))


def edge_quadrilateral(bright):
    """The corners of a page whose four sides are the straightest brightness
    steps in ``bright`` (a thumbnail's brightness: strokes are not closed
    away, which would smear the desk's light streaks over its sides), or None.

    On a light wooden desk the grain's light streaks reach the paper's
    brightness and join it at every split: no bright region is a convex
    quadrilateral, though the page's sides are plain straight edges. The
    strongest straight edges (a Hough transform of the Canny edges, at
    most ``PAGE.edge_parallel`` in one direction: the grain's streaks all
    run one way) are paired into two pairs of opposite sides. A
    quadrilateral they make is a page if its area could be one, the desk
    around it is darker (``PAGE.page_contrast``) and seen beyond two of its
    sides at least (a dark band along one side only is a scan's margin),
    and along each side the frame does not cut, ``PAGE.edge_support`` of
    the points step up into it by ``PAGE.edge_step`` of the paper's
    brightness, 2 px either side and 6 px either side (the edge of a
    stroke steps down only as far as the stroke is wide), most of the step
    taken within 2 px (``PAGE.side_sharpness``: a shadow's edge is soft).
    A streak stops where the page begins; a page's side runs on. The
    largest such quadrilateral is the page.

    Examples
    --------
    >>> desk = np.full((200, 260), 110, np.uint8)          # the thumbnail of a photo
    >>> for y in range(-260, 200, 14):                     # light streaks, joined to the page
    ...     _ = cv2.line(desk, (0, y), (259, y + 130), 200, 3)
    >>> _ = cv2.fillConvexPoly(desk, np.int32([[60, 40], [200, 55], [190, 170], [50, 150]]), 215)
    >>> corners = edge_quadrilateral(desk)
    >>> bool(np.abs(corners - [[60, 40], [200, 55], [190, 170], [50, 150]]).max() < 4)
    True
    """
    lines = _straight_edges(bright)
    pairs = [(a, b) for k, a in enumerate(lines) for b in lines[k + 1:] if _angle_apart(a[1], b[1]) < np.radians(20)]
    quadrilaterals = []
    for k, (a, b) in enumerate(pairs):
        for c, d in pairs[k + 1:]:
            if _angle_apart(a[1], c[1]) < np.radians(50):
                continue  # not a page's other pair of sides
            corners = [_crossing(_two_points(p), _two_points(q)) for p, q in ((a, c), (c, b), (b, d), (d, a))]
            if all(p is not None for p in corners):
                corners = order_corners(np.float32(corners))
                quadrilaterals.append((cv2.contourArea(corners), corners))
    for area, corners in sorted(quadrilaterals, key=lambda q: -q[0]):
        if _edge_page(bright, corners, area):
            return corners
    return None


def _straight_edges(bright):
    """(rho, theta) of the ``PAGE.edge_lines`` strongest straight edges of
    ``bright``, no two alike, at most ``PAGE.edge_parallel`` in one direction."""
    edges = cv2.Canny(cv2.GaussianBlur(bright, (5, 5), 0), 15, 45)
    found = cv2.HoughLines(edges, 1, np.pi / 180, max(20, min(bright.shape[:2]) // 8))
    kept = []
    for rho, theta in ([] if found is None else found[:, 0]):
        alike = [abs(rho - r) < 8 and _angle_apart(theta, t) < np.radians(6) for r, t in kept]
        parallel = sum(_angle_apart(theta, t) < np.radians(8) for _, t in kept)
        if not any(alike) and parallel < PAGE.edge_parallel:
            kept.append((float(rho), float(theta)))
            if len(kept) == PAGE.edge_lines:
                break
    return kept


def _angle_apart(first, second):
    """How far apart two line directions (radians, modulo pi) are."""
    apart = abs(first - second) % np.pi
    return min(apart, np.pi - apart)


def _two_points(line):
    """Two points (float arrays, x y) on the line given as (rho, theta), for :func:`_crossing`."""
    rho, theta = line
    foot = rho * np.array([np.cos(theta), np.sin(theta)])
    return foot, foot + np.array([-np.sin(theta), np.cos(theta)])


def _edge_page(bright, corners, area):
    """True if the quadrilateral ``corners`` (of ``area``) fitted to straight
    edges is a page: an area a page's, inside the image, a darker desk
    around it and every side stepping up into it (:func:`edge_quadrilateral`)."""
    if not PAGE.page_min_area <= area / bright.size <= PAGE.page_max_area:
        return False
    if not _inside_image(corners, bright.shape, PAGE.outside * max(bright.shape)).all():
        return False
    inside = cv2.fillConvexPoly(np.zeros_like(bright), corners.astype(np.int32), 1)
    paper = cv2.mean(bright, mask=inside)[0]
    seen = 0
    for a, b, normal in _sides(corners):
        along = _along(a, b)
        if _along_frame(along, normal, bright.shape):
            continue  # the page goes on beyond the frame
        seen += 1
        along = along[_inside_image(along - 6 * normal, bright.shape) & _inside_image(along + 6 * normal, bright.shape)]
        if len(along) < 5:
            return False
        near, wide = (np.subtract(*_levels_across(bright, along, normal, reach)) for reach in (2, 6))
        if min(np.mean(near > PAGE.edge_step * paper), np.mean(wide > PAGE.edge_step * paper)) < PAGE.edge_support:
            return False  # no step, or a stroke's: the paper goes on beyond it
        if np.median(near) < PAGE.side_sharpness * np.median(wide):
            return False  # a soft shadow's edge: the step goes on beyond 2 px
    # Against the desk on one side only, it is a strip beside a scan's margin.
    return seen >= 2 and np.median(bright[inside == 0]) <= PAGE.page_contrast * paper


def _paper_outlines(bright, darker=False):
    """Outlines of the largest bright region that could be a page: split at
    Otsu's threshold, then at Otsu's threshold among the pixels brighter
    than that (a note covering a hundredth of the frame barely moves the
    first split, which may fall within a lighter desk's own range). With
    ``darker``, split halfway down from the first split to the desk
    instead: paper darkened towards one corner (shade, a vignetting lens)
    falls below the first split, which cuts the page's corner off. So low,
    the lighter streaks of a wooden desk's grain reach the paper's level
    and join it: the region is opened by ``PAGE.grain`` px first, which
    takes thin streaks off a page and leaves the page."""
    otsu, _ = cv2.threshold(bright, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # The desk ratio keeps a paper-only photo in one piece.
    first = max(otsu, INK.desk_ratio * np.percentile(bright, 90))
    if not darker:
        yield from _largest_bright(bright, _higher_splits(bright, first))
    elif (bright < first).any():
        yield from _largest_bright(bright, [(first + np.median(bright[bright < first])) / 2], PAGE.grain)


def _higher_splits(bright, level):
    for _ in range(PAGE.splits):
        yield level
        brighter = bright[bright >= level]
        if brighter.size < 2:
            return
        level = max(level + 1, cv2.threshold(brighter.reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0])


def _largest_bright(bright, levels, grain=0):
    """Yield, for each level, the outline of the largest region at least
    that bright (opened by ``grain`` px), if its area could be a page's."""
    for level in levels:
        paper = (bright >= level).astype(np.uint8)
        if grain:
            paper = cv2.morphologyEx(paper, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grain, grain)))
        contours, _ = cv2.findContours(paper, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if not contours:
            return
        outline = max(contours, key=cv2.contourArea)
        if PAGE.page_min_area <= cv2.contourArea(outline) / float(paper.size) <= PAGE.page_max_area:
            yield outline


def _sheet_corners(outline, bright):
    """The four corners (thumbnail pixels) of a sheet with this outline, or None if it is no sheet."""
    for corners in _quadrilaterals(cv2.convexHull(outline), bright):
        if len(corners) == 4 and _is_sheet(outline, bright, corners := order_corners(corners)):
            return corners
    return None


def _quadrilaterals(hull, bright):
    """Yield the quadrilaterals to try for a page's ``hull``, in order: its
    four corners as fitted; else a corner cut off by shade restored, then
    the hull's tightest rectangle; last, a cut too small for the usual fit
    restored from a finer one. Each is fitted only once the one before it
    was found no sheet."""
    def fitted(tolerance):
        return cv2.approxPolyDP(hull, tolerance * cv2.arcLength(hull, True), True).reshape(-1, 2)

    polygon = fitted(PAGE.corner_tolerance)
    if len(polygon) == 4:
        yield polygon
    else:
        yield _cut_corners_restored(polygon, bright)
        yield cv2.boxPoints(cv2.minAreaRect(hull))
    fine = fitted(PAGE.fine_tolerance)
    if len(fine) > 4:
        yield _cut_corners_restored(fine, bright)


def _is_sheet(outline, bright, corners):
    """True if the quadrilateral ``corners`` is a sheet's, outlined by ``outline``."""
    inside = np.zeros_like(bright)
    cv2.fillConvexPoly(inside, corners.astype(np.int32), 1)
    if cv2.contourArea(outline) < PAGE.convex * inside.sum():
        return False  # not a sheet's outline (a shadow's edge, a torn page)
    if np.median(bright[inside == 0]) > PAGE.page_contrast * np.median(bright[inside > 0]):
        return False  # "outside" is paper in shadow, not a desk
    # A side following a soft shadow's edge would cut the page.
    return _sharp_sides(bright, _snapped_to_edges(bright, corners))


def _cut_corners_restored(polygon, bright, step=3):
    """A convex polygon's softest sides dropped, their neighbours extended
    to meet, until four corners are left (or none, where two neighbours
    would not meet beyond the dropped side).

    Where a page's corner is as dark as the desk (the shadow of the hand
    holding the phone, a vignetting lens), the bright region's outline cuts
    the corner off along the shade: a side with paper, darker but paper,
    beyond it. The page's own sides are sharp steps down to the desk;
    extended, they meet where its corner is.

    Examples
    --------
    >>> bright = np.full((80, 120), 30, np.uint8)
    >>> _ = cv2.fillConvexPoly(bright, np.int32([[10, 10], [110, 10], [110, 70], [10, 70]]), 200)
    >>> _ = cv2.fillConvexPoly(bright, np.int32([[70, 10], [110, 10], [110, 40]]), 60)  # the shaded corner
    >>> _cut_corners_restored(np.float32([[10, 10], [70, 10], [110, 40], [110, 70], [10, 70]]), bright).tolist()
    [[10.0, 10.0], [110.0, 10.0], [110.0, 70.0], [10.0, 70.0]]
    """
    polygon = [np.float32(p) for p in polygon]
    while len(polygon) > 4:
        n = len(polygon)
        sides = list(_sides(np.float32(polygon)))
        k = min(range(n), key=lambda i: _step_across(bright, _along(*sides[i][:2]), sides[i][2], step)[0])
        a, b = polygon[k], polygon[(k + 1) % n]
        met = _crossing((polygon[k - 1], a), (b, polygon[(k + 2) % n]))
        if met is None or np.dot(met - a, a - polygon[k - 1]) < 0 or not _inside_image(met[None], bright.shape, 1)[0]:
            return np.empty((0, 2), np.float32)  # no corner there, or one the photo does not show
        polygon[k] = met
        del polygon[(k + 1) % n]
    return np.float32(polygon)


def _along(a, b):
    """Points spread along the middle of the side from ``a`` to ``b``, away from its corners."""
    return np.linspace(0.15, 0.85, 15)[:, None] * (b - a) + a


def _sides(corners):
    """Yield each side's (start, end, inward unit normal) of a convex polygon."""
    centre = corners.mean(axis=0)
    for a, b in zip(corners, np.roll(corners, -1, axis=0)):
        normal = np.array([a[1] - b[1], b[0] - a[0]], np.float32)
        normal /= max(np.linalg.norm(normal), 1e-6)
        yield a, b, (normal if np.dot(centre - a, normal) >= 0 else -normal)


def _snapped_to_edges(bright, corners, step=2):
    """``corners`` with each side moved along its normal (at most
    ``PAGE.side_snap`` px) onto the sharpest brightness step near it, and
    the corners where the moved sides meet.

    The brightness threshold that outlines the page puts a side a few
    pixels inside the paper where the paper darkens towards its edge (a
    tinted or vignetted photo of a sheet): judged there, the side sees
    paper on both sides and looks soft. The page's edge is where the step is.
    """
    lines = []
    for a, b, normal in _sides(corners):
        along = _along(a, b)
        best, offset = None, 0.0
        if _along_frame(along, normal, bright.shape):
            lines.append((a, b))  # the page goes on beyond the frame: no edge to find
            continue
        for shift in sorted(range(-PAGE.side_snap, PAGE.side_snap + 1), key=abs):  # ties: the nearest
            points = along + shift * normal
            ok = _inside_image(points - step * normal, bright.shape) & _inside_image(points + step * normal, bright.shape)
            if ok.sum() < 5:
                continue
            drop = _step_across(bright, points[ok], normal, step)[0]
            if best is None or drop > best:
                best, offset = drop, shift
        lines.append((a + offset * normal, b + offset * normal))
    met = [_crossing(lines[i - 1], lines[i]) for i in range(4)]
    return corners if any(m is None for m in met) else np.float32(met)


def _crossing(first, second):
    """Where the lines through two point pairs cross, or None if they are parallel."""
    (p, q), (r, s) = first, second
    d1, d2 = q - p, s - r
    det = d1[0] * d2[1] - d1[1] * d2[0]
    if abs(det) < 1e-6:
        return None
    t = ((r[0] - p[0]) * d2[1] - (r[1] - p[1]) * d2[0]) / det
    return p + t * d1


def _sharp_sides(bright, corners, step=3):
    """True if every side of the quadrilateral inside the image is a sharp
    edge: a few pixels in, much brighter than a few pixels out
    (``PAGE.side_contrast``), or less so but stepping at the side itself
    (``PAGE.side_least``, ``PAGE.side_sharpness``), as paper on a wooden
    desk half as bright does. The edge of a shadow across the page is soft:
    its brightness keeps changing over many pixels.
    """
    for a, b, normal in _sides(corners):
        along = _along(a, b)
        if _along_frame(along, normal, bright.shape, step):
            continue  # the page goes on beyond the frame
        ok = _inside_image(along - step * normal, bright.shape)
        drop, paper = _step_across(bright, along[ok], normal, step)
        if drop >= PAGE.side_contrast * paper:
            continue
        ok &= _inside_image(along - 2 * step * normal, bright.shape)
        if ok.sum() < 5:
            return False
        near, wide = (_step_across(bright, along[ok], normal, reach)[0] for reach in (step - 1, 2 * step))
        if not (wide >= PAGE.side_least * paper and near >= PAGE.side_sharpness * wide):
            return False
    return True


def _along_frame(along, normal, shape, reach=3):
    """True if a side (points ``along`` it, inward ``normal``) runs along
    the photo's frame: hardly any of it has photo ``reach`` px outside."""
    return _inside_image(along - reach * normal, shape).sum() < 5


def _inside_image(points, shape, margin=0):
    """Which of ``points`` (N x 2, x y) lie inside an image of ``shape`` (or within ``margin`` px of it)."""
    x, y = points[:, 0], points[:, 1]
    return (x >= -margin) & (x < shape[1] + margin) & (y >= -margin) & (y < shape[0] + margin)


def _step_across(bright, along, normal, reach):
    """(median brightness drop from ``reach`` px inside a side to ``reach``
    px outside it, at the points ``along`` it; median brightness inside)."""
    inner, outer = _levels_across(bright, along, normal, reach)
    return float(np.median(inner - outer)), float(np.median(inner))


def _levels_across(bright, along, normal, reach):
    """(brightness ``reach`` px inside a side, ``reach`` px outside it) at the points ``along`` it."""
    h, w = bright.shape
    return tuple(bright[np.clip(p[:, 1].astype(int), 0, h - 1), np.clip(p[:, 0].astype(int), 0, w - 1)]
                 .astype(np.float32) for p in (along + reach * normal, along - reach * normal))


def order_corners(corners):
    """Four corners in order top-left, top-right, bottom-right, bottom-left.

    Sorted by angle around their centre, then started at the corner nearest
    the image's top-left (imutils' ``order_points`` sorts by x first and
    crosses the corners of a page turned by about 30 deg or more).

    Examples
    --------
    >>> order_corners(np.float32([[90, 10], [0, 0], [10, 80], [100, 90]])).tolist()
    [[0.0, 0.0], [90.0, 10.0], [100.0, 90.0], [10.0, 80.0]]
    """
    corners = np.asarray(corners, np.float32).reshape(4, 2)
    centre = corners.mean(axis=0)
    clockwise = corners[np.argsort(np.arctan2(corners[:, 1] - centre[1], corners[:, 0] - centre[0]))]
    start = int(np.argmin(clockwise.sum(axis=1)))
    return np.roll(clockwise, -start, axis=0)


def top_down(view, corners):
    """Warp the quadrilateral ``corners`` of ``view`` to an upright rectangle."""
    tl, tr, br, bl = corners
    width = int(round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))))
    height = int(round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))))
    target = np.float32([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]])
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    warped = cv2.warpPerspective(view.image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
    # The page's top edge gives its tilt in the photo.
    tilt = -np.degrees(np.arctan2(tr[1] - tl[1], tr[0] - tl[0]))
    return View(warped, view.to_photo @ np.linalg.inv(matrix), *_split_turn(view.rotation + view.skew + tilt),
                all_paper=True)


def turn(view, angle):
    """Rotate ``view`` by ``angle`` degrees counter-clockwise, canvas grown to fit.

    Multiples of 90 are exact pixel moves (``cv2.rotate``).
    """
    h, w = view.image.shape[:2]
    quarter = int(round(angle / 90.0)) % 4
    if np.isclose(angle % 90, 0) or np.isclose(angle % 90, 90):
        codes = [None, cv2.ROTATE_90_COUNTERCLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_CLOCKWISE]
        image = view.image if quarter == 0 else cv2.rotate(view.image, codes[quarter])
        matrix = cv2.getRotationMatrix2D((0, 0), 90 * quarter, 1.0)
        corners = np.float64([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]]) @ matrix.T
        matrix[:, 2] -= corners.min(axis=0)
    else:
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        corners = np.float64([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]]) @ matrix.T
        matrix[:, 2] -= corners.min(axis=0)
        size = tuple(int(np.ceil(v)) for v in np.ptp(corners, axis=0))
        image = _warp_filling_corners(view.image, matrix, size)
    forward = np.vstack([matrix, [0, 0, 1]])
    # Turning the photo by +a undoes a page turn of -a.
    return View(image, view.to_photo @ np.linalg.inv(forward), *_split_turn(view.rotation + view.skew - angle),
                all_paper=view.all_paper, faint=view.faint)


def _warp_filling_corners(image, matrix, size):
    """``image`` turned by the affine ``matrix`` onto a canvas of ``size``;
    the corners the turn opens continue the image's edge, smoothed.

    Replicating the edge pixels themselves would smear a dark scanner line
    or a stroke cut by the edge into long streaks, read as 1s; one flat
    colour would draw a sharp edge against a dark corner of the photo.
    """
    flags = dict(flags=cv2.INTER_LINEAR)
    turned = cv2.warpAffine(image, matrix, size, borderMode=cv2.BORDER_CONSTANT, **flags)
    inside = cv2.warpAffine(np.full(image.shape[:2], 255, np.uint8), matrix, size, borderMode=cv2.BORDER_CONSTANT,
                            flags=cv2.INTER_NEAREST)
    h, w = image.shape[:2]
    step = PAGE.corner_smoothing
    smooth = cv2.resize(cv2.resize(image, (max(1, w // step), max(1, h // step)), interpolation=cv2.INTER_AREA), (w, h),
                        interpolation=cv2.INTER_LINEAR)
    filled = cv2.warpAffine(smooth, matrix, size, borderMode=cv2.BORDER_REPLICATE, **flags)
    return cv2.copyTo(turned, cv2.erode(inside, np.ones((3, 3), np.uint8)), filled)


def _split_turn(total):
    """A page turn in degrees -> (quarter turn in 0/90/180/270, rest in [-45, 45])."""
    rotation = int(round(total / 90.0)) % 4 * 90
    return rotation, float((total - rotation + 180) % 360 - 180)


def writing_angle(centres, min_regions=3):
    """Direction the lines run, in degrees counter-clockwise in (-90, 90].

    Each region votes with the directions to its ``PAGE.neighbours``
    nearest neighbours (its nearest alone where there are fewer than
    ``PAGE.neighbours_from`` regions: in a crop of a few digits, a third
    neighbour is a stray mark). The direction most votes lie near (smoothed
    over ``PAGE.vote_spread``) is refined as the mean of the votes within
    20 deg of it, averaged as doubled angles (a direction and its opposite
    are the same line). In a grid of digits as close above and below as
    beside, the votes fall along rows and columns alike: their mean lies
    between the two, the densest direction on one of them.

    Examples
    --------
    >>> xs = np.arange(8) * 30.0
    >>> centres = np.stack([xs, 200 - xs * np.tan(np.radians(30))], axis=1)   # image y runs down
    >>> round(writing_angle(centres))
    30
    """
    centres = np.asarray(centres, np.float64).reshape(-1, 2)
    if len(centres) < min_regions:
        return 0.0
    d = centres[:, None, :] - centres[None, :, :]
    dist = np.hypot(d[..., 0], d[..., 1])
    np.fill_diagonal(dist, np.inf)
    k = PAGE.neighbours if len(centres) >= PAGE.neighbours_from else 1
    nearest = np.argpartition(dist, k - 1, axis=1)[:, :k].ravel()
    v = centres[nearest] - np.repeat(centres, k, axis=0)
    votes = np.degrees(np.arctan2(-v[:, 1], v[:, 0]))  # counter-clockwise, y up
    angle = _densest_direction(votes)
    close = np.abs((votes - angle + 90) % 180 - 90) < 20
    if close.sum() >= 2:
        angle = _mean_direction(votes[close])
    return float(angle if angle > -90 else angle + 180)


def fitted_angle(boxes, lines):
    """Tilt of grouped lines (degrees counter-clockwise): the median slope of
    the lines of three or more digits, fitted through their centres. More
    exact than :func:`writing_angle` where lines could already be grouped.

    Examples
    --------
    >>> boxes = np.array([[x, 100 - 0.1 * x, 20, 30] for x in range(0, 200, 25)], float)
    >>> round(fitted_angle(boxes, [list(range(8))]), 1)
    5.7
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    angles = []
    for line in lines:
        if len(line) >= 3:
            cx = boxes[line, 0] + boxes[line, 2] / 2
            cy = boxes[line, 1] + boxes[line, 3] / 2
            angles.append(-np.degrees(np.arctan(_slope(cx, cy))))
    return float(np.median(angles)) if angles else 0.0


def line_spread(boxes, lines):
    """How far digits stray from their lines: the RMS distance (across the
    line) of the centres of each line of three or more digits from the line
    fitted through them, in digit heights (the median box height), averaged
    over those lines weighting each by its digits. Lines grouped along the
    writing spread a fraction of a digit; rows of a tilted grid chained into
    one line spread several.

    Examples
    --------
    >>> boxes = np.array([[x, 100 - 0.1 * x, 20, 30] for x in range(0, 200, 25)], float)
    >>> round(line_spread(boxes, [list(range(8))]), 3)
    0.0
    >>> boxes[::2, 1] += 30   # every other digit a line lower
    >>> round(line_spread(boxes, [list(range(8))]), 2)
    0.48
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    spreads, weights = [], []
    for line in lines:
        if len(line) >= 3:
            cx = boxes[line, 0] + boxes[line, 2] / 2
            cy = boxes[line, 1] + boxes[line, 3] / 2
            slope = _slope(cx, cy)
            across = (cy - cy.mean() - slope * (cx - cx.mean())) / np.hypot(1.0, slope)
            spreads.append(np.sqrt(np.mean(across ** 2)))
            weights.append(len(line))
    if not spreads:
        return 0.0
    return float(np.average(spreads, weights=weights) / max(np.median(boxes[:, 3]), 1.0))


def hanging_from_tops(boxes, lines):
    """True if the digits' tops line up better than their bottoms.

    Handwriting sits on a baseline, and digits vary in height above it; a
    page upside down hangs from a common top line instead. A cheap hint
    that the page may be upside down, for the recogniser to confirm.

    Examples
    --------
    >>> heights = np.array([30, 26, 34, 28, 31, 25])
    >>> upright = np.stack([np.arange(6) * 25, 100 - heights, np.full(6, 20), heights], axis=1)
    >>> hanging_from_tops(upright, [list(range(6))])
    False
    >>> flipped = upright.copy(); flipped[:, 1] = 100 - 30
    >>> hanging_from_tops(flipped, [list(range(6))])
    True
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    spread_top = spread_bottom = 0.0
    for line in lines:
        if len(line) >= 3:
            x = boxes[line, 0]
            for edge, y in (("top", boxes[line, 1]), ("bottom", boxes[line, 1] + boxes[line, 3])):
                residual = float(np.std(y - _slope(x, y) * (x - x.mean())))
                spread_top, spread_bottom = ((spread_top + residual, spread_bottom) if edge == "top"
                                             else (spread_top, spread_bottom + residual))
    return spread_top < PAGE.hanging * spread_bottom


def _slope(x, y):
    """Least-squares slope of y on x (np.polyfit's, without its overhead)."""
    dx = x - x.mean()
    return float((dx * (y - y.mean())).sum() / max((dx * dx).sum(), 1e-9))


def _densest_direction(degrees):
    """The direction (whole degrees, modulo 180) that most of ``degrees``
    lie near: the peak of their density, smoothed by ``PAGE.vote_spread``."""
    directions = np.arange(-90.0, 90.0)
    off = (np.asarray(degrees)[None, :] - directions[:, None] + 90) % 180 - 90
    return float(directions[np.exp(-0.5 * (off / PAGE.vote_spread) ** 2).sum(axis=1).argmax()])


def _mean_direction(degrees):
    doubled = np.radians(2 * np.asarray(degrees))
    return np.degrees(np.arctan2(np.sin(doubled).mean(), np.cos(doubled).mean())) / 2
