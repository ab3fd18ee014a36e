"""Separate ink from paper: image -> ink darkness -> binary mask.

1. **Even out the light.** Each colour channel is divided by its own
   background, estimated at low resolution by a grey-level closing (which
   erases strokes thinner than the kernel) and a median. Shadows, vignetting
   and tinted paper (yellow sticky notes) all divide out to 1.0.
2. **Darkness.** A pixel's ink darkness is its largest drop below the
   background over the three channels (so red and blue pens count as ink),
   relative to the paper's brightness, gated by the drop relative to the
   photo's exposure (its brightest paper) so that a dark desk's texture
   does not count, while a dim photo's strokes do.
3. **Threshold** with hysteresis: strokes must reach a strong level
   somewhere and are grown through weaker pixels, so faint show-through
   from the back of the page and paper texture stay out.
4. **Frames** drawn around numbers are erased along their outline.
5. **Ruled lines and grids** are found as long straight segments (Hough
   transform, tolerant of tilt) and traced past the segment ends where they
   break into dashes, removed, and strokes that crossed them are bridged
   again.
6. **Lines left over** join the digits into line-long blobs. Rules tilted
   too steeply to be found give their direction instead (the reader levels
   the page by it and binarises again); grid lines too short to be found
   (a small crop of squared paper) are dropped by thresholding again just
   above the darkness of the rules that were found.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from .crops import stroke_width


@dataclass(frozen=True)
class InkSettings:
    """How ink is told from paper, and ruled lines from ink.

    Darkness runs from 0 (paper) to 1 (black); lengths are in digit heights unless a field says px.
    """

    low: float = 0.16  # hysteresis: darkness (0 paper .. 1 black) a stroke's pixels must reach
    high: float = 0.32  # hysteresis: darkness some pixel of a stroke must reach
    faint: float = 0.6  # a page with no digit-sized ink at low/high is thresholded again at this share of them
    faintest: float = 0.4  # ... and one with none at that either (pale pencil on an overexposed scan) at this
    stroke_level: float = 0.35  # strokes whose 90th-percentile darkness is under this scale the thresholds by theirs over it ...
    palest_scale: float = 0.4  # ... down to this share of them, or as far as the grain allows (quiet_paper)
    quiet_paper: float = 0.25  # ... each only if the grain (paper_texture) stays under this share of the lower one
    min_contrast: float = 0.10  # drop below the background ink must also show, as a share of the photo's exposure
    dimmest_exposure: float = 0.25  # exposure (brightest paper, 0..1) assumed at least: darker, noise is as strong as ink
    desk_ratio: float = 0.28  # luminance under this share of the paper's is desk, not page
    wide_close: int = 15  # closing kernel (px) that brings back marker ink wider than the background kernel
    thin_stroke: int = 12  # grey levels a stroke must be darker than its surroundings to be kept dark when scaled down
    absorbed: float = 0.25  # darkness (0..1) under which ink absorbed by the background estimate is restored
    rule_thumb_side: float = 640.0  # longer side (px) of the mask thumbnail rules are looked for on
    rule_tilt: float = float(np.degrees(np.arctan(0.25)))  # rules lie within this many degrees of level or upright
    slanted_line: float = 4.0  # a blob this many times longer than wide along its own direction is a line, not a digit
    rule_length: float = 4.0  # a rule is at least this long ...
    rule_page_share: float = 0.25  # ... and this share of the page's width (whichever is longer)
    rule_span: float = 0.9  # before digits are sized, an upright rule spans this share of the image ...
    rule_span_margin: float = 0.05  # ... or reaches within this share of its top or bottom
    lone_share: float = 0.9  # one blob holding this share of the ink, filling over half the image both ways, is a lone character
    strip_aspect: float = 1.5  # an image this many times wider than tall is a strip (an amount, a field) ...
    fills_crop: float = 0.5  # ... that its digits fill if they stand this share of its height: sized with a wider kernel
    pen_over_rule: float = 1.4  # inside a rule's band, ink darker than this many times the rule's ...
    pen_over_rule_grey: int = 20  # ... plus this many grey levels is pen, kept
    rethreshold: float = 1.3  # where lines are left, ink is thresholded again this many times above the rules
    lines_left: float = 0.3  # lines are left joining digits where this share of ink lies in line-long blobs
    longest_blob: float = 4.0  # a blob wider than this ...
    tallest_blob: float = 2.5  # ... or taller than this is too long for digits, even a few joined
    frame_width: float = 2.5  # a frame around a number is wider than this ...
    frame_height: tuple = (1.3, 4.0)  # ... its height within these ...
    frame_ink: float = 0.3  # ... its ink less than this share of its box ...
    frame_outline: float = 0.7  # ... and at least this share of its ink along its outline
    frame_band: float = 0.3  # the outline erased is this wide, centred on the frame's outer edge
    crop_border: float = 0.8  # a row (column) along the image's edge this much covered by ink is a cut-in border ...
    crop_border_reach: float = 0.25  # ... if it lies within this share of the image's height (width) of the edge
    pattern_share: float = 0.2  # ink (straight rules taken off) covering this share of the page, ...
    pattern_ratio: float = 0.35  # ... its median darkness under this share of the pen's (99th percentile): a pattern


INK = InkSettings()


@dataclass
class Binarised:
    """Output of :func:`binarise`.

    Attributes
    ----------
    darkness : ndarray uint8 (H, W)
        Ink darkness, 0 paper to 255 black, after evening out the light.
    mask : ndarray uint8 (H, W)
        1 where ink, 0 where paper, ruled lines removed.
    digit_height : float
        The page's typical digit height in pixels (0 if no ink).
    steep_rules : float
        Direction (degrees counter-clockwise) of ruled lines too steep to be
        found and removed here, which joined the digits into line-long
        blobs; 0 if there were none. Rules run along the writing: read the
        page turned by it.
    faint : float
        The share of the usual ink thresholds the mask was taken at
        (:func:`ink_scale`).
    frame : tuple or None
        (x0, y0, x1, y1) inside the view's cut-in borders
        (:func:`inside_borders`); None for the whole view.
    """

    darkness: np.ndarray
    mask: np.ndarray
    digit_height: float
    steep_rules: float = 0.0
    faint: float = 1.0
    frame: tuple = None


def estimate_background(image, kernel_px, restore_wide_ink=False):
    """Per-channel paper brightness (smooth, same shape as ``image``), a
    boolean mask of where paper is, as opposed to a desk around it, and
    the photo's exposure: the brightness (0..255) of its brightest paper.

    The light varies slowly, so the work is done at a reduced size where a
    9x9 kernel spans ``kernel_px`` pixels of ``image``: a closing there
    erases every stroke narrower than that. Paper is where the strokeless
    luminance reaches ``INK.desk_ratio`` of the page's paper level: a desk is
    far darker than the paper lying on it, even in shadow, and a coloured
    cloth far darker than its one bright channel says. With
    ``restore_wide_ink``, ink too wide for the kernel is found again
    (:func:`_restore_absorbed_ink`): only where the kernel was sized from
    the digits, not on the thumbnail pass, whose kernel is a sixth of the
    image (applied there, an early variant lost the digits of three strip
    scans).
    """
    h, w = image.shape[:2]
    factor = max(1.0, kernel_px / 9.0)
    small = cv2.resize(image, (max(1, round(w / factor)), max(1, round(h / factor))), interpolation=cv2.INTER_AREA)
    element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, element)
    if restore_wide_ink:
        _restore_absorbed_ink(small, closed)
    strokeless = cv2.medianBlur(closed, 5)
    brightness = strongest_channel(strokeless)
    # Desk is told by luminance: a saturated blue cloth or brown wood is bright
    # in one channel only, a tinted paper (a yellow note) in two or three.
    luminance = cv2.cvtColor(strokeless, cv2.COLOR_BGR2GRAY) if strokeless.ndim == 3 else strokeless
    paper = (luminance >= INK.desk_ratio * np.percentile(luminance, 90)).astype(np.uint8)
    # The 99th percentile: a sticky note on a desk is a small share of the frame.
    exposure = max(float(np.percentile(brightness, 99)), 255 * INK.dimmest_exposure)
    # Step one small pixel in from the paper's edge: the edge itself is dark.
    paper = cv2.erode(paper, np.ones((3, 3), np.uint8))
    closed = cv2.medianBlur(closed, 5)
    background = cv2.resize(closed, (w, h), interpolation=cv2.INTER_LINEAR)
    return background, cv2.resize(paper, (w, h), interpolation=cv2.INTER_NEAREST), exposure


def _restore_absorbed_ink(small, closed):
    """Felt-marker strokes and the filled loops of thick digits can be wider
    than the closing's kernel: the closing keeps them as dark "paper", and
    dividing by it hollows them out (a marker 2 read as 3). Where a closing
    ``INK.wide_close`` small pixels wide (1.7 kernels) is brighter by more than
    ``INK.absorbed`` of its own brightness, that darkness was ink: ``closed``
    takes the wider closing's brightness there, in place. Shadows and the
    light's gradients are far wider than either kernel and pass both unchanged.
    """
    element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (INK.wide_close, INK.wide_close))
    wider = cv2.morphologyEx(small, cv2.MORPH_CLOSE, element)
    gain = strongest_channel(cv2.subtract(wider, closed))
    absorbed = cv2.compare(gain, cv2.convertScaleAbs(strongest_channel(wider), alpha=INK.absorbed), cv2.CMP_GT)
    cv2.copyTo(wider, absorbed, closed)


def strongest_channel(image):
    """Per-pixel maximum over the channels of a BGR uint8 image (OpenCV: ten
    times faster than NumPy's ``max(axis=2)`` on an 8-bit image)."""
    blue, green, red = cv2.split(image)
    return cv2.max(cv2.max(blue, green), red)


def weakest_channel(image):
    """Per-pixel minimum over the channels of a BGR uint8 image: where a pen
    of any colour is dark, and where only grey or white things are bright."""
    blue, green, red = cv2.split(image)
    return cv2.min(cv2.min(blue, green), red)


def ink_darkness(image, kernel_px, all_paper=False, restore_wide_ink=False):
    """Ink darkness (uint8, 0 paper .. 255 black) of a BGR image, light
    evened out and desk zeroed. ``kernel_px`` must exceed the stroke width.
    ``all_paper``: the image is known to show the page only (found and
    warped top-down), so no part of it is desk, however deep its shadow.
    ``restore_wide_ink``: see :func:`estimate_background`.

    All in saturating 8-bit OpenCV arithmetic: ten times faster than float
    NumPy on a 12 MP photo.

    Examples
    --------
    >>> paper = np.full((50, 50, 3), 200, np.uint8)
    >>> paper[10:40, 24:28] = (200, 40, 200)   # a 4 px stroke of green pen
    >>> d = ink_darkness(paper, kernel_px=12)
    >>> int(d[25, 25]) > 150, int(d[5, 5])
    (True, 0)
    """
    image = cv2.GaussianBlur(image, (3, 3), 0)
    background, paper, exposure = estimate_background(image, kernel_px, restore_wide_ink)
    if all_paper:
        paper[:] = 1
    drop = cv2.subtract(background, image)
    absolute = strongest_channel(drop)
    # Relative to the paper's brightest channel, not each channel's own: the
    # weak blue channel of yellow paper would otherwise amplify JPEG chroma noise.
    paper_level = strongest_channel(background)
    relative = cv2.divide(absolute, paper_level, scale=255.0)
    # Texture on a dark desk is a large drop relative to the desk but a small
    # one relative to the paper: weight by the drop up to INK.min_contrast of
    # the exposure (saturates at 255). Measured against the exposure, not
    # full white, so that strokes keep their weight in a dim photo of grey paper.
    gate = cv2.multiply(absolute, 255.0 / (INK.min_contrast * exposure))
    darkness = cv2.multiply(relative, gate, scale=1.0 / 255.0)
    return cv2.multiply(darkness, paper)


def ink_at(darkness, faint=1.0):
    """The ink mask of ``darkness`` at the usual thresholds scaled by
    ``faint`` (``INK.faint`` where a page's ink is all pale, above 1 over a
    pale pattern: :func:`above_pale_pattern`)."""
    return threshold(darkness, INK.low * faint, INK.high * faint)


def threshold(darkness, low=INK.low, high=INK.high):
    """Hysteresis threshold: uint8 mask of strokes that reach ``high`` somewhere.

    Same result as ``skimage.filters.apply_hysteresis_threshold``, built
    from OpenCV's connected components: importing scikit-image's filters
    pulls in SciPy and costs ~0.3 s, most of a CLI run's budget.
    """
    weak = (darkness > low * 255).astype(np.uint8)
    count, labels = cv2.connectedComponents(weak, connectivity=4)  # as scikit-image
    strong = np.zeros(count, bool)
    strong[labels[darkness > high * 255]] = True
    strong[0] = False
    return strong[labels].astype(np.uint8)


def reaches_frame(boxes, shape, margin=0):
    """For each of ``boxes`` (N x 4, x y w h), whether it reaches the frame
    of an image of ``shape`` (within ``margin`` px): what it holds may go on
    beyond the image.

    >>> reaches_frame(np.array([[0, 5, 4, 4], [5, 5, 4, 4], [5, 5, 5, 5]]), (20, 10)).tolist()
    [True, False, True]
    """
    boxes = np.asarray(boxes).reshape(-1, 4)
    x, y, w, h = boxes.T
    return (x <= margin) | (y <= margin) | (x + w >= shape[1] - margin) | (y + h >= shape[0] - margin)


def estimate_digit_height(mask, min_area=12, rough=0.0, clear_of_frame=False):
    """Median height of the blobs that look like characters, or 0.

    Long flat blobs (rules, underlines) and specks are left out; the median
    is taken over the larger half, so noise does not pull it down. Blobs
    cut by the image's frame (a page edge, a scan margin's shadow, writing
    beyond a crop) count only if no other blob is left (a strip whose
    digits fill it). A blob over half the image both ways (a grid, a frame)
    counts only when nothing else does and it is about as tall as the
    ``rough`` estimate says digits are: on a small scan of one amount, two
    or three touching digits are such a blob. A blob lying along a slanted
    line (a rule too steep to be found, with the digits written on it) is
    no character either (:func:`_slanted_lines`). With ``clear_of_frame``,
    blobs cut by the frame never count.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return 0.0
    w, h, area = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_AREA]
    network = _fills_image(w, h, mask.shape)
    shaped = (area >= min_area) & (w < 3 * h) & (h >= 6)
    shaped[shaped & (w > h)] &= ~_slanted_lines(labels, stats, np.flatnonzero(shaped & (w > h)) + 1)
    inside = ~reaches_frame(stats[1:, :4], mask.shape)
    if clear_of_frame:
        shaped &= inside

    def preferably_inside(plausible):
        return plausible & inside if (plausible & inside).any() else plausible

    plausible = preferably_inside(shaped & ~network)
    if not plausible.any() and rough > 0:
        plausible = preferably_inside(shaped & (h >= 0.5 * rough) & (h <= 2 * rough))
    if not plausible.any():
        return 0.0
    heights = np.sort(h[plausible])
    big = heights[heights >= 0.5 * np.percentile(heights, 90)]
    return float(np.median(big))


def _slanted_lines(labels, stats, ids):
    """For each blob ``ids``, True if it lies along a line tilted too far
    from level to be found as a rule (a rule of a page photographed at
    20 deg, the digits written on it joined to it): its minimum-area
    rectangle is over ``INK.slanted_line`` times as long as it is wide."""
    out = np.zeros(len(ids), bool)
    for k, i in enumerate(ids):
        x, y, w, h = stats[i, :4]
        points = cv2.findNonZero((labels[y:y + h, x:x + w] == i).astype(np.uint8))
        (_, _), (a, b), _ = cv2.minAreaRect(points)
        out[k] = max(a, b) > INK.slanted_line * max(1.0, min(a, b))
    return out


def _rule_thumbnail(mask):
    """``mask`` (0/1) shrunk to INK.rule_thumb_side, where lines are looked for:
    (0/255 uint8 thumbnail, shrink factor)."""
    factor = max(1.0, max(mask.shape) / INK.rule_thumb_side)
    thumb = cv2.resize(mask * 255, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA) if factor > 1 else mask * 255
    return (thumb > 40).astype(np.uint8) * 255, factor


def find_rules(mask, horizontal, min_length):
    """Band mask (uint8 0/1) of straight ruled lines at least ``min_length`` px long.

    A probabilistic Hough transform on a thumbnail finds long straight
    segments at any small tilt (a long morphological kernel cannot follow a
    thin line tilted by even two degrees); they are drawn back at full size
    as bands a little thicker than the thumbnail's pixels, and followed
    past their ends by :func:`trace_rule`.
    """
    thumb, factor = _rule_thumbnail(mask)
    # Only pixels in runs of 9 along the rule's direction can belong to a
    # rule (a 1 px line tilted 4 degrees still has 14 px runs): far fewer
    # points for the Hough transform to vote with.
    run = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 1) if horizontal else (1, 9))
    thumb = cv2.morphologyEx(thumb, cv2.MORPH_OPEN, run)
    length = max(10, int(min_length / factor))
    segments = cv2.HoughLinesP(thumb, 1, np.pi / 180, threshold=int(0.5 * length), minLineLength=length,
                               maxLineGap=max(2, length // 12))
    bands = np.zeros(mask.shape, np.uint8)
    if segments is None:
        return bands
    thickness = int(np.ceil(factor)) + 2
    for x0, y0, x1, y1 in segments.reshape(-1, 4):  # (N,1,4) in OpenCV 4, (N,4) in 5
        dx, dy = abs(x1 - x0), abs(y1 - y0)
        if (dy <= 0.25 * dx) if horizontal else (dx <= 0.25 * dy):  # within INK.rule_tilt
            # Rules are traced in full-size pixels; vertical ones as horizontal
            # ones of the transposed views.
            along = (x0, y0, x1, y1) if horizontal else (y0, x0, y1, x1)
            view = (lambda a: a) if horizontal else np.transpose
            cv2.line(bands, (int(x0 * factor), int(y0 * factor)), (int(x1 * factor), int(y1 * factor)), 1, thickness)
            trace_rule(view(mask), view(bands), np.float32(along) * factor, thickness)
    return bands


def trace_rule(mask, bands, segment, thickness):
    """Follow a horizontal rule past the ends of its Hough segment.

    Where the light falls off, a rule breaks up into dashes too short for
    the Hough transform, and the dashes that touch digits stay in the mask
    as strokes (a 7 read as a 3). Along the segment's line, a column whose
    ink inside the band has paper just above and below it is rule, not a
    stroke crossing the rule: it joins the band (in place). A segment that
    is not mostly such columns along its own length is no rule (the Hough
    transform also finds rows of digits' bars) and is not followed.

    Examples
    --------
    >>> mask = np.zeros((40, 200), np.uint8)
    >>> mask[20, :] = 1                # the rule, found from x=100 on ...
    >>> mask[10:30, 40:44] = 1         # ... and a stroke crossing it
    >>> bands = np.zeros_like(mask)
    >>> trace_rule(mask, bands, np.float32([100, 20, 199, 20]), thickness=3)
    >>> int(bands[20, 10]), int(bands[20, 42])
    (1, 0)
    """
    x0, y0, x1, y1 = segment
    height, width = mask.shape
    xs = np.arange(width)
    # Hough segments come in either direction; within ~14 degrees of the
    # horizontal, x0 != x1.
    centre = np.rint(y0 + (y1 - y0) / (x1 - x0) * (xs - x0)).astype(int)

    def rows(offsets):
        # Rows at these offsets from the line, per column, and which exist.
        ys = centre + np.asarray(offsets)[:, None]
        return ys, (ys >= 0) & (ys < height)

    def ink_at(offsets):
        # Per column: is there ink at any of these offsets from the line?
        ys, exists = rows(offsets)
        return ((mask[ys.clip(0, height - 1), xs] > 0) & exists).any(axis=0)

    half = thickness // 2 + 1
    core = range(-half, half + 1)
    rule = ink_at(core) & ~ink_at([*range(-half - 4, -half - 1), *range(half + 2, half + 5)])
    if rule[int(max(0, min(x0, x1))):int(max(x0, x1)) + 1].mean() < 0.5:
        return
    ys, exists = rows(core)
    take = exists & rule
    bands[ys[take], np.broadcast_to(xs, ys.shape)[take]] = 1


def remove_band(mask, bands, horizontal, bridge, darkness=None):
    """Erase ``bands`` from ``mask``, then bridge strokes that crossed them.

    With ``darkness``, pen ink clearly darker than the rule itself survives
    inside the band (printed rules are lighter than ink), so fewer strokes
    are cut in the first place.
    """
    if not bands.any():
        return mask
    inside = (bands > 0) & (mask > 0)
    keep = np.zeros_like(mask)
    if darkness is not None and inside.any():
        rule_level = float(np.median(darkness[inside]))
        keep = ((darkness > INK.pen_over_rule * rule_level + INK.pen_over_rule_grey) & inside).astype(np.uint8)
    without = (mask & (1 - bands)) | keep
    shape = (1, bridge) if horizontal else (bridge, 1)
    rebridged = cv2.morphologyEx(without, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, shape))
    return without | (rebridged & bands & mask)


def remove_rules(mask, rough_height=0.0, darkness=None):
    """Remove ruled lines and grids; return (mask, digit height).

    Rules are straight runs at least a quarter of the page wide (light
    falling off can hide the rest of a rule) or a third of it tall, and at
    least four (three) rough digit heights long, so that a tall 1 is never
    taken for a grid line (nor the bars of a row of 2s, 4s and 7s for a
    rule). Without a rough height (the first, thumbnail pass) only the
    page fractions apply, and an upright run that ends well inside the
    image both ways is taken for a rule only if it spans most of it or
    meets a level rule (a box's side): in a strip whose digits fill it, a
    1's stem is a third of the strip tall.
    """
    height, width = mask.shape
    level = find_rules(mask, True, _rule_length(width, rough_height))
    mask = remove_band(mask, level, True, rule_bridge(mask.shape), darkness)
    upright = find_rules(mask, False, max(height / 3, 3 * rough_height))
    if rough_height <= 0:
        upright = _rules_not_stems(upright, level)
    mask = remove_band(mask, upright, False, rule_bridge(mask.shape), darkness)
    return mask, estimate_digit_height(mask, rough=rough_height)


def _rules_not_stems(upright, level):
    """The upright rule bands that are no digit's stem: those the frame
    cuts (reaching within ``INK.rule_span_margin`` of the image's top or
    bottom), those running most of its height (``INK.rule_span``), and the
    sides of boxes (meeting a level rule of ``level`` at least as long)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(upright, connectivity=8)
    if count <= 1:
        return upright
    height = upright.shape[0]
    margin = INK.rule_span_margin * height
    _, level_labels, level_stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(level, np.ones((9, 9), np.uint8)))
    keep = []
    for i in range(1, count):
        x, top, wide, tall = stats[i, :4]
        box = (slice(top, top + tall), slice(x, x + wide))
        met = np.unique(level_labels[box][labels[box] == i])
        # A box's side meets a level side as long; a 7's stem meets its shorter bar.
        side = (level_stats[met[met > 0], cv2.CC_STAT_WIDTH] >= tall).any()
        if top <= margin or top + tall >= height - margin or tall >= INK.rule_span * height or side:
            keep.append(i)
    return np.isin(labels, keep).astype(np.uint8)


def rule_bridge(shape):
    """How far strokes are bridged across a removed band of a mask of this
    shape: the band (a thumbnail pixel + 2) with a margin for its tilt."""
    return 2 * int(np.ceil(max(shape) / INK.rule_thumb_side)) + 7


def _rule_length(width, rough_height):
    """Shortest horizontal rule, in px (see :func:`remove_rules`)."""
    return max(INK.rule_page_share * width, INK.rule_length * rough_height)


def borders_cut_off(mask, before_rules=None):
    """A copy of ``mask`` with digits written against a cut-in border cut
    off it: a table cell's border or a scan's black margin, which runs along
    the image's edge. A border is the outermost run of rows (columns), within
    ``INK.crop_border_reach`` of an edge, that ink covers at least
    ``INK.crop_border`` of from end to end (the 1 of a tightly cut number
    stops short of its ends), its ends counted in ``before_rules`` too, the
    ink before the rules were taken off: a cell's side stops short of the ends
    by the width of its top and bottom borders, once they are taken off as
    rules. Only the blobs it shares with ink beyond it
    lose its rows: a border alone is left whole, for the rules and edges to
    judge as before, and a digit touching it is no longer one blob with it,
    read as 1s or lost as the page's edge.

    >>> cell = np.zeros((40, 60), np.uint8)
    >>> cell[:2], cell[:, 57:] = 1, 1                      # the cell's top and right borders, one blob
    >>> cell[1:30, 25:28] = 1                              # a 1 written up against the top one
    >>> cut = borders_cut_off(cell)
    >>> int(cut[:2].sum()), int(cut[:, 57:].sum()), int(cut[2:30, 25:28].sum())
    (0, 0, 84)
    >>> side = np.zeros((40, 60), np.uint8)
    >>> side[2:38, :2] = 1                                 # a cell's left side, its ends gone with its top and bottom
    >>> side[5:30, 2:20] = 1                               # a digit written against it
    >>> before = side.copy(); before[:2] = before[38:] = 1  # the ink before the rules were taken off
    >>> int(borders_cut_off(side)[:, :2].sum()), int(borders_cut_off(side, before)[:, :2].sum())
    (72, 0)
    >>> alone = np.zeros((40, 60), np.uint8)
    >>> alone[:, 57:] = 1                                  # a border with nothing against it stays
    >>> int(borders_cut_off(alone).sum())
    120
    """
    ends = mask if before_rules is None else np.maximum(mask, before_rules)
    runs = np.zeros(mask.shape, bool)
    for lines, run, whole, inked in zip(_sides(mask), _sides(runs), _sides(ends), _inked_from_edges(mask)):
        first, last = _border_rows(lines, whole, inked)
        run[first:last] = True
    if not runs.any():
        return mask.copy()
    _, labels = cv2.connectedComponents(mask, connectivity=8)
    on_border = np.unique(labels[runs & (mask > 0)])
    beyond = np.unique(labels[~runs & (mask > 0)])
    cut = np.isin(labels, np.intersect1d(on_border[on_border > 0], beyond)) & runs
    return np.where(cut, 0, mask).astype(mask.dtype)


def _sides(image):
    """Views of ``image`` from its top, bottom, left and right edges inwards."""
    return image, image[::-1], image.T, image.T[::-1]


def _inked_from_edges(image):
    """For each side of ``image`` (top, bottom, left, right), whether each
    row (column) within ``INK.crop_border_reach`` of it holds ink, from the
    edge inwards."""
    rows, columns = (max(1, int(INK.crop_border_reach * n)) for n in image.shape)
    top, bottom = (band.max(axis=1) > 0 for band in (image[:rows], image[-rows:]))
    left, right = (band.max(axis=0) > 0 for band in (image[:, :columns], image[:, -columns:]))
    return top, bottom[::-1], left, right[::-1]


def _border_rows(lines, whole, inked, to_ends=True):
    """(first, end) of the rows of a cut-in border along the top of
    ``lines`` (:func:`borders_cut_off`; ``whole`` is the ink with the
    border's ends, ``inked`` which rows of ``lines`` near the edge hold
    ink), or (0, 0) if there is none: the outermost ink, each row of it
    covering ``INK.crop_border`` of the row (and, ``to_ends``, reaching
    both its ends)."""
    if not inked.any():
        return 0, 0
    first = end = int(np.argmax(inked))
    while end < len(inked) and lines[end].mean() >= INK.crop_border and (
            not to_ends or whole[end, :2].any() and whole[end, -2:].any()):
        end += 1
    return (first, end) if end > first else (0, 0)


def inside_borders(mask, ink):
    """The frame (x0, y0, x1, y1) inside the cut-in borders of a view: a
    table row's or cell's ruled borders along its edges, found as
    :func:`borders_cut_off` finds them but in the ``ink`` before the rules
    were taken off, with the band of ink taken off beside them (rows where
    ``ink`` has some and the final ``mask`` none, up to the border's own
    width). Writing that runs into such a border goes on beyond it, as
    writing the image's edge cuts does: the next row's tails crossing the
    row's rule. A border need not reach the view's ends here: beside a
    scan's black margin, which is no ink, it stops short of them. Without
    borders, the whole view.

    >>> ink = np.zeros((40, 60), np.uint8)
    >>> ink[:3], ink[3:12, 20:23] = 1, 1              # a cell's top border, the row above's tail running into it
    >>> mask = ink.copy(); mask[:5] = 0               # the rules pass took off the border and a band below it
    >>> inside_borders(mask, ink)
    (0, 5, 60, 40)
    >>> inside_borders(np.ones((2, 2), np.uint8), np.ones((2, 2), np.uint8))   # all ink: no inside
    (0, 0, 2, 2)
    """
    insets = []
    for kept, found, inked in zip(_sides(mask), _sides(ink), _inked_from_edges(ink)):
        first, end = _border_rows(found, found, inked, to_ends=False)
        # The band taken off beside a border is no wider than the border.
        for _ in range(end - first):
            if end >= kept.shape[0] or kept[end].any() or not found[end].any():
                break
            end += 1
        insets.append(end)
    top, bottom, left, right = insets
    x1, y1 = mask.shape[1] - right, mask.shape[0] - bottom
    if left >= x1 or top >= y1:  # ink all over: borders that meet leave no inside, and are none
        return 0, 0, mask.shape[1], mask.shape[0]
    return left, top, x1, y1


def remove_frames(mask, rough_height):
    """Erase boxes drawn around numbers (amount boxes, form fields).

    A frame is a component a few digit heights wide, one to four tall,
    whose ink lies mostly along the outline of its minimum-area rectangle
    (so a tilted box is found too); that outline is erased. Digits that
    touch the frame keep everything off the outline. Frames are too short
    to be found as ruled lines, and their upright sides read as 1s.
    """
    h = float(rough_height)
    if h <= 0:
        return mask
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    w, hh, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    shortest, tallest = INK.frame_height
    candidates = np.flatnonzero((w > INK.frame_width * h) & (hh > shortest * h) & (hh < tallest * h)
                                & (area < INK.frame_ink * w * hh))
    band = max(3, int(round(INK.frame_band * h)))  # centred on the outer edge: reaches half of it inwards
    for i in candidates[candidates > 0]:
        x, y = stats[i, cv2.CC_STAT_LEFT], stats[i, cv2.CC_STAT_TOP]
        own = (labels[y:y + hh[i], x:x + w[i]] == i).astype(np.uint8)
        points = cv2.findNonZero(own)
        outline = np.zeros_like(own)
        cv2.drawContours(outline, [np.int32(cv2.boxPoints(cv2.minAreaRect(points)))], 0, 1, band)
        if (own & outline).sum() >= INK.frame_outline * own.sum():
            view = mask[y:y + hh[i], x:x + w[i]]
            view[(own & outline) > 0] = 0
    return mask


def shrink_keeping_strokes(image, factor):
    """``image`` scaled down by ``factor``, its thin dark strokes kept dark.

    Averaging alone (``INTER_AREA``) would pale a 2 px ballpoint stroke
    to a third of its darkness at a factor of 3, under the ink threshold:
    big digits written with a fine pen would vanish in the scaled view.
    Around strokes thinner than the pixels averaged into one (found by a
    black-hat), each pixel first takes the darkest value near it (a grey
    erosion about as wide as those pixels), so such a stroke keeps its
    darkness and comes out about a pixel wide. Bold strokes are left as
    they are: widening them would close the small loops of a marker's 6.

    Examples
    --------
    >>> paper = np.full((90, 90, 3), 200, np.uint8)
    >>> paper[:, 40:42] = 60                      # a 2 px stroke
    >>> int(shrink_keeping_strokes(paper, 4.5).min()), int(cv2.resize(
    ...     paper, (20, 20), interpolation=cv2.INTER_AREA).min())
    (91, 153)
    """
    width = int(factor) | 1  # odd; widens a stroke by at most about one pixel of the view
    if width > 1:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width))
        # Strokes under about two view pixels wide lose darkness, however the pixels fall.
        wide = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width - 1, 2 * width - 1))
        darkest = weakest_channel(image)  # a pen of any colour is dark in some channel
        thin = cv2.threshold(cv2.morphologyEx(darkest, cv2.MORPH_BLACKHAT, wide), INK.thin_stroke, 1, cv2.THRESH_BINARY)[1]
        image = cv2.copyTo(cv2.erode(image, kernel), cv2.dilate(thin, kernel), image.copy())
    return cv2.resize(image, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)


