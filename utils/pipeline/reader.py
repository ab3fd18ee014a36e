"""The sheet reader: image -> binary -> regions -> 28x28 crops -> labels -> lines.

Examples
--------
>>> reader = SheetReader("output/mnist_cnn.model")      # doctest: +SKIP
>>> page = reader.read("examples/sheet.jpg")            # doctest: +SKIP
>>> print(page.text)                                    # doctest: +SKIP
0123456789
>>> page.to_dict()["lines"][0]["digits"][0]["confidence"]  # doctest: +SKIP
0.9987
"""

import sys
import time
from dataclasses import dataclass, replace
from functools import cache, cached_property, partial
from pathlib import Path

import cv2
import numpy as np

from ..errors import ModelError, NoTableError, PageError
from ..io.documents import DEFAULT_DPI, document_pages, is_document
from ..io.images import MAX_SIDE, MIN_REDUCED_SIDE, LoadedImage, load_image
from ..models.bundle import check_kind
from ..models.runtime import load_recogniser
from ..models.sequences import averaged_readers
from ..models.shipped import ModelSet
from . import LAYOUTS
from .cells import read_tables
from .ink import (INK, above_pale_pattern, binarise, digit_stroke_width, grain_floor, ink_at, reaches_frame,
                  rough_digit_heights, shrink_keeping_strokes, thumbnail)
from .lines import group_lines, group_starts, rows_as_lines
from .page import find_page, fitted_angle, hanging_from_tops, line_spread, top_down, turn, whole, writing_angle
from .recognise import read_regions, view_confidence
from .refine import join_broken, join_fragments, reread_bridged, second_opinion, split_by_strings, split_touching
from .regions import find_regions, shared_span
from .reject import (beside_other_lines, beyond_borders, border_strokes, closing_slashes, cut_by_frame, date_slashes,
                     faint_marks, flat_marks, rule_pieces, rule_strokes, small_lone_marks, stray_lines, unsure_lines,
                     word_lines)
from .result import Digit, Line, Page, Rejected
from .tables import blank_tables, find_tables


@dataclass(frozen=True)
class ReaderSettings:
    """The working scale, and when a page is turned.

    Sizes in px; confidences are probabilities.
    """

    work_digit_height: int = 40  # digit height (px) pages are scaled down to when their digits are taller
    scale_down_above: float = 1.25  # digits taller than this many times that are scaled down to it
    blank_card: float = 0.05  # a page found blank and smaller than this share of the photo is not the page
    fast_side: int = 800  # longer side (px) a large JPEG is first decoded at
    small_digit: int = 24  # digits shorter than this (px) at the fast decode are read from a larger one ...
    thin_stroke: float = 3.5  # ... and digits whose strokes measure under this there (px, ink.digit_stroke_width: a 1 px pen)
    more_pixels: float = 1.3  # a page of digits under small_digit is warped again from a decode this much larger ...
    most_enlarged: float = 3.0  # ... one under small_digit even at full decode is enlarged to it, by at most this
    page_of_digits: float = 10.0  # a view at least this many small digits across is a page (less: a crop)
    skew_min: float = 5.0  # lines tilted more than this (degrees) are read from a levelled view
    skew_rest: float = 2.0  # ... turned again if its own lines are still tilted more than this
    skew_agree: float = 5.0  # a tilt that nearest neighbours and the fitted lines give within this is confirmed
    straight_lines: float = 0.5  # lines whose digits stray more than this (digit heights) chain rows of a tilted page
    unsure: float = 0.9  # a digit read less surely than this (probability) is unsure
    unsure_share: float = 0.12  # share of unsure digits at which a page may be upside down
    turn_margin: float = 0.02  # mean confidence another way up must gain to be taken
    turned_sure: float = 0.75  # a view turned round (or levelled past 45 deg) must read this share of it surely
    levelled_keeps: float = 0.8  # a levelled view must keep this share of the regions read surely to be taken
    max_regions: int = 3000  # a page with more regions is refused: its cost stays bounded
    few_regions: int = 4  # a view with no more regions than this is also thresholded as a pale page ...
    pale_beside: float = 1.0  # ... and read so if that finds a digit-sized region this close (digit heights) beside one
    short: float = 0.75  # a region shorter than this (digit heights) whose ink continues at the pale thresholds ...
    grown: float = 1.5  # ... into one region of a digit's height, no taller or wider than this, takes that ink ...
    continued: float = 1.3  # ... if that is this many times its own height (not the pale rim of its strokes)


READER = ReaderSettings()


@dataclass
class Reading:
    """One view binarised, segmented and read region by region, as found."""

    view: object
    segmentation: object
    binary: object  # digit_sheet_reader.pipeline.ink.Binarised
    read: object  # digit_sheet_reader.pipeline.refine.Read
    read_strings: object = None  # the sequence reader's predict, if there is one

    @property
    def darkness(self):
        return self.binary.darkness

    @cached_property
    def score(self):
        """Mean confidence: how readable the view is, the way up it is turned."""
        return view_confidence(self.segmentation.labels, self.read, self.darkness, self.read_strings)

    @cached_property
    def boxes(self):
        return np.array([r.box for r in self.segmentation.regions], np.float64).reshape(-1, 4)

    @cached_property
    def lines(self):
        return group_lines(self.boxes, self.segmentation.digit_height)

    def photo_box(self, box, loaded):
        """A working-pixel box (x, y, w, h) of this view -> the axis-aligned
        integer box around it in the original photo's pixels."""
        return _to_original(self.view.box_to_photo(box), loaded.scale, loaded.original_size)

    def hangs_from_tops(self):
        return hanging_from_tops(self.boxes, self.lines)

    def looks_upside_down(self):
        """Cheap hints: many unsure digits, or digits hanging from a top line."""
        c = self.read.confidences
        if len(c) < 3:
            return False
        return self.hangs_from_tops() or float(np.mean(c < READER.unsure)) >= READER.unsure_share


