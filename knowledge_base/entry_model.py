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
    """The fields of an entry as kb-format.md defines them, plus an optional own category."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    title: dict[str, Text] = Field(default_factory=dict)
    questions: Annotated[dict[str, Phrasings], Field(min_length=1)]
    answer: Annotated[dict[str, Text], Field(min_length=1)]
    keywords: list[Text] = Field(default_factory=list)
    audience: list[Audience] = Field(default_factory=list)
    escalate: bool = False
    category: str | None = None
