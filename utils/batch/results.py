"""What a batch writes: ``results.jsonl`` record by record, ``results.csv``
from it, and a lock that keeps a second batch out of the same folder."""

import csv
import fcntl
import io
import json
import os
import time
from pathlib import Path

from ..errors import OutputError
from ..io.atomic import write_atomic

RESULTS_JSONL, RESULTS_CSV, LOCK_FILE = "results.jsonl", "results.csv", ".lock"
CSV_COLUMNS = ["path", "text", "lines", "digits", "min_confidence", "status", "error", "ms", "input", "page"]


class ResultLog:
    """``results.jsonl``, append-only; repaired and indexed on open.

    An image is done when its record says it was read, or that it failed
    for a fault of its own (``"fault": "image"``: not an image, truncated,
    too large); a failure of the environment (a full disk, a worker
    killed, a time limit) is read again on the next run. Every record
    carries the fingerprint of the models it was read with and the
    ``layout`` (tables read cell by cell or not): results read otherwise
    are never mixed in (OutputError, unless ``force``).
    """

    def __init__(self, out_dir, models, force=False, layout="auto"):
        self.path = Path(out_dir) / RESULTS_JSONL
        self.models = models
        self.layout = layout
        if force and self.path.exists():
            self.path.unlink()
        self.done = set()
        try:
            if self.path.exists():
                self._repair_and_index()
            self._handle = open(self.path, "a", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write ({exc.strerror or exc})") from None

    def _repair_and_index(self):
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end != len(data):  # a torn last line from a crash: cut it off
            with open(self.path, "r+b") as handle:
                handle.truncate(end)
            data = data[:end]
        for line in data.decode("utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
                key, status, fault = record["key"], record["status"], record.get("fault")
                models, layout = record.get("models_id"), record.get("layout", "auto")
            except (ValueError, KeyError, TypeError):
                continue  # a damaged line: that image will simply be read again
            if models != self.models:
                raise OutputError(f"{self.path.parent}: holds results read with other models ({models or 'unknown'}, "
                                  f"now {self.models}); use another --out, or --force to read everything again")
            if layout != self.layout:
                raise OutputError(f"{self.path.parent}: holds results read with --layout {layout}, now {self.layout}; "
                                  "use another --out, or --force to read everything again")
            if status == "ok" or fault == "image":
                self.done.add(key)

    def append(self, record):
        record["layout"] = self.layout
        try:
            self._handle.write(json.dumps(record) + "\n")
            self._handle.flush()  # survives kill -9 of this process
        except OSError as exc:  # a torn line is cut off on the next run
            raise OutputError(f"{self.path}: cannot write ({exc.strerror or exc}); "
                              "run the same command again to go on") from None
        if record["status"] == "ok" or record.get("fault") == "image":
            self.done.add(record["key"])

    def close(self):
        try:
            self._handle.close()
        except OSError:
            pass  # what could not be flushed is the torn line a resume cuts off


def read_records(out_dir):
    """All records in ``results.jsonl``, the latest per path."""
    records = {}
    path = Path(out_dir) / RESULTS_JSONL
    if path.exists():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
                records[record["path"]] = record
            except (ValueError, KeyError, TypeError):
                continue
    return [records[k] for k in sorted(records)]


def csv_rows(record):
    """The ``results.csv`` rows of one record: one, or one per page of a
    PDF or multi-page TIFF (``page`` numbered from 1; empty for an image)."""
    pages = record.get("pages") or [record]
    for page in pages:
        digits = [d for line in page.get("lines", []) for d in line["digits"]]
        yield {
            "path": record["path"],
            "text": "|".join(line["text"] for line in page.get("lines", [])),
            "lines": len(page.get("lines", [])),
            "digits": len(digits),
            "min_confidence": min((d["confidence"] for d in digits), default=""),
            "status": record["status"],
            "error": record["error"] or "",
            "ms": record["ms"],
            "input": record.get("input", ""),
            "page": page.get("page", ""),
        }


def write_csv(out_dir):
    """Rewrite ``results.csv`` from ``results.jsonl``, atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS)
    writer.writeheader()
    for record in read_records(out_dir):
        writer.writerows(csv_rows(record))
    try:
        write_atomic(Path(out_dir) / RESULTS_CSV, buffer.getvalue())
    except OSError as exc:
        raise OutputError(f"{Path(out_dir) / RESULTS_CSV}: cannot write ({exc.strerror or exc})") from None


class OutputLock:
    """An exclusive lock on an output folder for the life of one batch.

    The operating system drops it when its process ends, however it ends:
    a lock left by a killed run is simply taken over.
    """

    def __init__(self, out_dir):
        self.path = Path(out_dir) / LOCK_FILE
        try:
            self._handle = open(self.path, "a+", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"{out_dir}: cannot write ({exc.strerror or exc})") from None
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.seek(0)
            holder = self._handle.read().strip() or "another process"
            self._handle.close()
            raise OutputError(f"{out_dir}: another batch is writing here ({holder}); "
                              "wait for it to end, or use another --out") from None
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        self._handle.flush()

    def release(self):
        self._handle.close()
