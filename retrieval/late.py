"""Late chunking: one encoder pass per token gives a chunk's vector and the vectors of its units.

A :class:`Piece` is what one chunk feeds the encoder: a ``head`` (its section, the header rows of
the table it continues) and its ``parts`` (the units' texts), joined by newlines, plus a
``context`` (document label, page head) shared by many chunks. The head + parts text is tokenised
once; the encoder's token states are mean-pooled

* over every token of the piece (``[CLS]`` and ``[SEP]`` included): the chunk vector, which for a
  piece within the model's window (and without context) is exactly what sentence-transformers
  returns for that text, so query vectors stay comparable;
* over the tokens inside each part's character span: the part (unit) vector, contextualised by the
  head and the neighbouring units it attended to.

Each distinct ``context`` is encoded once, on its own, and its token states join the mean of every
chunk vector that carries it (as if its tokens were the chunk's first): a page's header counts in
all of that page's chunks without being re-encoded for each, and the unit vectors stay free of it
(a document title attended by every sentence made all of them look alike to the questions that
name the company, and the answerer stopped abstaining on questions the corpus cannot answer).

A piece longer than the window (256 tokens for MiniLM: statement tables are token-dense) is cut at
part boundaries into several windows, each ``[CLS] head part.. [SEP]``: every part token still
passes the encoder exactly once (the head is repeated, so each window knows whose figures it holds),
and the chunk vector pools all windows. A single part longer than a window is split across windows.

>>> import numpy as np
>>> class Fake:  # token states = one-hot of the token id's parity, enough to check the pooling
...     name, dim = "fake", 2
...     def hidden(self, ids, mask):
...         return np.stack([ids % 2 == 0, ids % 2 == 1], -1).astype(np.float32)
>>> from tokenizers import Tokenizer
>>> from retrieval.embedding import model_path
>>> enc = LateEncoder(Fake(), Tokenizer.from_file(str(model_path() / "tokenizer.json")), max_len=16)
>>> chunk_vecs, part_vecs = enc.encode([Piece("Acme 10-K", ("Revenue rose.", "Costs fell sharply this year."))])
>>> chunk_vecs.shape, part_vecs[0].shape
((1, 2), (2, 2))
>>> bool(np.allclose(np.linalg.norm(part_vecs[0], axis=1), 1.0))
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.encoder import TokenStates

Progress = Callable[[int], None]  # called with the number of windows just encoded


@dataclass(frozen=True, slots=True)
class Piece:
    """One chunk's encoder input: its head and its parts (units), joined by newlines; a shared context."""

    head: str
    parts: tuple[str, ...]
    context: str = ""

    @property
    def late_text(self) -> str:
        """What one encoder pass reads: the head, then one part per line."""
        return "\n".join(([self.head] if self.head else []) + list(self.parts))

    @property
    def text(self) -> str:
        """The chunk's full contextual text (context, head, parts): what BM25 indexes."""
        return f"{self.context}\n{self.late_text}" if self.context else self.late_text

    def part_spans(self) -> list[tuple[int, int]]:
        """``[start, end)`` of each part in :attr:`text`."""
        pos = len(self.head) + 1 if self.head else 0
        spans = []
        for p in self.parts:
            spans.append((pos, pos + len(p)))
            pos += len(p) + 1
        return spans


@dataclass(slots=True)
class _Window:
    """One encoder input row: token ids, and which part (global index, or -1) each token pools into."""

    piece: int
    ids: list[int]
    owner: list[int]


