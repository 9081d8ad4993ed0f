"""Gradio, imported only once every hub client is forced offline: the ui modules take ``gr`` from here.

``huggingface_hub`` (imported by Gradio) reads ``HF_HUB_OFFLINE`` when it is first imported,
so :func:`~core.config.set_offline_env` has to run before ``import gradio``, whichever ui
module is imported first.
"""

from __future__ import annotations

from core.config import set_offline_env

set_offline_env()

import gradio as gr  # noqa: E402  (after the offline environment is set)

__all__ = ["gr"]
