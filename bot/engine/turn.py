"""One update being handled: who sent it, their language, and the replies collected so far.

Handlers receive a `Turn` instead of a dozen arguments; it also keeps the user's row current
after every update, so a handler never acts on a state it has already changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.actions import Action, AnswerCallback, Button, Incoming, Keyboard, Send
from bot.engine.callbacks import Press, pack
from bot.engine.deps import Deps
from bot.engine.states import State
from bot.texts import Html
from escalation.api import UserView


@dataclass
class Turn:
    incoming: Incoming
    user: UserView
    deps: Deps
    actions: list[Action] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.user.language

    @property
    def state(self) -> State:
        return State.of(self.user.state)

    @property
    def chat_id(self) -> int:
        return self.incoming.chat_id

    def text(self, key: str, **params: Any) -> Html:
        return self.deps.texts.get(self.lang, key, **params)

    def button(self, key: str, press: Press, *fields: object, **params: Any) -> Button:
        return Button(self.text(key, **params), pack(press, *fields))

    def say(self, key: str, buttons: Keyboard = (), **params: Any) -> None:
        """Reply with the text `key` in the user's language."""
        self.send(self.text(key, **params), buttons)

    def send(self, text: str, buttons: Keyboard = ()) -> None:
        self.actions.append(Send(self.chat_id, text, buttons))

    def toast(self, key: str | None = None) -> None:
        """Answer the button press (Telegram shows a spinner until we do)."""
        if self.incoming.callback_id is not None:
            text = self.text(key) if key else None
            self.actions.append(AnswerCallback(self.incoming.callback_id, text))

    async def save(self, **fields: Any) -> None:
        """Persist changes to the user's row (state, context, role ...) and keep the new view."""
        self.user = await self.deps.store.save_user(self.user, **fields)

    async def move(self, state: State, **context: Any) -> None:
        """Go to `state`, replacing the engine's context with `context`."""
        await self.save(state=state.value, context=context)
