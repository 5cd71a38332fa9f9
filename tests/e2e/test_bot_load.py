"""A short load run under faults: 20 pupils and 3 volunteers for 5 seconds, nothing lost.

The full run (200 pupils, 10 volunteers, 60 s, with latencies) is benchmarks/bench_load.py;
this one thinks faster, breaks a call every 0.2 s and retries quickly, so that in a few
seconds every kind of fault has hit replies and relays more than once.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.bot_harness import QUICK_RETRIES
from tests.e2e.load import LoadSettings, run_load

SHORT = LoadSettings(
    pupils=20,
    volunteers=3,
    seconds=5.0,
    think=(0.5, 1.5),
    ticket_share=0.2,
    fault_every=0.2,
    backoff=QUICK_RETRIES,
    drain_seconds=0.1,
)


async def test_many_pupils_under_faults_lose_nothing_and_get_nothing_twice(
    tmp_path: Path, database_url: str
):
    result = await run_load(SHORT, tmp_path, database_url)

    assert result.faq_asked > SHORT.pupils and result.relays > 0  # the load did run
    assert min(result.faults["429"], result.faults["5xx"], result.faults["dropped"]) > 0
    assert (result.lost, result.duplicates, result.misrouted) == (0, 0, 0)