# The kind of model each helper must be (models.bundle.KINDS).
HELPER_KINDS = {"checker": "checker", "strings": "strings", "hard_strings": "strings", "second": "recogniser",
                "skipping": "recogniser"}


class SheetReader:
    """Load the models once, read many images.

    :meth:`read` runs the stages in order, each a function of its own
    module with its tuned numbers in one frozen dataclass:

    =========  ==============================================  ==========================
    stage      what it does                                    module (settings)
    =========  ==============================================  ==========================
    load       decode the image, bounded in size               ``io.images``
    tables     find ruled tables, read them cell by cell,      ``pipeline.tables`` (TABLES),
               and blank them out for the stages below         ``pipeline.cells`` (CELLS)
    page       find the sheet on a desk, warp it top-down      ``pipeline.page`` (PAGE)
    ink        even out the light, threshold, remove rules     ``pipeline.ink`` (INK)
    regions    cut the ink into regions that may be digits     ``pipeline.regions`` (REGIONS)
    recognise  MNIST-style 28x28 crops, read in one batch      ``pipeline.crops`` (CROPS),
                                                               ``pipeline.recognise``
    upright    turn the view until its lines run level         ``pipeline.page`` (READER)
    refine     join broken digits, split touching ones,        ``pipeline.refine`` (REFINE)
               read unsure ones again
    reject     drop frame sides and show-through               ``pipeline.reject`` (REJECT)
    lines      group digits into lines in reading order        ``pipeline.lines``
    result     Page -> Line -> Digit, boxes in photo pixels    ``pipeline.result``
    =========  ==============================================  ==========================

    Parameters
    ----------
    model : str or Path, optional
        The digit recogniser bundle (default: the shipped CNN), with the
        shipped helper models that suit it (:meth:`ModelSet.shipped`).
    runtime : {"auto", "litert", "keras"}
    max_side : int
        Longer side of the working image; larger photos are read at reduced
        size, boxes are still reported in the original's pixels.
    num_threads : int, optional
        Inference threads (default: all cores; batch workers use one each).
    models : ModelSet, optional
        Every model bundle to use, helpers included, instead of ``model``.
        A helper that is missing or unreadable is left out with a warning
        (stderr and every page's ``warnings``); one of the wrong kind is a
        :class:`~digit_sheet_reader.errors.ModelError`.
    layout : {"auto", "lines", "table"}
        ``auto`` reads ruled tables cell by cell where it finds them
        (``Page.tables``) and the rest as lines; ``lines`` reads everything
        as lines; ``table`` raises
        :class:`~digit_sheet_reader.errors.NoTableError` when no table is found.

    Examples
    --------
    >>> reader = SheetReader()                          # doctest: +SKIP
    >>> page = reader.read("examples/sheet.jpg")        # doctest: +SKIP
    >>> page.text.splitlines()[0]                       # doctest: +SKIP
    '6536318378'
    """

    def __init__(self, model=None, runtime="auto", max_side=MAX_SIDE, num_threads=None, models=None, layout="auto"):
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
        self.layout = layout
        if models is None:
            models = ModelSet.shipped(model)
        elif model is not None:
            raise ValueError("give the recogniser either as model or in models, not both")
        self.models = models
        self.model_path = str(models.recogniser)
        self.recogniser = load_recogniser(models.recogniser, runtime, num_threads)
        check_kind(self.recogniser, "recogniser")
        self.max_side = max_side
        self.warnings = []
        helper = {name: self._load_helper(name, path, runtime, num_threads) for name, path in models.helpers()}
        for name, loaded in helper.items():
            if loaded is not None:
                check_kind(loaded, HELPER_KINDS[name])  # the wrong kind of model given is the user's error
        self.check = None
        if helper.get("checker") is not None:
            judge = helper["checker"]
            self.check = lambda crops: judge.predict(crops)[:, 1]  # P(not one digit)
        self.read_strings = self.read_joined = None
        first, hard = helper.get("strings"), helper.get("hard_strings")
        if first is not None:
            self.read_strings = self.read_joined = first.predict
            if hard is not None:
                self.read_joined = averaged_readers(first.predict, hard.predict,
                                                    f"{models.strings} and {models.hard_strings}")
        self.second = helper.get("second")
        self.skipping = helper.get("skipping") if self.second is not None else None
        used = {"checker": self.check, "strings": first, "hard_strings": first and hard, "second": self.second,
                "skipping": self.skipping}
        # The bundles read with, by role: None where a helper is not used (reported in every page's JSON).
        self.used_models = {"recogniser": self.model_path, **{
            name: str(getattr(models, name)) if used[name] is not None else None for name in used}}

    def _load_helper(self, name, path, runtime, num_threads):
        """The helper recogniser at ``path``, or None with a warning (on
        stderr and in every page's JSON) if it is missing or unreadable."""
        try:
            if not Path(path).exists():
                raise ModelError(f"{path}: no such model")
            return load_recogniser(path, runtime, num_threads)
        except ModelError as exc:
            warning = f"helper model '{name}' not used ({exc}): digits it would help with are read less well"
            self.warnings.append(warning)
            print(f"warning: {warning}", file=sys.stderr)
            return None

    def read(self, source, name=None):
        """Read one image (a path or a BGR/grey array) and return a :class:`Page`."""
        clock = _Clock()
        loaded = load_image(source, self.max_side, min_side=READER.fast_side)
        clock.lap("load")
        tables, loaded, rest = self.read_tables(source, loaded, clock)
        rest, reading, read, boxes, order, rejected = self._read_lines(source, rest, clock)
        if not tables and self._decoded_below_default(rest) and any(r == "faint" for _, r in rejected):
            # A thin stroke decoded at reduced size pales, and passes for
            # writing showing through: decide with all the pixels there are.
            full = load_image(source, self.max_side)
            clock.lap("load")
            rest, reading, read, boxes, order, rejected = self._read_lines(source, full, clock)
        page = self.result(source, name, rest, reading, read, boxes, order, rejected, clock)
        if tables:  # drawn on the image as it was, tables and all
            page.tables, page.work_image, page.work_scale = tables, loaded.image, loaded.scale
        return page

    def _read_lines(self, source, loaded, clock):
        """``loaded`` read as lines: the image read, its :class:`Reading`, the
        regions as finally read, and :func:`reject_and_group`'s boxes, order and rejected marks."""
        loaded, reading = self.first_reading(source, clock, loaded)  # page, ink, regions, recognise, upright
        read = self.refine(reading)
        clock.lap("refine")
        boxes, order, rejected = reject_and_group(reading, read, self.check)
        clock.lap("lines")
        return loaded, reading, read, boxes, order, rejected

    def read_document(self, source, name=None, dpi=DEFAULT_DPI):
        """Yield every page of ``source`` as a :class:`Page`: one for an
        image (or an array), one per page of a PDF (rendered at ``dpi``) or
        a multi-page TIFF, each with its number in ``Page.page``. One page
        is rendered and held at a time: use each before asking for the next."""
        if isinstance(source, np.ndarray) or not is_document(source):
            yield self.read(source, name)
            return
        for number, image in document_pages(source, dpi):
            page = self.read(image, name or str(source))
            page.page = number
            yield page

    def read_tables(self, source, loaded, clock):
        """The ruled tables of the image, read cell by cell; the image they
        were read in (decoded again with more pixels if a fast decode found
        tables); and that image with the tables blanked out, to read as lines."""
        geometries = find_tables(loaded.image) if self.layout != "lines" else []
        if geometries and self._decoded_below_default(loaded):
            loaded = load_image(source, self.max_side)  # cells need the pixels a fast decode saves
            geometries = find_tables(loaded.image)
        tables, geometries = read_tables(loaded.image, geometries, self.recogniser.classify, loaded.scale, self.check)
        if not tables and self.layout == "table":
            name = source if isinstance(source, (str, Path)) else "image"
            raise NoTableError(f"{name}: no ruled table found (--layout auto reads it as lines)")
        clock.lap("tables")
        if not tables:
            return tables, loaded, loaded
        return tables, loaded, LoadedImage(blank_tables(loaded.image, geometries), loaded.original_size, loaded.scale)

    def first_reading(self, source, clock=None, loaded=None):
        """(:class:`digit_sheet_reader.io.images.LoadedImage`, :class:`Reading`): the image loaded
        (unless ``loaded`` is given), the page found and turned upright, its
        regions read as segmented, before the refine stage of :meth:`read`."""
        clock = clock or _Clock()
        if loaded is None:
            loaded = load_image(source, self.max_side, min_side=READER.fast_side)
            clock.lap("load")
        view, rough = page_view(loaded.image)
        if self._decoded_below_default(loaded) and needs_more_pixels(view, rough):
            loaded = load_image(source, self.max_side)
            clock.lap("load")
            view, rough = page_view(loaded.image)
        view, rough = self.page_with_more_pixels(source, loaded, view, rough)
        view, rough = enlarged_if_small(*scaled_to_work(view, rough), self.max_side)
        clock.lap("page")
        return loaded, self.upright(self._find(view, rough, clock), rough, clock)

    def page_with_more_pixels(self, source, loaded, view, rough):
        """``view`` (a page found in ``loaded``, digits ``rough`` px tall)
        warped again from a larger decode of ``source``, where its digits
        are shorter than ``READER.small_digit`` and the photo has more
        pixels than ``loaded`` shows: a sticky note a third of a 16 MP
        photo wide has digits 20 px tall in the 2400 px working image, and
        twice that in the photo itself. The larger decode gives the digits
        up to ``READER.work_digit_height``, the page's longer side at most
        ``max_side``: the cost stays that of a page as large as the reader
        takes. The view still maps to ``loaded``'s pixels."""
        if not (view.all_paper and 0 < rough < READER.small_digit and loaded.scale > 1):
            return view, rough
        factor = min(READER.work_digit_height / rough, loaded.scale, self.max_side / max(view.image.shape[:2]))
        if factor < READER.more_pixels:
            return view, rough
        side = int(max(loaded.image.shape[:2]) * factor)
        larger = load_image(source, side, min_side=side)
        scale = loaded.scale / larger.scale  # larger decode's pixels per working pixel
        h, w = view.image.shape[:2]
        rectangle = np.float64([[[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]]])
        corners = cv2.perspectiveTransform(rectangle, view.to_photo)[0]
        warped = top_down(whole(larger.image), np.float32(corners * scale))
        warped.to_photo = np.diag([1 / scale, 1 / scale, 1.0]) @ warped.to_photo
        return at_its_ink_level(warped)

    def result(self, source, name, loaded, reading, read, boxes, order, rejected, clock):
        """The :class:`Page`: digits in their lines, boxes in the original image's pixels."""
        def original(box):
            return reading.photo_box(box, loaded)

        height = reading.segmentation.digit_height
        lines = [Line([Digit(read.names[i], float(read.confidences[i]), original(boxes[i]), read.crops[i]) for i in line],
                      group_starts(boxes[line], height, rejected))
                 for line in order]
        image_name = name or (str(source) if not isinstance(source, np.ndarray) else "<array>")
        return Page(image_name, loaded.original_size, self.model_path, lines, clock.laps, loaded.image, loaded.scale,
                    rotation=reading.view.rotation, skew=round(reading.view.skew, 1),
                    rejected=[Rejected(original(box), reason) for box, reason in rejected],
                    warnings=list(self.warnings), models=dict(self.used_models))

    def _find(self, view, rough, clock):
        """Binarise and segment one view, and read its regions as found.

        A view with few regions that may be digits at the usual ink
        thresholds is thresholded again as a pale page (``INK.faint``): read
        so if that finds a region where there was none (its ruled lines
        reached the usual thresholds, its pale pencil did not); else the
        pale regions beside a number's digits join them (:func:`pale_digits_beside`).
        In any view, a short region whose ink continues at those thresholds
        into a digit read surely takes that ink (:func:`pale_continuations`).
        """
        binary = binarise(view.image, rough, view.all_paper, view.faint)
        clock.lap("ink")
        segmentation = find_regions(binary.mask, binary.digit_height)
        if len(segmentation.regions) <= READER.few_regions and view.faint == 1.0:
            pale = binarise(view.image, rough, view.all_paper, INK.faint * binary.faint)
            pale_regions = find_regions(pale.mask, pale.digit_height)
            if not segmentation.regions and pale_regions.regions:
                view, binary, segmentation = replace(view, faint=INK.faint), pale, pale_regions
            elif added := pale_digits_beside(segmentation, pale_regions):
                mask = binary.mask | np.isin(pale_regions.labels, [i for r in added for i in r.ids]).astype(np.uint8)
                binary = replace(binary, mask=mask)
                segmentation = find_regions(mask, binary.digit_height)
        if len(segmentation.regions) > READER.max_regions:
            raise PageError(f"{len(segmentation.regions)} marks that could be digits, more than any sheet of "
                            f"digits holds (limit {READER.max_regions}): noise or a texture, not read")
        if view.faint == 1.0 and (grown := pale_continuations(segmentation, binary)) is not None:
            binary, segmentation = self._continued(binary, segmentation, grown)
        clock.lap("regions")
        read = read_regions(segmentation.labels, segmentation.regions, binary.darkness, self.recogniser.classify)
        clock.lap("recognise")
        return Reading(view, segmentation, binary, read, self.read_strings)

    def _continued(self, binary, segmentation, grown):
        """``binary`` and ``segmentation`` with the pale continuations
        ``grown`` (:func:`pale_continuations`) that make a digit read surely
        (``READER.unsure``): a pale rim or a pencil word's next letter
        joined to a short mark makes no digit the recogniser is sure of."""
        mask = binary.mask | grown
        joined = find_regions(mask, binary.digit_height)
        touched = []  # (region, its own pixels of the pale ink) for the regions that hold some
        for region in joined.regions:
            x, y, w, h = region.box
            if (own := grown[y:y + h, x:x + w] & region.pixels(joined.labels)).any():
                touched.append((region, own))
        read = read_regions(joined.labels, [r for r, _ in touched], binary.darkness, self.recogniser.classify)
        unsure = [(r, own) for (r, own), c in zip(touched, read.confidences) if c < READER.unsure]
        if len(unsure) == len(touched):
            return binary, segmentation
        if not unsure:
            return replace(binary, mask=mask), joined
        for region, own in unsure:  # that region's pale ink goes again
            x, y, w, h = region.box
            mask[y:y + h, x:x + w] &= ~own
        return replace(binary, mask=mask), find_regions(mask, binary.digit_height)

    def refine(self, reading):
        """Join broken digits, split touching ones, re-read unsure ones with
        gaps bridged, and ask the second recogniser about those still
        unsure: each asking about a few regions only, on the one view
        finally read."""
        read, seg = reading.read, reading.segmentation
        looks = [partial(join_broken, check=self.check),
                 partial(join_fragments, fragments=seg.fragments, check=self.check)]
        if self.read_strings is not None:
            looks.append(partial(split_by_strings, read_strings=self.read_joined, check=self.check))
        looks += [partial(split_touching, check=self.check), reread_bridged]
        for look in looks:
            read = look(seg.labels, read, seg.digit_height, reading.darkness, self.recogniser.classify)
        if self.second is not None:
            read = second_opinion(seg.labels, read, seg.digit_height, reading.darkness, self.recogniser.predict,
                                  self.second.predict, self.recogniser.labels,
                                  self.skipping.predict if self.skipping is not None else None, self.read_strings)
        return read

    def upright(self, reading, rough, clock):
        """Turn the view until lines run left to right, the right way up.

        Cheap signals first, so an upright page pays for nothing more: the
        direction the regions line up in (or that of ruled lines too steep
        to remove, which joined them into line-long blobs), and how sure
        the recogniser was.
        Lines far from horizontal are read again from a view turned to
        level them; steeper than 45 deg they may run either way, so both
        ways are read and the view read more surely wins (and the view as
        it was stays a candidate: a column of single digits also lines up
        vertically). A page read unsurely, or whose digits hang from a
        common top line, is also read upside down, and turned only if that
        view reads more surely and sits on a baseline. How surely a view
        reads is :attr:`Reading.score`: the sequence reader's judgement
        where there is one (:func:`digit_sheet_reader.pipeline.refine.view_confidence`).
        """
        angle, rough_angle, confirmed = reading.binary.steep_rules, False, False  # steep rules: nothing to fit
        if not angle:
            angle, rough_angle = writing_angle([r.centre for r in reading.segmentation.regions]), True
            straight = _straight(reading)
            fitted = fitted_angle(reading.boxes, reading.lines) if straight else 0.0
            confirmed = fitted != 0.0 and abs(fitted - angle) <= READER.skew_agree
            if abs(angle) < 3 * READER.skew_min and straight:  # lines grouped as they are: fit them
                angle, rough_angle = fitted, False
        if abs(angle) > READER.skew_min:
            levelled = self._level(reading, angle, rough, clock, refine=rough_angle)
            if abs(angle) <= 45:
                # Rows chained into one line are no reading to keep, however sure;
                # nor is one row broken by its tilt into pieces, where levelled
                # it reads whole and as surely.
                unchained = _straight(levelled) and not _straight(reading)
                if unchained or _gathered(levelled, reading) or _no_worse(levelled, reading, confirmed):
                    reading = levelled
            else:
                options = [reading, levelled, self._find(turn(reading.view, 180 - angle), rough, clock)]
                across = angle - np.copysign(90.0, angle)  # a grid's rows, where neighbours ran down its columns
                if abs(across) > READER.skew_min:
                    options.append(self._level(reading, across, rough, clock, refine=rough_angle))
                reading = most_upright(reading, options[1:], ruled=bool(reading.binary.steep_rules))
        if reading.looks_upside_down():
            flipped = self._find(turn(reading.view, 180), rough, clock)
            reading = flipped if turned_is_upright(flipped, reading) else reading
        return reading

    def _level(self, reading, angle, rough, clock, refine):
        """``reading``'s view read turned by ``-angle``, then, if the angle
        was a rough one (``refine``), by what tilt its own lines still show
        (``READER.skew_rest``): nearest neighbours give the tilt roughly (a
        grid's columns pull it off), the lines grouped once levelled more exactly."""
        levelled = self._find(turn(reading.view, -angle), rough, clock)
        rest = fitted_angle(levelled.boxes, levelled.lines) if refine else 0.0
        if abs(rest) > READER.skew_rest:
            finer = self._find(turn(reading.view, -(angle + rest)), rough, clock)
            levelled = finer if _no_worse(finer, levelled) else levelled
        return levelled

    def _decoded_below_default(self, loaded):
        """True if the fast decode gave fewer pixels than a default decode would."""
        side = max(loaded.image.shape[:2])
        return side < min(self.max_side, MIN_REDUCED_SIDE, max(loaded.original_size))


