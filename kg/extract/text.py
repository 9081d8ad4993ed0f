"""Pure text helpers of the rule-based extractor: names, noun phrases, cells and lists.

Nothing here knows about a document's state; every function maps strings to strings.

>>> clean_name(' "Acme Corp", ')
'Acme Corp'
>>> np_phrase("the gross margin of the segment")
'gross margin of the segment'
>>> short_list("Spot instances, reserved capacity, and savings plans.")
['spot instances', 'reserved capacity', 'savings plans']
"""

from __future__ import annotations

import re

CONNECTORS = ("&", "-", "/", "of")  # words that may join the capitalised words of one name


def clean_name(name: str) -> str:
    """Trim quotes, possessives and punctuation around a name.

    >>> clean_name("(Acme Corp's")
    'Acme Corp'
    """
    n = " ".join(name.split()).strip(" \"'.,;:[]")
    while n.endswith(")") and n.count("(") < n.count(")"):
        n = n[:-1].rstrip()
    while n.startswith("(") and n.count("(") > n.count(")"):
        n = n[1:].lstrip()
    if n.count("(") > n.count(")"):
        n = n + ")"
    n = re.sub(r"['’]s$", "", n)
    return n.strip(" \"'-")


def split_cells(text: str, headers: list[str]) -> list[tuple[str | None, int, str]]:
    """Cells of a ``Header: cell; Header: cell`` row text as ``(header, offset, cell)``.

    >>> split_cells("Segment: Flex; Revenue: $1B", ["Segment", "Revenue"])
    [('Segment', 9, 'Flex'), ('Revenue', 24, '$1B')]
    """
    if not headers:
        return [(None, 0, text)]
    cuts: list[tuple[int, int, str]] = []
    pos = 0
    for k, h in enumerate(headers):
        marker = f"{h}: "
        at = text.find(marker, pos) if k else (0 if text.startswith(marker) else -1)
        if k and at > 0 and text[at - 2 : at] != "; ":
            at = text.find("; " + marker, pos)
            at = at + 2 if at >= 0 else -1
        if at < 0:
            continue
        cuts.append((at, at + len(marker), h))
        pos = at + len(marker)
    if not cuts:
        return [(None, 0, text)]
    out = []
    for i, (_a, b, h) in enumerate(cuts):
        end = cuts[i + 1][0] - 2 if i + 1 < len(cuts) else len(text)
        out.append((h, b, text[b:end].strip()))
    return out


def namey(tok: str) -> bool:
    """Whether a token looks like part of a name (capitalised, or camel-case like ``iPhone``).

    >>> [namey(t) for t in ("Acme", "eBay", "the", "5G")]
    [True, True, False, False]
    """
    if not tok or not tok[0].isalpha():
        return False
    if tok[0].isupper():
        return True
    return any(c.isupper() for c in tok[1:]) and tok[0].islower() and len(tok) > 2


def np_phrase(text: str) -> str:
    """A noun phrase at the start of ``text``: stop at punctuation, a verb-ish word, or a preposition chain."""
    t = re.split(r"[,;:.()]|\s+-\s+|\s+(?:by|from|to|in|on|at|before|after|while|as|with|that|which|vs\.?|versus|since|during|when|if|for|through)\s+", text, maxsplit=1)[0]
    t = re.sub(r"\s+(?:and|or)$", "", t.strip())
    words = t.split()
    # a phrase of more than six words is probably a clause
    if len(words) > 6:
        words = words[:6]
    while words and words[-1].lower() in ("the", "a", "an", "of", "in", "on", "and", "or", "its", "their"):
        words.pop()
    out = " ".join(words)
    return re.sub(r"^(?:the|a|an|its|their|our)\s+", "", out, flags=re.I)


def first_chunk(text: str) -> tuple[str, tuple[str, ...]] | None:
    """The first noun phrase of a table cell, with an acronym alias when one follows in parentheses.

    >>> first_chunk("Reinforcement learning models trained on routes")
    ('Reinforcement learning', ('Reinforcement learning models',))
    >>> first_chunk("Graph neural networks (GNNs) for routing")
    ('Graph neural networks', ('GNNs', 'GNN'))
    """
    stop = {"trained", "fine-tuned", "on", "for", "with", "in", "of", "that", "using", "built", "based", "to", "and", "or"}
    words = []
    for w in re.findall(r"\(?[\w/-]+\)?|[.;,:]", text):
        if w in ".;,:" or w.lower() in stop or w.startswith("("):
            break
        words.append(w)
    if not words or len(words) > 5:
        return None
    name = " ".join(words)
    acr = re.match(re.escape(name) + r"\s+\(([A-Z][\w/]*)\)", text.strip())
    aliases: tuple[str, ...] = ()
    if acr:
        aliases = (acr.group(1), acr.group(1).rstrip("s"))
    low = name.lower()
    words = low.split()
    if words[-1] in ("models", "model") and len(words) >= 3 and not acr:
        aliases = (*aliases, name)
        name = " ".join(name.split()[:-1])
    return name, aliases


