"""The pydantic model of an FAQ entry: what explains, field by field, an entry that is wrong.

Imported only when an entry fails the quick check in `entry_schema` (pydantic and the model
take about 0.15 s to import and build, which every `helpdesk kb ...` command would pay).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Audience = Literal["pupil", "teacher"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Phrasings = Annotated[list[Text], Field(min_length=1)]


class EntrySchema(BaseModel):
    """The fields of an entry as kb-format.md defines them, plus two optional ones of ours.

    - `category`: the entry's own category, instead of its file's.
    - `not_questions`: per language, like `questions`, ways of asking that look like this
      entry but are not for it ("quando ricomincia la scuola" is not about returning the
      school's tablet at the end of the year). A maintainer adds them when the bot answers
      the entry to questions it does not answer; the matcher then does not answer with the
      entry when one of them fits the query at least as well as any of its questions (see
      `settings.MatchSettings`). Each listed language needs at least one phrasing; a
      phrasing may not also be under `questions` of the same entry and language.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    title: dict[str, Text] = Field(default_factory=dict)
    questions: Annotated[dict[str, Phrasings], Field(min_length=1)]
    not_questions: dict[str, Phrasings] = Field(default_factory=dict)
    answer: Annotated[dict[str, Text], Field(min_length=1)]
    keywords: list[Text] = Field(default_factory=list)
    audience: list[Audience] = Field(default_factory=list)
    escalate: bool = False
    category: str | None = None