def page_view(image):
    """The page of ``image`` as a view, and its rough digit height.

    The page is found and warped top-down first, so that a desk around it
    cannot sway the digit-height estimate; a small page found blank even at
    the faint thresholds (a card) is no page to read, and the whole photo
    is read instead. A page whose ink is all pale is read at lower ink
    thresholds, one printed over a pale pattern at higher ones
    (:func:`at_its_ink_level`).
    """
    corners = find_page(image)
    view, rough = at_its_ink_level(whole(image) if corners is None else top_down(whole(image), corners))
    card = corners is not None and cv2.contourArea(corners) < READER.blank_card * image.shape[0] * image.shape[1]
    if card and rough == 0:
        # Nothing written on a small bright thing found (a blank card, a
        # reflection): the writing is elsewhere, on paper less bright than that.
        view, rough = at_its_ink_level(whole(image))
    return view, rough


def at_its_ink_level(view):
    """``view`` and its rough digit height, at the ink thresholds
    (``View.faint``, a share of the usual ones) its writing asks for.

    Where a pale pattern is printed under the writing (a cheque's
    guilloche), higher ones lift the pen off it (:func:`above_pale_pattern`),
    if digit-sized ink is found at those. Where no ink is dark enough for
    a digit (a pale scan, faint pencil, a thin pen on a note in a small
    decode), lower ones, if any digit-sized ink reaches them and the
    image's grain does not. Where all such ink is cut by the frame (a
    desk's edge, a page's curl at the photo's side, darker than writing
    paled by glare), the lower thresholds are tried too, and taken if they
    find digit-sized ink clear of the frame."""
    small, factor = thumbnail(view.image)  # shrunk once for every threshold tried

    def heights(faint=1.0):
        return tuple(factor * h for h in rough_digit_heights(small, view.all_paper, faint=faint))

    if (lifted := above_pale_pattern(small, view.all_paper)) > 1:
        found, _ = heights(lifted)
        if found:
            return replace(view, faint=lifted), found
    rough, clear = heights()
    grain = cache(lambda: grain_floor(view.image))  # measured once, and only if a pale try is asked
    for faint in (INK.faint, INK.faintest):
        if clear or grain() > faint:
            break
        pale, pale_clear = heights(faint)
        if found := (pale_clear if rough else pale):
            view, rough, clear = replace(view, faint=faint), found, True
    return view, rough


