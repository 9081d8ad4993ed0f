"""Reading names and enumerations off a sentence, for list and name answers.

>>> names_kind("Vendors like Nimbus AI, Google Cloud and Acme Studio lead the market.")
(['Nimbus AI', 'Google Cloud', 'Acme Studio'], True)
>>> phrases("Savings come from spot instances, reserved capacity, and savings plans.")
['from spot instances', 'reserved capacity', 'savings plans']
"""

from __future__ import annotations

import re

# Capitalised names ("Nimbus AI", "Google Cloud", "Acme Cloud Studio"), for list/name answers.
_NAME = re.compile(
    r"\b(?:[A-Z][A-Za-z0-9&.'-]*[A-Za-z0-9]|[A-Z]{2,})(?:\s+(?:[A-Z][A-Za-z0-9&.'-]*[A-Za-z0-9]|[A-Z]{2,}|(?:of|&|de)\b))*"
)
_ENUM_SEP = re.compile(r"\s*(?:,\s*(?:and|or)\s+|,\s*|\s+and\s+|\s+or\s+|/)\s*")
_GENERIC = {
    "the", "a", "an", "in", "on", "for", "as", "at", "if", "this", "that", "with", "while", "by", "it", "its",
    "vendors", "vendors like", "ai", "we", "our", "they", "their", "these", "those", "near", "non", "net",
    "simultaneously", "through", "when", "where", "however", "also", "but", "and", "or", "result", "cost",
    "deployment", "actionable insight", "revenue category",
}


def names_kind(text: str) -> tuple[list[str], bool]:
    """Names in ``text`` and whether they form an enumeration (``False``: loose capitalised words)."""
    best: list[str] = []
    for clause in re.split(r"[;:]\s+|\.\s+", text):
        parts = [p for p in _ENUM_SEP.split(clause) if p.strip()]
        run: list[str] = []
        for k, part in enumerate(parts):
            # the first item follows its lead-in ("Vendors like X"), later ones lead their part ("Y are ...")
            found = list(_NAME.finditer(part.strip()))
            m = (found[-1] if found else None) if k == 0 else _NAME.match(part.strip())
            name = clean_name(m.group(0)) if m else ""
            if name and not generic(name):
                run.append(name)
            else:
                if len(run) > len(best):
                    best = run
                run = []
        if len(run) > len(best):
            best = run
    if len(best) >= 2:
        return list(dict.fromkeys(best)), True
    out: list[str] = []
    for m in _NAME.finditer(text):
        name = clean_name(m.group(0))
        if name and not generic(name) and name not in out:
            out.append(name)
    return out, False


def phrases(text: str) -> list[str]:
    """Items of the longest comma enumeration of short phrases ("a, b, and c"), or ``[]``."""
    best: list[str] = []
    for clause in re.split(r"[;:]\s+|\.\s+|\.$", text):
        parts = [p.strip(" .") for p in _ENUM_SEP.split(clause) if p.strip(" .")]
        if len(parts) >= 3 and all(1 <= len(p.split()) <= 4 for p in parts[1:-1]):
            first = " ".join(parts[0].split()[-3:])  # the lead-in's tail: "Leveraging X" -> "X"
            last = " ".join(parts[-1].split()[:4])
            items = [first, *parts[1:-1], last]
            if len(items) > len(best):
                best = items
    return best


def clean_name(name: str) -> str:
    """A name without a leading article or preposition and without a possessive "'s"."""
    name = name.strip(" .,'")
    name = re.sub(r"^(The|A|An|In|On|For|Like|As|At|If|This|That|With|While|By|Vendors like)\s+", "", name)
    return re.sub(r"'s$", "", name)


def generic(name: str) -> bool:
    """A capitalised word that names nothing ("The", "However", "AI")."""
    return name.lower() in _GENERIC or len(name) < 2
