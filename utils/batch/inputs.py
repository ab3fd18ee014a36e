"""What a batch reads: the images of a folder, a glob or a list, each once,
each with an output name of its own."""

import glob
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ImageError
from ..io.documents import DOCUMENT_EXTENSIONS
from ..io.files import regular_file


@dataclass(frozen=True)
class Task:
    """One image to read: where it is, where its outputs go, and its identity."""

    path: str  # absolute path to read
    rel: str  # its output name under the output folder (posix), unique in the batch
    size: int
    mtime_ns: int

    @property
    def key(self):
        # Name plus size plus modification time: a changed file is read again.
        return f"{self.rel}|{self.size}|{self.mtime_ns}"


def safe_relpath(rel):
    """A relative path that cannot leave the output folder and is safe on any filesystem.

    >>> safe_relpath("../scans/page 1&2.png")
    'scans/page 1_2.png'
    """
    parts = []
    for part in Path(rel).as_posix().split("/"):
        if part in ("", ".", ".."):
            continue
        parts.append(re.sub(r"[^\w.\- ]", "_", part).strip() or "_")
    return "/".join(parts) or "_"


def output_names(rels):
    """A distinct, safe output name for each relative path: where making it
    safe changed it (or two would meet), a short hash of the original is
    added before the extension, so that ``page+1.png``, ``page&1.png`` and
    ``page_1.png`` keep three outputs.

    >>> output_names(["page_1.png", "page+1.png", "page&1.png"])
    ['page_1.png', 'page_1~a20b2a.png', 'page_1~78dfd0.png']
    """
    names, used = [], set()
    for rel in rels:
        name = safe_relpath(rel)
        if name != Path(rel).as_posix() or name in used:
            name = _tagged(name, rel)
        while name in used:  # two hashes that meet: the next one along
            name = _tagged(name, name)
        used.add(name)
        names.append(name)
    return names


def _tagged(name, original):
    stem, dot, ext = name.rpartition(".")
    tag = hashlib.sha1(original.encode("utf-8", "surrogateescape")).hexdigest()[:6]
    return f"{stem}~{tag}.{ext}" if dot and "/" not in ext else f"{name}~{tag}"


def _is_image(path):
    return path.suffix.lower() in DOCUMENT_EXTENSIONS


def _list_entries(list_file):
    """The paths a list file names, one a line, in whatever encoding the
    file system uses (undecodable bytes kept as they are)."""
    regular_file(list_file, ImageError)
    try:
        data = list_file.read_bytes()
    except OSError as exc:
        raise ImageError(f"{list_file}: cannot read ({exc.strerror or exc})") from None
    lines = [os.fsdecode(line.strip()) for line in data.splitlines()]
    return [(list_file.parent / line) if not Path(line).is_absolute() else Path(line)
            for line in lines if line and not line.startswith("#")]


def collect_inputs(spec, out_dir=None):
    """Tasks for a folder (walked recursively), a glob pattern, a list file or one image.

    Relative paths are taken from the folder, or from the deepest folder
    common to all matches of a glob or a list. A file named twice is read
    once; anything under ``out_dir`` is never read (a batch's own outputs).
    Entries that are not regular files (a FIFO, a link to nowhere) become
    tasks too, so that each gets its error row.
    """
    spec_path = Path(spec)
    if spec_path.is_dir():
        files = sorted(p for p in spec_path.rglob("*") if not p.is_dir() and _is_image(p))
        root = spec_path
    elif spec_path.exists() and spec_path.suffix.lower() == ".txt":
        files, root = _list_entries(spec_path), None
    elif spec_path.exists() or spec_path.is_symlink():
        files, root = [spec_path], spec_path.parent
    else:
        files = sorted(Path(p) for p in glob.glob(str(spec), recursive=True) if not Path(p).is_dir())
        files = [p for p in files if _is_image(p)]
        if not files:
            raise ImageError(f"{spec}: no such file or folder, and no image matches it as a pattern")
        root = None
    files = _distinct(files, out_dir)
    if root is None:
        root = Path(os.path.commonpath([str(p.absolute().parent) for p in files])) if files else Path(".")
    rels = [os.path.relpath(file.absolute(), root.absolute()) for file in files]
    tasks = []
    for file, name in zip(files, output_names(rels)):
        try:
            stat = file.stat()
            size, mtime = stat.st_size, stat.st_mtime_ns
        except OSError:
            size, mtime = -1, 0  # reading it will fail and be recorded
        tasks.append(Task(str(file.absolute()), name, size, mtime))
    return tasks


def _distinct(files, out_dir):
    """``files`` less repeats of one file (by its real path) and less those under ``out_dir``."""
    outside = Path(os.path.realpath(out_dir)) if out_dir is not None else None
    seen, kept = set(), []
    for file in files:
        real = Path(os.path.realpath(file))
        if real in seen or (outside is not None and real.is_relative_to(outside)):
            continue
        seen.add(real)
        kept.append(file)
    return kept