def digit_stroke_width(image, digit_height, all_paper=False, faint=1.0):
    """Typical width (px) of the strokes of the digit-sized blobs of
    ``image`` whose digits stand about ``digit_height`` px, or 0 if none:
    :func:`~digit_sheet_reader.pipeline.crops.stroke_width` of them all
    together (a thin stroke's outline runs along both its sides). The ink
    mask reaches a pixel or so past a stroke's dark core on each side, so
    a 1 px pen line measures about 3 px. ``all_paper`` and ``faint`` as in
    :func:`ink_darkness` and :func:`ink_at`.

    Examples
    --------
    >>> paper = np.full((100, 160, 3), 230, np.uint8)
    >>> paper[30:70, 50:51] = 40                       # a 1 px stroke, 40 px tall
    >>> round(digit_stroke_width(paper, 40), 1)
    2.9
    >>> paper[30:70, 50:54] = 40                       # a 4 px one
    >>> round(digit_stroke_width(paper, 40), 1)
    5.5
    >>> digit_stroke_width(paper, 120)                 # no blob of about that height
    0.0
    """
    mask = ink_at(ink_darkness(image, max(5.0, digit_height), all_paper), faint)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    tall, area = stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    digits = np.flatnonzero((area >= 12) & (tall >= 0.5 * digit_height) & (tall <= 2 * digit_height))
    digits = digits[digits > 0]
    if digits.size == 0:
        return 0.0
    return stroke_width(np.isin(labels, digits).astype(np.uint8))


