"""/privacy in a child's words, and /cancella ("forget me") after a confirming tap.

Deleting is irreversible, so it needs an explicit "yes" button; the data goes through
`UserStore.forget_user`, which keeps only anonymous counts.
"""

from __future__ import annotations

from bot.engine import effects
from bot.engine.callbacks import Callback, Press
from bot.engine.turn import Turn

FORGET_COMMANDS = ("cancella", "forget")  # also allowed to blocked users (see guards)


async def explain(turn: Turn) -> None:
    turn.say("privacy.explain", days=turn.deps.retention_days)


async def ask_to_forget(turn: Turn) -> None:
    buttons = (
        (
            turn.button("privacy.forget_yes", Press.FORGET, "y"),
            turn.button("privacy.forget_no", Press.FORGET, "n"),
        ),
    )
    turn.say("privacy.confirm", buttons)


async def on_forget(turn: Turn, press: Callback) -> None:
    turn.toast()
    if press.fields[0] == "y":
        # open tickets are closed first, so their volunteer and pings are told
        withdrawn = await turn.deps.escalation.withdraw(turn.user.id)
        await turn.deps.store.forget_user(turn.user.id)
        turn.actions.extend(await effects.render(turn.deps, withdrawn))
        turn.say("privacy.forgotten")
    else:
        turn.say("privacy.kept")