def needs_more_pixels(view, rough):
    """True where the digits of ``view``, a page as a fast (DCT-reduced)
    decode shows it, with digits ``rough`` px tall, are to be read from a
    larger decode: digits under ``READER.small_digit`` (or none found), and
    digits of any height written with strokes under ``READER.thin_stroke``
    px (:func:`digit_stroke_width`). A reduced decode averages a thin stroke into
    the paper: a ballpoint 7 loses its bar, or fades out whole. From the
    larger decode the view is shrunk with its strokes kept dark
    (:func:`scaled_to_work`). Bold strokes read as well from the fast
    decode, which saves the second; so does a page whose digit-sized ink
    cannot be measured there (nothing says its strokes are thin)."""
    if rough < READER.small_digit:
        return True
    return 0 < digit_stroke_width(view.image, rough, view.all_paper, view.faint) < READER.thin_stroke


def scaled_to_work(view, rough):
    """``view`` (and its digit height ``rough``) scaled down to
    ``READER.work_digit_height`` where the digits are far taller, its thin
    strokes kept dark: a 12 MP photo of a few large numbers is read as
    fast as a small scan (preprocessing cost falls with the square of the
    factor)."""
    if rough > READER.scale_down_above * READER.work_digit_height:
        return _rescaled(view, shrink_keeping_strokes(view.image, rough / READER.work_digit_height), rough)
    return view, rough


