"""Open answers: one short cited point per distinct thing the reports say, most relevant first.

"What are the weaknesses of X?", "Summarize the bear case", "Why ...?", "What happens if ...?",
"What does X mean for Y?" are answered by point, not by the one sentence nearest the words:

1. **gather** candidate units from every relevant section of every document: the retrieved
   units, the best units corpus-wide by vector and by keywords, and every unit of a section the
   question names ("the bear case" -> the section headed "Bear Case");
2. **score** each on retrieval, coverage of the question's rare words, the aspect asked about
   (a weakness question wants sentences that state a weakness: cue words in
   ``retrieval/data/aspects.json``; a unit that states none is not a point) and the question's
   *subject*: a rare capitalised name of the subject, or a table row it names in lower case,
   must be in the unit, its section, its document's title or the sentence it refers back to,
   so "the risks to X" are risks that bear on X, not a list of X's siblings; the sentences
   after a topic sentence that restates the question move up (they explain it);
3. **select** up to :data:`MAX_POINTS`, skipping near-duplicates (unit vectors or shared
   words) and heading-only units, keeping at least one point from each document that has a
   strong one;
4. **write** each point as one short quoted sentence: a long sentence is cut to the clauses that
   carry the point, and the citation covers exactly that clause (``raw[start:end]`` is the
   text quoted). The question is never echoed and no sentence appears twice;
5. **qualify**: where two selected points from different documents are about the same thing
   but pull in opposite directions, or the graph holds conflicting values for something the
   points state, a last point says so with both citations.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from core.config import Settings
from core.interfaces import GraphStore
from core.types import Answer, Evidence, Point, SearchResult, Unit
from engine.answer_rank import Ranker
from engine.answer_result import abstain, cited_answer
from engine.answer_text import capitalised, years
from engine.citations import Citations
from engine.outline import Outline, point_text
from retrieval.lexical import tokenize
from retrieval.question_shape import (
    OpenFocus,
    aspects,
    contrast_count,
    open_focus,
    polarity_counts,
    starts_anaphoric,
    turns_negative,
)
from retrieval.store import RetrievalIndex

MAX_POINTS = 6
DUP_COSINE = 0.93  # unit vectors this close say the same thing (same-section sentences reach ~0.88)
DUP_WORDS = 0.6  # share of shared content words that makes two sentences near-duplicates
KEEP_MARGIN = 0.32  # points score within this of the best point
TOPIC_COVERAGE = 0.55  # a best unit with this much of the question's words restates it
TOPIC_DENSE = 0.75  # ... or this close to the question
TOPIC_FOLLOW = (0.35, 0.28, 0.2, 0.12)  # lift of the 1st, 2nd, 3rd sentence after such a topic sentence
DIVERSITY = 0.2  # how much closeness to an already picked point costs (maximal marginal relevance)
SAME_TOPIC = 0.45  # cosine above which two points from different documents are about the same thing
_RARE_NAME = math.log(1 + 1 / 0.25)  # a name in under a quarter of the units


@dataclass(slots=True)
class OpenCandidate:
    """A unit that may become a point, with what its score is made of."""

    unit: Unit
    score: float
    dense: float
    coverage: float
    aspect_hits: float = 0.0
    in_section: bool = False
    text: str = ""  # the quoted text of the point (the unit, or the clauses that carry the point)
    toks: frozenset[str] = field(default_factory=frozenset)


class OpenAnswerer:
    """Builds point-by-point answers over one index (see module docstring)."""

    def __init__(
        self, index: RetrievalIndex, ranker: Ranker, settings: Settings, graph: GraphStore | None = None,
        skip: frozenset[int] = frozenset(),
    ) -> None:
        self.index = index
        self.ranker = ranker
        self.settings = settings
        self.graph = graph
        self.outline = Outline(index, skip)  # ``skip``: quarantined chunks, never a point

    # ---- public ------------------------------------------------------------------------------------

    def answer(self, result: SearchResult, qv: np.ndarray | None) -> Answer:
        """The open answer to ``result`` (or an abstention when the evidence is weak)."""
        qa = result.question
        focus = open_focus(qa.text)
        if self.ranker.unknown_names(qa):
            return abstain(self.index, result, [])
        sections = self.focus_sections(qa.tokens)
        if focus.summary and not sections:  # "summarize the channel check": the document it names
            docs = self._doc_preference(qa.tokens)
            sections = {key for key in self.outline.section_units if key[0] in docs}
        cands = self._candidates(result, qv, focus, sections)
        if not cands:
            return abstain(self.index, result, [])
        # how sure the evidence is: the closest of the leading candidates (the best-scored one may owe
        # its rank to aspect cues more than to closeness)
        conf = max(0.55 * c.dense + 0.45 * c.coverage for c in cands[:10])
        if conf < self.settings.abstain_threshold and not any(c.in_section for c in cands):
            return abstain(self.index, result, [], conf)
        picks = self._select(cands, focus, bool(sections))
        cites = Citations(self.index)
        points = [self._point(c, cites) for c in picks]
        note = self._qualification(picks, points, cites)
        if note is not None:
            points.append(note)
        text = "\n".join(f"- {_with_marks(p)}" for p in points)
        ans = cited_answer(result, text, cites, abstained=False, value=None, confidence=conf)
        ans.answer_type = "open"
        ans.points = points
        ans.notes.append(f"open answer: {len(picks)} points" + (f" on {', '.join(focus.aspects)}" if focus.aspects else ""))
        return ans

    def focus_sections(self, q_tokens: tuple[str, ...]) -> set[tuple[str, str]]:
        """Sections whose heading the question names (:meth:`engine.outline.Outline.focus_sections`)."""
        return self.outline.focus_sections(q_tokens)

    # ---- candidates --------------------------------------------------------------------------------

    def _candidates(
        self, result: SearchResult, qv: np.ndarray | None, focus: OpenFocus, sections: set[tuple[str, str]]
    ) -> list[OpenCandidate]:
        qa = result.question
        pool = {su.unit.id: (su.score, su.dense) for su in result.units}
        prior = {su.unit.chunk: su.chunk_prior for su in result.units}
        extra = {uid for key in sections for uid in self.outline.section_units.get(key, [])}
        if qv is not None:
            extra.update(uid for uid, _ in self.index.unit_dense.search(qv, 40))
        n_units = len(self.index.units)
        tops = [su.unit.id for su in result.units[:6]]
        if qv is not None:
            tops += [uid for uid, _ in self.index.unit_dense.search(qv, 5)]
        for uid in tops:  # what follows the best units may explain them
            extra.update(range(uid + 1, min(n_units, uid + 1 + len(TOPIC_FOLLOW))))
        extra -= set(pool)
        if extra and qv is not None:
            ids = sorted(extra)
            dense = self.index.unit_dense.scores(qv, ids)
            lex = self.index.unit_lexical.scores(qa.text)
            top = float(lex.max()) if len(lex) and lex.max() > 0 else 1.0
            for uid, d in zip(ids, dense.tolist(), strict=True):
                cp = prior.get(self.index.units[uid].chunk, 0.0)
                pool[uid] = (0.55 * d + 0.25 * float(lex[uid]) / top + 0.2 * cp, float(d))
        asked = [aspects()[a] for a in focus.aspects]
        polar = any(a.polarity for a in asked)
        names = self._subject_names(focus)
        q_years = {int(v.value) for v in qa.values if v.kind in ("year", "quarter")}
        doc_pref = self._doc_preference(qa.tokens)
        out: list[OpenCandidate] = []
        off_subject: list[OpenCandidate] = []
        for uid, (base, dense) in pool.items():
            u = self.index.units[uid]
            if u.chunk in self.outline.skip or u.kind == "heading" or (not u.section and u.kind != "sentence") or u.text.rstrip().endswith(":"):
                continue  # headings, table header rows and lead-ins ("the key takeaways are:") are not points
            cov = self.ranker.coverage(qa, self.ranker.unit_tokens(u))
            score = base + 0.25 * cov
            hits = max((min(a.hits(u.text), 2.0) for a in asked), default=0.0)
            if polar:  # "weaknesses", "risks": a point must state one
                if hits == 0 and (u.doc, u.section) not in sections:
                    continue
                score += 0.07 * hits
                if any(a.polarity == "negative" for a in asked) and turns_negative(u.text):
                    score += 0.06  # "real but declining", "best-in-class, but the gap has narrowed"
            elif asked:  # "drivers", "consequences": a cue helps, its absence is no evidence
                score += 0.03 * hits
            in_section = (u.doc, u.section) in sections
            if in_section:
                score += 0.35 if focus.summary or not polar else 0.2
            if q_years and q_years & (years(self.ranker.values_of(u)) | years(self.ranker.section_values(u.section))):
                score += 0.05
            if doc_pref:
                score += 0.1 if u.doc in doc_pref else -0.1
            cand = OpenCandidate(u, score, dense, cov, hits, in_section)
            missing = self._names_missing(u, names)
            if missing == 2:  # about something else than the subject: the name is nowhere near it
                off_subject.append(cand)
                continue
            cand.score -= 0.05 * missing
            out.append(cand)
        if len(out) < 2:  # the subject's name is barely used: keep the others, ranked lower
            for c in off_subject:
                c.score -= 0.25
            out += off_subject
        out.sort(key=lambda c: -c.score)
        self._continuations(out, focus)
        out.sort(key=lambda c: -c.score)
        return out[:60]

    def _continuations(self, cands: list[OpenCandidate], focus: OpenFocus) -> None:
        """The sentence after a top candidate (an explanation goes on) and the sibling rows or items
        of a top table row or list item (a table lists parallel points) move up."""
        by_id = {c.unit.id: c for c in cands}
        units = self.index.units
        lifted: set[int] = set()
        best = cands[0] if cands else None
        if best is not None and best.unit.kind == "sentence" and (
            best.coverage >= TOPIC_COVERAGE or best.dense >= TOPIC_DENSE
        ):  # the best unit restates the question (a topic sentence): the sentences after it explain it
            top = best.unit
            for step, bonus in enumerate(TOPIC_FOLLOW, 1):
                j = top.id + step
                if j >= len(units) or units[j].doc != top.doc or units[j].section != top.section:
                    break
                other = by_id.get(j)
                if other is not None and units[j].kind != "heading":
                    other.score += bonus
                    lifted.add(j)
        for c in cands[:3]:
            u = c.unit
            nxt = [u.id + 1] if u.kind == "sentence" else [u.id - 2, u.id - 1, u.id + 1, u.id + 2]
            for j in nxt:
                if not 0 <= j < len(units) or j in lifted:
                    continue
                w = units[j]
                if w.doc != u.doc or w.section != u.section or w.kind == "heading":
                    continue
                if u.kind != "sentence" and w.kind != u.kind:
                    continue
                other = by_id.get(j)
                if other is not None and other.score < c.score:
                    other.score += 0.08
                    lifted.add(j)

    def _subject_names(self, focus: OpenFocus) -> list[re.Pattern[str]]:
        """What the subject names, as patterns a unit about it must match: its rare capitalised names
        ("Segment", "CPaaS"; rare in the units' own text, so a word of every document title is not
        one), matched as written, and the parts of the corpus it names in lower case (a table's row,
        a graph entity: "test services"), matched in any case."""
        stems = capitalised(f"x {focus.subject}")
        rare = {t for t in stems if self.outline.text_idf.get(t, 0.0) > _RARE_NAME and not any(ch.isdigit() for ch in t)}
        out: dict[str, re.Pattern[str]] = {}
        for w in re.findall(r"[A-Z][\w-]*", focus.subject):
            base = re.sub(r"'s$|’s$", "", w)
            if set(tokenize(base)) & rare:
                out.setdefault(base, re.compile(rf"(?<![\w-]){re.escape(base)}"))
        for part in self.outline.part_names:
            # named in lower case (a capitalised name is matched as written above)
            if re.search(rf"(?<![\w-]){re.escape(part)}(?![\w-])", focus.subject):
                out.setdefault(part, re.compile(rf"(?<![\w-]){re.escape(part)}", re.I))
        return list(out.values())

    def _names_missing(self, u: Unit, names: list[re.Pattern[str]]) -> int:
        """0 when the subject's names are in the unit, its section or its document's title, 1 when only
        in the sentence it refers back to, 2 when nowhere near it."""
        worst = 0
        prev = self.index.units[u.id - 1] if u.id > 0 else None
        refers_back = prev is not None and prev.doc == u.doc and prev.section == u.section and starts_anaphoric(u.text)
        title = self.index.docs[u.doc].title
        for pat in names:
            if pat.search(u.text) or pat.search(u.section) or pat.search(title):
                continue  # a name in the document's title is what the whole document is about
            # "This advantage is declining": the name may be in the sentence it refers back to
            worst = max(worst, 1 if refers_back and prev is not None and pat.search(prev.text) else 2)
        return worst

    def _doc_preference(self, q_tokens: tuple[str, ...]) -> set[str]:
        """Documents the question names by kind or publisher ("the commentary", "the analyst")."""
        q = set(q_tokens)
        return {d for d, words in self.outline.doc_words.items() if words & q}

    # ---- selection ---------------------------------------------------------------------------------

    def _select(self, cands: list[OpenCandidate], focus: OpenFocus, has_sections: bool) -> list[OpenCandidate]:
        """Up to :data:`MAX_POINTS` distinct points: a named section's units first (all of them when
        they fit, in the document's order), then the most relevant others, each as unlike the points
        already picked as possible (maximal marginal relevance); near-duplicates never."""
        best = cands[1].score if len(cands) > 1 else cands[0].score  # the runner-up: a best unit that
        # restates the question word for word must not set the bar for every other point
        whole_section = has_sections and (focus.summary or not any(aspects()[a].polarity for a in focus.aspects))
        keep = [c for c in cands if c.score >= best - KEEP_MARGIN or (c.in_section and whole_section)]
        vecs = self._vectors([c.unit.id for c in keep])
        for c in keep:
            c.text = self._point_text(c.unit, focus)
            c.toks = frozenset(tokenize(c.text))
        picks: list[OpenCandidate] = []
        inside = [c for c in keep if c.in_section] if whole_section else []
        if inside and len(inside) < MAX_POINTS:  # the whole section, leaving room for what others say
            for c in sorted(inside, key=lambda c: c.unit.id):
                if not any(_near_duplicate(c, p, vecs[c.unit.id], vecs[p.unit.id]) for p in picks):
                    picks.append(c)
        rest = [c for c in keep if c not in picks]
        while rest and len(picks) < MAX_POINTS:
            def gain(c: OpenCandidate) -> float:
                sims = [float(vecs[c.unit.id] @ vecs[p.unit.id]) for p in picks]
                return c.score - DIVERSITY * max(sims, default=0.0)

            c = max(rest, key=gain)
            rest.remove(c)
            if any(_near_duplicate(c, p, vecs[c.unit.id], vecs[p.unit.id]) for p in picks):
                continue
            if picks and gain(c) < best - KEEP_MARGIN - DIVERSITY * 0.5 and not c.in_section:
                break
            picks.append(c)
        self._cover_documents(keep, picks, focus)
        if whole_section:  # a named section reads in its own order
            inside_picked = sorted((c for c in picks if c.in_section), key=lambda c: c.unit.id)
            picks = inside_picked + [c for c in picks if not c.in_section]
        return picks

    def _cover_documents(self, keep: list[OpenCandidate], picks: list[OpenCandidate], focus: OpenFocus) -> None:
        """Add the best point of a document that has a strong candidate but no point yet."""
        if not picks:
            return
        have = {c.unit.doc for c in picks}
        floor = picks[0].score - KEEP_MARGIN * 0.6
        for c in keep:
            if c.unit.doc in have or c.score < floor:
                continue
            c.text = c.text or self._point_text(c.unit, focus)
            c.toks = c.toks or frozenset(tokenize(c.text))
            if len(picks) >= MAX_POINTS:
                picks.pop()
            picks.append(c)
            have.add(c.unit.doc)

    def _vectors(self, ids: list[int]) -> dict[int, np.ndarray]:
        if not ids:
            return {}
        rows = self.index.unit_dense.vectors(ids)
        return {uid: rows[i] for i, uid in enumerate(ids)}

    # ---- points ------------------------------------------------------------------------------------

    def _point_text(self, u: Unit, focus: OpenFocus) -> str:
        """The unit's text, or for a long sentence the run of clauses that carries the point."""
        asked = [aspects()[a] for a in focus.aspects]
        q = set(focus.subject_tokens)
        idf = self.outline.text_idf

        def weight(part: str) -> float:
            w = sum(idf.get(t, 0.0) for t in set(tokenize(part)) & q)
            return w + 2.0 * sum(x.hits(part) for x in asked)

        return point_text(u, weight)

    def _point(self, c: OpenCandidate, cites: Citations) -> Point:
        u = c.unit
        if u.kind == "table_row" or c.text == u.text:
            marks = cites.marks(u)
            nums = [int(n) for n in re.findall(r"\[(\d+)\]", marks)]
            text = c.text
        else:
            nums = [cites.add_part(u, c.text)]
            text = c.text
        text = text[:1].upper() + text[1:]
        if text[-1:] not in ".!?":
            text += "."
        return Point(text, nums)

    def _qualification(self, picks: list[OpenCandidate], points: list[Point], cites: Citations) -> Point | None:
        """A last point where the documents qualify each other, or the graph holds conflicting values."""
        conflict = self._conflict_point(picks, cites)
        if conflict is not None:
            return conflict
        docs = {c.unit.doc for c in picks}
        if len(docs) < 2:
            return None
        vecs = self._vectors([c.unit.id for c in picks])
        best: tuple[float, int, int] | None = None
        for i, a in enumerate(picks):
            for j in range(i + 1, len(picks)):
                b = picks[j]
                if a.unit.doc == b.unit.doc:
                    continue
                sim = float(vecs[a.unit.id] @ vecs[b.unit.id])
                pa, pb = _polarity(a.text), _polarity(b.text)
                opposed = pa * pb < 0 or (sim >= SAME_TOPIC + 0.1 and (contrast_count(a.text) or contrast_count(b.text)) and pa != pb)
                if sim >= SAME_TOPIC and opposed and (best is None or sim > best[0]):
                    best = (sim, i, j)
        if best is None:
            return None
        _, i, j = best
        a, b = (picks[i], picks[j]) if _polarity(picks[i].text) <= _polarity(picks[j].text) else (picks[j], picks[i])
        ta, tb = self.index.docs[a.unit.doc].title, self.index.docs[b.unit.doc].title
        na, nb = points[picks.index(a)].citations[0], points[picks.index(b)].citations[0]
        return Point(f"The documents differ on this: “{ta}” is more cautious [{na}], “{tb}” more positive [{nb}].", [na, nb])

    def _conflict_point(self, picks: list[OpenCandidate], cites: Citations) -> Point | None:
        """Conflicting graph values (same subject, metric and period) stated by one of the points."""
        if self.graph is None:
            return None
        spans = [(c.unit.doc, c.unit.start, c.unit.end) for c in picks]
        for conf in self.graph.conflicts():
            sides = []
            touched = False
            for side in conf.get("values", [])[:3]:
                evs = side.get("evidence") or []
                ev = evs[0] if isinstance(evs, list) and evs else evs
                if not isinstance(ev, dict):
                    continue
                e = Evidence(ev["doc"], ev["start"], ev["end"], ev["text"])
                if any(u.chunk in self.outline.skip for u in self.index.units if u.doc == e.doc and u.start <= e.start < u.end):
                    continue  # a side read from an instruction-like passage is not a source
                touched |= any(d == e.doc and s <= e.start < t for d, s, t in spans)
                sides.append((str(side.get("surface") or side.get("value")), e))
            if touched and len(sides) >= 2:
                nums = []
                parts = []
                for label, e in sides:
                    unit = next((u for u in self.index.units if u.doc == e.doc and u.start <= e.start < u.end), None)
                    n = cites.add(unit) if unit is not None else None
                    if n is not None:
                        nums.append(n)
                    parts.append(f"{label} [{n}]" if n else label)
                metric = conf.get("metric") or "this value"
                return Point(f"The sources disagree on {metric}: {' vs '.join(parts)}.", nums)
        return None


def _with_marks(p: Point) -> str:
    """A point's text with its citation markers (a point that places its own markers keeps them)."""
    if re.search(r"\[\d+\]", p.text):
        return p.text
    return f"{p.text} {''.join(f'[{n}]' for n in p.citations)}"


def _polarity(text: str) -> int:
    neg, pos = polarity_counts(text)
    return (pos > neg) - (neg > pos)


def _near_duplicate(c: OpenCandidate, p: OpenCandidate, v: np.ndarray | None, pv: np.ndarray) -> bool:
    if c.unit.id == p.unit.id or c.text == p.text:
        return True
    cos = float(v @ pv) if v is not None and pv.shape == v.shape else 0.0
    if cos >= DUP_COSINE:
        return True
    small = min(len(c.toks), len(p.toks))
    share = len(c.toks & p.toks) / small if small else 0.0
    return small >= 5 and (share >= 0.75 or (cos >= 0.8 and share >= DUP_WORDS))
