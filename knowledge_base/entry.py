"""What an FAQ entry is made of, as an editor or an import file gives it: validated fields.

The staff API reads request bodies into these, and the import reads file rows into them, so an
entry is checked the same way whichever door it comes in by.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from knowledge_base import versions
from knowledge_base.topics import TOPICS

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=versions.MAX_PHRASE_CHARS)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class Bilingual(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: Line
    en: Line


class Paraphrases(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: list[Phrase] = Field(default_factory=list, max_length=versions.MAX_PHRASINGS)
    en: list[Phrase] = Field(default_factory=list, max_length=versions.MAX_PHRASINGS)


class EntryFields(BaseModel):
    """What an editor may change; the id and kind are fixed when the entry is made."""

    model_config = ConfigDict(extra="forbid")
    topic: str
    tags: list[Tag] = Field(default_factory=list, max_length=30)
    question: Bilingual
    answer: Bilingual
    paraphrases: Paraphrases = Field(default_factory=Paraphrases)
    action: str | None = Field(default=None, pattern=r"^action_[a-z0-9_]{1,73}$")
    status: Literal["draft", "published"] | None = None

    @field_validator("topic")
    @classmethod
    def known_topic(cls, topic: str) -> str:
        if topic not in TOPICS:
            raise ValueError(f"unknown topic {topic!r}; one of {', '.join(TOPICS)}")
        return topic

    def content(self) -> dict[str, Any]:
        return self.model_dump(exclude={"id"})


class NewEntry(EntryFields):
    id: str = Field(pattern=r"^[a-z0-9_]{3,80}$")
    kind: Literal["faq"] = "faq"
    status: Literal["draft", "published"] = "draft"