def enlarged_if_small(view, rough, max_side):
    """``view`` (and its digit height ``rough``) enlarged where it is a page
    of digits shorter than ``READER.small_digit``, until they stand that tall
    (by at most ``READER.most_enlarged``, its longer side at most ``max_side``).

    Digits this small have strokes of a pixel or two and holes as small:
    thresholded so, a narrow 0 closes into a 1. Only a page, at least
    ``READER.page_of_digits`` such digits across: in a crop of a number,
    small print and specks would be enlarged into digit-sized marks. Called
    once the photo is decoded with all the pixels it will be: enlarging a
    small decode is no substitute for the photo's own pixels.
    """
    if not 0 < rough < READER.small_digit or min(view.image.shape[:2]) < READER.page_of_digits * READER.small_digit:
        return view, rough
    factor = min(READER.small_digit / rough, READER.most_enlarged, max_side / max(view.image.shape[:2]))
    if factor <= 1:
        return view, rough
    return _rescaled(view, cv2.resize(view.image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC), rough)


def _rescaled(view, image, rough):
    """``view`` showing ``image``, its picture rescaled, and the digit height ``rough`` at that scale."""
    f = view.image.shape[1] / image.shape[1]
    return replace(view, image=image, to_photo=view.to_photo @ np.diag([f, f, 1.0])), rough / f


