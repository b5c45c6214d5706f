"""Digits said in words are read as digits: runs of four or more, in Chinese or English."""

from __future__ import annotations

import pytest

from bot.cues import gives_last4
from core.numerals import spelled_digits


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("五六零一", "5601"),
        ("尾號陸陸零伍", "尾號6605"),
        ("幺三八 一六七二", "1381672"),
        ("two six oh two", "2602"),
        ("Eight-Six-Zero-Seven", "8607"),
        ("last 4 is four six zero eight", "last 4 is 4608"),
    ],
)
def test_digit_words_become_digits(said: str, digits: str) -> None:
    assert spelled_digits(said) == digits


@pytest.mark.parametrize("text", ["一二三", "二十三块", "one two three", "三点一刻", "I'll take one of the two"])
def test_numbers_and_short_runs_stay_words(text: str) -> None:
    assert spelled_digits(text) == text


@pytest.mark.parametrize("text", ["四六零八", "尾号是四六零八", "last four: four six zero eight"])
def test_the_last_four_given_in_words_answer_the_question(text: str) -> None:
    assert gives_last4(text)
