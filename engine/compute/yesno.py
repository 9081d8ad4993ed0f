"""Yes/no questions: "Yes" or "No" first, then the cited figure or statement that decides it.

Tried in order, each returning ``None`` when the evidence does not decide:

1. a *judgement* named by the question ("capital-intensive", "healthy liquidity based on its quick
   ratio", "positive working capital"): a metric and a threshold from ``engine/data/formulas.json``;
2. a *threshold* written in the question ("above 60%", "below $1 billion", "positive");
3. a *direction of change* ("improving margin as of FY2022", "increased its debt between FY2022 and
   FY2023", "rise or fall?"): the metric computed for two periods, or the direction a sentence states;
4. a *stated fact*: one sentence holding every content word of the question.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from functools import cache

from core.types import Answer, Citation, ScoredUnit, SearchResult
from core.values import Value, find_values
from engine.citations import Citations
from engine.compute.answerer import ComputeAnswerer
from engine.compute.evaluate import DATA, prev_period
from engine.compute.expr import PERIOD, Ref, operand, periods_in
from engine.compute.plan import Plan, core_clause, plan
from engine.compute.render import CitationBook, computation_record, fmt_quantity
from engine.compute.run import Outcome
from engine.compute.stated import _yn, direction_of, direction_re, stated_direction, stated_fact
from kg.statements.items import squash
from retrieval.lexical import tokenize


@dataclass(frozen=True)
class Rule:
    cue: re.Pattern[str]
    metric: str
    op: str
    threshold: float
    why: str


@cache
def rules() -> tuple[Rule, ...]:
    data = json.loads(DATA.read_text(encoding="utf-8"))["judgements"]["rules"]
    return tuple(Rule(re.compile(d["cue"], re.I), d["metric"], d["op"], float(d["threshold"]), d["why"]) for d in data)


def _holds(value: float, op: str, threshold: float) -> bool:
    return {">=": value >= threshold, ">": value > threshold, "<=": value <= threshold, "<": value < threshold}[op]


def is_yes_no(core: str) -> bool:
    return bool(re.match(str(_yn()["question"]), core.strip(), re.I))


class YesNoAnswerer:
    """Decides yes/no questions over the graph's facts and the retrieved sentences (module docstring)."""

    def __init__(self, compute: ComputeAnswerer) -> None:
        self.compute = compute

    def answer(self, question: str, result: SearchResult | None) -> Answer | None:
        core = core_clause(question)
        if not is_yes_no(core):
            return None
        for decide in (self._judgement, self._stable, self._threshold, self._direction):
            a = decide(question, core)
            if a is not None:
                return a
        decided = self._stated(question, core, result) if result is not None else None
        return decided or _undecided(question, core)

    # ---- figures -----------------------------------------------------------------------------

    def _figure(self, question: str, metric: str, periods: list[str]) -> tuple[Plan, Outcome] | None:
        p = Plan("value", Ref(metric), periods, core_clause(question))
        out = self.compute.evaluate(p, question)
        return (p, out) if out is not None and out.result is not None else None

    def _judgement(self, question: str, core: str) -> Answer | None:
        rule = next((r for r in rules() if r.cue.search(question)), None)
        if rule is None:
            return None
        got = self._figure(question, rule.metric, _periods(core)[-1:])
        if got is None:
            return None
        p, out = got
        assert out.result is not None
        yes = _holds(out.result.value, rule.op, rule.threshold)
        shown = fmt_quantity(out.result, 2, None, False, rule.metric.endswith(("revenue", "growth")))
        return self._figure_answer(question, yes, f"{rule.metric} {p.periods[-1] if p.periods else ''} was {shown}; "
                                   f"the test used is {rule.why}", out)

    def _threshold(self, question: str, core: str) -> Answer | None:
        """ "above 60%", "below 30 ms", "within the 15-20% range", "more than 50% of revenue"."""
        bound = _bound(core)
        if bound is None:
            return None
        kind, v, subject, after = bound
        got = self._bound_figure(question, subject, after, v)
        if got is None:
            return None
        p, out = got
        assert out.result is not None
        if not _comparable(v, out.result.dim):
            return None  # "revenue above 20%": the figure and the limit are not comparable
        x = out.result.value
        if kind == "within":
            yes = v.value <= x <= (v.high if v.high is not None else v.value)
            where = "within" if yes else "outside"
        else:
            yes = x > v.value if kind == "above" else x < v.value
            where = "above" if x > v.value else "below" if x < v.value else "equal to"
        shown = fmt_quantity(out.result, None, None, False, v.kind == "percent")
        return self._figure_answer(question, yes, f"{p.label or 'the figure'} is {shown}, {where} {v.surface}", out)

    def _bound_figure(self, question: str, subject: str, after: str, v: Value) -> tuple[Plan, Outcome] | None:
        """The figure a bound is set on; "X account for more than 50% of Y" is X's share of Y."""
        base = re.match(r"^\s*of\s+(?P<base>.+?)\s*\??$", after)
        if v.kind == "percent" and base:
            owner = re.sub(r"^(?:[A-Z][\w&.-]*\s*)+'s\s+", "", base.group("base").strip())
            a = operand(f"{_subject(subject)} {PERIOD.sub(' ', owner)}".strip())
            p = Plan("share", None, [], core_clause(question), a=a, b=operand(base.group("base")), label=_subject(subject))
            out = self.compute.evaluate(p, question)
            return (p, out) if out is not None and out.result is not None else None
        return self._measured(question, subject, re.sub(r"^\s*(?:range|band)\b", "", after))

    def _stable(self, question: str, core: str) -> Answer | None:
        """ "consistent (not fluctuating more than roughly 2% each year)": every yearly change within the bound."""
        if not re.search(str(_yn()["stable"]), core, re.I):
            return None
        bound = [v for v in find_values(question) if v.kind == "percent"]
        p = plan(re.sub(r"\(.*?\)", "", core))
        if not bound or p is None or p.target is None or self.compute.facts is None:
            return None
        subjects = self.compute.facts.companies_in(question)
        latest = self.compute.facts.latest_period(subjects)
        if latest is None:
            return None
        series: list[tuple[str, Outcome]] = []
        period = latest
        for _ in range(5):
            out = self.compute.evaluate(Plan("value", p.target, [period], core, defs=p.defs, label=p.label), question)
            if out is None or out.result is None:
                break
            series.append((period, out))
            period = prev_period(period)
        if len(series) < 3:
            return None
        vals = [(per, o.result.value) for per, o in series if o.result is not None]
        moves = [abs(a[1] - b[1]) for a, b in itertools.pairwise(vals)]
        yes = max(moves) <= bound[0].value
        book = CitationBook(self.compute.index)
        parts = []
        for per, o in series:
            inputs, _ = self.compute.inputs_text(o, book)
            parts.append(f"{per} {fmt_quantity(o.result, 1, None, False, True) if o.result else ''} ({inputs})")
        text = (f"{'Yes' if yes else 'No'}: the largest yearly move in {p.label} was {max(moves) * 100:.1f} points, "
                f"{'within' if yes else 'beyond'} {bound[0].surface}; " + "; ".join(parts) + ".")
        return _answer(question, text, book.items, "Yes" if yes else "No", None)

    def _measured(self, question: str, subject: str, rest: str) -> tuple[Plan, Outcome] | None:
        """The figure a yes/no clause names: the whole phrase as one stated metric first ("cloud spend as a
        percentage of revenue"), else what the phrase asks to compute."""
        phrase = " ".join(f"{_subject(subject)} {rest}".replace("?", " ").split())
        if phrase:
            whole = Plan("value", operand(phrase), periods_in(phrase)[-1:], core_clause(question), label=phrase)
            out = self.compute.evaluate(whole, question)
            if out is not None and out.result is not None:
                return whole, out
        text = re.sub(str(_yn()["question"]), "what is", subject.strip(), count=1, flags=re.I) + " " + rest
        p = plan(text.strip() + "?")
        if p is None or p.target is None:
            return None
        p.op = "value"
        out = self.compute.evaluate(p, question)
        return (p, out) if out is not None and out.result is not None else None

    def _direction(self, question: str, core: str) -> Answer | None:
        asked = direction_of(core)
        if asked is None:
            return None
        choice = _choice(core)
        p = plan(core if core.endswith("?") else core + "?")
        if p is None or p.target is None:  # "Did Twilio's headcount fall ...": the thing that moved
            thing = direction_re("down").sub(" ", direction_re("up").sub(" ", _content(PERIOD.sub(" ", core))))
            thing = re.sub(r"\b(?:between|from|to|and|since|in|early|late|or)\b", " ", thing)
            ps = periods_in(core)
            p = Plan("change", operand(" ".join(thing.split())), ps, core) if thing.strip() else None
        if p is not None and p.target is not None:
            periods = p.periods if len(p.periods) >= 2 else ([prev_period(p.periods[0]), p.periods[0]] if p.periods else [])
            if len(periods) == 2:
                p.op, p.periods, p.explicit = "change", sorted(periods, key=lambda x: re.sub(r"\D", "", x)), True
                out = self.compute.evaluate(p, question)
                if out is not None and out.result is not None and out.result.value != 0:
                    went = "up" if out.result.value > 0 else "down"
                    return self._change_answer(question, core, asked, went, choice, out)
        return None

    # ---- rendering ---------------------------------------------------------------------------

    def _figure_answer(self, question: str, yes: bool, why: str, out: Outcome) -> Answer:
        book = CitationBook(self.compute.index)
        inputs, cites = self.compute.inputs_text(out, book)
        text = f"{'Yes' if yes else 'No'}: {why} ({out.formula}: {inputs})."
        return _answer(question, text, book.items, "Yes" if yes else "No", out, cites)

    def _change_answer(self, question: str, core: str, asked: str, went: str, choice: tuple[str, str] | None,
                       out: Outcome) -> Answer:
        assert out.result is not None
        book = CitationBook(self.compute.index)
        inputs, cites = self.compute.inputs_text(out, book)
        change = fmt_quantity(out.result, None, None, out.points)
        if choice is not None:
            lead = _past(core, choice[0] if direction_of(choice[0]) == went else choice[1])
        else:
            lead = "Yes" if went == asked else "No"
        text = f"{lead}: it went {went} by {change.lstrip('-')} ({out.formula}: {inputs})."
        return _answer(question, text, book.items, lead, out, cites)

    def _about(self, question: str, result: SearchResult) -> list[ScoredUnit]:
        """The retrieved units from documents about the companies the question names (all without one)."""
        facts = self.compute.facts
        ids = facts.companies_in(question) if facts is not None else []
        if facts is None or not ids:
            return result.units
        keys = {k for i in ids for k in facts.keys.get(i, set()) if len(k) >= 3}
        docs = self.compute.index.docs

        def about(doc: str) -> bool:
            text = squash(doc + docs[doc].raw[:4000]) if doc in docs else squash(doc)
            return any(k in text for k in keys)

        return [su for su in result.units if about(su.unit.doc)]

    def _stated(self, question: str, core: str, result: SearchResult) -> Answer | None:
        units = self._about(question, result)
        choice = _choice(core)
        asked = direction_of(core)
        content = _content(core)
        if asked is not None:
            thing = direction_re("down").sub(" ", direction_re("up").sub(" ", content))
            reading = stated_direction(units, thing, tuple(periods_in(core)))
            if reading is None:
                return None
            if choice is not None:
                lead = _past(core, choice[0] if direction_of(choice[0]) == reading.verdict else choice[1])
            else:
                lead = "Yes" if reading.verdict == asked else "No"
        else:
            subject = re.match(r"^(?:[A-Z][\w&.-]*\s*)+", content)
            name = subject.group(0).strip() if subject else ""
            rest = content[len(name):] if name else content
            docs = self.compute.index.docs
            about = [su for su in units if not name or name.lower() in docs[su.unit.doc].raw.lower()]
            reading = stated_fact(about, rest, "")  # the subject may be "the company" in the sentence
            if reading is None:
                return None
            lead = "Yes" if reading.verdict == "yes" else "No"
        cites = Citations(self.compute.index)
        mark = cites.marks(reading.unit)
        text = f"{lead}. {reading.unit.text} {mark}"
        return _answer(question, text, cites.items, lead, None)


