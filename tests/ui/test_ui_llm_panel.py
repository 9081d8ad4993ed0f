"""ui/tabs/llm_panel.py: bad LLM settings are refused with a reason and keep offline answers."""

from __future__ import annotations

from pathlib import Path

from engine.qa import QA
from ui.tabs.llm_panel import LLMPanel
from ui.workspace import Workspace


def test_llm_settings_errors_keep_offline_answers(qa: QA, tmp_path: Path) -> None:
    ws = Workspace(qa, uploads_dir=tmp_path)
    panel = LLMPanel(ws)
    assert not ws.llm_on() and "Offline answers" in panel.status()[1]
    cases = [
        (("openai-compatible", "http://127.0.0.1:9/v1", "", "", 5), "needs a model name"),
        (("openai-compatible", "", "m", "", 5), "needs the server's URL"),
        (("openai-compatible", "ftp://x", "m", "", 5), "must start with http"),
        (("openai-compatible", "http://127.0.0.1:9/v1", "m", "", 0), "timeout must be a positive"),
        (("openai-compatible", "http://a:b@127.0.0.1:9/v1", "m", "", 5), "user name or password"),
        (("gpt-magic", "http://127.0.0.1:9/v1", "m", "", 5), "unknown LLM provider"),
    ]
    for args, message in cases:
        kind, text = panel.apply(*args)
        assert kind == "error" and message in text and "Still offline" in text, text
        assert not ws.llm_on()
    assert panel.apply("none", "", "", "", None)[0] == "info"
    status, provider, *_rest = panel.llm_panel()
    assert "Offline answers" in status and provider["value"] == "none"
