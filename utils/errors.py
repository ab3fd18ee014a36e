"""Exceptions that the command-line fronts turn into one line and an exit code.

Every failure a user can cause (bad data, bad model file, unwritable output)
raises a subclass of :class:`ReaderError`; the scripts catch it in one place
(:func:`run_cli`) and print ``error: <message>`` on stderr, never a traceback.

Exit codes
----------
0  success
1  unexpected internal error (a bug: please report it)
2  usage error (argparse's own code)
3  data set problem (missing, empty, truncated, wrong shape, bad labels)
4  model problem (not a model, wrong bundle, unreadable)
5  input image problem (not an image, unreadable)
6  output problem (cannot write where asked)
7  batch finished, but some images could not be read (see results.csv)
"""

import sys


BATCH_PARTIAL_FAILURE = 7


class ReaderError(Exception):
    """Base class of errors caused by the user's inputs, not by a bug."""

    exit_code = 1


class UsageError(ReaderError):
    """Options that do not go together (argparse checks each one alone)."""

    exit_code = 2


class DataError(ReaderError):
    """A data set is missing, truncated, mis-shaped or mislabelled."""

    exit_code = 3


class ModelError(ReaderError):
    """A model path is missing or is not a model this tool can load."""

    exit_code = 4


class ImageError(ReaderError):
    """An input image is missing or cannot be decoded."""

    exit_code = 5


class OutputError(ReaderError):
    """An output location cannot be written."""

    exit_code = 6


def run_cli(main, argv=None):
    """Run ``main(argv)`` and exit with its code, mapping ReaderError to one line.

    KeyboardInterrupt exits with 130 quietly, as shells expect.
    """
    try:
        code = main(argv)
    except ReaderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    sys.exit(code or 0)
