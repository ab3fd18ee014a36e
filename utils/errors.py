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
8  an optional package is not installed (the message names the extra)
9  the page holds far more marks than any sheet of digits (noise, a texture): refused
10 the Dask scheduler cannot be reached
11 ``--layout table`` was asked for and the image holds no ruled table
130 interrupted (Ctrl-C); 141 the output's reader stopped early (``| head``)
"""

import argparse
import os
import sys

from .version import __version__

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


class PageError(ImageError):
    """An image that decodes but holds far more marks than a sheet of digits
    has: refused so that its cost stays bounded."""

    exit_code = 9


class NoTableError(ImageError):
    """A table was insisted on (``--layout table``) and none was found."""

    exit_code = 11


class SchedulerError(ReaderError):
    """The Dask scheduler asked for cannot be reached."""

    exit_code = 10


class OutputError(ReaderError):
    """An output location cannot be written."""

    exit_code = 6


class MissingPackageError(ReaderError):
    """A package of an optional extra is needed and not installed."""

    exit_code = 8


# Packages that reading alone does without, and the extra that brings each.
OPTIONAL_PACKAGES = {"keras": "train", "tensorflow": "train", "matplotlib": "train", "rapidfuzz": "train",
                     "scipy": "train",
                     "dask": "dask", "distributed": "dask"}


def missing_package(exc):
    """A :class:`MissingPackageError` for an ImportError of an optional package, else None."""
    name = (getattr(exc, "name", None) or "").split(".")[0]
    if name not in OPTIONAL_PACKAGES:
        return None
    extra = OPTIONAL_PACKAGES[name]
    return MissingPackageError(f"this needs {name}, which is not installed: pip install -e '.[{extra}]' "
                               f"in a clone, or pip install 'digit-sheet-reader[{extra}]'")


def run_cli(main, argv=None):
    """Run ``main(argv)`` and exit with its code, mapping ReaderError to one line.

    An optional package that is not installed (TensorFlow for training or
    ``--runtime keras``, Dask for ``--scheduler``) is one line too, naming
    the extra to install. KeyboardInterrupt exits with 130 quietly, as
    shells expect, and output piped into a reader that stopped early
    (``| head``) with 141, as a process killed by SIGPIPE does, without a
    traceback.
    """
    try:
        try:
            code = main(argv)
        except ImportError as exc:
            raise missing_package(exc) or exc
    except ReaderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    except BrokenPipeError:
        # Nobody reads the rest: point stdout at nothing, so that flushing
        # it at exit does not fail again (the Python docs' recipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141
    sys.exit(code or 0)


def command_parser(description, epilog=None, prog=None):
    """The argument parser every command of the project starts from: its
    docstring as help, examples kept as written, and ``--version``."""
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser
