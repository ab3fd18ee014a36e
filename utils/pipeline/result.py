"""What the reader returns: a small tree Page -> Line -> Digit, plus the
marks rejected as not digits (Page -> Rejected).

Boxes are axis-aligned ``(x, y, width, height)`` in the original image's
pixels, however the page lay in it (``Page.rotation`` and ``Page.skew``).
:meth:`Page.to_dict` gives exactly the JSON that ``recognize.py --json``
prints.

Examples
--------
>>> page = Page("sheet.png", (640, 480), "output/mnist_cnn.model",
...             [Line([Digit("4", 0.99, (10, 10, 20, 30)), Digit("2", 0.97, (35, 12, 18, 29))])])
>>> page.text
'42'
>>> page.lines[0].box
(10, 10, 43, 31)
"""

import csv
import io
from dataclasses import dataclass, field


def union_box(boxes):
    """Smallest ``(x, y, w, h)`` that holds every box."""
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


@dataclass
class Digit:
    """One recognised digit."""

    label: str
    confidence: float
    box: tuple
    # The 28x28 crop the recogniser read (white ink on black), or None; not
    # part of the JSON. Shows what a misread digit looked like, and lets
    # training learn from crops cut the way the reader cuts them.
    crop: object = field(default=None, repr=False, compare=False)

    def to_dict(self):
        return {"label": self.label, "confidence": round(float(self.confidence), 4), "box": [int(v) for v in self.box]}


@dataclass
class Rejected:
    """A mark that is not a digit (dot, comma, dash, line, border, page edge)."""

    box: tuple
    reason: str

    def to_dict(self):
        return {"box": [int(v) for v in self.box], "reason": self.reason}


@dataclass
class Group:
    """Digits of a line that belong together (``020`` of ``020 7946 0958``),
    and the separator before them: ``""`` for a line's first group, ``" "``
    after a clear gap, or the mark written (``-``, ``.``, ``:``)."""

    digits: list
    separator: str = ""

    @property
    def text(self):
        return "".join(d.label for d in self.digits)

    def to_dict(self):
        return {"text": self.text, "box": [int(v) for v in union_box([d.box for d in self.digits])],
                "separator": self.separator}


@dataclass
class Line:
    """Digits of one line, left to right, and where they break into groups.

    ``starts`` maps the position of each digit that starts a new group to
    the separator before it (see :class:`Group`). ``text`` keeps groups
    apart with one space; ``written`` shows the separator marks as written.

    Examples
    --------
    >>> digits = [Digit(c, 0.9, (10 * i, 0, 8, 12)) for i, c in enumerate("311299")]
    >>> line = Line(digits, {2: "/", 4: "/"})
    >>> line.text, line.written, [g.text for g in line.groups]
    ('31 12 99', '31/12/99', ['31', '12', '99'])
    """

    digits: list
    starts: dict = field(default_factory=dict)

    @property
    def groups(self):
        edges = [0, *sorted(self.starts), len(self.digits)]
        return [Group(self.digits[a:b], self.starts.get(a, "")) for a, b in zip(edges, edges[1:])]

    @property
    def text(self):
        return " ".join(g.text for g in self.groups)

    @property
    def written(self):
        return "".join(g.separator + g.text for g in self.groups)

    @property
    def box(self):
        return union_box([d.box for d in self.digits])

    def to_dict(self):
        return {"text": self.text, "box": [int(v) for v in self.box], "digits": [d.to_dict() for d in self.digits],
                "groups": [g.to_dict() for g in self.groups]}


@dataclass
class Cell:
    """One cell of a table: its text (``""`` when empty) and where it lies.

    ``confidence`` is the product of its digits' (None for an empty cell);
    ``flags`` say when the text is not a plain value: ``candidates`` (small
    pencilled digits), ``not_digit`` (a mark that is no digit),
    ``unsure`` (a digit read unsurely).
    """

    row: int
    col: int
    text: str
    confidence: object
    box: tuple
    corners: list
    flags: list = field(default_factory=list)
    read: str = ""

    def to_dict(self):
        return {"row": self.row, "col": self.col, "text": self.text, "read": self.read, "confidence": self.confidence,
                "box": [int(v) for v in self.box], "corners": self.corners, "flags": list(self.flags)}


