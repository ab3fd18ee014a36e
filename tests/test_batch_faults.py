"""Batch mode under faults: one result per input whatever happens, failures
told apart by whose fault they were, and nothing that hangs or mixes runs."""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from digit_sheet_reader import ModelSet
from digit_sheet_reader.batch import RESULTS_JSONL, ResultLog, read_records, run_batch
from digit_sheet_reader.batch.results import OutputLock
from digit_sheet_reader.errors import OutputError, SchedulerError

SMALL = ROOT / "tests" / "golden" / "clean_lines.png"


def recognize(*argv):
    return subprocess.run([sys.executable, "recognize.py", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def folder_of(tmp_path, *names):
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(SMALL, folder / name)
    return folder


def batch(folder, out, **options):
    return run_batch(str(folder), str(out), ModelSet.shipped(), quiet=True, images=False, **options)


def test_names_that_sanitise_alike_keep_an_output_each(tmp_path):
    folder = folder_of(tmp_path, "page+1.png", "page_1.png", "page&1.png")
    total, failed, _ = batch(folder, tmp_path / "out", workers=1)
    assert (total, failed) == (3, 0)
    records = read_records(tmp_path / "out")
    assert len(records) == 3 and len({r["path"] for r in records}) == 3
    assert sorted(os.path.basename(r["input"]) for r in records) == ["page&1.png", "page+1.png", "page_1.png"]
    assert len(list((tmp_path / "out").glob("*.json"))) == 3


def test_a_list_naming_files_many_times_reads_each_once(tmp_path):
    folder = folder_of(tmp_path, "a.png", "b.png")
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(["in/a.png", "in/b.png", "./in/a.png", str(folder / "b.png")] * 50) + "\n")
    total, failed, _ = batch(listing, tmp_path / "out", workers=1)
    assert (total, failed) == (2, 0) and len(read_records(tmp_path / "out")) == 2


def test_an_out_folder_inside_the_input_is_never_read(tmp_path):
    folder = folder_of(tmp_path, "a.png")
    out = folder / "results"
    for _ in range(2):
        run_batch(str(folder), str(out), ModelSet.shipped(), quiet=True, workers=1)
    assert [r["path"] for r in read_records(out)] == ["a.png"]
    assert (out / "a.png.annotated.png").exists()


def test_a_list_in_latin_1_names_its_files(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    name = "caf\xe9.png".encode("latin-1")
    shutil.copy(SMALL, os.fsencode(folder) + b"/" + name)
    (tmp_path / "list.txt").write_bytes(b"in/" + name + b"\n")
    total, failed, _ = batch(tmp_path / "list.txt", tmp_path / "out", workers=1)
    assert (total, failed) == (1, 0)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_in_a_folder_or_a_list_gets_an_error_row(tmp_path):
    folder = folder_of(tmp_path, "a.png")
    os.mkfifo(folder / "pipe.png")
    (tmp_path / "list.txt").write_text("in/a.png\nin/pipe.png\n")
    for spec, out in ((folder, "out1"), (tmp_path / "list.txt", "out2")):
        total, failed, _ = batch(spec, tmp_path / out, workers=1)
        records = {r["path"]: r for r in read_records(tmp_path / out)}
        assert (total, failed) == (2, 1) and records["a.png"]["status"] == "ok"
        assert "named pipe" in records["pipe.png"]["error"] and records["pipe.png"]["fault"] == "image"


def with_fault(tmp_path, folder, fault, **options):
    """Run a batch in a fresh process whose workers are forked from it with
    ``fault`` planted (a few lines of Python run before the batch):
    (total, failed, skipped) and the records."""
    script = tmp_path / "planted.py"
    script.write_text("\n".join([
        "import json, os, sys, time",
        "from digit_sheet_reader import ModelSet",
        "from digit_sheet_reader.batch import run_batch, work",
        "from digit_sheet_reader.pipeline.reader import SheetReader",
        fault,
        f"print(json.dumps(run_batch({str(folder)!r}, {str(tmp_path / 'out')!r}, ModelSet.shipped(), quiet=True,"
        f" images=False, start_method='fork', **{options!r})))"]))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return tuple(json.loads(result.stdout)), {r["path"]: r for r in read_records(tmp_path / "out")}


DISK_FULL = """
def disk_full(path, data):
    raise OSError(28, "No space left on device")
work.write_atomic = disk_full
"""


@pytest.mark.slow
def test_environment_failures_are_read_again_and_image_failures_are_not(tmp_path):
    folder = folder_of(tmp_path, "a.png", "b.png")
    (folder / "notes.png").write_text("not an image")
    counts, records = with_fault(tmp_path, folder, DISK_FULL, workers=2)
    assert counts[1] == 3
    assert {path: r["fault"] for path, r in records.items()} == {
        "a.png": "environment", "b.png": "environment", "notes.png": "image"}
    assert "No space left on device" in records["a.png"]["error"]
    total, failed, skipped = batch(folder, tmp_path / "out", workers=2)
    assert (total, failed, skipped) == (3, 1, 1)  # notes.png is not read again; a and b are, now rightly
    lines = (tmp_path / "out" / RESULTS_JSONL).read_text().splitlines()
    assert len(lines) == 5 and [json.loads(line)["path"] for line in lines].count("notes.png") == 1


def test_a_results_log_that_cannot_be_written_is_one_error(tmp_path):
    log = ResultLog(tmp_path, "m")

    class Full:
        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            pass

    log._handle = Full()
    with pytest.raises(OutputError, match="No space left on device"):
        log.append({"path": "a", "key": "a|1|1", "status": "ok"})


def test_resuming_with_other_models_is_refused(tmp_path):
    folder = folder_of(tmp_path, "a.png")
    batch(folder, tmp_path / "out", workers=1)
    mlp = ModelSet.shipped(ROOT / "output" / "mnist_mlp.model")
    with pytest.raises(OutputError, match="other models"):
        run_batch(str(folder), str(tmp_path / "out"), mlp, quiet=True, workers=1)
    assert run_batch(str(folder), str(tmp_path / "out"), mlp, quiet=True, workers=1, force=True)[1] == 0


@pytest.mark.slow
def test_a_second_batch_on_the_same_folder_is_refused(tmp_path):
    folder = folder_of(tmp_path, "a.png")
    (tmp_path / "out").mkdir()
    lock = OutputLock(tmp_path / "out")
    try:
        result = recognize("-i", str(folder), "--out", str(tmp_path / "out"), "--quiet")
        assert result.returncode == OutputError.exit_code
        assert f"another batch is writing here (pid {os.getpid()}" in result.stderr
    finally:
        lock.release()
    assert batch(folder, tmp_path / "out", workers=1)[:2] == (1, 0)  # the lock went with its holder


KILLER = """
real = SheetReader.read
SheetReader.read = lambda self, source, name=None: os._exit(9) if "killer" in str(source) else real(self, source, name)
"""
SLOW = """
real = SheetReader.read
SheetReader.read = lambda self, source, name=None: time.sleep(120) if "slow" in str(source) else real(self, source, name)
"""


@pytest.mark.slow
def test_a_worker_that_dies_costs_only_its_own_image(tmp_path):
    folder = folder_of(tmp_path, "a.png", "b.png", "killer.png", "c.png", "d.png")
    (total, failed, _), records = with_fault(tmp_path, folder, KILLER, workers=2)
    assert (total, failed) == (5, 1) and len(records) == 5
    assert "worker reading it died" in records["killer.png"]["error"]
    assert all(records[n]["status"] == "ok" for n in ("a.png", "b.png", "c.png", "d.png"))


@pytest.mark.slow
def test_an_image_over_the_time_limit_gets_an_error_row(tmp_path):
    folder = folder_of(tmp_path, "a.png", "slow.png", "b.png")
    started = time.monotonic()
    (total, failed, _), records = with_fault(tmp_path, folder, SLOW, workers=2, timeout=20)
    assert time.monotonic() - started < 90  # not the 120 s the image would take
    assert (total, failed) == (3, 1) and "time limit (20 s)" in records["slow.png"]["error"]
    assert records["a.png"]["status"] == records["b.png"]["status"] == "ok"


def _children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_the_main_process(tmp_path):
    folder = folder_of(tmp_path, *[f"{k}.png" for k in range(60)])
    main = subprocess.Popen([sys.executable, "recognize.py", "-i", str(folder), "--out", str(tmp_path / "out"),
                             "--workers", "2", "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(_children(main.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = _children(main.pid)
    assert len(workers) >= 2, "the workers never started"
    os.kill(main.pid, signal.SIGKILL)
    main.wait()
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{w}") and _state(w) != "Z" for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if os.path.exists(f"/proc/{w}") and _state(w) != "Z"]


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


@pytest.mark.slow
def test_an_unreachable_scheduler_is_its_own_exit_code(tmp_path):
    pytest.importorskip("dask.distributed")
    folder = folder_of(tmp_path, "a.png")
    result = recognize("-i", str(folder), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9",
                       "--quiet")
    assert result.returncode == SchedulerError.exit_code, result.stderr
    assert "cannot reach the Dask scheduler" in result.stderr and "Traceback" not in result.stderr


def test_an_output_folder_that_cannot_be_written_is_one_error(tmp_path):
    folder = folder_of(tmp_path, "a.png")
    (tmp_path / "out" / RESULTS_JSONL).mkdir(parents=True)  # where the log must go, a folder stands
    with pytest.raises(OutputError, match="cannot write"):
        batch(folder, tmp_path / "out", workers=1)
