"""Load under faults: many pupils and volunteers through the whole bot while Telegram fails.

    .venv/bin/python benchmarks/bench_load.py [--pupils 200] [--volunteers 10] [--seconds 60]
        [--database-url postgresql://...] [--no-flood-limit]

The real bot (engine, database, outbox, PTB over HTTP) serves the fake Bot API server, which
plays the users and breaks a sendMessage or copyMessage call every half second (429 with
retry_after 1 s, 500, 502, or a dropped connection). Pupils onboard first (not timed), then
for `--seconds` most ask FAQ questions and one in ten writes to the volunteer who took their
ticket, who answers every message. Pupils think 6-10 s between messages. Telegram's global
limit of 30 messages a second stays on unless `--no-flood-limit`. Retries use the production
backoff (1 s, doubling) and the outbox drain runs every second, as in `helpdesk run`.
Prints one markdown row per run: lost and duplicate messages must both be 0; reply latency
runs from a pupil's question reaching the fake server to the answer arriving there, relay
latency from a message reaching it to its copy arriving at the other side (the first
messages of a ticket wait for a volunteer to take it). The fake server and the users run in
the bot's process, so the latencies include their cost. The database must be new: without
--database-url a new SQLite file is used.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` when run as a script

from tests.e2e.load import TABLE_HEADER, LoadSettings, run_load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pupils", type=int, default=200)
    parser.add_argument("--volunteers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--no-flood-limit", action="store_true")
    args = parser.parse_args()
    # Each injected fault is logged by the outbox; the rate limiter would add a traceback.
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    settings = LoadSettings(pupils=args.pupils, volunteers=args.volunteers, seconds=args.seconds)
    if args.no_flood_limit:
        settings = replace(settings, overall_max_rate=0)
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(directory) / 'load.sqlite3'}"
        result = asyncio.run(run_load(settings, Path(directory), url))
    print(TABLE_HEADER)
    print(result.row())
    return 0 if result.lost == result.duplicates == result.misrouted == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