def rough_digit_height(image, all_paper=False, side=320, faint=1.0):
    """A first, cheap estimate of the digit height on a thumbnail.

    Only needed to size the background kernel and the rules. The kernel,
    a sixth of the thumbnail's shorter side, is wider than the strokes of
    any digit under about half as tall as that side; digits that fill a
    crop (one form field, a cheque amount) have strokes as wide, which it
    would hollow out into pieces. So the crop is first seen with a kernel
    of a third of its height, wider than the strokes of any character as
    tall: one that a single character fills (:func:`lone_character_height`)
    is sized as it is, and a strip (at least ``INK.strip_aspect`` times as
    wide as tall) whose digits stand at least ``INK.fills_crop`` of its
    height, by those. ``all_paper`` as in :func:`ink_darkness`.
    """
    return rough_digit_heights(image, all_paper, side, faint)[0]


def rough_digit_heights(image, all_paper=False, side=320, faint=1.0):
    """:func:`rough_digit_height`, and the same estimate from the
    digit-sized ink the frame does not cut only (0 if there is none)."""
    thumb, factor = thumbnail(image, side)
    tall = thumb.shape[0]
    coarse = ink_at(ink_darkness(thumb, tall / 3, all_paper), faint)
    lone = lone_character_height(coarse)
    if lone:
        return lone * factor, lone * factor
    mask, height = remove_rules(ink_at(ink_darkness(thumb, min(thumb.shape[:2]) / 6, all_paper), faint))
    clear = estimate_digit_height(mask, clear_of_frame=True) if height else 0.0
    if thumb.shape[1] >= INK.strip_aspect * tall:
        _, filling = remove_rules(coarse)
        if filling >= INK.fills_crop * tall:
            height = filling
    return height * factor, clear * factor


