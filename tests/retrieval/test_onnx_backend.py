"""The ONNX Runtime int8 backend stays close to the torch reference on real passages.

Built offline from the packaged weights on first use (cached under Settings.cache_dir), then the
vectors of the bundled corpus's chunks and units are compared with torch's (issue 13 bounds).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.config import Settings
from retrieval.build import all_pieces, chunk_all, late_encoder
from retrieval.documents import load_documents
from retrieval.embedding import model_path
from retrieval.encoder import onnx_model_file

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def test_onnx_int8_vectors_match_torch_on_real_passages() -> None:
    s = Settings()
    docs, _ = load_documents([CORPUS])
    docs.sort(key=lambda d: d.id)
    units, chunks = chunk_all(docs, s)
    pieces = all_pieces(docs, units, chunks)
    cache = Path(s.cache_dir).expanduser()
    ref_c, ref_u = late_encoder(s.model, "torch", cache, 0, s.embed_batch_size).encode(pieces)
    onnx = late_encoder(s.model, "onnx-int8", cache, 0, s.embed_batch_size)
    got_c, got_u = onnx.encode(pieces)
    assert onnx_model_file(model_path(s.model), cache).is_file()  # built once, cached by the weights' hash
    cos = (ref_c * got_c).sum(1)  # passages (chunk vectors): the bounds
    assert cos.mean() >= 0.99 and cos.min() >= 0.98, (cos.mean(), cos.min())
    # units pool a few tokens each, so int8 noise shows more (measured: mean 0.991, min 0.950 on 158 units)
    cos_u = (np.concatenate(ref_u) * np.concatenate(got_u)).sum(1)
    assert cos_u.mean() >= 0.985 and cos_u.min() >= 0.93, (cos_u.mean(), cos_u.min())
