"""Shared fixtures: one trained NLU per run, a fresh embedded store per test, a chat helper."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient

from actions.registry import executor
from bot.action_client import ActionRunner, InProcessRunner
from bot.channels.contract import AppChannel
from bot.nlu.parser import NLU, Thresholds
from core.config import Settings
from core.db import Database
from core.media import LocalMedia, MediaStore
from core.runtime import Runtime
from handoff.desk import clock_from
from knowledge_base.store import load_files, seed
from merchant.business_days import seed_holidays
from merchant.store import MERCHANT_TZ, MerchantData
from tests import merchant
from triage.app import create_app
from triage.wiring import Instance, assemble

IN_CI = os.environ.get("CI", "").lower() == "true"
T = TypeVar("T")


# Tests on the real PostgreSQL and Redis run on one xdist worker, one after another: they share the
# server's databases and some restart the services themselves (test_faults.py). Mark them with these.
ON_SERVICES = (pytest.mark.services, pytest.mark.xdist_group("services"))


def on_services(test: T) -> T:
    """Decorator form of ON_SERVICES."""
    return pytest.mark.xdist_group("services")(pytest.mark.services(test))


# Two test runs on one machine (two checkouts, a run beside CI) share its PostgreSQL and Redis,
# whose Redis databases and queue keys the service tests use by number: a service test holds
# this machine-wide lock while it runs, so the runs take turns there instead of meeting.
SERVICES_LOCK = Path(tempfile.gettempdir()) / f"triage-service-tests-{os.getuid()}.lock"


@pytest.fixture(autouse=True)
def _one_run_at_a_time_on_the_services(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("services") is None:
        yield
        return
    from filelock import FileLock

    with FileLock(SERVICES_LOCK):
        yield


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env({})


@pytest.fixture(scope="session")
def nlu(settings: Settings) -> NLU:
    """Trained once per machine and code: kept in the model cache the servers tests start share."""
    from bot.nlu import cache as nlu_cache
    from tests.servers import MODEL_CACHE

    thresholds = Thresholds(oos=settings.oos_threshold, answer=settings.answer_threshold)
    return nlu_cache.build(load_files(), thresholds, Path(MODEL_CACHE))


# The merchant's clock in tests: conversation tests read dates relative to it.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=MERCHANT_TZ)


def make_instance(
    database_url: str,
    nlu: NLU,
    redis_url: str | None = None,
    identity_secret: str | None = None,
    actions: ActionRunner | None = None,
    media: MediaStore | None = None,
    channels: list[AppChannel] | None = None,
) -> Instance:
    db = Database(database_url)
    db.migrate()
    with db.session() as session:
        seed(session, load_files())
        seed_holidays(session, [2025, 2026, 2027])
    runner = actions or InProcessRunner(executor(MerchantData(db, now=lambda: NOW)))
    return assemble(
        db,
        Runtime(redis_url),
        nlu,
        actions=runner,
        now=clock_from(NOW),
        identity_secret=identity_secret,
        media=media or LocalMedia(Path(tempfile.mkdtemp(prefix="triage-test-media-"))),
        channels=channels,
    )


@pytest.fixture
def identity_secret() -> str | None:
    """The secret channels sign verified identities with; a test parametrizes it to set one."""
    return None


@pytest.fixture
def action_runner() -> ActionRunner | None:
    """How the bot reaches the actions: None runs them in-process; a test parametrizes it to replace them."""
    return None


@pytest.fixture
def instance(tmp_path: Path, nlu: NLU, identity_secret: str | None, action_runner: ActionRunner | None) -> Instance:
    url = f"sqlite:///{tmp_path / 'triage.db'}"
    media = LocalMedia(tmp_path / "media")
    return make_instance(url, nlu, identity_secret=identity_secret, actions=action_runner, media=media)


@pytest.fixture
def client(tmp_path: Path, instance: Instance) -> Iterator[TestClient]:
    app = create_app(Settings.from_env({}, data_dir=str(tmp_path)), instance=instance)
    with TestClient(app) as c:
        yield c


class Chat:
    """A customer talking to the bot over the REST channel: `chat.say("…")` returns the replies."""

    def __init__(self, client: TestClient, sender: str) -> None:
        self.client = client
        self.sender = sender
        self.replies: list[dict[str, Any]] = []

    def say(self, text: str) -> list[dict[str, Any]]:
        response = self.client.post("/webhooks/rest/webhook", json={"sender": self.sender, "message": text})
        assert response.status_code == 200, response.text
        self.replies = response.json()
        return self.replies

    @property
    def text(self) -> str:
        return "\n".join(r["text"] for r in self.replies)

    @property
    def in_english(self) -> bool:
        """The replies contain no Chinese characters."""
        return bool(self.text) and not re.search(r"[\u4e00-\u9fff]", self.text)

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for r in self.replies for b in r.get("buttons", [])]

    @property
    def handed_over(self) -> bool:
        return any((r.get("custom") or {}).get("handoff") for r in self.replies)

    def state(self) -> dict[str, Any]:
        response = self.client.get(f"/conversations/{self.sender}")
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def chat(client: TestClient) -> Chat:
    return Chat(client, "customer-1")


# The demo merchant's data loaded, and two of its customers in the chat: a buyer and a COD shipper.


@pytest.fixture
def shop(instance: Instance) -> Instance:
    merchant.load(instance.db)
    return instance


@pytest.fixture
def alice(client: TestClient, shop: Instance) -> Chat:
    return Chat(client, "alice")


@pytest.fixture
def shipper(client: TestClient, shop: Instance) -> Chat:
    return Chat(client, "shipper")
