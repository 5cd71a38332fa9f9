"""The command menu Telegram shows each user, in their client's language.

Command names differ per language (/aiuto, /help) but do the same; the descriptions live in
the message files like every other text.
"""

from __future__ import annotations

from bot.texts import Texts

# language -> (command, the message key describing it), in menu order
MENU_COMMANDS: dict[str, tuple[tuple[str, str], ...]] = {
    "it": (("start", "menu.start"), ("aiuto", "menu.help"), ("impostazioni", "menu.settings"),
           ("privacy", "menu.privacy"), ("cancella", "menu.forget")),
    "en": (("start", "menu.start"), ("help", "menu.help"), ("settings", "menu.settings"),
           ("privacy", "menu.privacy"), ("forget", "menu.forget")),
}


def command_menus(texts: Texts) -> dict[str, list[tuple[str, str]]]:
    """For `bot.telegram.app.build_application(commands=...)`: Italian first, the default."""
    return {
        lang: [(name, texts.get(lang, key)) for name, key in commands]
        for lang, commands in MENU_COMMANDS.items()
    }