def lone_character_height(mask):
    """The height of the one character (or a few joined) that fills the
    image, or 0 if the image holds no such thing.

    A crop of one form field or one digit: a single blob holding nearly all
    the ink clear of the frame (``INK.lone_share``; a cell's borders and a
    scan's margin are cut by it), over half the image both ways, no wider
    than three times its height, and not cut by the frame itself. Its strokes are
    as long as the image, so the thumbnail pass would take its bar or stem
    for a rule, and its ink as wide as a sixth of the image, so the usual
    background kernel would hollow its strokes out: the caller looks at it
    with a kernel of a third of the image's height (wider than the strokes
    of a character that tall) and sizes it as it is.

    >>> mask = np.zeros((70, 50), np.uint8)
    >>> _ = cv2.ellipse(mask, (25, 35), (18, 25), 0, 0, 360, 1, 8)   # a 0 filling its crop
    >>> lone_character_height(mask)
    59.0
    >>> mask[35, :] = 1                                               # a rule through it, cut by the frame
    >>> lone_character_height(mask)
    0.0
    """
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return 0.0
    # Ink cut by the frame (a cell's borders, a scan's black margin, a
    # character cut off) is no lone character's.
    areas = np.where(reaches_frame(stats[1:, :4], mask.shape), 0, stats[1:, cv2.CC_STAT_AREA])
    largest = 1 + int(np.argmax(areas))
    w, h, area = (int(v) for v in stats[largest, cv2.CC_STAT_WIDTH:cv2.CC_STAT_AREA + 1])
    alone = areas[largest - 1] > 0 and area >= INK.lone_share * areas.sum()
    return float(h) if alone and _fills_image(w, h, mask.shape) and w < 3 * h else 0.0


