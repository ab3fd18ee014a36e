"""``python -m digit_sheet_reader``: the same command as ``digit-sheet-reader``."""

from .cli import run

if __name__ == "__main__":
    run("python -m digit_sheet_reader")
