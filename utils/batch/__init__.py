"""Batch jobs over folders: parallel, resumable, one result per input, never losing work.

``recognize.py -i FOLDER|GLOB|LIST.txt --out DIR`` reads every image and
writes, under ``DIR``:

- ``<name>.json``: the same document as ``--json``;
- ``<name>.annotated.png`` unless ``--no-images``;
- ``results.jsonl``: one line per image (the JSON plus ``path``, ``input``,
  ``key``, ``models_id``, ``status``, ``error``, ``fault``, ``ms``), appended and
  flushed record by record;
- ``results.csv``: one row per image, rewritten from ``results.jsonl`` at
  the end of every run.

``<name>`` is the image's path relative to the folder (or to the folder
common to a glob's or a list's images), made safe; where that changed it,
a short hash of the original keeps every input's outputs apart. A file
named twice is read once; nothing under ``DIR`` is read.

Re-running the same command resumes: an image whose key (name, size,
modification time) is already in ``results.jsonl``, read or failed for a
fault of its own, is skipped, so a run killed with ``kill -9`` repeats
none of what it recorded; an image that failed because of the
environment (a full disk, a worker killed, the time limit) is read again.
The models' fingerprint is in every record: results of other models are
never mixed in. A torn last line left by a crash is cut off on resume.
Per-image files are written to a temporary name and renamed. ``--force``
starts again from scratch. A lock keeps a second batch out of ``DIR``.

Work runs in local worker processes (one reader, so one model load, per
worker; they die with the main process) or on a Dask cluster
(``--scheduler tcp://HOST:8786`` or ``local``), where each Dask worker
process likewise keeps its reader.
"""

import os
import sys
from pathlib import Path

from ..errors import OutputError
from ..models.bundle import fingerprint
from .executors import dask_results, local_results
from .inputs import Task, collect_inputs, output_names, safe_relpath
from .results import CSV_COLUMNS, RESULTS_CSV, RESULTS_JSONL, OutputLock, ResultLog, read_records, write_csv

__all__ = ["CSV_COLUMNS", "RESULTS_CSV", "RESULTS_JSONL", "ResultLog", "Task", "collect_inputs", "output_names",
           "read_records", "run_batch", "safe_relpath"]


def run_batch(spec, out_dir, models, runtime="auto", workers=None, images=True, force=False, quiet=False,
              scheduler=None, model_label=None, timeout=None, start_method="spawn", layout="auto", dpi=None):
    """Read every image of ``spec`` into ``out_dir`` with ``models`` (a
    :class:`~digit_sheet_reader.models.shipped.ModelSet`); return (total,
    failed, skipped). ``start_method``: how local workers start
    (:mod:`multiprocessing`'s names); ``layout``: as
    :class:`~digit_sheet_reader.pipeline.reader.SheetReader`'s (each table
    also goes to ``<image>.csv``, ``<image>_2.csv``, ...); ``dpi``: PDF
    pages are rendered at this resolution (a PDF's record holds its pages)."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot create output folder ({exc.strerror or exc})") from None
    if not os.access(out_dir, os.W_OK):
        raise OutputError(f"{out_dir}: cannot write here (permission denied)")
    lock = OutputLock(out_dir)
    try:
        for debris in out_dir.rglob(".*.tmp-*"):  # half-written files of a killed run
            debris.unlink(missing_ok=True)
        tasks = collect_inputs(spec, out_dir)
        models_id = fingerprint(path for _, path in [("recogniser", models.recogniser), *models.helpers()])
        log = ResultLog(out_dir, models_id, force, layout)
        todo = [t for t in tasks if t.key not in log.done]
        skipped = len(tasks) - len(todo)
        workers = workers or os.cpu_count() or 1
        job = dict(out_dir=str(out_dir), model=str(models.recogniser), models_id=models_id, runtime=runtime,
                   images=images, model_label=model_label, layout=layout, dpi=dpi)
        from tqdm import tqdm

        results = (dask_results(todo, scheduler, workers, job) if scheduler
                   else local_results(todo, workers, job, timeout, start_method))
        try:
            with tqdm(total=len(todo), unit="img", disable=quiet, file=sys.stderr, dynamic_ncols=True) as bar:
                for record in results:
                    log.append(record)
                    bar.update(1)
        finally:
            results.close()
            log.close()
            write_csv(out_dir)
        # Failures recorded by earlier runs of the same inputs count too.
        wanted = {t.rel for t in tasks}
        failed = sum(r["status"] != "ok" for r in read_records(out_dir) if r["path"] in wanted)
        return len(tasks), failed, skipped
    finally:
        lock.release()
