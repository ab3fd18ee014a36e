#!/usr/bin/env python
"""Read real photos again after the changes a photographer makes, and print
how many that were read exactly still are.

    python benchmarks/perturb_real.py ../shared/datasets/real-dev/photos/truth.json
    python benchmarks/perturb_real.py TRUTH.json --changes tilt8 desk35 --json runs/perturb.json

Each image of the truth file (the format of ``benchmarks/score_real.py``)
that the reader reads exactly as it is, is read again tilted, at half its
size, recompressed, dimmed, shaded from one side, and laid on a dark desk
(``digit_sheet_reader.synth.hard_cases.desk_texture``) at 0, 15 and 35
degrees (and, asked for with ``--changes note20``, on yellow paper on a
desk at 20 degrees: a sticky note on wood; with ``lightdesk10``, on a
desk half as bright as the paper, light wood or a grey table, at 10;
with ``smallnote16``, small on a wide desk, a third of a 16 MP frame
across, at 10; with ``shadow``, under a phone's sharp-edged shadow over
its left part; with ``blur``, out of focus, a Gaussian blur a thousandth of
its side; with ``glare``, under a veil of glare that leaves 0.55 of the
contrast). A reading that holds only for the photo as it was taken
is a constant fitted to it: these figures say whether a mechanism holds
for the next photo, which is tilted more, smaller, or on another desk. Prints, per
change, the images still read exactly out of those read exactly as they
are, and each one lost. The changed images live in memory only.

With ``--strips M [M ...]``, each line of those images is also cut out
with a margin of M times its height around its box and read alone, as a
cropped form field or a cheque amount is: prints, per margin, the strips
whose digits are read as the line's; ``--json`` keeps each strip's truth
and reading too ("strip M line K"). With ``--cells`` too, each strip is
also read as a table cell cut out of a scan: inside the cell's dark
borders (darker than the pen, as printed rules are), then with a scan's
black margin beside them as well ("cell M line K", "margin M line K").
With ``--patterned`` too, each strip is also read printed over a cheque's
pale coloured guilloche (``over_guilloche``, half strength: "pattern M
line K").
"""

import sys
import time
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from digit_sheet_reader.errors import command_parser, run_cli
from digit_sheet_reader.synth.hard_cases import desk_texture, over_guilloche
from digit_sheet_reader.synth.scoring import digits_only, real_page_errors

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for benchmarks.score_real
from benchmarks.score_real import load_truth, write_json  # noqa: E402


def tilted(image, angle):
    """``image`` turned ``angle`` degrees on a canvas grown to hold it, the corners paper-coloured."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    c, s = abs(np.cos(np.radians(angle))), abs(np.sin(np.radians(angle)))
    size = (int(w * c + h * s) + 2, int(w * s + h * c) + 2)
    matrix[:, 2] += (np.array(size) - [w, h]) / 2
    paper = [float(v) for v in np.percentile(image.reshape(-1, 3), 90, axis=0)]
    return cv2.warpAffine(image, matrix, size, borderValue=paper)


def on_desk(image, angle, rng, margin=0.35, lit=None):
    """``image`` laid on a dark desk ``margin`` of its longer side wide all round, turned ``angle`` degrees;
    with ``lit``, on a lighter desk (light wood, a grey table) whose mean brightness is that share of
    the paper's (the 90th percentile of ``image``'s), as the same light falls on both."""
    h, w = image.shape[:2]
    pad = int(margin * max(h, w))
    size = (w + 2 * pad, h + 2 * pad)
    matrix = cv2.getRotationMatrix2D((size[0] / 2, size[1] / 2), angle, 1.0)
    placed = cv2.warpAffine(cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT), matrix, size)
    inside = cv2.warpAffine(np.pad(np.full((h, w), 255, np.uint8), pad), matrix, size) > 127
    desk = desk_texture(size[1], size[0], rng)
    if lit is not None:
        paper = np.percentile(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), 90)
        desk *= lit * paper / max(float(cv2.cvtColor(desk, cv2.COLOR_BGR2GRAY).mean()), 1.0)
    photo = np.clip(desk, 0, 255).astype(np.uint8)
    photo[inside] = placed[inside]
    return photo


def at_megapixels(image, megapixels):
    """``image`` resized to about ``megapixels`` million pixels (a phone's frame size)."""
    factor = (megapixels * 1e6 / (image.shape[0] * image.shape[1])) ** 0.5
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=interpolation)


