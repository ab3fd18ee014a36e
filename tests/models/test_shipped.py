"""The shipped models are found from any folder, the reader's models come as
one ModelSet, and a helper that is missing is said, never silently dropped."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace

import pytest
from conftest import ROOT

from digit_sheet_reader import ModelSet, SheetReader
from digit_sheet_reader.errors import ModelError
from digit_sheet_reader.models.shipped import HELPERS, is_shipped_cnn, resolve_model, shipped_dir

SHEET = ROOT / "examples" / "sheet.jpg"


def test_the_shipped_models_are_found_and_complete():
    folder = shipped_dir()
    assert (folder / "mnist_cnn.model" / "model.tflite").is_file()
    for bundle in HELPERS.values():
        assert (folder / bundle / "bundle.json").is_file(), bundle


def test_a_shipped_name_resolves_from_another_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_model("output/mnist_mlp.model") == shipped_dir() / "mnist_mlp.model"
    assert resolve_model("mnist_cnn.model") == shipped_dir() / "mnist_cnn.model"
    # Not a shipped name, or a folder of the user's own of that name: taken as given.
    assert str(resolve_model("elsewhere/mine.model")) == os.path.join("elsewhere", "mine.model")
    (tmp_path / "output" / "mnist_mlp.model").mkdir(parents=True)
    assert str(resolve_model("output/mnist_mlp.model")) == os.path.join("output", "mnist_mlp.model")


def test_the_shipped_cnn_is_known_by_its_bundle_wherever_it_lies(tmp_path):
    copy = tmp_path / "my_copy.model"
    shutil.copytree(shipped_dir() / "mnist_cnn.model", copy)
    assert is_shipped_cnn(copy) and not is_shipped_cnn(shipped_dir() / "mnist_mlp.model")
    # A copy of the shipped CNN keeps its second opinion; the MLP reads without one.
    assert ModelSet.shipped(copy).second is not None
    mlp = ModelSet.shipped(shipped_dir() / "mnist_mlp.model")
    assert mlp.second is None and mlp.skipping is None and mlp.strings is not None


def test_model_set_without_and_alone():
    shipped = ModelSet.shipped()
    assert dict(shipped.without("checker", "second").helpers()).keys() == {"strings", "hard_strings", "skipping"}
    assert ModelSet.alone(shipped.recogniser).helpers() == []
    with pytest.raises(ValueError, match="not both"):
        SheetReader(shipped.recogniser, models=shipped)


def test_a_missing_helper_is_a_warning_on_stderr_and_in_the_json(tmp_path, capsys):
    reader = SheetReader(models=replace(ModelSet.shipped(), checker=tmp_path / "gone.model"))
    err = capsys.readouterr().err
    assert err.count("warning: helper model 'checker' not used") == 1 and "gone.model" in err
    doc = reader.read(SHEET).to_dict()
    assert len(doc["warnings"]) == 1 and "checker" in doc["warnings"][0]
    assert doc["models"]["checker"] is None and doc["models"]["strings"] is not None
    assert doc["lines"]  # still reads


def test_an_unreadable_helper_is_a_warning_too(tmp_path, capsys):
    broken = tmp_path / "broken.model"
    broken.mkdir()
    (broken / "bundle.json").write_text("{not json")
    reader = SheetReader(models=replace(ModelSet.shipped(), strings=broken))
    assert reader.read_strings is None and reader.read_joined is None
    assert "helper model 'strings' not used" in capsys.readouterr().err
    assert reader.used_models["strings"] is None and reader.used_models["hard_strings"] is None


def test_the_main_model_missing_is_still_an_error(tmp_path):
    with pytest.raises(ModelError):
        SheetReader(tmp_path / "nothing.model")


def test_every_shipped_helper_is_used_by_default():
    reader = SheetReader()
    assert reader.warnings == []
    assert all(reader.used_models[name] is not None for name in ("recogniser", *HELPERS))


@pytest.mark.slow
def test_the_command_reads_with_the_shipped_models_from_another_folder(tmp_path):
    result = subprocess.run([sys.executable, "-m", "digit_sheet_reader", "-i", str(SHEET), "--json"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    truth = json.loads(SHEET.with_suffix(".truth.json").read_text())
    assert [line["text"] for line in doc["lines"]] == [line["text"] for line in truth["lines"]]
    assert doc["warnings"] == [] and doc["models"]["second"] is not None
