"""The public Python API of kgqa (what eval scripts and notebooks import).

>>> from kgqa.qa import QA, Settings                     # doctest: +SKIP
>>> qa = QA.load(".kgqa-index")                         # doctest: +SKIP
>>> answer = qa.ask("What was revenue in fiscal 2024?")  # doctest: +SKIP
>>> answer.text, answer.citations[0].start               # doctest: +SKIP
"""

from __future__ import annotations

from core.config import Settings
from core.errors import DocumentError, IndexUnusable, KgqaError, LLMError, QuestionError
from core.types import Answer, Citation
from engine.ingest import BuildReport, build_index
from engine.qa import QA, open_qa

__all__ = [
    "QA", "Answer", "BuildReport", "Citation", "DocumentError", "IndexUnusable", "KgqaError", "LLMError",
    "QuestionError", "Settings", "build_index", "open_qa",
]