def shaded(image, darkest=0.5):
    """``image`` lit from its right: brightness falls to ``darkest`` at the left edge."""
    ramp = np.linspace(darkest, 1.0, image.shape[1], dtype=np.float32)[None, :, None]
    return (image.astype(np.float32) * ramp).astype(np.uint8)


def cast_shadow(image, darkest=0.55):
    """``image`` under the sharp-edged shadow of a phone held over its left part: a slanted
    edge from 45 % of the width at the top to 30 % at the bottom, the light falling to ``darkest``."""
    h, w = image.shape[:2]
    shade = np.ones((h, w), np.float32)
    cv2.fillConvexPoly(shade, np.int32([[0, 0], [0.45 * w, 0], [0.3 * w, h], [0, h]]), darkest)
    shade = cv2.GaussianBlur(shade, (0, 0), max(h, w) / 300)  # a penumbra a few pixels wide
    return (image.astype(np.float32) * shade[..., None]).astype(np.uint8)


def blurred(image, share=0.001):
    """``image`` out of focus: a Gaussian blur whose sigma is ``share`` of its longer side."""
    return cv2.GaussianBlur(image, (0, 0), share * max(image.shape[:2]))


def under_glare(image, contrast=0.55):
    """``image`` under a veil of glare (a glossy page, a hazy lens, an overexposed
    phone photo): every pixel's distance below white shrunk to ``contrast`` of it."""
    return (255 - (255 - image.astype(np.float32)) * contrast).astype(np.uint8)


def yellowed(image):
    """``image`` on yellow paper: its blue weakened, its green a little (a sticky note's tint)."""
    return (image.astype(np.float32) * np.float32([0.55, 0.95, 1.0])).astype(np.uint8)


def recompressed(image, quality=30):
    return cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR)


