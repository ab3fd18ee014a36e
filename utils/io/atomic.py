"""Write files so that a crash never leaves one half-written."""

import os
from pathlib import Path

from ..errors import OutputError


def write_atomic(path, data):
    """Write ``data`` (bytes or str) to ``path`` via a temporary sibling and a rename.

    The temporary name starts with a dot and ends in ``.tmp-<pid>``, so a
    reader of the folder never mistakes it for a result and a resumed batch
    can sweep up what a killed one left. Parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        # Text as UTF-8; a file name the file system gave as undecodable bytes goes back as those bytes.
        tmp.write_bytes(data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_output(path, data):
    """:func:`write_atomic` for a file the user asked for: a failure to
    write is an :class:`OutputError` (one line, exit code 6)."""
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None


def numbered_paths(path, count):
    """Where ``count`` files go when one was asked for (the tables of
    ``--csv path``, the pages of ``-o path``): ``path`` itself, then
    ``<stem>_2<suffix>``, ``<stem>_3<suffix>``, ...

    Examples
    --------
    >>> [p.name for p in numbered_paths("marks.csv", 3)]
    ['marks.csv', 'marks_2.csv', 'marks_3.csv']
    """
    path = Path(path)
    return [path] + [path.with_name(f"{path.stem}_{k}{path.suffix}") for k in range(2, count + 1)]


def save_numbered(path, texts):
    """:func:`save_output` each of ``texts`` to :func:`numbered_paths` of ``path``."""
    for target, text in zip(numbered_paths(path, len(texts)), texts):
        save_output(target, text)
