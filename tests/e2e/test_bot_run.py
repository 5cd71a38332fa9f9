"""`helpdesk run` as a real process: settings checked, polling and webhook served.

TELEGRAM_API_URL points the process at the fake Bot API server this test runs, exactly as
it would point at a self-hosted Bot API server in production.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import timedelta
from pathlib import Path
from typing import cast

import aiohttp

from bot.actions import Engine
from bot.telegram.app import PURGE_JOB, attach, build_application
from tests.e2e.bot_harness import scratch_outbox, write_data
from tests.e2e.fake_bot_api import FakeBotApi

PUPIL = 4401
STARTUP_TIMEOUT = 60.0  # seconds; generous for a loaded CI machine, not a performance claim


def _env(fake: FakeBotApi | None, directory: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env["DATABASE_URL"] = f"sqlite:///{directory / 'helpdesk.sqlite3'}"
    if fake is not None:
        env["TELEGRAM_BOT_TOKEN"] = fake.token
        env["TELEGRAM_API_URL"] = fake.base_url
    return {**env, **extra}


async def _helpdesk(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@asynccontextmanager
async def served(
    fake: FakeBotApi, directory: Path, *args: str, **env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`helpdesk run` with the test FAQ and rota, stopped with SIGTERM afterwards."""
    kb_path, rota_path = write_data(directory)
    process = await _helpdesk(
        "run",
        "--kb",
        str(kb_path),
        "--rota",
        str(rota_path),
        *args,
        env=_env(fake, directory, **env),
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), STARTUP_TIMEOUT)


async def test_helpdesk_run_answers_a_pupils_first_question_from_the_faq(
    fake_bot_api: FakeBotApi, tmp_path: Path
):
    async with served(fake_bot_api, tmp_path) as process:
        await _polling(fake_bot_api)
        started = time.perf_counter()
        fake_bot_api.user_sends(PUPIL, "il tablet non si accende")
        (answer,) = await fake_bot_api.wait_for(
            "sendMessage", lambda r: r.chat_id == PUPIL, timeout=STARTUP_TIMEOUT
        )
        latency = time.perf_counter() - started
    _, stderr = await process.communicate()

    print(f"\nhelpdesk run: first answer {latency * 1000:.0f} ms after the question was queued")
    assert "Collega il caricatore" in (fake_bot_api.sent_to(PUPIL)[0].text or "")
    assert answer.params["parse_mode"] == "HTML"
    assert process.returncode == 0  # SIGTERM is a clean stop
    log = stderr.decode()
    assert "Traceback" not in log
    assert fake_bot_api.token not in log  # httpx would log request URLs, token included
    assert ("default", "it") in fake_bot_api.commands  # the menu was set on start


async def test_helpdesk_run_without_a_token_says_so_and_exits_2(tmp_path: Path):
    process = await _helpdesk("run", env=_env(None, tmp_path))
    _, stderr = await process.communicate()

    assert process.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in stderr.decode()


async def test_helpdesk_run_purges_at_start_with_the_configured_retention(
    fake_bot_api: FakeBotApi, tmp_path: Path
):
    async with served(fake_bot_api, tmp_path, "--retention-days", "7"):
        await _polling(fake_bot_api)
        purges = await _purges(tmp_path / "helpdesk.sqlite3")
    assert [json.loads(details)["older_than_days"] for details in purges] == [7]


async def test_the_purge_job_runs_at_start_and_then_every_day(
    fake_bot_api: FakeBotApi, tmp_path: Path
):
    async def purge() -> None:
        """Never called here: only the schedule is looked at."""

    application = build_application(fake_bot_api.token, api_url=fake_bot_api.base_url)
    async with scratch_outbox(tmp_path) as outbox:
        no_updates = cast(Engine, object())  # nothing is delivered to it in this test
        attach(application, no_updates, outbox, purge=purge)
    assert application.job_queue is not None
    triggers = [job.job.trigger for job in application.job_queue.get_jobs_by_name(PURGE_JOB)]
    assert sorted(type(t).__name__ for t in triggers) == ["DateTrigger", "IntervalTrigger"]
    assert [t.interval for t in triggers if hasattr(t, "interval")] == [timedelta(days=1)]


async def test_a_malformed_retention_setting_says_so_and_exits_2(tmp_path: Path):
    env = _env(None, tmp_path, TELEGRAM_BOT_TOKEN="1:x", HELPDESK_RETENTION_DAYS="-3")
    process = await _helpdesk("run", env=env)
    _, stderr = await process.communicate()

    assert process.returncode == 2
    assert "HELPDESK_RETENTION_DAYS" in stderr.decode() and "0 or more" in stderr.decode()


async def test_an_unreachable_database_is_one_clear_line_and_a_failure_exit(
    fake_bot_api: FakeBotApi, tmp_path: Path
):
    closed_port = _free_port()  # nothing listens there
    env = _env(
        fake_bot_api, tmp_path, DATABASE_URL=f"postgresql://u:secret@127.0.0.1:{closed_port}/x"
    )
    process = await _helpdesk("run", env=env)
    _, stderr = await process.communicate()

    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 1
    assert len(lines) == 1 and lines[0].startswith("helpdesk run: cannot use the database")
    assert "secret" not in lines[0]  # the password is hidden
    assert not fake_bot_api.calls("getUpdates")  # it never started serving


