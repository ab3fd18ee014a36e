"""Batch jobs over folders: parallel, resumable, never losing work.

``recognize.py -i FOLDER|GLOB|LIST.txt --out DIR`` reads every image and
writes, under ``DIR``:

- ``<relative path>.json``: the same document as ``--json``;
- ``<relative path>.annotated.png`` unless ``--no-images``;
- ``results.jsonl``: one line per image (the JSON plus ``path``, ``key``,
  ``status``, ``error``, ``ms``), appended and flushed record by record;
- ``results.csv``: one row per image, rewritten from ``results.jsonl`` at
  the end of every run.

Re-running the same command resumes: an image whose key (relative path,
size, modification time) is already in ``results.jsonl`` is skipped, so a
run killed with ``kill -9`` repeats none of what it recorded (an image that
failed is not retried unless it changed, or with ``--force``). A torn last
line left by a crash is cut off on resume. Per-image files are written to a
temporary name and renamed. ``--force`` starts again from scratch.

Work runs in a local process pool (one reader, so one model load, per
worker) or on a Dask cluster (``--scheduler tcp://HOST:8786`` or
``local``), where each Dask worker process likewise keeps its reader.
"""

import csv
import glob
import io
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import ImageError, OutputError, ReaderError
from .io.atomic import write_atomic
from .io.images import IMAGE_EXTENSIONS

RESULTS_JSONL, RESULTS_CSV = "results.jsonl", "results.csv"
CSV_COLUMNS = ["path", "text", "lines", "digits", "min_confidence", "status", "error", "ms"]


@dataclass(frozen=True)
class Task:
    """One image to read: where it is, where its outputs go, and its identity."""

    path: str  # absolute path to read
    rel: str  # safe relative path under the output folder (posix)
    size: int
    mtime_ns: int

    @property
    def key(self):
        # Path plus size plus modification time: a changed file is read again.
        return f"{self.rel}|{self.size}|{self.mtime_ns}"


# --------------------------------------------------------------------------
# Inputs


def safe_relpath(rel):
    """A relative path that cannot leave the output folder and is safe on any filesystem."""
    parts = []
    for part in Path(rel).as_posix().split("/"):
        if part in ("", ".", ".."):
            continue
        parts.append(re.sub(r"[^\w.\- ]", "_", part).strip() or "_")
    return "/".join(parts) or "_"


def _is_image(path):
    return path.suffix.lower() in IMAGE_EXTENSIONS


def collect_inputs(spec):
    """Tasks for a folder (walked recursively), a glob pattern, a list file or one image.

    Relative paths are taken from the folder, or from the deepest folder
    common to all matches of a glob or a list.
    """
    spec_path = Path(spec)
    if spec_path.is_dir():
        # A dangling link is listed too: it gets an error row, not silence.
        files = sorted(p for p in spec_path.rglob("*") if (p.is_file() or p.is_symlink()) and _is_image(p))
        root = spec_path
    elif spec_path.is_file() and spec_path.suffix.lower() == ".txt":
        lines = [line.strip() for line in spec_path.read_text().splitlines()]
        files = [(spec_path.parent / line) if not Path(line).is_absolute() else Path(line)
                 for line in lines if line and not line.startswith("#")]
        root = None
    elif spec_path.is_file():
        files, root = [spec_path], spec_path.parent
    else:
        files = sorted(Path(p) for p in glob.glob(str(spec), recursive=True) if Path(p).is_file())
        files = [p for p in files if _is_image(p)]
        if not files:
            raise ImageError(f"{spec}: no such file or folder, and no image matches it as a pattern")
        root = None
    if root is None:
        root = Path(os.path.commonpath([str(p.absolute().parent) for p in files])) if files else Path(".")
    tasks = []
    for file in files:
        try:
            stat = file.stat()
            size, mtime = stat.st_size, stat.st_mtime_ns
        except OSError:
            size, mtime = -1, 0  # reading it will fail and be recorded
        rel = os.path.relpath(file.absolute(), root.absolute())
        tasks.append(Task(str(file.absolute()), safe_relpath(rel), size, mtime))
    return tasks


# --------------------------------------------------------------------------
# Per-image work (runs in a worker process)

_READERS = {}


def get_reader(model, runtime):
    """This process's reader for ``model``: loaded on first use, then kept."""
    key = (str(model), runtime)
    if key not in _READERS:
        import cv2

        from .pipeline.reader import SheetReader

        cv2.setNumThreads(1)  # parallelism comes from the workers, not inside each
        _READERS[key] = SheetReader(model, runtime, num_threads=1)
    return _READERS[key]