def _bound(core: str) -> tuple[str, Value, str, str] | None:
    """``(above|below|within, the limit, the text before it, the text after it)`` of a threshold clause."""
    yn = _yn()
    kinds = ("money", "percent", "number", "multiple", "count", "duration", "score")
    for kind in ("within", "above", "below"):
        m = re.search(str(yn[kind]) + r"(?P<rest>.+)$", core, re.I)
        vals = [v for v in find_values(m.group("rest")) if v.kind in kinds] if m else []
        if m and not vals:  # a bare small number ("above 2")
            n = re.search(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.%])", m.group("rest"))
            vals = [Value("number", n.start(), n.end(), n.group(0), float(n.group(0)))] if n else []
        if m and vals and (kind != "within" or vals[0].high is not None):
            rest = m.group("rest")
            return kind, vals[0], core[: m.start()], rest[vals[0].end :]
    return None


def _comparable(v: Value, dim: dict[str, int]) -> bool:
    """Whether a limit of kind ``v.kind`` can be compared with a figure of dimension ``dim``."""
    if v.kind in ("percent", "multiple", "score", "number"):
        return not dim or v.kind == "number"
    if v.kind == "money":
        return dim == {"USD": 1}
    if v.kind == "duration":
        return dim == {v.unit: 1}
    return True


