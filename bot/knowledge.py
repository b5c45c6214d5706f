"""The live knowledge: the NLU trained on the published FAQ entries, swapped whole on a change.

Everything that reads the entries (the parser, the policy, the staff's try-it box) reads them
through one `Knowledge`, so a reload is one assignment and nothing keeps a copy to keep in step.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from bot.nlu.parser import NLU
from knowledge_base.models import Entry


class Knowledge:
    def __init__(self, nlu: NLU) -> None:
        self._nlu = nlu
        self.entries: Mapping[str, Entry] = _LiveEntries(self)

    @property
    def nlu(self) -> NLU:
        return self._nlu

    def swap(self, nlu: NLU) -> None:
        """Answer from `nlu` and its entries from the next read on: one assignment, so the parser and
        the policy never see two versions side by side (a turn in flight reads the new one from here)."""
        self._nlu = nlu


class _LiveEntries(Mapping[str, Entry]):
    """The current NLU's entries, read afresh on every lookup."""

    def __init__(self, knowledge: Knowledge) -> None:
        self._knowledge = knowledge

    def __getitem__(self, key: str) -> Entry:
        return self._knowledge.nlu.entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._knowledge.nlu.entries)

    def __len__(self) -> int:
        return len(self._knowledge.nlu.entries)