def process(task, out_dir, model, runtime="auto", images=True, model_label=None):
    """Read one image and write its outputs; return its results.jsonl record.

    Never raises for a bad image: the record says ``status: error`` with
    the message, so the batch carries on.
    """
    started = time.perf_counter()
    record = {"path": task.rel, "key": task.key, "status": "ok", "error": None}
    try:
        page = get_reader(model, runtime).read(task.path, name=task.rel)
        page.model = model_label or str(model)
        document = page.to_dict()
        out = Path(out_dir) / task.rel
        write_atomic(out.with_name(out.name + ".json"), json.dumps(document) + "\n")
        if images:
            from .io.draw import annotate
            from .io.images import save_image

            save_image(out.with_name(out.name + ".annotated.png"), annotate(page.work_image, page, page.work_scale))
        record.update(document)
    except ReaderError as exc:
        record.update(status="error", error=str(exc))
    except Exception as exc:  # a bug on one image must not stop ten thousand
        record.update(status="error", error=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    record["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return record


# --------------------------------------------------------------------------
# The results log


class ResultLog:
    """``results.jsonl``, append-only; repaired and indexed on open."""

    def __init__(self, out_dir, force=False):
        self.path = Path(out_dir) / RESULTS_JSONL
        if force and self.path.exists():
            self.path.unlink()
        self.done = set()
        if self.path.exists():
            self._repair_and_index()
        self._handle = open(self.path, "a", encoding="utf-8")

    def _repair_and_index(self):
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end != len(data):  # a torn last line from a crash: cut it off
            with open(self.path, "r+b") as handle:
                handle.truncate(end)
            data = data[:end]
        for line in data.decode("utf-8", errors="replace").splitlines():
            try:
                self.done.add(json.loads(line)["key"])
            except (ValueError, KeyError, TypeError):
                continue  # a damaged line: that image will simply be read again

    def append(self, record):
        self._handle.write(json.dumps(record) + "\n")
        self._handle.flush()  # survives kill -9 of this process
        self.done.add(record["key"])

    def close(self):
        self._handle.close()


def read_records(out_dir):
    """All records in ``results.jsonl``, the latest per path."""
    records = {}
    path = Path(out_dir) / RESULTS_JSONL
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            records[record["path"]] = record
    return [records[k] for k in sorted(records)]


def csv_row(record):
    digits = [d for line in record.get("lines", []) for d in line["digits"]]
    return {
        "path": record["path"],
        "text": "|".join(line["text"] for line in record.get("lines", [])),
        "lines": len(record.get("lines", [])),
        "digits": len(digits),
        "min_confidence": min((d["confidence"] for d in digits), default=""),
        "status": record["status"],
        "error": record["error"] or "",
        "ms": record["ms"],
    }


def write_csv(out_dir):
    """Rewrite ``results.csv`` from ``results.jsonl``, atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS)
    writer.writeheader()
    for record in read_records(out_dir):
        writer.writerow(csv_row(record))
    write_atomic(Path(out_dir) / RESULTS_CSV, buffer.getvalue())


# --------------------------------------------------------------------------
# Executors


def _local_results(tasks, workers, job):
    """Yield records as local worker processes finish them."""
    if workers <= 1:
        for task in tasks:
            yield process(task, **job)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(process, task, **job) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


def _dask_results(tasks, scheduler, workers, job):
    """Yield records as Dask workers finish them (``scheduler``: address or 'local')."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ReaderError('Dask is not installed: pip install -e ".[dask]"') from None
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise ReaderError(f"cannot reach Dask scheduler {scheduler} ({exc})") from None
    try:
        futures = client.map(process, tasks, **job, pure=False)
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_batch(spec, out_dir, model, runtime="auto", workers=None, images=True, force=False, quiet=False,
              scheduler=None, model_label=None):
    """Read every image of ``spec`` into ``out_dir``; return (total, failed, skipped)."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot create output folder ({exc.strerror or exc})") from None
    for debris in out_dir.rglob(".*.tmp-*"):  # half-written files of a killed run
        debris.unlink(missing_ok=True)
    tasks = collect_inputs(spec)
    log = ResultLog(out_dir, force)
    todo = [t for t in tasks if t.key not in log.done]
    workers = workers or os.cpu_count() or 1
    job = dict(out_dir=str(out_dir), model=str(model), runtime=runtime, images=images, model_label=model_label)
    from tqdm import tqdm

    results = _dask_results(todo, scheduler, workers, job) if scheduler else _local_results(todo, workers, job)
    try:
        with tqdm(total=len(todo), unit="img", disable=quiet, file=sys.stderr, dynamic_ncols=True) as bar:
            for record in results:
                log.append(record)
                bar.update(1)
    finally:
        log.close()
        write_csv(out_dir)
    # Failures recorded by earlier runs of the same inputs count too.
    wanted = {t.rel for t in tasks}
    failed = sum(r["status"] != "ok" for r in read_records(out_dir) if r["path"] in wanted)
    return len(tasks), failed, len(tasks) - len(todo)
