"""The per-language command menus (setMyCommands), read from `menu.yaml` beside this file.

A data file rather than code, like every text users read; checked when loaded, because
Telegram refuses the whole list for one bad name and the bot would start without a menu.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml
from telegram import Bot, BotCommand
from telegram.constants import BotCommandLimit

SHIPPED_MENU = Path(__file__).with_name("menu.yaml")
_NAME = re.compile(r"[a-z0-9_]{1,32}")

CommandMenus = Mapping[str, Sequence[BotCommand]]  # language code -> menu; the first is default


class MenuError(ValueError):
    """The menu file is not what Telegram accepts; the message names the file and entry."""


def load_menus(path: Path = SHIPPED_MENU) -> CommandMenus:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise MenuError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict) or not data:
        raise MenuError(f"{path}: expected languages, each with `command: description` lines")
    menus: dict[str, list[BotCommand]] = {}
    for language, commands in data.items():
        if not isinstance(commands, dict) or not commands:
            raise MenuError(f"{path}: {language}: expected `command: description` lines")
        menus[str(language)] = [
            _command(path, str(language), str(name), description)
            for name, description in commands.items()
        ]
    return menus


def _command(path: Path, language: str, name: str, description: object) -> BotCommand:
    where = f"{path}: {language}.{name}"
    if not _NAME.fullmatch(name):
        raise MenuError(f"{where}: a command is 1-32 lower-case letters, digits or _")
    limit = BotCommandLimit.MAX_DESCRIPTION
    if not isinstance(description, str) or not 1 <= len(description.strip()) <= limit:
        raise MenuError(f"{where}: the description must be text of 1-{limit} characters")
    return BotCommand(name, description.strip())


async def set_menus(bot: Bot, menus: CommandMenus) -> None:
    """Show each user the menu in their client's language, the first language by default."""
    for index, (language, commands) in enumerate(menus.items()):
        await bot.set_my_commands(commands, language_code=language)
        if index == 0:
            await bot.set_my_commands(commands)