def _fills_image(w, h, shape):
    """True where a blob ``w`` x ``h`` spans over half an image of ``shape`` both ways."""
    return (w > 0.5 * shape[1]) & (h > 0.5 * shape[0])


def paper_texture(image, side=320):
    """How grainy the image is (0..1): the median difference between a
    pixel of its grey thumbnail and the median of its 3x3 neighbourhood.
    Paper, ink and rules are smooth at that scale, about nothing even in a
    phone photo; noise or a texture covering the page is not.

    >>> paper = np.full((200, 200, 3), 230, np.uint8)
    >>> paper_texture(paper)
    0.0
    >>> grain = np.clip(np.random.default_rng(0).normal(128, 20, (200, 200)), 0, 255).astype(np.uint8)
    >>> round(paper_texture(grain), 3)   # 12 grey levels
    0.047
    """
    grey = thumbnail(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image, side)[0]
    return float(np.median(cv2.absdiff(grey, cv2.medianBlur(grey, 3)))) / 255.0


def grain_floor(image):
    """The lowest share of the usual ink thresholds ``image`` may be
    thresholded at: its grain (:func:`paper_texture`) must stay under
    ``INK.quiet_paper`` of the lower one there. A scan or a photo of
    paper goes far lower than any threshold asked for; noise or a texture
    covering the page does not, and at such thresholds its grain would read
    as digits.

    >>> grain_floor(np.full((200, 200, 3), 230, np.uint8))
    0.0
    """
    return paper_texture(image) / (INK.quiet_paper * INK.low)


