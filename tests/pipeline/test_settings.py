"""Every stage keeps its tuned numbers in one frozen dataclass, each field
saying what it means on its own line."""

import ast
import dataclasses
import importlib

import pytest
from conftest import ROOT

STAGES = {
    "page": "PAGE", "ink": "INK", "regions": "REGIONS", "crops": "CROPS", "recognise": "RECOGNISE",
    "refine.settings": "REFINE", "reject": "REJECT", "lines": "LINES", "reader": "READER",
}


@pytest.mark.parametrize("module, name", sorted(STAGES.items()))
def test_a_stage_has_one_frozen_settings_object(module, name):
    settings = getattr(importlib.import_module(f"digit_sheet_reader.pipeline.{module}"), name)
    assert dataclasses.is_dataclass(settings) and settings.__dataclass_params__.frozen
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(settings, dataclasses.fields(settings)[0].name, 0)


@pytest.mark.parametrize("module", sorted(STAGES))
def test_every_field_says_what_it_means(module):
    path = ROOT / "utils" / "pipeline" / (module.replace(".", "/") + ".py")
    lines = path.read_text().splitlines()
    classes = [node for node in ast.parse(path.read_text()).body
               if isinstance(node, ast.ClassDef) and node.name.endswith("Settings")]
    assert len(classes) == 1
    fields = [node for node in classes[0].body if isinstance(node, ast.AnnAssign)]
    assert fields
    for node in fields:
        assert "  # " in lines[node.lineno - 1], f"{path.name}: {node.target.id} has no one-line meaning"