@dataclass
class Table:
    """A ruled table: rows and columns counted from its top-left as it reads
    upright, ``turn`` degrees counter-clockwise from how it lies in the image."""

    rows: int
    cols: int
    box: tuple
    corners: list
    cells: list
    turn: int = 0

    def cell(self, row, col):
        return self.cells[row * self.cols + col]

    def grid(self):
        """The cells' texts as a list of rows."""
        return [[self.cell(r, c).text for c in range(self.cols)] for r in range(self.rows)]

    def to_csv(self):
        """The cells' texts as CSV text, a row per table row (empty cells empty).

        Examples
        --------
        >>> cells = [Cell(r, c, t, None, (0, 0, 1, 1), []) for (r, c), t in
        ...          zip([(0, 0), (0, 1), (1, 0), (1, 1)], ["12", "", "7", "3"])]
        >>> print(Table(2, 2, (0, 0, 2, 2), [], cells).to_csv(), end="")
        12,
        7,3
        """
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(self.grid())
        return out.getvalue()

    def to_dict(self):
        return {"rows": self.rows, "cols": self.cols, "box": [int(v) for v in self.box], "corners": self.corners,
                "turn": self.turn, "cells": [c.to_dict() for c in self.cells]}


@dataclass
class Page:
    """Everything read from one image, lines in reading order."""

    image: str
    size: tuple
    model: str
    lines: list = field(default_factory=list)
    timing_ms: dict = field(default_factory=dict)
    # The working image the boxes were found in, and original pixels per
    # working pixel: for drawing; not part of the exported result.
    work_image: object = field(default=None, repr=False, compare=False)
    work_scale: float = field(default=1.0, repr=False, compare=False)
    # How the page lay in the photo, counter-clockwise: a quarter turn
    # (0, 90, 180, 270) and a tilt in degrees on top of it.
    rotation: int = 0
    skew: float = 0.0
    rejected: list = field(default_factory=list)
    # What the reader could not do as it should (a helper model missing ...): also said on stderr.
    warnings: list = field(default_factory=list)
    # The model bundles read with, by role (see ModelSet); None where a helper was not asked.
    models: dict = field(default_factory=dict)
    tables: list = field(default_factory=list)
    page: object = None  # the page number (from 1) in a PDF or multi-page TIFF; None for an image

    @property
    def text(self):
        """Lines joined by newlines (groups apart by a space), then each
        table after a blank line: a row per line, cells separated by tabs,
        an empty cell as ``.``."""
        return self.render_text()

    def render_text(self, separators=False):
        """:attr:`text`, with ``separators`` the lines as written (``31/12/1999``)."""
        parts = [line.written if separators else line.text for line in self.lines]
        for table in self.tables:
            parts += [""] * bool(parts) + ["\t".join(cell or "." for cell in row) for row in table.grid()]
        return "\n".join(parts)

    @property
    def digits(self):
        return [d for line in self.lines for d in line.digits]


    def to_dict(self):
        number = {} if self.page is None else {"page": int(self.page)}
        return {
            "image": self.image,
            **number,
            "size": [int(v) for v in self.size],
            "model": self.model,
            "rotation": int(self.rotation),
            "skew": float(self.skew),
            "lines": [line.to_dict() for line in self.lines],
            "tables": [table.to_dict() for table in self.tables],
            "rejected": [r.to_dict() for r in self.rejected],
            "timing_ms": {k: round(float(v), 1) for k, v in self.timing_ms.items()},
            "warnings": list(self.warnings),
            "models": dict(self.models),
        }


def to_json(image, pages):
    """The JSON document of one input from its pages' :meth:`Page.to_dict`:
    the page's own for an image; for a PDF or a multi-page TIFF (pages
    numbered), ``{"image": image, "pages": [...]}``."""
    if len(pages) == 1 and "page" not in pages[0]:
        return pages[0]
    return {"image": image, "pages": list(pages)}


def collect(pages, model, each=None):
    """Go through ``pages`` (:meth:`SheetReader.read_document`'s generator)
    once: their JSON dicts (``model`` named in each) and their tables as CSV
    texts, calling ``each(page, number)`` on every page while it is held
    (to draw it: a long PDF's pages are never all in memory)."""
    documents, tables = [], []
    for page in pages:
        page.model = model
        documents.append(page.to_dict())
        tables += [table.to_csv() for table in page.tables]
        if each is not None:
            each(page, len(documents))
    return documents, tables