def thumbnail(image, side=320):
    """``image`` shrunk so its shorter side is at most ``side``, and the factor it was shrunk by."""
    factor = max(1.0, min(image.shape[:2]) / side)
    return (cv2.resize(image, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA) if factor > 1
            else image), factor


def above_pale_pattern(image, all_paper=False, side=320):
    """The share of the usual ink thresholds that lifts the ink of
    ``image`` off a pale pattern printed under the writing (a cheque's
    guilloche, a form's security print), or 1.0 where there is none.

    At the usual thresholds such a pattern is ink too: one network through
    all the digits, too large to be any of them. Where the ink left once
    straight rules are taken off (:func:`remove_rules`) covers at least
    ``INK.pattern_share`` of the thumbnail and its median darkness
    (the pattern's, which covers far more than the pen) is under
    ``INK.pattern_ratio`` of its 99th percentile (the pen's), the lower
    threshold rises to ``INK.rethreshold`` times that median, as it does
    above rules (:func:`above_rules`).

    >>> paper, xs = np.full((200, 200, 3), 230, np.uint8), np.arange(200)
    >>> for y in range(0, 200, 10):                        # pale waves all over
    ...     _ = cv2.polylines(paper, [np.int32(np.c_[xs, y + 8 * np.sin(xs / 6)])], False, (180, 180, 180), 3)
    >>> paper[50:150, 96:104] = 40                         # a 1 in pen
    >>> round(float(above_pale_pattern(paper)), 2)
    1.59
    >>> paper[paper == 180] = 230                          # the 1 alone
    >>> above_pale_pattern(paper)
    1.0
    """
    thumb, _ = thumbnail(image, side)
    darkness = ink_darkness(thumb, min(thumb.shape[:2]) / 6, all_paper)
    ink = ink_at(darkness)
    if ink.mean() < INK.pattern_share:  # taking the rules off leaves less: most pages stop here
        return 1.0
    ink = remove_rules(ink)[0] > 0  # squared paper is taken off as rules, keeping pale strokes
    if ink.mean() < INK.pattern_share:
        return 1.0
    level, pen = np.percentile(darkness[ink], [50, 99])
    if level >= INK.pattern_ratio * pen:
        return 1.0
    return max(1.0, INK.rethreshold * float(level) / 255.0 / INK.low)


