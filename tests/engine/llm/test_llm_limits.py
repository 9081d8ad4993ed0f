"""Issue 10, item 5: an LLM reply is capped in length and the total time budget holds, sentence
checking included (a reply of 20,000 sentences used to hang the CLI: checking was quadratic)."""

from __future__ import annotations

import time

import pytest
from llm_data import QUESTION, REVENUE
from llm_stub import Reply, passage_with

from core.errors import LLMDeadline
from engine.llm import make_chat
from engine.llm_answer import LLMAnswerer
from engine.llm_check import Checker, split_sentences
from engine.llm_prompt import select_passages

pytestmark = pytest.mark.timeout(180)


def test_sentence_splitting_is_linear() -> None:
    text = " ".join(f"Revenue in year {i} was approx. ${i}.5 million vs. U.S. peers [1]." for i in range(2000))
    t0 = time.perf_counter()
    done, rest = split_sentences(text)
    elapsed = time.perf_counter() - t0
    assert len(done) == 2000 and rest == ""
    assert elapsed < 1.0, f"{elapsed:.1f} s for 2,000 sentences (was 15.8 s)"
    assert split_sentences("We paid approx. $4 billion. Then more.")[0] == ["We paid approx. $4 billion.", "Then more."]


@pytest.mark.parametrize("stream", [False, True])
def test_a_huge_reply_is_cut_and_the_budget_holds(llm_qa, llm_settings, stub, stream: bool) -> None:  # type: ignore[no-untyped-def]
    def script(path: str, body: dict) -> Reply:  # type: ignore[type-arg]
        n = passage_with(body, REVENUE) or 1
        return Reply(f"Twilio's fiscal 2024 revenue was approximately $4.46 billion [{n}]. "
                     + " ".join(f"Point {i} is that revenue grew [{n}]." for i in range(20_000)))

    stub.script = script
    settings = llm_settings(llm_timeout_s=10.0, extra={"llm_total_timeout_s": 20.0})
    chat = make_chat(settings)
    assert chat is not None
    answerer = LLMAnswerer(chat, llm_qa.offline, llm_qa.index, settings)
    result = llm_qa.search(QUESTION)
    t0 = time.perf_counter()
    items = list(answerer.stream(result, streaming=stream))
    elapsed = time.perf_counter() - t0
    ans = items[-1]
    assert elapsed < 20.0, f"{elapsed:.1f} s"
    assert ans.mode == "llm" and "4.46" in ans.text
    assert any("cut at 12,000 characters" in n for n in ans.notes)
    assert len(ans.text) < 13_000


def test_checking_past_the_total_budget_falls_back(llm_qa, llm_settings, stub) -> None:  # type: ignore[no-untyped-def]
    result = llm_qa.search(QUESTION)
    passages = select_passages(llm_qa.index, result, llm_qa.offline.answer(result))
    late = Checker(passages, deadline=time.monotonic() - 1)
    with pytest.raises(LLMDeadline):
        late.feed("Revenue grew [1]. It grew more [1]. ")
    # through the answerer: a budget spent before checking ends in the offline answer
    stub.script = lambda path, body: Reply(" ".join(f"Point {i} is that revenue grew [1]." for i in range(300)))
    settings = llm_settings(extra={"llm_total_timeout_s": 0.0001})
    chat = make_chat(settings)
    assert chat is not None
    ans = LLMAnswerer(chat, llm_qa.offline, llm_qa.index, settings).answer(result)
    assert ans.mode == "llm-fallback" and "longer than" in ans.notes[0]
