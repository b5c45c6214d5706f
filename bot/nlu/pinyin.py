"""Chinese typed as toneless pinyin ("zenme quxiao dingdan"), read back into characters with the
knowledge base's own vocabulary (pypinyin spells its phrasings), so the matcher can read it."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import pairwise

from pypinyin import lazy_pinyin

# One syllable: an optional initial and a final. Loose (it admits a few non-syllables such as "so"),
# so a message is read as pinyin only when every word of at least three is made of syllables.
_SYLLABLE = (
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ueng|ang|eng|ing|ong|uan|van|ian|iao|uai|ai|ei|ao|ou|an|en|in|un|vn|ua|uo|ia|ie|iu|ui|ue|ve|er|a|o|e|i|u|v)"
)
_WORD = re.compile(rf"(?:{_SYLLABLE})+")
_TOKEN = re.compile(r"[a-z]+")
_SYLLABLES = re.compile(_SYLLABLE)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_MAX_CANDIDATES = 8
_BIGRAM_WEIGHT = 0.9
MIN_SYLLABLE_WORDS = 3


def looks_like_pinyin(text: str) -> bool:
    """Only Latin letters, spaces and punctuation, at least three words, every word pinyin syllables."""
    if _CJK_RUN.search(text) or re.search(r"\d", text):
        return False
    words = _TOKEN.findall(text.lower())
    return len(words) >= MIN_SYLLABLE_WORDS and all(_WORD.fullmatch(w) for w in words)


class PinyinReader:
    """Reads pinyin back into characters with the knowledge base's own Chinese phrasings as a small
    input method: each syllable can be any character the phrasings spell with it, and the reading
    chosen (Viterbi) is the likeliest under their character bigrams, backed off to how often each
    character is used. "zenme quxiao dingdan" becomes 怎么取消订单, which the matcher reads like any
    Chinese message.
    """

    def __init__(self, phrasings: Iterable[str]) -> None:
        self._unigram: Counter[str] = Counter()
        self._bigram: Counter[tuple[str, str]] = Counter()
        by_syllable: dict[str, Counter[str]] = defaultdict(Counter)
        for text in phrasings:
            for run in _CJK_RUN.findall(text):
                self._unigram.update(run)
                self._bigram.update(pairwise(run))
                spelt = lazy_pinyin(run)
                if len(spelt) != len(run):  # a character pypinyin cannot spell came through whole
                    continue
                for syllable, char in zip(spelt, run, strict=True):
                    by_syllable[syllable][char] += 1
        self._candidates = {s: [c for c, _ in n.most_common(_MAX_CANDIDATES)] for s, n in by_syllable.items()}
        self._total = sum(self._unigram.values()) or 1

    def read(self, text: str) -> str | None:
        """`text` spelt in characters, or None when a syllable is one the phrasings never use
        (then it is likelier English than pinyin: "can he go")."""
        syllables = [s for word in _TOKEN.findall(text.lower()) for s in _SYLLABLES.findall(word)]
        # best[c] = (log probability of the best reading ending in c, that reading)
        best: dict[str, tuple[float, str]] = {"": (0.0, "")}
        for syllable in syllables:
            options = self._candidates.get(syllable)
            if not options:
                return None
            best = {c: max(((lp + self._step(prev, c), out + c) for prev, (lp, out) in best.items())) for c in options}
        return max(best.values())[1] if syllables else None

    def _step(self, prev: str, char: str) -> float:
        unigram = (self._unigram[char] + 1) / (self._total + 1)
        if not prev or prev not in self._unigram:
            return math.log(unigram)
        bigram = self._bigram[(prev, char)] / self._unigram[prev]
        return math.log(_BIGRAM_WEIGHT * bigram + (1 - _BIGRAM_WEIGHT) * unigram)