def ink_scale(darkness, image, faint=1.0):
    """The share of the usual ink thresholds to take the ink of ``darkness``
    (of ``image``) at: ``faint``, or less where the page's strokes are pale
    (a ``faint`` above 1, thresholds raised above a pale pattern, is kept:
    the pen is dark there).

    The thresholds are set for strokes that reach ``INK.stroke_level``
    (the 90th percentile of the darkness of the ink found at the faintest
    thresholds). A veil of glare, an overexposed or hazy photo, or pencil
    lowers every stroke's darkness alike, and at the usual thresholds the
    paler digits of the page are lost, or their strokes thinned into other
    shapes: such a page is thresholded in proportion to its own strokes,
    down to ``INK.palest_scale`` of the usual thresholds, and never so low
    that the image's grain reaches them (:func:`grain_floor`).

    >>> paper = np.full((60, 60, 3), 230, np.uint8)
    >>> paper[10:50, 28:32] = 170                          # a stroke of pencil
    >>> darkness = ink_darkness(paper, kernel_px=20)
    >>> round(ink_scale(darkness, paper), 2)
    0.75
    >>> paper[10:50, 28:32] = 30                           # of ink
    >>> ink_scale(ink_darkness(paper, kernel_px=20), paper)
    1.0
    """
    if faint > 1:  # raised above a pattern (above_pale_pattern): the pen is dark
        return faint
    ink = ink_at(darkness, INK.faintest * faint)
    if not ink.any():
        return faint
    histogram = cv2.calcHist([darkness], [0], ink, [256], [0, 256]).ravel().cumsum()
    level = float(np.searchsorted(histogram, 0.9 * histogram[-1])) / 255.0
    if level >= faint * INK.stroke_level:
        return faint
    return min(faint, max(INK.palest_scale, grain_floor(image), level / INK.stroke_level))


