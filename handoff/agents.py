"""Agent accounts: passwords (argon2id), login sessions (random tokens, stored hashed), presence,
and the demo desk the embedded mode starts with."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.config import kept
from core.db import utcnow
from handoff.models import Agent, AgentSession, CannedReply, EscalationKeyword

SESSION_HOURS = 12
DESK_ROLES = ("agent", "supervisor", "admin")  # who takes chats; a kb_editor only edits the FAQ
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(password: str, stored: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@functools.cache
def _stand_in_hash() -> str:
    """A hash of nothing anyone knows, checked for a username nobody has: a login takes as long
    either way, so the time it takes does not tell which usernames exist."""
    return hash_password(secrets.token_urlsafe(32))


def login(session: Session, *, username: str, password: str) -> tuple[Agent, str] | None:
    stand_in = _stand_in_hash()  # made on the first login of any kind, so even that one tells nothing
    agent = session.scalars(select(Agent).where(Agent.username == username)).first()
    matches = check_password(password, agent.password_hash if agent is not None else stand_in)
    if agent is None or not matches:
        return None
    token = secrets.token_urlsafe(32)
    session.add(
        AgentSession(
            token_hash=_token_hash(token), agent_id=agent.id, expires_at=utcnow() + timedelta(hours=SESSION_HOURS)
        )
    )
    agent.last_seen = utcnow()
    if agent.role in DESK_ROLES:  # a knowledge-base editor logging in is not waiting for chats
        agent.presence = "online"
    return agent, token


def agent_for_token(session: Session, token: str) -> Agent | None:
    row = session.get(AgentSession, _token_hash(token))
    if row is None or row.expires_at < utcnow():
        return None
    return session.get(Agent, row.agent_id)


def logout(session: Session, token: str) -> None:
    session.execute(delete(AgentSession).where(AgentSession.token_hash == _token_hash(token)))


class AgentExists(ValueError):
    pass


def create_agent(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    skills: list[str],
    max_chats: int = 3,
    role: str = "agent",
) -> Agent:
    if session.scalars(select(Agent).where(Agent.username == username)).first() is not None:
        raise AgentExists(f"an agent {username!r} exists already")
    agent = Agent(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        skills=skills,
        max_chats=max_chats,
        role=role,
    )
    session.add(agent)
    session.flush()
    return agent


@dataclass(frozen=True)
class DemoAgent:
    username: str
    display_name: str
    skills: tuple[str, ...]
    role: str = "agent"
    max_chats: int = 3


# The embedded demo's desk; every account's password is printed by `triage serve`.
DEMO_AGENTS = (
    DemoAgent("wangfang", "王芳", ("tracking", "general")),
    DemoAgent("lijun", "李军", ("payments", "general")),
    DemoAgent("zhaomin", "赵敏", ("claims", "general")),
    DemoAgent("chenlei", "陈磊", ("supervisor", "general", "tracking", "payments", "claims"), role="supervisor"),
)
DEMO_CANNED = (
    (
        "问候",
        "您好，我是人工客服，已经看到您前面的描述，马上为您处理。",
        "Hi, I've read your messages and I'm on it.",
        None,
    ),
    ("稍等", "我帮您查询一下，请稍等 1–2 分钟。", "Let me check that for you; one or two minutes please.", None),
    (
        "查件",
        "已为您联系承运商查件，24 小时内给您回复。",
        "I've asked the carrier to trace it and will get back to you within 24 hours.",
        "tracking",
    ),
    (
        "改收款账户",
        "请在 商家后台 → 财务 → 收款账户 更新为注册主体名下的账户并上传证明，审核通过后下一个打款日打款。",
        "Update the payout account in Merchant Center → Finance → Payout Account to one in your registered name; it's paid on the next run after approval.",
        "payments",
    ),
    (
        "理赔照片",
        "请上传外箱、快递面单和破损商品的照片，理赔专员 3 个工作日内给出结果。",
        "Please upload photos of the box, the waybill label and the damaged item; we decide within 3 business days.",
        "claims",
    ),
    (
        "结束语",
        "还有其他问题吗？没有的话我先结束本次服务，祝您生活愉快！",
        "Anything else? If not I'll close this chat. Have a good day!",
        None,
    ),
)
DEMO_KEYWORDS = (("律师", "supervisor"), ("媒体", "supervisor"), ("召回", "general"), ("recall", "general"))


def seed_demo_desk(session: Session, password: str) -> bool:
    """Agents, canned replies and keywords for an empty desk (embedded demo only)."""
    if session.scalar(select(func.count()).select_from(Agent)):
        return False
    hashed = hash_password(password)
    for a in DEMO_AGENTS:
        session.add(
            Agent(
                username=a.username,
                display_name=a.display_name,
                password_hash=hashed,
                role=a.role,
                skills=list(a.skills),
                max_chats=a.max_chats,
            )
        )
    for title, zh, en, queue in DEMO_CANNED:
        session.add(CannedReply(title=title, text_zh=zh, text_en=en, queue=queue))
    for keyword, queue in DEMO_KEYWORDS:
        session.add(EscalationKeyword(keyword=keyword, queue=queue))
    return True


def demo_password(data_dir: Path) -> str:
    """The embedded demo desk's password: made once per data directory, kept in a 0600 file."""
    return kept(data_dir / "desk-password", lambda: secrets.token_urlsafe(9))


def demo_secret(data_dir: Path) -> str:
    """The demo's TRIAGE_SECRET (chat session tokens): made once per data directory."""
    return kept(data_dir / "secret", lambda: secrets.token_hex(32))
