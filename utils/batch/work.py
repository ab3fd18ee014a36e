"""One image of a batch, read in a worker process into its own files and one record."""

import contextlib
import io
import json
import os
import signal
import sys
import time
from pathlib import Path

from ..errors import ImageError, ReaderError
from ..io import DEFAULT_DPI
from ..io.atomic import numbered_paths, save_numbered, write_atomic
from ..pipeline.result import collect, to_json

_READERS = {}


def init_worker(main_pid):
    """Run in each local worker process as it starts: it dies with the batch's
    main process ``main_pid``, however that ends (Linux; elsewhere the
    pool's own shutdown), and leaves Ctrl-C to the main process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != main_pid:  # the main process died before the line above
            os._exit(1)


def get_reader(model, runtime, layout="auto"):
    """This process's reader for ``model``: loaded on first use, then kept.
    Its warnings (a helper model missing) go into every record, not on the
    console once per worker: the main process has said them once."""
    key = (str(model), runtime, layout)
    if key not in _READERS:
        import cv2

        from ..pipeline.reader import SheetReader

        cv2.setNumThreads(1)  # parallelism comes from the workers, not inside each
        with contextlib.redirect_stderr(io.StringIO()):
            _READERS[key] = SheetReader(model, runtime, num_threads=1, layout=layout)
    return _READERS[key]


def process(task, out_dir, model, models_id, runtime="auto", images=True, model_label=None, layout="auto", dpi=None):
    """Read one image and write its outputs; return its results.jsonl record.

    Never raises for a bad image: the record says ``status: error`` with
    the message and whose fault it was (``fault``: ``image``, not read
    again; ``environment``, read again on the next run), so the batch
    carries on.
    """
    started = time.perf_counter()
    record = {"path": task.rel, "input": task.path, "key": task.key, "models_id": models_id, "status": "ok",
              "error": None, "fault": None}
    try:
        out = Path(out_dir) / task.rel

        def draw(page, number):  # now, while this page's image is held
            from ..io.draw import annotate
            from ..io.images import save_image

            picture = numbered_paths(out.with_name(out.name + ".annotated.png"), number)[-1]
            save_image(picture, annotate(page.work_image, page, page.work_scale))

        pages = get_reader(model, runtime, layout).read_document(task.path, task.rel, dpi or DEFAULT_DPI)
        documents, tables = collect(pages, model_label or str(model), draw if images else None)
        save_numbered(out.with_name(out.name + ".csv"), tables)
        document = to_json(task.rel, documents)
        write_atomic(out.with_name(out.name + ".json"), json.dumps(document) + "\n")
        record.update(document)
    except ImageError as exc:
        record.update(status="error", error=str(exc), fault="image")
    except ReaderError as exc:
        record.update(status="error", error=str(exc), fault="environment")
    except OSError as exc:  # a full disk, a folder that went away
        record.update(status="error", error=f"cannot write the outputs ({exc.strerror or exc})", fault="environment")
    except Exception as exc:  # a bug on one image must not stop ten thousand
        message = " ".join(str(exc).split())
        record.update(status="error", error=f"{type(exc).__name__}: {message}", fault="environment")
    record["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return record


def failed(task, models_id, error, seconds=0.0):
    """The record of an image whose worker never returned (killed, out of
    memory, over the time limit): not the image's fault as far as is known."""
    return {"path": task.rel, "input": task.path, "key": task.key, "models_id": models_id, "status": "error",
            "error": error, "fault": "environment", "ms": round(seconds * 1000, 1)}