def binarise(image, rough=None, all_paper=False, faint=1.0):
    """BGR image -> :class:`Binarised` (darkness, mask without rules, digit height).

    ``rough`` is :func:`rough_digit_height` of ``image`` if already known;
    ``all_paper`` as in :func:`ink_darkness`; ``faint`` scales the ink
    thresholds (``INK.faint`` on a page whose ink is all pale).
    """
    rough = rough_digit_height(image, all_paper) if rough is None else rough
    # Half a digit height is wider than any pen stroke, narrow enough to
    # follow shadows; with no ink found, fall back to an image-sized kernel.
    kernel = 0.5 * rough if rough > 0 else min(image.shape[:2]) / 6
    darkness = ink_darkness(image, max(9.0, kernel), all_paper, restore_wide_ink=rough > 0)
    faint = ink_scale(darkness, image, faint)
    ink = ink_at(darkness, faint)
    mask, height = _without_lines(ink, rough, darkness)
    steep = 0.0
    if _lines_left(mask, height, rough):
        angle = longest_lines_angle(mask, 4 * rough if rough > 0 else 0.25 * max(mask.shape))
        steep = angle if INK.rule_tilt < abs(angle) < 90 - INK.rule_tilt else 0.0
        above = None if steep else above_rules(ink, darkness, rough)
        if above is not None:
            # Grid lines too short to be found as rules (a small crop of
            # squared paper) are still lighter than the pen: keep the ink
            # clearly darker than the rules that were found, if that works.
            retry, retry_height = _without_lines(above, rough, darkness)
            if not _lines_left(retry, retry_height, rough):
                mask, height = retry, retry_height
    if rough > 0 and (height > 2 * rough or height == 0 and mask.any()):
        # The thumbnail's estimate, where such lines break up, or where no
        # blob looks like a digit (a row of digits joined along a rule).
        height = rough
    return Binarised(darkness, mask, height, steep, faint, inside_borders(mask, ink))


def _without_lines(ink, rough, darkness):
    """Frames and rules removed from the ``ink`` mask -> (mask, digit height)."""
    mask, height = remove_rules(remove_frames(ink.copy(), rough), rough, darkness)
    # Again after the rules: a frame crossed by a ruled line was one component
    # with it. A border cut in with the crop is left to the rules first, which
    # take a ruled one off whole, soft edges and all.
    return remove_frames(borders_cut_off(mask, ink), rough), height


def _lines_left(mask, height, rough):
    """True if lines not removed (steeply tilted rules, grid lines too short
    to be found) joined the digits into line-long blobs: all of them (the
    height estimate is then far above the thumbnail's, where such lines
    break up), most, or one network with no digit-like blob left."""
    if not mask.any():
        return False
    if height == 0 or (rough > 0 and height > 2 * rough):
        return True
    return _share_in_long_blobs(mask, height) > INK.lines_left


def above_rules(ink, darkness, rough):
    """``ink`` re-thresholded just above the darkness of the horizontal
    rules found on it (``INK.rethreshold`` times their median), or None if none are found
    or the pen is not clearly darker than they are."""
    # The rules remove_rules found (found again: this runs only on pages
    # where lines were left over).
    inside = (find_rules(ink, True, _rule_length(ink.shape[1], rough)) > 0) & (ink > 0)
    if not inside.any():
        return None
    level = float(np.median(darkness[inside]))
    if np.percentile(darkness[ink > 0], 90) <= 2 * level:
        return None
    low = min(250.0, INK.rethreshold * level) / 255
    return ink & threshold(darkness, low=low, high=max(INK.high, 2 * low))


def longer_than_digits(width, height, digit_height):
    """True where a blob is too long for a digit, even a few joined ones:
    a line, a border, or digits joined by a line (segmentation drops them)."""
    return (width > INK.longest_blob * digit_height) | (height > INK.tallest_blob * digit_height)


def _share_in_long_blobs(mask, height):
    """Fraction of the ink in blobs :func:`longer_than_digits`: digits
    joined along lines that were not removed."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    w, h, area = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_AREA]
    return float(area[longer_than_digits(w, h, height)].sum()) / max(1, int(area.sum()))


def longest_lines_angle(mask, min_length):
    """Direction (degrees counter-clockwise, in (-90, 90]) of the straight
    line with the most ink along it, if it has ``min_length`` px; else 0.

    The standard Hough transform on a thumbnail: a ruled line at any angle
    collects far more votes than a digit's stroke or a row of digits.

    Examples
    --------
    >>> mask = np.zeros((300, 400), np.uint8)
    >>> _ = cv2.line(mask, (0, 250), (399, 19), 1, 2)     # rising 30 degrees
    >>> round(longest_lines_angle(mask, 200))
    30
    >>> longest_lines_angle(np.zeros((300, 400), np.uint8), 200)  # no line at all
    0.0
    """
    thumb, factor = _rule_thumbnail(mask)
    lines = cv2.HoughLines(thumb, 1, np.pi / 180, max(10, int(min_length / factor)))
    # None when nothing is found in OpenCV 4, an empty array in OpenCV 5.
    if lines is None or len(lines) == 0:
        return 0.0
    theta = float(np.degrees(lines.reshape(-1, 2)[0, 1]))  # the normal's angle, image y down; strongest first
    angle = 90.0 - theta
    return angle - 180.0 if angle > 90 else angle
