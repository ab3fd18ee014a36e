"""Batch mode: folders, bad files, resume after kill -9, Dask."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from digit_sheet_reader.batch import RESULTS_CSV, RESULTS_JSONL, ResultLog, collect_inputs, read_records, safe_relpath
from digit_sheet_reader.errors import BATCH_PARTIAL_FAILURE

SHEETS = sorted((ROOT / "tests" / "golden").glob("*.jpg"))


def recognize(*argv, **kwargs):
    return subprocess.run([sys.executable, "recognize.py", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, **kwargs)


@pytest.fixture
def mixed_folder(tmp_path):
    folder = tmp_path / "in"
    (folder / "nested" / "deeper").mkdir(parents=True)
    shutil.copy(SHEETS[0], folder / "a.jpg")
    shutil.copy(SHEETS[1], folder / "nested" / "b.jpg")
    shutil.copy(SHEETS[2], folder / "nested" / "deeper" / "c.jpg")
    (folder / "cut.jpg").write_bytes(SHEETS[0].read_bytes()[:3000])
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.jpg").write_text("not an image\n")
    (folder / "readme.txt").write_text("ignored: not an image extension\n")
    # Unreadable: permissions cannot stop root, a link to nowhere can.
    (folder / "nested" / "lost.png").symlink_to(tmp_path / "nowhere.png")
    return folder


@pytest.mark.slow
def test_folder_rows_statuses_and_exit_code(mixed_folder, tmp_path, shipped_cnn):
    out = tmp_path / "out"
    result = recognize("-i", str(mixed_folder), "--out", str(out), "--workers", "2", "--quiet")
    assert result.returncode == BATCH_PARTIAL_FAILURE, result.stderr
    assert "Traceback" not in result.stderr
    records = {r["path"]: r for r in read_records(out)}
    assert set(records) == {"a.jpg", "nested/b.jpg", "nested/deeper/c.jpg", "cut.jpg", "empty.png", "notes.jpg",
                            "nested/lost.png"}
    for good in ("a.jpg", "nested/b.jpg", "nested/deeper/c.jpg"):
        assert records[good]["status"] == "ok" and records[good]["lines"]
        document = json.loads((out / (good + ".json")).read_text())
        assert document["lines"] == records[good]["lines"]
        assert (out / (good + ".annotated.png")).stat().st_size > 1000
    assert "truncated JPEG" in records["cut.jpg"]["error"]
    assert "empty file" in records["empty.png"]["error"]
    assert "not an image" in records["notes.jpg"]["error"]
    assert "no such file" in records["nested/lost.png"]["error"]
    rows = (out / RESULTS_CSV).read_text().splitlines()
    assert rows[0] == "path,text,lines,digits,min_confidence,status,error,ms,input,page" and len(rows) == 8
    truth = json.loads(SHEETS[0].with_suffix(".truth.json").read_text())
    assert "|".join(line["text"] for line in truth["lines"]) in (out / RESULTS_CSV).read_text()

    again = recognize("-i", str(mixed_folder), "--out", str(out), "--quiet")
    assert again.returncode == BATCH_PARTIAL_FAILURE and "7 already done" in again.stderr
    assert len((out / RESULTS_JSONL).read_text().splitlines()) == 7  # nothing read twice


@pytest.mark.slow
def test_list_file_with_a_missing_entry_and_all_good_exit_zero(tmp_path, shipped_cnn):
    listing = tmp_path / "list.txt"
    listing.write_text(f"{SHEETS[0]}\n# a comment\n{SHEETS[1]}\n")
    out = tmp_path / "out"
    assert recognize("-i", str(listing), "--out", str(out), "--no-images", "--quiet").returncode == 0
    assert not list(out.rglob("*.png"))
    listing.write_text(f"{SHEETS[0]}\n{tmp_path / 'gone.jpg'}\n")
    result = recognize("-i", str(listing), "--out", str(tmp_path / "out2"), "--quiet")
    assert result.returncode == BATCH_PARTIAL_FAILURE
    # Paths are relative to the deepest folder common to the list's entries.
    gone = [r for r in read_records(tmp_path / "out2") if r["path"].endswith("/gone.jpg")]
    assert len(gone) == 1 and "no such file" in gone[0]["error"]


def test_nothing_is_written_outside_out(tmp_path):
    assert safe_relpath("../../etc/passwd") == "etc/passwd"
    assert safe_relpath("/abs/x.jpg") == "abs/x.jpg"
    assert safe_relpath("we:ird*name?.jpg") == "we_ird_name_.jpg"
    (tmp_path / "in").mkdir()
    shutil.copy(SHEETS[0], tmp_path / "in" / "x.jpg")
    tasks = collect_inputs(str(tmp_path / "in" / "*.jpg"))
    assert [t.rel for t in tasks] == ["x.jpg"]


def test_torn_last_line_is_repaired(tmp_path):
    log_path = tmp_path / RESULTS_JSONL
    log_path.write_text(json.dumps({"path": "a", "key": "a|1|1", "status": "ok", "models_id": "m"}) + "\n"
                        + '{"path": "b", "ke')
    log = ResultLog(tmp_path, "m")
    log.append({"path": "c", "key": "c|1|1", "status": "ok", "models_id": "m"})
    log.close()
    lines = log_path.read_text().splitlines()
    assert [json.loads(line)["path"] for line in lines] == ["a", "c"]
    assert log.done == {"a|1|1", "c|1|1"}


@pytest.mark.slow
def test_kill_9_then_resume_records_every_image_exactly_once(tmp_path, shipped_cnn):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(40):
        shutil.copy(SHEETS[i % len(SHEETS)], folder / f"{i:03d}.jpg")
    out = tmp_path / "out"
    command = [sys.executable, "recognize.py", "-i", str(folder), "--out", str(out), "--workers", "2", "--quiet"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        log = out / RESULTS_JSONL
        if log.exists() and len(log.read_bytes().splitlines()) >= 5:
            break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the main process and its workers
    process.wait()
    recorded_before = len((out / RESULTS_JSONL).read_bytes().splitlines())
    assert 5 <= recorded_before < 40, "the run must be killed in the middle"

    assert recognize("-i", str(folder), "--out", str(out), "--workers", "2", "--quiet").returncode == 0
    paths = [json.loads(line)["path"] for line in (out / RESULTS_JSONL).read_text().splitlines()]
    assert sorted(paths) == [f"{i:03d}.jpg" for i in range(40)]  # each exactly once
    for i in range(40):
        json.loads((out / f"{i:03d}.jpg.json").read_text())  # every JSON complete
    assert not list(out.rglob(".*.tmp-*"))


@pytest.mark.slow
def test_dask_local_cluster_matches_local_run(mixed_folder, tmp_path, shipped_cnn):
    local, dask = tmp_path / "local", tmp_path / "dask"
    recognize("-i", str(mixed_folder), "--out", str(local), "--no-images", "--quiet")
    result = recognize("-i", str(mixed_folder), "--out", str(dask), "--no-images", "--quiet",
                       "--scheduler", "local", "--workers", "2")
    assert result.returncode == BATCH_PARTIAL_FAILURE, result.stderr

    def essentials(folder):
        return {r["path"]: (r["status"], r.get("lines"), r["error"]) for r in read_records(folder)}

    assert essentials(dask) == essentials(local)
    for name in ("a.jpg", "nested/b.jpg"):
        dask_doc, local_doc = (json.loads((folder / (name + ".json")).read_text()) for folder in (dask, local))
        dask_doc.pop("timing_ms"), local_doc.pop("timing_ms")
        assert dask_doc == local_doc


@pytest.mark.slow
def test_tables_in_a_batch_get_a_csv_each_and_layout_is_never_mixed(tmp_path, shipped_cnn):
    import csv

    import cv2
    import numpy as np

    from digit_sheet_reader.synth.tables import compose_table

    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    image, truth = compose_table(np.random.default_rng(1))
    cv2.imwrite(str(folder / "marks.png"), image)
    shutil.copy(SHEETS[0], folder / "sheet.jpg")
    result = recognize("-i", str(folder), "--out", str(out), "--workers", "1", "--quiet", "--no-images")
    assert result.returncode == 0, result.stderr
    with open(out / "marks.png.csv", newline="") as handle:
        assert list(csv.reader(handle)) == truth
    assert not (out / "sheet.jpg.csv").exists()  # no table, no CSV
    document = json.loads((out / "marks.png.json").read_text())
    assert [(t["rows"], t["cols"]) for t in document["tables"]] == [(len(truth), len(truth[0]))]
    assert {r["layout"] for r in read_records(out)} == {"auto"}

    mixed = recognize("-i", str(folder), "--out", str(out), "--quiet", "--layout", "lines")
    assert mixed.returncode == 6
    assert mixed.stderr.startswith("error:") and "--layout auto, now lines" in mixed.stderr
