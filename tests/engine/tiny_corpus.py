"""A tiny purpose-built corpus about a made-up company, for the engine's unit tests.

The figures are constants so that tests derive what they expect from the documents. The two
documents disagree on fiscal 2023 revenue (a conflict for the graph route); the raw text has
a curly apostrophe and an en dash, which the normalised unit text does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.config import Settings
from retrieval.search import Retriever
from retrieval.store import RetrievalIndex

COMPANY = "Quillfeather Foods"
REVENUE_2023 = "$310 million"
REVENUE_2023_NOTE = "$325 million"  # the investor note's figure for the same year
MARGIN_2024 = "34%"
RETAILERS = ("Harvest Lane", "Greenmart", "Pantry Direct")
TARGET = "Oatfield Dairy"
PRICE = "$95 million"
SEGMENTS = {"Bakery": "$180 million", "Dairy": "$130 million"}
DAIRY_MARGIN = "8–10%"  # en dash in the file, "8-10%" once normalised

REVIEW_FILE = "quillfeather-annual-review.txt"
NOTE_FILE = "quillfeather-investor-note.txt"

REVENUE_SENTENCE = f"{COMPANY} reported fiscal 2023 revenue of {REVENUE_2023}, up 9% from the prior year."
ACQUISITION_SENTENCE = f"Quillfeather acquired {TARGET} for {PRICE} in 2021 to add a cheese line."
NOTE_REVENUE_SENTENCE = f"{COMPANY} posted fiscal 2023 revenue of {REVENUE_2023_NOTE} including its cafe business."

REVIEW = f"""{COMPANY}: Annual Review
Overview
{REVENUE_SENTENCE}
Quillfeather’s breads are sold by retail companies {RETAILERS[0]}, {RETAILERS[1]} and {RETAILERS[2]}.
{ACQUISITION_SENTENCE}
Segments
| Segment | FY2023 Revenue | Share |
|---|---|---|
| Bakery | {SEGMENTS["Bakery"]} | 58% |
| Dairy | {SEGMENTS["Dairy"]} | 42% |
Dairy margins were {DAIRY_MARGIN} in fiscal 2023.
Outlook
Management expects a gross margin of {MARGIN_2024} in fiscal 2024 because flour costs have eased.
"""

NOTE = f"""{COMPANY}: Investor Note
Summary
{NOTE_REVENUE_SENTENCE}
The company plans to open a fourth bakery in Bristol.
"""

DOCUMENTS = {REVIEW_FILE: REVIEW, NOTE_FILE: NOTE}


@dataclass(frozen=True)
class Tiny:
    """The tiny index, loaded (``tiny`` fixture): its source folder, settings, index and a retriever."""

    docs_dir: Path
    settings: Settings
    index: RetrievalIndex
    retriever: Retriever