def pale_digits_beside(found, pale):
    """The regions of ``pale`` (the view thresholded as a pale page) that
    are digits of a number ``found`` holds: clear of every region found,
    0.6 to 1.5 of their height, beside one of them (overlapping half its
    height, within ``READER.pale_beside`` times its height, or the found
    digits' if taller, to its side) and not between two (a loose piece of
    a digit, a patterned background). A
    pen that ran pale after a number's first digit, a lighter pencil stroke.
    Each digit added is one of the number's too: the next pale one beside
    it joins, by its own height (a number whose first digits lie in the
    photo's darker half; its one digit found dark only in part, shorter)."""
    if not found.regions or not pale.regions:
        return []
    h, shape = found.digit_height, found.labels.shape

    def whole_digits(regions):  # of a digit's height, not cut by the frame (a rule's stubs, the next row)
        return [r for r in regions if 0.6 * h <= r.box[3] <= 1.5 * h and not reaches_frame(r.box, shape)[0]]

    boxes = np.array([r.box for r in whole_digits(found.regions)], np.float64).reshape(-1, 4)
    # Digits added later stay in the band of a digit found: the number's own line.
    left = [r for r in whole_digits(pale.regions)
            if (shared_span(boxes, r.box, 1) >= 0.5 * np.minimum(boxes[:, 3], r.box[3])).any()]
    added = []
    while True:
        beside = [region for region in left if _pale_digit_beside(boxes, region.box, h)]
        if not beside:
            return added
        added += beside
        left = [region for region in left if region not in beside]
        boxes = np.vstack([boxes, [r.box for r in beside]])


