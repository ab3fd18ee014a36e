"""Score pages read by the reader against ground truth (the benchmarks).

Synthetic sheets, whose truth has every digit's box (:class:`Tally`),
summed over a set of sheets:

- digit recall / precision: truth and predicted boxes matched one-to-one
  by intersection over union (>= 0.3, greedy by best IoU);
- label accuracy: matched digits whose label is right;
- CER: edit distance between page texts (lines joined by newlines) over
  the truth's length;
- line exact: truth lines whose text appears among the predicted lines
  (each predicted line used once);
- sheet exact: pages whose whole text is right.

Real photos, whose truth is only the text of each line (:func:`real_page_errors`):
digits only are compared; truth lines and read lines are matched in
whatever order costs the fewest edits, and read lines that share a row
(their boxes overlap vertically by half) may be joined left to right, as
``../shared/tools/real_check.py`` scores them.
"""

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz.distance import Levenshtein
from scipy.optimize import linear_sum_assignment

MIN_IOU = 0.3


def intersection(a, b):
    """Area shared by two (x, y, w, h) boxes."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy


def iou(a, b):
    """Intersection over union of two (x, y, w, h) boxes."""
    inter = intersection(a, b)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def match_boxes(truth, predicted, min_iou=MIN_IOU):
    """One-to-one (truth index, predicted index) pairs, best IoU first."""
    pairs = sorted(((iou(t, p), i, j) for i, t in enumerate(truth) for j, p in enumerate(predicted)), reverse=True)
    used_t, used_p, matches = set(), set(), []
    for score, i, j in pairs:
        if score < min_iou:
            break
        if i not in used_t and j not in used_p:
            used_t.add(i)
            used_p.add(j)
            matches.append((i, j))
    return matches


@dataclass
class Tally:
    """Running sums for one group of sheets (a tier, or all)."""

    sheets: int = 0
    sheets_exact: int = 0
    truth_digits: int = 0
    predicted_digits: int = 0
    matched: int = 0
    labels_right: int = 0
    chars: int = 0
    edits: int = 0
    truth_lines: int = 0
    lines_exact: int = 0
    seconds: float = 0.0
    failures: list = field(default_factory=list)

    def add(self, truth, page_dict, seconds, name=""):
        """Add one sheet: ``truth`` as written by the generator, ``page_dict`` from ``Page.to_dict()``."""
        t_boxes = [b for line in truth["lines"] for b in line["boxes"]]
        t_labels = "".join(line["text"] for line in truth["lines"])
        p_digits = [d for line in page_dict["lines"] for d in line["digits"]]
        matches = match_boxes(t_boxes, [d["box"] for d in p_digits])
        t_text = "\n".join(line["text"] for line in truth["lines"])
        # The generator writes no groups: a line's digits are compared, not the spaces between its groups.
        read_lines = [digits_only(line["text"]) for line in page_dict["lines"]]
        p_text = "\n".join(read_lines)
        remaining = list(read_lines)
        for line in truth["lines"]:
            if line["text"] in remaining:
                remaining.remove(line["text"])
                self.lines_exact += 1
        self.sheets += 1
        self.sheets_exact += t_text == p_text
        if t_text != p_text:
            self.failures.append(name)
        self.truth_digits += len(t_boxes)
        self.predicted_digits += len(p_digits)
        self.matched += len(matches)
        self.labels_right += sum(t_labels[i] == p_digits[j]["label"] for i, j in matches)
        self.chars += len(t_text)
        self.edits += Levenshtein.distance(t_text, p_text)
        self.truth_lines += len(truth["lines"])
        self.seconds += seconds

    def summary(self):
        def ratio(a, b):
            return a / b if b else float("nan")

        return {
            "sheets": self.sheets,
            "recall": ratio(self.matched, self.truth_digits),
            "precision": ratio(self.matched, self.predicted_digits),
            "label_accuracy": ratio(self.labels_right, self.matched),
            "cer": ratio(self.edits, self.chars),
            "line_exact": ratio(self.lines_exact, self.truth_lines),
            "sheet_exact": ratio(self.sheets_exact, self.sheets),
            "seconds_per_sheet": ratio(self.seconds, self.sheets),
        }


def format_table(summaries):
    """A plain-text table of {group: summary} rows."""
    columns = ["sheets", "recall", "precision", "label_accuracy", "cer", "line_exact", "sheet_exact", "seconds_per_sheet"]
    width = max([8] + [len(name) + 1 for name in summaries])
    header = f"{'group':<{width}}" + "".join(f"{c:>18}" for c in columns)
    rows = [header]
    for name, s in summaries.items():
        cells = "".join(f"{s[c]:>18d}" if isinstance(s[c], int) else f"{s[c]:>18.3f}" for c in columns)
        rows.append(f"{name:<{width}}{cells}")
    return "\n".join(rows)


def compare_runs(before, after):
    """Two runs sheet by sheet: ``{tier: (gained, lost)}``, the names of the
    sheets ``after`` reads exactly and ``before`` does not, and the other
    way round, over the sheets both read. Runs are ``{name: {"truth",
    "read"}}`` with names ``tier/file`` (``score_sheets.py --texts``), and
    an ``"exact"`` flag where reading exactly is not the texts being equal
    (``score_real.py``: lines in any order).

    >>> before = {"clean/1": {"truth": "12", "read": "12"}, "clean/2": {"truth": "3", "read": "8"}}
    >>> compare_runs(before, {"clean/1": {"truth": "12", "read": "17"}, "clean/2": {"truth": "3", "read": "3"}})
    {'clean': (['clean/2'], ['clean/1'])}
    """
    changes = defaultdict(lambda: ([], []))
    for name in sorted(before.keys() & after.keys()):
        was, now = (run[name].get("exact", run[name]["read"] == run[name]["truth"]) for run in (before, after))
        if was != now:
            changes[name.split("/")[0]][0 if now else 1].append(name)
    return dict(changes)


def digits_only(text):
    """The digits of ``text`` alone (a read line's group spaces and separators dropped)."""
    return "".join(c for c in str(text) if c.isdigit())


def read_rows(lines):
    """Read lines (``Page.to_dict()["lines"]``) that share a row joined left
    to right: two lines share a row where their boxes overlap vertically by
    half the shorter one's height.

    >>> read_rows([{"text": "12", "box": [0, 0, 20, 10]}, {"text": "34", "box": [40, 2, 20, 10]},
    ...            {"text": "5", "box": [0, 30, 10, 10]}])
    ['1234', '5']
    """
    lines = [line for line in lines if digits_only(line["text"])]
    rows = []
    for line in sorted(lines, key=lambda line: line["box"][1] + line["box"][3] / 2):
        x, y, w, h = line["box"]
        for row in rows:
            if min(y + h, row[1]) - max(y, row[0]) >= 0.5 * min(h, row[1] - row[0]):
                row[2].append(line)
                row[0], row[1] = min(row[0], y), max(row[1], y + h)
                break
        else:
            rows.append([y, y + h, [line]])
    return ["".join(digits_only(line["text"]) for line in sorted(row[2], key=lambda line: line["box"][0]))
            for row in rows]


def matched_errors(truth, read):
    """(edits, truth lines read exactly) with truth and read lines matched
    one to one at the fewest edits; a line left unmatched costs its length.

    >>> matched_errors(["123", "45"], ["45", "128"])
    (1, 1)
    >>> matched_errors(["123"], [])
    (3, 0)
    """
    if not truth or not read:
        return sum(map(len, truth)) + sum(map(len, read)), 0
    cost = np.array([[Levenshtein.distance(t, r) for r in read] for t in truth])
    rows, cols = linear_sum_assignment(cost)
    edits = int(cost[rows, cols].sum())
    edits += sum(len(truth[i]) for i in set(range(len(truth))) - set(rows.tolist()))
    edits += sum(len(read[j]) for j in set(range(len(read))) - set(cols.tolist()))
    return edits, int((cost[rows, cols] == 0).sum())


def real_page_errors(truth_lines, page_lines):
    """(edits, characters, truth lines read exactly) for one real image:
    its true ``lines`` (digit strings) against the reader's lines, read
    as they are or joined row by row, whichever errs less.

    >>> page = [{"text": "31", "box": [0, 0, 20, 10]}, {"text": "12", "box": [30, 1, 20, 10]}]
    >>> real_page_errors(["3112"], page)   # one row, read as two lines
    (0, 4, 1)
    """
    truth = [digits_only(line) for line in truth_lines]
    as_read = [digits_only(line["text"]) for line in page_lines if digits_only(line["text"])]
    edits, exact = min(matched_errors(truth, as_read), matched_errors(truth, read_rows(page_lines)),
                       key=lambda result: (result[0], -result[1]))
    return edits, sum(map(len, truth)), exact
