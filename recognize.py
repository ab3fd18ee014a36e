#!/usr/bin/env python
"""Read handwritten digits from a photo or scan of a paper sheet.

Prints one line of text per line of digits, in reading order. With -o the
photo is written back with a box, label and confidence colour per digit
and a frame per line; without -o nothing is written.

exit codes: 0 read (a blank page is not an error), 2 usage, 4 model problem,
5 image problem, 6 cannot write the output.
"""

import argparse
import json
import os
import sys

from utils.errors import run_cli

EXAMPLE = """examples:
  python recognize.py -i examples/sheet.jpg
  python recognize.py -i photo.jpg -m output/mnist_mlp.model -o annotated.png
  python recognize.py -i photo.jpg --json > result.json"""


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-i", "--image", required=True, help="photo or scan (JPEG, PNG, BMP, TIFF, WebP)")
    parser.add_argument("-m", "--model", default="output/mnist_cnn.model",
                        help="model bundle (default: %(default)s; output/mnist_mlp.model also ships)")
    parser.add_argument("-o", "--output", help="write the annotated image here (.png or .jpg)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document (lines, digits, boxes, confidences, timings) instead of text")
    parser.add_argument("--show", action="store_true", help="show the annotated image in a window, if a GUI is available")
    parser.add_argument("--runtime", choices=["auto", "litert", "keras"], default="auto",
                        help="inference runtime (default: LiteRT when available, else Keras)")
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


def main(argv=None):
    args = build_parser().parse_args(argv)
    from utils.draw import annotate
    from utils.imageio import save_image
    from utils.reader import SheetReader

    model = args.model
    if model == "output/mnist_cnn.model" and not os.path.exists(model):
        from utils.reader import DEFAULT_MODEL  # run from another folder: use the shipped one

        model = DEFAULT_MODEL
    page = SheetReader(model, args.runtime).read(args.image)
    page.model = args.model
    if args.output or args.show:
        annotated = annotate(page.work_image, page, page.work_scale)
        if args.output:
            save_image(args.output, annotated)
        if args.show:
            show(annotated)
    if args.json:
        print(json.dumps(page.to_dict()))
    elif page.lines:
        print(page.text)
    else:
        print("(no digits found)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run_cli(main)
