"""Read handwritten digits from a photo or scan of a paper sheet.

Prints one line of text per line of digits, in reading order. The sheet
may lie on a desk, be tilted or turned by 90/180/270 degrees: it is found,
warped and turned upright first. With -o the photo is written back with a
box, label and confidence colour per digit and a frame per line; without
-o nothing is written.

Ruled tables and grids (a marks list, a log, a sudoku) are read cell by
cell: the text output prints each table as rows of tab-separated cells
(an empty cell as "."), --json gives every cell with its row, column and
box, and --csv FILE writes each table as CSV.

A PDF or a multi-page TIFF is read page by page: the text output heads
each page with "--- page N ---", --json prints one document
{"image": ..., "pages": [...]}, and -o writes one annotated image a page.

With --out DIR, -i may be a folder (walked recursively), a glob pattern or
a .txt list of paths: every image is read in parallel into DIR (per-image
JSON and annotated PNG, results.jsonl, results.csv); re-running resumes.

exit codes: 0 read (a blank page is not an error), 2 usage, 4 model problem,
5 image problem, 6 cannot write the output (or another batch is writing
there), 7 batch done but some images failed (see DIR/results.csv), 8 an
optional package is needed (the message says which extra to install),
9 the page holds far more marks than a sheet of digits, 10 the Dask
scheduler cannot be reached, 11 --layout table and no table was found.
"""

import json
import os
import sys

from .errors import ImageError, command_parser, run_cli
from .io import DEFAULT_DPI
from .models.shipped import resolve_model
from .pipeline import LAYOUTS

EXAMPLE = """examples:
  %(prog)s -i examples/sheet.jpg
  %(prog)s -i photo.jpg -m output/mnist_mlp.model -o annotated.png
  %(prog)s -i photo.jpg --json > result.json
  %(prog)s -i marks_list.jpg --csv marks.csv
  %(prog)s -i scans/ --out results/ --workers 4
  %(prog)s -i "scans/**/*.jpg" --out results/ --no-images --scheduler tcp://scheduler:8786"""


def build_parser(prog=None):
    parser = command_parser(__doc__, EXAMPLE, prog)
    parser.add_argument("-i", "--image", required=True,
                        help="photo or scan (JPEG, PNG, BMP, TIFF, WebP), or a PDF or multi-page TIFF (every page is "
                             "read); with --out also a folder, glob or .txt list")
    parser.add_argument("-m", "--model", default="output/mnist_cnn.model",
                        help="model bundle (default: %(default)s; output/mnist_mlp.model also ships)")
    parser.add_argument("-o", "--output", help="write the annotated image here (.png or .jpg)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document (lines, digits, boxes, confidences, the page's rotation and skew, "
                             "marks rejected as not digits, timings) instead of text")
    parser.add_argument("--layout", choices=LAYOUTS, default="auto",
                        help="auto: read ruled tables cell by cell where found, the rest as lines (default); "
                             "lines: everything as lines; table: insist on a table (exit 11 if none)")
    parser.add_argument("--separators", action="store_true",
                        help="print the separators written between groups of digits (31/12/1999, 12.50, 020-7946) "
                             "instead of a space")
    parser.add_argument("--csv", metavar="FILE",
                        help="write each table as CSV: FILE, then FILE_2, ... (batch mode writes one per image)")
    parser.add_argument("--dpi", type=float, default=DEFAULT_DPI,
                        help="resolution PDF pages are rendered at (default: %(default)s)")
    parser.add_argument("--show", action="store_true", help="show the annotated image in a window, if a GUI is available")
    parser.add_argument("--runtime", choices=["auto", "litert", "keras"], default="auto",
                        help="inference runtime (default: LiteRT when available, else Keras)")
    batch = parser.add_argument_group("batch mode (with --out)")
    batch.add_argument("--out", help="read every image of -i into this folder (resumable)")
    batch.add_argument("--workers", type=int, help="worker processes (default: number of cores)")
    batch.add_argument("--no-images", action="store_true", help="skip the annotated PNGs (much faster)")
    batch.add_argument("--force", action="store_true", help="read everything again, ignoring earlier results")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.add_argument("--scheduler", help="run on Dask: 'local' starts a LocalCluster, or tcp://HOST:8786")
    batch.add_argument("--timeout", type=float, default=300,
                       help="seconds one image may take before it is recorded as failed and its worker killed "
                            "(default: %(default)s; local workers only)")
    return parser


def show(image):
    """Open a window where a GUI exists; otherwise say so in one line."""
    import cv2

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform in ("win32", "darwin")):
        print("--show: no display available; use -o annotated.png instead", file=sys.stderr)
        return
    try:
        cv2.imshow("Digit Sheet Reader", image)
        cv2.waitKey(0)
        cv2.destroyAllWindows()
    except cv2.error:
        print("--show: this OpenCV build has no GUI (headless); use -o annotated.png instead", file=sys.stderr)


def main_batch(args, parser):
    from .batch import run_batch
    from .errors import BATCH_PARTIAL_FAILURE
    from .pipeline.reader import SheetReader

    if args.output or args.json or args.show or args.csv or args.separators:
        parser.error("-o, --json, --csv, --separators and --show are for one image; batch mode writes into --out")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.timeout is not None and args.timeout <= 0:
        parser.error("--timeout must be more than 0 seconds")
    # Every model loaded once here: a bad one fails once (exit 4), a missing helper is said once.
    models = SheetReader(resolve_model(args.model), args.runtime).models
    total, failed, skipped = run_batch(args.image, args.out, models, args.runtime, args.workers,
                                       images=not args.no_images, force=args.force, quiet=args.quiet,
                                       scheduler=args.scheduler, model_label=args.model, timeout=args.timeout,
                                       layout=args.layout, dpi=args.dpi)
    print(f"{total} images: {total - failed} read, {failed} failed, {skipped} already done earlier; "
          f"results in {os.path.join(args.out, 'results.csv')}", file=sys.stderr)
    return BATCH_PARTIAL_FAILURE if failed else 0


def main(argv=None, prog=None):
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.dpi <= 0:
        parser.error("--dpi must be more than 0")
    if args.out:
        return main_batch(args, parser)
    if os.path.isdir(args.image):
        raise ImageError(f"{args.image}: is a directory; to read every image in it, add --out DIR")
    from .io.atomic import numbered_paths, save_numbered
    from .io.draw import annotate
    from .io.images import save_image
    from .pipeline.reader import SheetReader
    from .pipeline.result import collect, to_json

    reader = SheetReader(resolve_model(args.model), args.runtime, layout=args.layout)

    def each(page, number):  # while the page (and its image) is held
        if args.output or args.show:
            annotated = annotate(page.work_image, page, page.work_scale)
            if args.output:
                save_image(numbered_paths(args.output, number)[-1], annotated)
            if args.show:
                show(annotated)
        if not args.json:
            if page.page is not None:  # a PDF or a multi-page TIFF
                print(f"--- page {page.page} ---")
            if page.lines or page.tables:
                print(page.render_text(args.separators))
            else:
                print("(no digits found)", file=sys.stderr)

    documents, tables = collect(reader.read_document(args.image, dpi=args.dpi), args.model, each)
    if args.csv:
        if not tables:
            print(f"--csv: no table found, {args.csv} not written", file=sys.stderr)
        save_numbered(args.csv, tables)
    if args.json:
        print(json.dumps(to_json(args.image, documents)))
    return 0


def run(prog=None):
    """The console entry point (``digit-sheet-reader``, ``python -m digit_sheet_reader``, ``recognize.py``)."""
    run_cli(lambda argv: main(argv, prog))