def pale_continuations(found, binary):
    """Ink (uint8 mask) that continues the short regions of ``found`` (in
    the :class:`~digit_sheet_reader.pipeline.ink.Binarised` ``binary``) at
    the pale page's thresholds (``INK.faint`` of those ``binary`` was
    taken at), or None where none does.

    A stroke written lighter than the rest of its digit (the top of a 6
    drawn with less pressure, then softened by JPEG) falls below the usual
    thresholds, and the rest reads as another digit (its loop as 0). Where
    a region shorter than ``READER.short`` digit heights lies in one pale
    blob of a digit's height (no taller or wider than ``READER.grown``, and
    ``READER.continued`` times the region's own height: not just the pale
    rim of its strokes) that holds no other region, that blob is the
    digit. A digit written small stays as small at the pale thresholds,
    and keeps its size.

    Examples
    --------
    >>> from digit_sheet_reader.pipeline.ink import Binarised
    >>> from digit_sheet_reader.pipeline.regions import find_regions
    >>> darkness = np.zeros((60, 60), np.uint8)
    >>> darkness[30:50, 20:24] = 200; darkness[10:30, 20:24] = 33    # a stroke whose top is pale
    >>> darkness[10:50, 40:44] = 200                                  # a whole one beside it
    >>> mask = (darkness > 100).astype(np.uint8)
    >>> found = find_regions(mask, 40.0)
    >>> sorted(r.box[3] for r in found.regions)
    [20, 40]
    >>> grown = pale_continuations(found, Binarised(darkness, mask, 40.0))
    >>> sorted(r.box[3] for r in find_regions(mask | grown, 40.0).regions)
    [40, 40]
    """
    h = float(found.digit_height)
    short = [r for r in found.regions if r.box[3] < READER.short * h and not r.piece]
    if not short:
        return None
    pale_ink = ink_at(binary.darkness, INK.faint * binary.faint)
    _, pale, stats, _ = cv2.connectedComponentsWithStats(pale_ink, connectivity=8)
    grown = []
    for region in short:
        x, y, w, hh = region.box
        blobs = np.unique(pale[y:y + hh, x:x + w][region.pixels(found.labels)])
        if len(blobs) != 1 or blobs[0] == 0:
            continue
        bx, by, bw, bh = stats[blobs[0], :4]
        if not (max(READER.short * h, READER.continued * hh) <= bh <= READER.grown * h and bw <= READER.grown * h):
            continue
        inside = pale[by:by + bh, bx:bx + bw] == blobs[0]
        others = set(np.unique(found.labels[by:by + bh, bx:bx + bw][inside])) - {0, *region.ids}
        if not others:
            grown.append(blobs[0])
    return np.isin(pale, grown).astype(np.uint8) if grown else None


def _pale_digit_beside(boxes, box, h):
    """True if a pale digit-sized region at ``box`` is a digit beside the
    ``boxes`` of a number (:func:`pale_digits_beside`)."""
    columns, rows = shared_span(boxes, box, 0), shared_span(boxes, box, 1)
    if ((columns > 0) & (rows > 0)).any():
        return False  # overlaps a region found
    in_band = rows >= 0.5 * np.minimum(boxes[:, 3], box[3])
    before = in_band & (boxes[:, 0] < box[0])
    if (before & (columns <= 0)).any() and (in_band & ~before & (columns <= 0)).any():
        return False  # between two digits found: a loose piece of one, or the pattern behind them
    return bool((in_band & (columns >= -READER.pale_beside * np.maximum(h, boxes[:, 3]))).any())


def reject_and_group(reading, read, check=None):
    """Boxes of the regions finally read, their lines in reading order, and
    the rejected marks (segmentation's, plus the sides of frames,
    show-through, the pieces of a broken rule, a date's
    slashes and the slash of an amount's "/-", lines read
    unsurely beside sure ones and, where the one-digit checker ``check`` is
    given, words and stray marks). Each line is judged as grouped; the
    lines returned join the pieces of a row no gutter parts (:func:`rows_as_lines`)."""
    unchanged = len(read.regions) == len(reading.segmentation.regions) and all(
        a is b for a, b in zip(read.regions, reading.segmentation.regions))
    boxes = reading.boxes if unchanged else np.array([r.box for r in read.regions], np.float64).reshape(-1, 4)
    height = reading.segmentation.digit_height
    order = reading.lines if unchanged else group_lines(boxes, height)
    in_digits = {i for region in read.regions for i in region.ids}
    joined = {f.box for f in reading.segmentation.fragments if f.ids[0] in in_digits}
    rejected = [(box, reason) for box, reason in reading.segmentation.rejected if box not in joined]
    reasons = {i: "line" for i in flat_marks(boxes)}
    reasons.update({i: "border" for i in border_strokes(boxes, order, read.names)})
    reasons.update({i: "border" for i in beyond_borders(boxes, reading.binary.frame)})
    labels = reading.segmentation.labels
    reasons.update({i: "faint" for i in faint_marks(reading.darkness, labels, read.regions)})
    reasons.update({i: "line" for i in rule_pieces(boxes, read.names, rejected, height)})
    reasons.update({i: "line" for i in rule_strokes(reading.darkness, labels, read.regions, read.names, height)})
    if reasons:
        rejected += [(tuple(boxes[i]), reason) for i, reason in sorted(reasons.items())]
        keep = [i for i in range(len(boxes)) if i not in reasons]
        order = [[keep[k] for k in line] for line in group_lines(boxes[keep], height)]
    # Taken out of their line, which stays one.
    slashes = date_slashes(order, read.names, read.crops, boxes) + closing_slashes(order, read.names, read.crops, boxes,
                                                                                   rejected)
    rejected += [(tuple(boxes[i]), "slash") for i in slashes]
    order = [[i for i in line if i not in slashes] for line in order]
    unsure = unsure_lines(order, read.confidences)
    rejected += [(tuple(boxes[i]), "unsure") for k in unsure for i in order[k]]
    order = [line for k, line in enumerate(order) if k not in unsure]
    reasons, words = {k: "edge" for k in cut_by_frame(order, boxes, labels.shape, reading.binary.frame)}, []
    reasons.update({k: "mark" for k in small_lone_marks(order, boxes)})
    if check is not None and len(order) > 1:
        doubts = check(read.crops)
        words = word_lines(order, doubts, read.confidences)
        reasons.update({k: "word" for k in words})
        reasons.update({k: "mark" for k in stray_lines(order, doubts)})
    # A page of nothing but words and stray marks keeps its marks, not its
    # words: a word is never a number, a lone mark may be one.
    gone = beside_other_lines(sorted(reasons), order) or beside_other_lines(words, order)
    rejected += [(tuple(boxes[i]), reasons[k]) for k in gone for i in order[k]]
    order = [line for k, line in enumerate(order) if k not in gone]
    return boxes, rows_as_lines(order, boxes), rejected


