"""How the matcher scales: synthetic KBs of 100, 1,000 and 10,000 entries.

    python benchmarks/bench_match.py [--sizes 100,1000,10000] [--queries 300]

For each size the KB is written as YAML files, then a fresh subprocess loads it through
`load_kb` (timed as "load"), builds the `Matcher` ("index"), times single-threaded queries,
and reports its peak RSS (so each size's memory is measured on its own). Beside it, a naive
matcher: rapidfuzz `process.extractOne` with token_set_ratio over every phrasing. Prints a
markdown table.
Targets at 10,000 entries: load+index < 2 s, per-query p99 < 10 ms, peak RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

PHRASINGS = 6
ENTRIES_PER_FILE = 500
VOCABULARY = 5000
FUNCTION_WORDS = ["il", "la", "non", "si", "mi", "ho", "che", "di", "a", "per", "con", "nel"]


def vocabulary(rng: random.Random) -> list[str]:
    letters = "abcdefghilmnoprstuvz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(4, 10)))
            for _ in range(VOCABULARY)]


def sentence(rng: random.Random, words: list[str], topic: list[str]) -> str:
    """A phrasing: a few topic words, Zipf-distributed common words, some function words."""
    chosen = rng.sample(topic, 2)
    chosen += [words[min(int(rng.paretovariate(1.1)) - 1, len(words) - 1)]
               for _ in range(rng.randint(1, 4))]
    chosen += rng.sample(FUNCTION_WORDS, 3)
    rng.shuffle(chosen)
    return " ".join(chosen)


def write_kb(root: Path, size: int, seed: int = 7) -> list[str]:
    """Write a KB of `size` entries under `root`; return queries (noisy paraphrases)."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    entries, queries = [], []
    for number in range(size):
        topic = rng.sample(words, 5)
        phrasings = [sentence(rng, words, topic) for _ in range(PHRASINGS)]
        entries.append({
            "id": f"entry-{number}",
            "questions": {"it": phrasings},
            "answer": {"it": sentence(rng, words, topic)},
            "keywords": topic[:2],
        })
        query = sentence(rng, words, topic).split()
        if len(query[0]) > 4:
            query[0] = query[0][:-1]  # a typo
        queries.append(" ".join(query))
    for start in range(0, size, ENTRIES_PER_FILE):
        part = {"category": "synthetic", "entries": entries[start:start + ENTRIES_PER_FILE]}
        (root / f"part-{start // ENTRIES_PER_FILE:03d}.yaml").write_text(
            yaml.safe_dump(part, allow_unicode=True, sort_keys=False), encoding="utf-8")
    rng.shuffle(queries)
    return queries


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(kb_dir: Path, queries: list[str], naive: bool) -> dict:
    """Run in the child process: load + index, then time each query."""
    from knowledge_base.loader import load_kb

    started = time.perf_counter()
    kb = load_kb(kb_dir)
    loaded = time.perf_counter()
    if naive:
        from rapidfuzz import fuzz, process

        choices = [q for e in kb.entries for q in e.questions["it"]]

        def ask(query: str) -> object:
            return process.extractOne(query, choices, scorer=fuzz.token_set_ratio)
    else:
        from knowledge_base.matcher import Matcher

        ask = Matcher.build(kb).match
    built = time.perf_counter()
    timings = []
    for query in queries:
        begin = time.perf_counter()
        ask(query)
        timings.append((time.perf_counter() - begin) * 1000)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "load_s": loaded - started,
        "index_s": built - loaded,
        "p50_ms": statistics.median(timings),
        "p99_ms": percentile(timings, 0.99),
        "rss_mb": peak_kb / 1024,
    }


def run_child(kb_dir: Path, queries_file: Path, naive: bool) -> dict:
    command = [sys.executable, __file__, "--child", str(kb_dir), str(queries_file)]
    if naive:
        command.append("--naive")
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--naive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kb_dir, queries_file = args.child
        queries = json.loads(queries_file.read_text(encoding="utf-8"))
        print(json.dumps(measure(kb_dir, queries, args.naive)))
        return
    print("| entries | matcher | load s | index s | p50 ms | p99 ms | peak RSS MB |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            kb_dir = Path(tmp) / "kb"
            kb_dir.mkdir()
            queries = write_kb(kb_dir, size)[: args.queries]
            queries_file = Path(tmp) / "queries.json"
            queries_file.write_text(json.dumps(queries), encoding="utf-8")
            for label, naive in (("helpdesk", False), ("naive extractOne", True)):
                r = run_child(kb_dir, queries_file, naive)
                print(f"| {size:,} | {label} | {r['load_s']:.2f} | {r['index_s']:.2f} "
                      f"| {r['p50_ms']:.2f} "
                      f"| {r['p99_ms']:.2f} | {r['rss_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
