"""Bad input to the command-line tools: one line on stderr, a documented
non-zero exit code, no traceback, nothing half-written."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, write_idx, write_mnist_idx_dir

from digit_sheet_reader.errors import DataError, ModelError, OutputError

pytestmark = pytest.mark.slow  # training runs and a subprocess per case


def run(*argv):
    result = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=300)
    return result.returncode, result.stderr


def assert_one_line_error(stderr, fragment):
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert fragment in errors[0]


@pytest.fixture
def bad_labels_dir(tmp_path, tiny_train, tiny_test):
    write_mnist_idx_dir(tmp_path, tiny_train, tiny_test)
    labels = tiny_train.labels.copy()
    labels[7] = 11
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels, gz=True)
    return tmp_path


@pytest.mark.parametrize("script", ["train_mlp.py", "train_cnn.py"])
def test_missing_data_path(script, tmp_path):
    code, err = run(script, "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "m.model"))
    assert code == DataError.exit_code
    assert_one_line_error(err, "no such file or folder")


def test_empty_data_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    code, err = run("train_mlp.py", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "m.model"))
    assert code == DataError.exit_code
    assert_one_line_error(err, "no train data found")


def test_truncated_data(tmp_path, tiny_train, tiny_test):
    write_mnist_idx_dir(tmp_path, tiny_train, tiny_test, gz=False)
    images = tmp_path / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:5000])
    code, err = run("train_mlp.py", "--data", str(tmp_path), "--out", str(tmp_path / "m.model"))
    assert code == DataError.exit_code
    assert_one_line_error(err, "truncated")


def test_wrong_shaped_npz(tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((5, 784), np.uint8), y_train=np.zeros(5, np.uint8),
             x_test=np.zeros((5, 784), np.uint8), y_test=np.zeros(5, np.uint8))
    code, err = run("train_mlp.py", "--data", str(tmp_path), "--out", str(tmp_path / "m.model"))
    assert code == DataError.exit_code
    assert_one_line_error(err, "must be (N, H, W) images")


def test_labels_out_of_range(bad_labels_dir):
    code, err = run("train_cnn.py", "--data", str(bad_labels_dir), "--out", str(bad_labels_dir / "m.model"))
    assert code == DataError.exit_code
    assert_one_line_error(err, "labels out of range 0..9")


def test_unwritable_out(tmp_path, tiny_train, tiny_test):
    write_mnist_idx_dir(tmp_path, tiny_train, tiny_test)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    code, err = run("train_mlp.py", "--data", str(tmp_path), "--out", str(blocker / "m.model"))
    assert code == OutputError.exit_code
    assert_one_line_error(err, "cannot write")
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("model", ["README.md", "tests", "no/such.model"])
def test_evaluate_rejects_what_is_not_a_model(model):
    code, err = run("-m", "digit_sheet_reader.training.evaluate", "-m", model)
    assert code == ModelError.exit_code
    assert_one_line_error(err, model)


def test_usage_error_exit_code():
    code, err = run("train_mlp.py", "--epochs", "many")
    assert code == 2 and "invalid int value" in err


def test_every_command_says_its_version():
    from digit_sheet_reader import __version__

    for command in (["recognize.py"], ["train_cnn.py"], ["train_mlp.py"], ["-m", "digit_sheet_reader"],
                    ["-m", "digit_sheet_reader.training.evaluate"]):
        result = subprocess.run([sys.executable, *command, "--version"], cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0 and result.stdout.strip().endswith(__version__), command


@pytest.mark.parametrize("blocked", ["keras", "tensorflow"])
def test_training_without_tensorflow_says_what_to_install(blocked, tmp_path, tiny_idx_dir):
    # As on an install without the train extra: the package is not there to import.
    argv = ["train_mlp.py", "--data", str(tiny_idx_dir), "--out", str(tmp_path / "x.model")]
    code = f"import sys, runpy; sys.modules[{blocked!r}] = None; sys.argv = {argv!r}; " \
           "runpy.run_path('train_mlp.py', run_name='__main__')"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 8
    assert_one_line_error(result.stderr, "pip install -e '.[train]'")


def test_a_damaged_png_is_one_error_line_without_the_codecs_own(tmp_path):
    import cv2

    ok, png = cv2.imencode(".png", np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    data = bytearray(png.tobytes())
    start = data.index(b"IDAT") + 20
    data[start:start + 40] = bytes(40)  # the compressed pixels spoiled: libpng complains on stderr
    (tmp_path / "bad.png").write_bytes(bytes(data))
    code, err = run("recognize.py", "-i", str(tmp_path / "bad.png"))
    assert code == 5
    assert [line for line in err.splitlines() if line.strip()] == [line for line in err.splitlines()
                                                                   if line.startswith("error: ")]
    assert_one_line_error(err, "bad.png")


def test_a_bad_keras_model_is_one_line_without_tensorflows_start_up_noise(tmp_path):
    (tmp_path / "bad.keras").write_bytes(b"not a keras file at all")
    code, err = run("recognize.py", "-i", "examples/sheet.jpg", "-m", str(tmp_path / "bad.keras"), "--runtime", "keras")
    assert code == 4
    assert [line for line in err.splitlines() if line.strip()] == [line for line in err.splitlines()
                                                                   if line.startswith("error: ")]


def test_output_piped_into_a_reader_that_stops_early_ends_quietly():
    # `recognize.py ... | head -1`: the pipe is closed before all is printed.
    child = subprocess.Popen([sys.executable, "recognize.py", "-i", "tests/golden/clean_lines.png"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()  # the reader is gone before the first line is written
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=300) == 141
    assert "Traceback" not in stderr and "Error" not in stderr