_SKIP_BACK = {
    "approximately", "about", "around", "roughly", "nearly", "almost", "over", "under", "to", "at", "of", "toward",
    "towards", "by", "from", "near", "in", "the", "a", "an", "been", "be", "is", "are", "was", "were", "has", "have",
    "had", "will", "would", "could", "down", "up", "still", "now", "only", "just",
}
_STOP_BACK = {"with", "and", "or", "as", "while", "but", "that", "which", "where", "when", "if", "for", "its", "their", "the", "a", "an"}


def words_before(before: str) -> str | None:
    """The noun phrase ending just before a value, skipping qualifiers and one verb.

    >>> words_before("with SMS per-message rates declining approximately ")
    'SMS per-message rates'
    """
    words = re.findall(r"[\w/%'-]+|[,;:()]", before)
    k = len(words)
    while k and words[k - 1].lower() in _SKIP_BACK:
        k -= 1
    if k and re.fullmatch(r"[a-z]+(?:ing|ed|es)", words[k - 1]):
        k -= 1
    while k and words[k - 1].lower() in _SKIP_BACK:
        k -= 1
    out: list[str] = []
    while k and len(out) < 5:
        w = words[k - 1]
        if w in ",;:()" or w.lower() in _STOP_BACK or re.fullmatch(r"[a-z]+(?:ing|ed)", w):
            break
        out.insert(0, w)
        k -= 1
    return " ".join(out) or None


def short_list(text: str) -> list[str]:
    """Items of a cell that is only a list of (three or more) short noun phrases, else ``[]``."""
    t = text.strip().rstrip(".")
    parts = [p.strip() for p in re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+", t) if p.strip()]
    if len(parts) < 3 or any(len(p.split()) > 3 for p in parts):
        return []
    if any(re.search(r"\d", p) for p in parts):
        return []
    return [p[0].lower() + p[1:] if p[:1].isupper() and not p[1:2].isupper() else p for p in parts]


def top_level_split(body: str) -> list[str]:
    """Split on commas outside parentheses.

    >>> top_level_split("churn (rising), NRR (flat, 102%), and seats")
    ['churn (rising)', 'NRR (flat, 102%)', 'and seats']
    """
    out, depth, cur = [], 0, []
    for ch in body:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    if cur:
        out.append("".join(cur))
    return [x.strip() for x in out if x.strip()]


def arena(text: str, at: int, tight: bool = False) -> str | None:
    """Where a competition cue at ``at`` applies ("... compete for enterprise accounts" -> "enterprise accounts").

    ``tight``: the actor came before the cue, so ", and ..." starts another clause, not a list item.
    """
    stops = r"and|but|while|as|whereas" if tight else r"but|while|as"
    clause = re.split(r"[;.]\s|,\s+(?:" + stops + r")\s", text[at:] + " ", maxsplit=1)[0]
    found = list(re.finditer(r"\b(?:for|in)\s+(?:the\s+)?([A-Za-z][\w -]{2,60}?)(?=[,;.]|\s+(?:and|but|while|as|on|at)\b|$)", clause))
    if found:
        return found[-1].group(1).strip()
    m = re.match(r"\s+(?!with\b)([a-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,3})", text[at:])
    if m:
        return np_phrase(m.group(1)) or None
    return None


def singular_phrase(p: str) -> str:
    """The phrase with its last word singular, unless that word is plural-only.

    >>> [singular_phrase(x) for x in ("gross margins", "net sales", "subsidiaries", "APIs")]
    ['gross margin', 'net sales', 'subsidiary', 'APIs']
    """
    words = p.split()
    if not words:
        return p
    last = words[-1]
    if re.fullmatch(r"[A-Z]+s", last):
        return p
    low = last.lower()
    keep = {"sales", "savings", "news", "analytics", "series", "liquidations", "anomalies", "shares", "workloads", "proceeds", "buybacks"}
    if low in keep or low.endswith(("ss", "us", "is")):
        return p
    if low.endswith("ies") and len(low) > 4:
        last = last[:-3] + "y"
    elif low.endswith("s") and len(low) > 3:
        last = last[:-1]
    return " ".join([*words[:-1], last])


def starts_with_name(phrase: str, name: str) -> bool:
    """``"edge node latency"`` starts with the name ``"edge nodes"`` (plural-insensitive).

    >>> starts_with_name("edge node latency", "edge nodes")
    True
    """
    if len(name) < 3:
        return False
    p = phrase.split()
    n = name.split()
    if len(p) <= len(n):
        return False
    return all(a.rstrip("s") == b.rstrip("s") for a, b in zip(p[: len(n)], n, strict=False))
