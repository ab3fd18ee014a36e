"""Only regular files are read: a FIFO, a device or a socket would block or never end.

Examples
--------
>>> from digit_sheet_reader.errors import ImageError
>>> regular_file("/dev/zero", ImageError)
Traceback (most recent call last):
...
digit_sheet_reader.errors.ImageError: /dev/zero: not a regular file (a character device): not read
"""

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path

_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))


def regular_file(path, error):
    """``path`` as a Path if it names a regular file (links followed); else
    raise ``error`` (an exception class) with one line saying what it is."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode  # never opens it: a FIFO does not block here
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a file")
        raise error(f"{path}: not a regular file ({kind}): not read")
    return path


class Captured:
    """What was written to file descriptor 2 inside :func:`captured_stderr`."""

    text = ""


@contextlib.contextmanager
def captured_stderr():
    """Catch what C libraries (libjpeg, libpng, LiteRT, TensorFlow) write to
    file descriptor 2 meanwhile: read by the caller, never shown, so that
    a failure is one ``error:`` line. Python's own exceptions still raise."""
    captured = Captured()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.text = sink.read().decode("utf-8", errors="replace")
