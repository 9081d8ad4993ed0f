"""ui/app.py and ui/cli.py: the Blocks layout, the vendored graph library, the serve command."""

from __future__ import annotations

import doctest
import inspect
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

import ui.api_errors
import ui.api_models
import ui.auth
import ui.conversation
import ui.graph_view
import ui.render
import ui.tabs.facts
import ui.uploads
import ui.workspace
from engine.qa import QA
from kgqa.cli import app
from ui.app import build_app, launch
from ui.tabs.graph import VIS_JS
from ui.workspace import Workspace


def test_serve_command_is_registered_and_binds_loopback_by_default() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for opt in ("--host", "--port", "--index", "--api-only"):
        assert opt in result.output
    assert inspect.signature(launch).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(launch).parameters["port"].default == 7860


def test_vendored_graph_library_is_present_and_offline() -> None:
    js = VIS_JS.read_text(encoding="utf-8")
    assert len(js) > 100_000 and "vis-network" in js[:400]
    assert "fonts.googleapis" not in js


def test_layout_has_the_four_tabs_and_the_examples(qa: QA, tmp_path: Path) -> None:
    ws = Workspace(qa, uploads_dir=tmp_path)
    config = build_app(ws).get_config_file()
    by_elem = {c["props"].get("elem_id"): c for c in config["components"] if c["props"].get("elem_id")}
    for elem in ("kgqa-tab-ask", "kgqa-tab-graph", "kgqa-tab-facts", "kgqa-tab-docs", "kgqa-chat", "kgqa-graph",
                 "kgqa-facts", "kgqa-docs", "kgqa-upload", "kgqa-llm-apply"):
        assert elem in by_elem, elem
    buttons = [c["props"].get("value") for c in config["components"] if c["type"] == "button"]
    assert all(q in buttons for q in ws.examples())
    public = {d["api_name"] for d in config["dependencies"] if d.get("api_visibility") != "private"}
    assert {"ask_stream", "graph_reset", "facts_table", "show_document", "do_upload", "refresh"} <= public


@pytest.mark.parametrize("module", [ui.conversation, ui.graph_view, ui.render, ui.workspace, ui.tabs.facts,
                                    ui.uploads, ui.api_errors, ui.api_models, ui.auth])
def test_docstring_examples(module: ModuleType) -> None:
    failed, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failed == 0