def _straight(reading):
    """True unless ``reading``'s lines chain rows together (:func:`line_spread`)."""
    return line_spread(reading.boxes, reading.lines) <= READER.straight_lines


def _sure(reading):
    """How many regions ``reading`` reads surely (``READER.unsure``)."""
    return int(np.sum(reading.read.confidences >= READER.unsure))


def _keeps_sure(levelled, reading):
    """True if ``levelled`` reads surely ``READER.levelled_keeps`` as many
    regions as ``reading`` does."""
    return _sure(levelled) >= READER.levelled_keeps * _sure(reading)


def _gathered(levelled, reading):
    """True if ``levelled`` (straight, :func:`_keeps_sure`) has a line at
    least twice as long as any of ``reading``'s, and of at least four
    digits: a row the tilt broke into pieces (a tilted view groups a steep
    row's digits a few at a time), read whole."""
    longest = [max((len(line) for line in r.lines), default=0) for r in (levelled, reading)]
    return _straight(levelled) and _keeps_sure(levelled, reading) and longest[0] >= max(4, 2 * longest[1])


def _mostly_sure(reading):
    """True if ``reading`` reads ``READER.turned_sure`` of its regions surely."""
    return _sure(reading) >= READER.turned_sure * len(reading.read.confidences)


def _no_worse(levelled, reading, confirmed=False):
    """A levelled reading is kept unless it lost regions read surely, or
    confidence: the tilt estimate was then wrong (a grid's fragments, a lone
    line). Unsure regions do not count: a desk's grain beside a tilted note
    is read as a few, and comes and goes with the turn. Where the tilt is
    ``confirmed`` (two estimates of it agree), a loss of confidence is no
    sign of a wrong turn: the models read digits upright, and a tilted
    view can read a flagged 1 as a sure 7."""
    return _keeps_sure(levelled, reading) and (confirmed or levelled.score >= reading.score - 2 * READER.turn_margin)


def most_upright(reading, turned, ruled=False):
    """Of ``reading`` and its view ``turned`` other ways (levelled, turned
    round), the one read most surely among those whose lines are straight.

    Where a steep rule gave the direction (``ruled``: a margin line, the
    page's own frame, not a column of digits that lines up vertically too),
    a view turned to it that reads as many digits surely as the view as it
    was wins over that one, whatever its score: levelled, the digits stand
    as the models learnt them, and a tilted flagged 1 reads as a sure 7.
    Otherwise a view turned another way must also read most of its
    regions surely (:func:`_mostly_sure`), as a page the right way up
    does: a crop of a number and a stray stroke reads no better one way
    than another, and the likeliest of several unsure views is chance.
    """
    if ruled and (surer := [r for r in turned if _straight(r) and _sure(r) >= _sure(reading)]):
        return max(surer, key=lambda r: r.score)
    options = [reading, *(r for r in turned if _mostly_sure(r))]
    return max([r for r in options if _straight(r)] or options, key=lambda r: r.score)


def turned_is_upright(flipped, reading):
    """True if ``flipped`` (``reading``'s view turned 180 deg) is the right
    way up: read more surely (by ``READER.turn_margin``), with no fewer
    digits read surely (upside down, a digit that is not its own turn
    reads unsurely) and most of its own (:func:`_mostly_sure`: a page the
    right way up reads so, where a few unsure marks, a number and a stray
    stroke, read no better one way than the other), and sitting on a
    baseline: a turned view whose digits hang from their tops is taken
    only if it is read far more surely."""
    if _sure(flipped) < _sure(reading) or not _mostly_sure(flipped):
        return False
    if flipped.hangs_from_tops() and flipped.score <= reading.score + 5 * READER.turn_margin:
        return False
    return flipped.score > reading.score + READER.turn_margin


def _to_original(corners, s, original_size):
    """Working-resolution (x0, y0, x1, y1) -> integer box in the original image, clipped."""
    width, height = original_size
    x0, y0 = max(0, int(np.floor(corners[0] * s))), max(0, int(np.floor(corners[1] * s)))
    x1 = min(width, int(np.ceil(corners[2] * s)))
    y1 = min(height, int(np.ceil(corners[3] * s)))
    return (x0, y0, x1 - x0, y1 - y0)


class _Clock:
    """Milliseconds per stage, plus the total."""

    def __init__(self):
        self.start = self.last = time.perf_counter()
        self.laps = {}

    def lap(self, name):
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + (now - self.last) * 1000.0
        self.laps["total"] = (now - self.start) * 1000.0
        self.last = now
