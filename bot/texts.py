"""Every text people read, loaded from per-language YAML files (Italian first).

Keeping the words out of the code lets a coordinator fix a sentence without touching Python,
and lets a test check that both languages have every key with the same placeholders.
Texts are Telegram HTML: parameters are escaped unless they are already `Html`, so a pupil's
"<3" can never break a message or inject a link.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

FALLBACK_LANGUAGE = "it"
_PHRASES = "phrases"  # lists of words people type (e.g. "talk to a person"), not texts


class Html(str):
    """Text that is already safe Telegram HTML: `Texts.get` inserts it unescaped."""


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def placeholders(template: str) -> set[str]:
    """The {names} a template expects, for checking that translations agree."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


@dataclass(frozen=True, slots=True)
class Texts:
    """Templates and phrase lists per language, e.g. `texts.get("en", "question.solved")`."""

    templates: Mapping[str, Mapping[str, str]]
    phrase_lists: Mapping[str, Mapping[str, tuple[str, ...]]]

    @classmethod
    def load(cls, directory: Path | None = None) -> Texts:
        """Read every `<lang>.yaml` in `directory` (default: the shipped bot/messages)."""
        root = directory or Path(str(resources.files("bot") / "messages"))
        templates: dict[str, dict[str, str]] = {}
        phrase_lists: dict[str, dict[str, tuple[str, ...]]] = {}
        for path in sorted(root.glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            phrases = data.pop(_PHRASES, {}) or {}
            templates[path.stem] = {k: str(v) for k, v in _flatten(data).items()}
            phrase_lists[path.stem] = {k: tuple(str(p) for p in v) for k, v in phrases.items()}
        return cls(templates, phrase_lists)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.templates)

    def has(self, lang: str, key: str) -> bool:
        return key in self.templates.get(lang, {}) or key in self.templates[FALLBACK_LANGUAGE]

    def get(self, lang: str, key: str, **params: Any) -> Html:
        """The text for `key` in `lang` (else Italian) with escaped parameters filled in."""
        template = self.templates.get(lang, {}).get(key)
        if template is None:
            template = self.templates[FALLBACK_LANGUAGE][key]
        safe = {
            name: value if isinstance(value, Html) else html.escape(str(value), quote=False)
            for name, value in params.items()
        }
        return Html(template.format(**safe))

    def phrases(self, lang: str, key: str) -> tuple[str, ...]:
        """A list of things people type, e.g. ways of asking for a human, in `lang`."""
        return self.phrase_lists.get(lang, {}).get(key) or self.phrase_lists.get(
            FALLBACK_LANGUAGE, {}
        ).get(key, ())