def _subject(text: str) -> str:
    """ "Does the Communications category account for" -> "the Communications category"."""
    text = re.sub(str(_yn()["question"]), "", text.strip(), count=1, flags=re.I)
    text = re.sub(r"\s+(?:account(?:s|ed)? for|represent(?:s|ed)?|make(?:s)? up|made up|contribute(?:s|d)?|"
                  r"stand(?:s)? at|come(?:s)? to|amount(?:s|ed)? to|is|was|are|were)\s*$", "", text.strip(), flags=re.I)
    return text.strip()


def _undecided(question: str, core: str) -> Answer:
    """The evidence does not decide: say so (the closest passages stay in ``passages``)."""
    q = core.rstrip("?").strip()
    return Answer(question=question, text=f'The corpus does not say ("{q}"): no figure or statement decides it.',
                  citations=[], abstained=True, route="none", answer_type="yesno", value=None, confidence=0.0)


def _answer(question: str, text: str, citations: list[Citation], lead: str, out: Outcome | None,
            cites: dict[int, list[int]] | None = None) -> Answer:
    comp = None
    if out is not None and out.result is not None:
        comp = computation_record(out.formula, out.used, cites or {}, out.result.value, out.result.unit, "", lead)
    return Answer(question=question, text=text, citations=citations, abstained=False, route="graph" if out else "passages",
                  answer_type="yesno", value=lead, computation=comp, confidence=1.0)


def _periods(core: str) -> list[str]:
    return periods_in(core)


def _choice(core: str) -> tuple[str, str] | None:
    """``("rise", "fall")`` for "... rise or fall?" (two opposite directions joined by "or")."""
    for m in re.finditer(r"\b(\w+)\s+or\s+(\w+)\b", core):
        a, b = direction_of(m.group(1)), direction_of(m.group(2))
        if a and b and a != b:
            return m.group(1), m.group(2)
    return None


def _past(core: str, word: str) -> str:
    """The chosen word as the answer: past tense after "did" ("Did prices rise or fall?" -> "Fell")."""
    if not re.match(r"(?i)\s*did\b", core):
        return word.capitalize()
    past = _yn()["past"]
    assert isinstance(past, dict)
    w = word.lower()
    out = past.get(w) or (w + "d" if w.endswith("e") else w + "ed")
    return str(out).capitalize()


def _content(core: str) -> str:
    """The question without its auxiliary verb and question mark."""
    text = re.sub(str(_yn()["question"]), "", core.strip(), count=1, flags=re.I)
    return " ".join(w for w in re.findall(r"[\w&'-]+", text) if tokenize(w))