class LateEncoder:
    """Chunk and unit vectors of :class:`Piece` lists from one pass of a :class:`TokenStates` backend."""

    def __init__(self, states: TokenStates, tokenizer: object, max_len: int = 256, batch_size: int = 32) -> None:
        self.states = states
        self.tok = tokenizer
        self.tok.no_padding()  # type: ignore[attr-defined]  # tokenizer.json may pad/truncate: windows are ours
        self.tok.no_truncation()  # type: ignore[attr-defined]
        self.max_len = max_len
        self.batch_size = batch_size
        self.dim = states.dim
        vocab = self.tok.get_vocab()  # type: ignore[attr-defined]
        self.cls, self.sep = vocab["[CLS]"], vocab["[SEP]"]

    def encode(self, pieces: Sequence[Piece], progress: Progress | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """``(chunk_vecs, part_vecs)``: an ``(n, dim)`` array and, per piece, a ``(len(parts), dim)`` array.

        All rows are L2-normalised. A part with no token (empty text) gets its chunk's vector.
        """
        n_parts = [len(p.parts) for p in pieces]
        first = np.concatenate([[0], np.cumsum(n_parts)]).astype(np.int64)
        contexts = list(dict.fromkeys(p.context for p in pieces if p.context))
        ctx_no = {c: len(pieces) + k for k, c in enumerate(contexts)}  # contexts pool after the pieces
        windows = self._windows(pieces, first) + self._context_windows(contexts, len(pieces))
        chunk_sum = np.zeros((len(pieces) + len(contexts), self.dim), np.float64)
        chunk_n = np.zeros(len(pieces) + len(contexts), np.float64)
        part_sum = np.zeros((int(first[-1]), self.dim), np.float64)
        part_n = np.zeros(int(first[-1]), np.float64)
        order = sorted(range(len(windows)), key=lambda i: -len(windows[i].ids))  # little padding per batch
        for b in range(0, len(order), self.batch_size):
            batch = [windows[i] for i in order[b : b + self.batch_size]]
            self._run(batch, chunk_sum, chunk_n, part_sum, part_n)
            if progress is not None:
                progress(len(batch))
        for i, p in enumerate(pieces):
            if p.context:
                chunk_sum[i] += chunk_sum[ctx_no[p.context]]
                chunk_n[i] += chunk_n[ctx_no[p.context]]
        chunk_vecs = _normalise(chunk_sum[: len(pieces)] / np.maximum(chunk_n[: len(pieces)], 1.0)[:, None])
        empty = part_n == 0
        part_vecs = _normalise(part_sum / np.maximum(part_n, 1.0)[:, None])
        if empty.any():  # no token of its own: the part stands for its chunk
            owner_piece = np.repeat(np.arange(len(pieces)), n_parts)
            part_vecs[empty] = chunk_vecs[owner_piece[empty]]
        return chunk_vecs, [part_vecs[first[i] : first[i + 1]] for i in range(len(pieces))]

    def _run(self, batch: list[_Window], chunk_sum: np.ndarray, chunk_n: np.ndarray, part_sum: np.ndarray,
             part_n: np.ndarray) -> None:
        """Encode one batch of windows; add their token states into the chunk and part sums."""
        width = len(batch[0].ids)
        ids = np.zeros((len(batch), width), np.int64)
        mask = np.zeros((len(batch), width), np.int64)
        for r, w in enumerate(batch):
            ids[r, : len(w.ids)] = w.ids
            mask[r, : len(w.ids)] = 1
        states = self.states.hidden(ids, mask)
        for r, w in enumerate(batch):
            h = states[r, : len(w.ids)]
            chunk_sum[w.piece] += h.sum(0)
            chunk_n[w.piece] += len(w.ids)
            owner = np.asarray(w.owner)
            sel = owner >= 0
            if sel.any():  # a part's tokens are one run in a window: sum runs, then scatter one row per run
                o = owner[sel]
                starts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
                np.add.at(part_sum, o[starts], np.add.reduceat(h[sel].astype(np.float64), starts, axis=0))
                np.add.at(part_n, o[starts], np.diff(np.r_[starts, len(o)]).astype(np.float64))

    def count_windows(self, pieces: Sequence[Piece]) -> int:
        """How many encoder rows ``pieces`` take (for a progress bar's total)."""
        n_parts = [len(p.parts) for p in pieces]
        contexts = list(dict.fromkeys(p.context for p in pieces if p.context))
        first = np.concatenate([[0], np.cumsum(n_parts)]).astype(np.int64)
        return len(self._windows(pieces, first)) + len(contexts)

    def _context_windows(self, contexts: list[str], base: int) -> list[_Window]:
        """One window per distinct context (cut to the model's window), pooled into slot ``base + k``."""
        encs = self.tok.encode_batch(contexts, add_special_tokens=False) if contexts else []  # type: ignore[attr-defined]
        room = self.max_len - 2
        return [_Window(base + k, [self.cls, *e.ids[:room], self.sep], [-1] * (min(len(e.ids), room) + 2))
                for k, e in enumerate(encs)]

    def _windows(self, pieces: Sequence[Piece], first: np.ndarray) -> list[_Window]:
        encs = self.tok.encode_batch([p.late_text for p in pieces], add_special_tokens=False)  # type: ignore[attr-defined]
        out: list[_Window] = []
        for i, (p, enc) in enumerate(zip(pieces, encs, strict=True)):
            owner = _owners(enc.offsets, p.part_spans(), int(first[i]))
            out.extend(self._split(i, list(enc.ids), owner))
        return out

    def _split(self, piece: int, ids: list[int], owner: list[int]) -> list[_Window]:
        """The piece's windows: all of it when it fits, else head + runs of whole parts per window."""
        room = self.max_len - 2
        if len(ids) <= room:
            return [_Window(piece, [self.cls, *ids, self.sep], [-1, *owner, -1])]
        n_head = next((k for k, o in enumerate(owner) if o >= 0), len(ids))
        head = ids[: min(n_head, room // 2)]  # a long head is cut: the parts need the room
        body_ids, body_owner = ids[n_head:], owner[n_head:]
        budget = room - len(head)
        out: list[_Window] = []
        start = 0
        while start < len(body_ids):
            end = min(start + budget, len(body_ids))
            if end < len(body_ids):  # end the window at a part boundary when one is in reach
                cut = next((k for k in range(end, start, -1) if body_owner[k] != body_owner[k - 1]), end)
                end = cut
            out.append(_Window(piece, [self.cls, *head, *body_ids[start:end], self.sep],
                               [-1] * (len(head) + 1) + body_owner[start:end] + [-1]))
            start = end
        return out


def _owners(offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]], base: int) -> list[int]:
    """For each token, the global index of the part whose span holds it (``-1``: the head)."""
    owner = [-1] * len(offsets)
    k = 0
    for t, (s, e) in enumerate(offsets):
        while k < len(spans) and s >= spans[k][1]:
            k += 1
        if k < len(spans) and s >= spans[k][0] and e <= spans[k][1] and e > s:
            owner[t] = base + k
    return owner


def _normalise(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return (m / np.maximum(n, 1e-12)).astype(np.float32)
