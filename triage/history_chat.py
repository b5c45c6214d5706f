"""What customers and agents say to each other in the desk's part of the generated history: a
message left after hours, a subject named while waiting, the agent's first words and the chat
after them (the customer's messages recorded for the person, outcome `silent`)."""

from __future__ import annotations

import math

from triage.history_seats import DeskAgent
from triage.history_story import Story
from triage.history_talk import read


def leave_message(story: Story, opening: float) -> bool:
    """After hours the bot takes a message, before the desk opens; many leave a phone number
    (bot/policy.py while_queued). Whether the customer wrote one."""
    rng = story.rng
    at = story.t + rng.lognormvariate(math.log(25.0), 0.7)
    if rng.random() < 0.45 or at >= opening:
        return False
    story.at(at)
    if rng.random() < 0.6:
        said = read(f"1{rng.choice('3578')}{rng.randrange(10**9):09d}")
        story.customer(said, topic="out_of_scope", outcome="queued", confidence=rng.uniform(0.2, 0.6),
                       intent="out_of_scope")  # fmt: skip
        key = "message_taken_phone"
    else:
        said = story.talk.says(rng, "greeting", story.script)
        story.customer(said, topic="greeting", outcome="queued", confidence=rng.uniform(0.8, 1.0))
        key = "message_taken"
    story.bot(story.talk.say(key, story.lang), None, {"handoff": True, "offline": True})
    return True


def says_what_about(story: Story, entry_id: str, order_no: str | None) -> None:
    """A waiting customer says what their matter is; the bot tells them they are in the queue."""
    rng, entry = story.rng, story.talk.entries[entry_id]
    story.typing(15.0)
    said = story.talk.says(rng, entry_id, story.script, order_no)
    story.customer(said, topic=entry.topic, outcome="queued", confidence=rng.uniform(0.5, 0.95), faq_id=entry_id)
    story.bot(story.talk.say("still_queued", story.lang), None, {"handoff": True})


def first_words(story: Story, queue: str, entry_id: str | None) -> str:
    """The agent's first reply: the queue's canned reply, or the answer to the customer's question."""
    talk, lang, rng = story.talk, story.lang, story.rng
    if queue == "claims":
        return talk.canned("理赔照片", lang)
    if queue == "payments" and rng.random() < 0.4:
        return talk.canned("改收款账户", lang)
    if queue == "tracking" and rng.random() < 0.5:
        return talk.canned("查件", lang)
    if entry_id and talk.entries[entry_id].kind == "faq" and rng.random() < 0.5:
        return talk.answer(entry_id, lang)
    return talk.canned("稍等", lang)


def chat(
    story: Story, agent: DeskAgent, entry_id: str | None, order_no: str | None, until: float, after: str = ""
) -> None:
    """The customer and the agent until the chat ends: the customer adds to their matter and
    thanks, the agent answers (never the same words twice running, nor what they said `after`)
    and says goodbye."""
    rng, talk, lang = story.rng, story.talk, story.lang
    turns = 1 + int(rng.random() * 3)
    step = max(10.0, (until - story.t) / (2 * turns + 1))
    answers = [talk.answer(entry_id, lang)] if entry_id and talk.entries[entry_id].kind == "faq" else []
    replies = [*answers, talk.canned("稍等", lang), talk.canned("查件", lang)]
    said_last = after
    for n in range(turns):
        story.at(min(until - 2.0, story.t + step * rng.uniform(0.5, 1.2)))
        last = n == turns - 1
        if last or not entry_id:
            said = talk.says(rng, "thanks", story.script)
            story.customer(said, topic="thanks", outcome="silent", confidence=rng.uniform(0.8, 1.0), intent="thanks")
        else:
            said = talk.says(rng, entry_id, story.script, order_no)
            entry = talk.entries[entry_id]
            story.customer(said, topic=entry.topic, outcome="silent", confidence=rng.uniform(0.4, 0.95),
                           faq_id=entry.id if entry.kind == "faq" else None)  # fmt: skip
        story.at(min(until - 1.0, story.t + step * rng.uniform(0.4, 1.0)))
        text = talk.canned("结束语", lang) if last else rng.choice([r for r in replies if r != said_last])
        story.agent(agent.id, agent.name, text)
        said_last = text