def in_cell(image):
    """``image`` inside a cell's borders: a dark line (40 grey levels) a 30th of its height thick, all round."""
    framed = image.copy()
    width = max(2, image.shape[0] // 30)
    framed[:width] = framed[-width:] = framed[:, :width] = framed[:, -width:] = 40
    return framed


def beside_scan_margin(image):
    """``image`` with a scan's black margin, a 12th of its width, on its left."""
    margin = np.full((image.shape[0], max(4, image.shape[1] // 12), 3), 15, np.uint8)
    return np.hstack([margin, image])


def strip_of(image, box, margin):
    """The line ``box`` (x, y, w, h) cut out of ``image`` with ``margin`` times its height around it."""
    x, y, w, h = (int(v) for v in box)
    pad = int(margin * h)
    return image[max(0, y - pad):y + h + pad, max(0, x - pad):x + w + pad]


CHANGES = {
    "tilt8": lambda image, rng: tilted(image, 8),
    "tilt-20": lambda image, rng: tilted(image, -20),
    "half": lambda image, rng: cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
    "jpeg30": lambda image, rng: recompressed(image),
    "dim": lambda image, rng: (image.astype(np.float32) * 0.55).astype(np.uint8),
    "shade": lambda image, rng: shaded(image),
    "desk0": lambda image, rng: on_desk(image, 0, rng),
    "desk15": lambda image, rng: on_desk(image, 15, rng),
    "desk35": lambda image, rng: on_desk(image, 35, rng),
}
# Not among the defaults, which keep the figures comparable from round to round.
MORE_CHANGES = {
    "note20": lambda image, rng: on_desk(yellowed(image), 20, rng),  # a yellow note on a wooden desk
    "lightdesk10": lambda image, rng: on_desk(image, 10, rng, lit=0.5),  # light wood, half the paper's brightness
    # A note a third of a 16 MP frame wide: a desk as wide as the photo all round.
    "smallnote16": lambda image, rng: at_megapixels(on_desk(image, 10, rng, margin=1.0), 16),
    "shadow": lambda image, rng: cast_shadow(image),  # a phone's shadow across the page, its edge sharp
    "blur": lambda image, rng: blurred(image),  # out of focus
    "glare": lambda image, rng: under_glare(image),  # pale ink on paler paper
}
ALL_CHANGES = {**CHANGES, **MORE_CHANGES}


def main(argv=None):
    parser = command_parser(__doc__)
    parser.add_argument("truth", help="truth file in the real-dev format")
    parser.add_argument("--changes", nargs="+", choices=sorted(ALL_CHANGES), default=list(CHANGES),
                        help="changes to make (default: all but %s)" % ", ".join(MORE_CHANGES))
    parser.add_argument("--seed", type=int, default=0, help="seed of the desks (default: %(default)s)")
    parser.add_argument("--json", help="also write each image's readings here")
    parser.add_argument("--strips", nargs="+", type=float, default=[], metavar="M",
                        help="also read each line cut out with this margin (times its height)")
    parser.add_argument("--cells", action="store_true",
                        help="with --strips: also read each strip inside a cell's borders, and with a scan's margin beside them")
    parser.add_argument("--patterned", action="store_true",
                        help="with --strips: also read each strip printed over a cheque's pale guilloche")
    args = parser.parse_args(argv)
    if (args.cells or args.patterned) and not args.strips:
        parser.error("--cells and --patterned read the strips: give --strips M too")

    from digit_sheet_reader import SheetReader

    reader = SheetReader()
    kept = {change: 0 for change in args.changes}
    lost = {change: [] for change in args.changes}
    cuts = {"strip": lambda strip: strip}
    if args.cells:
        cuts.update(cell=in_cell, margin=lambda strip: beside_scan_margin(in_cell(strip)))
    if args.patterned:
        # The same pattern for a strip of the same size, whichever cuts are read.
        cuts.update(pattern=lambda strip: over_guilloche(strip, np.random.default_rng([args.seed, *strip.shape[:2]])))
    strips = {(cut, margin): [0, 0] for cut in cuts for margin in args.strips}  # -> [read as the line, strips]
    readings, exact, started = {}, 0, time.perf_counter()
    for name, path, truth in tqdm(load_truth(args.truth), file=sys.stderr):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        as_is = [] if image is None else reader.read(image).to_dict()["lines"]
        if image is None or real_page_errors(truth, as_is)[0]:
            continue  # not read exactly as it is: nothing to keep
        exact += 1
        readings[name] = {}
        for (cut, margin), counts in strips.items():
            for k, line in enumerate(as_is):
                read = reader.read(cuts[cut](strip_of(image, line["box"], margin))).to_dict()["lines"]
                text = " / ".join(r["text"] for r in read)
                readings[name][f"{cut} {margin:g} line {k + 1}"] = {"truth": line["text"], "read": text}
                counts[0] += digits_only(text) == digits_only(line["text"])
                counts[1] += 1
        rng = np.random.default_rng([args.seed, exact])  # each image its own desks, whichever changes are made
        for change in args.changes:
            lines = reader.read(ALL_CHANGES[change](image, rng)).to_dict()["lines"]
            readings[name][change] = "\n".join(line["text"] for line in lines)
            if real_page_errors(truth, lines)[0]:
                lost[change].append(name)
            else:
                kept[change] += 1
    print(f"{args.truth}: {exact} images read exactly as they are ({time.perf_counter() - started:.0f} s)")
    for change in args.changes:
        print(f"  {change:8s} {kept[change]}/{exact} still read exactly" +
              (f"; lost: {', '.join(Path(n).name for n in lost[change])}" if lost[change] else ""))
    total = sum(kept.values())
    print(f"  all      {total}/{exact * len(args.changes)} ({total / max(1, exact * len(args.changes)):.3f})")
    said = {"strip": "", "cell": ", in a cell's borders", "margin": ", in a cell's borders beside a scan's margin",
            "pattern": ", over a cheque's guilloche"}
    for (cut, margin), (read, count) in strips.items():
        print(f"  strips cut {margin:g} line heights around{said[cut]}: {read}/{count} read as the line")
    if args.json:
        write_json(args.json, readings)
    return 0


if __name__ == "__main__":
    run_cli(main)
