#!/usr/bin/env python
"""Read handwritten digits from a photo or scan: ``python recognize.py -i photo.jpg``.

The same command as ``digit-sheet-reader`` (see ``--help``); the code lives
in ``utils/cli.py``, installed as ``digit_sheet_reader``.
"""

import sys

try:
    from digit_sheet_reader.cli import run
except ImportError as exc:
    sys.exit(f"error: digit_sheet_reader is not installed ({exc}): run  pip install -e .  in this folder first")

if __name__ == "__main__":
    run("recognize.py")