async def test_a_wrong_token_is_one_clear_line_without_the_token(
    fake_bot_api: FakeBotApi, tmp_path: Path
):
    env = _env(fake_bot_api, tmp_path, TELEGRAM_BOT_TOKEN="999:wrong-token")
    process = await _helpdesk("run", env=env)
    _, stderr = await process.communicate()

    log = stderr.decode()
    assert process.returncode == 1
    assert log.splitlines()[-1] == (
        "helpdesk run: Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather"
    )
    assert "Traceback" not in log and "wrong-token" not in log


async def test_an_unreachable_telegram_is_one_clear_line(tmp_path: Path):
    env = _env(None, tmp_path, TELEGRAM_BOT_TOKEN="1:x")
    env["TELEGRAM_API_URL"] = f"http://127.0.0.1:{_free_port()}/bot"  # nothing listens there
    process = await _helpdesk("run", env=env)
    _, stderr = await process.communicate()

    log = stderr.decode()
    assert process.returncode == 1
    assert log.splitlines()[-1].startswith("helpdesk run: cannot reach Telegram: aiohttp.")
    assert "Traceback" not in log


async def test_a_webhook_telegram_refuses_is_one_clear_line(
    fake_bot_api: FakeBotApi, tmp_path: Path
):
    fake_bot_api.fail_next(
        "setWebhook", status=400, description="Bad Request: bad webhook: HTTPS url must be provided"
    )
    async with served(
        fake_bot_api, tmp_path, "--webhook", "http://127.0.0.1/hook", "--port", str(_free_port())
    ) as process:
        _, stderr = await asyncio.wait_for(process.communicate(), STARTUP_TIMEOUT)

    log = stderr.decode()
    assert process.returncode == 1
    assert log.splitlines()[-1] == (
        "helpdesk run: Telegram refused: Bad webhook: https url must be provided"
    )
    assert "Traceback" not in log


async def test_a_broken_faq_and_rota_at_start_list_their_problems_and_exit_1_offline(
    fake_bot_api: FakeBotApi, tmp_path: Path
):
    kb_path, rota_path = write_data(tmp_path)
    (kb_path / "extra.yaml").write_text("- id: Not Valid\n  answer: {it: x}\n", encoding="utf-8")
    rota_path.write_text("volunteers: []\nshifts: []\n", encoding="utf-8")
    async with served(fake_bot_api, tmp_path) as process:
        _, stderr = await asyncio.wait_for(process.communicate(), STARTUP_TIMEOUT)

    assert process.returncode == 1
    assert stderr.decode().splitlines() == [
        f"cannot load the KB in {kb_path}:",
        f"  {kb_path / 'extra.yaml'}:1: entry 'Not Valid': the id 'Not Valid' may contain only "
        "lowercase letters, digits and '-', e.g. 'not-valid'",
        f"  {kb_path / 'extra.yaml'}:1: entry 'Not Valid': missing required field 'questions'",
        f"cannot load the rota in {rota_path}:",
        f"  {rota_path}:1: no volunteers are listed: add at least one",
    ]
    assert not fake_bot_api.requests  # not even getMe: files come before the network
    assert not (tmp_path / "helpdesk.sqlite3").exists()  # and before the database


async def test_the_webhook_refuses_requests_without_telegrams_secret_and_serves_the_rest(
    fake_bot_api: FakeBotApi, tmp_path: Path
):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    update = {
        "update_id": 900,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "il tablet non si accende",
            "chat": {"id": PUPIL, "type": "private"},
            "from": {"id": PUPIL, "is_bot": False, "first_name": "Luca", "language_code": "it"},
        },
    }
    fake_bot_api.add_chat(PUPIL)
    async with (
        served(
            fake_bot_api,
            tmp_path,
            "--webhook",
            url,
            "--port",
            str(port),
            TELEGRAM_WEBHOOK_SECRET="s3cret-token",
        ),
        aiohttp.ClientSession() as http,
    ):
        (registered,) = await fake_bot_api.wait_for("setWebhook", timeout=STARTUP_TIMEOUT)
        await _listening(port)  # PTB may register the webhook before its server is up
        forged = await http.post(url, json=update)
        forged_wrong = await http.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
        )
        genuine = await http.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        )
        await fake_bot_api.wait_for("sendMessage", lambda r: r.chat_id == PUPIL, timeout=10)

    assert registered.params["url"] == url
    assert registered.params["secret_token"] == "s3cret-token"
    assert (forged.status, forged_wrong.status, genuine.status) == (403, 403, 200)
    assert len(fake_bot_api.calls("sendMessage")) == 1  # only the genuine update was served


async def _polling(fake: FakeBotApi) -> None:
    """Until the bot's first long poll is open (answered calls come too late: 10 s later)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not fake.calls("getUpdates"):
        assert time.monotonic() < deadline, "helpdesk run never started polling"
        await asyncio.sleep(0.05)


async def _purges(database: Path) -> list[str]:
    """The details of the retention purges recorded in the audit log, once there is one."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        with closing(sqlite3.connect(database)) as connection:
            rows = connection.execute(
                "SELECT details FROM audit_log WHERE action = 'purged'"
            ).fetchall()
        if rows:
            return [details for (details,) in rows]
        assert time.monotonic() < deadline, "helpdesk run never purged"
        await asyncio.sleep(0.05)


async def _listening(port: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)
        else:
            writer.close()
            await writer.wait_closed()
            return


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
