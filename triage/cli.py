"""The `triage` command: serve the product, evaluate the NLU, load demo data, import and export the KB."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from core.config import ConfigError

if TYPE_CHECKING:
    from bot.channels.telegram_api import BotApi
    from core.config import Settings
    from core.db import Database


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.nlu import entities
    from core import logs
    from core.config import Settings
    from triage.app import create_app

    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    settings = Settings.from_env(**overrides)
    # One JSON object a line in production (for the log shipper), readable text in the demo;
    # either way with the conversation's ids and customers' phone numbers and addresses masked.
    fmt = args.log_format or os.environ.get("TRIAGE_LOG_FORMAT") or ("json" if settings.production else "text")
    if fmt not in ("text", "json"):
        raise ConfigError(f"TRIAGE_LOG_FORMAT must be text or json, got {fmt!r}")
    log_format: logs.LogFormat = "json" if fmt == "json" else "text"
    logs.configure(log_format, args.log_level.upper())
    logs.keep_identifiers(entities.identifier_spans)
    base = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"

    def announce() -> None:
        if settings.sync_api_keys:
            keys = "keys from TRIAGE_SYNC_API_KEYS"
        elif settings.embedded:
            keys = f"key in {settings.data_dir / 'sync-api-key'}"
        else:
            keys = "disabled: set TRIAGE_SYNC_API_KEYS"
        desk = (
            f"demo agents wangfang, lijun, zhaomin, chenlei; password in {settings.data_dir / 'desk-password'}"
            if settings.embedded
            else "agents as created in the agents table"
        )
        actions = settings.action_endpoint_url or "in-process (set ACTION_ENDPOINT_URL for the action server)"
        mode = "embedded (SQLite + in-process Redis stand-in)" if settings.embedded else "production"
        banner = (
            f"\nTriage assistant ready: {mode}\n"
            f"  database:        {settings.database_url.split('@')[-1]}\n"
            f"  chat page:       {base}/\n"
            f"  REST channel:    POST {base}/webhooks/rest/webhook\n"
            f"  NLU parse:       POST {base}/model/parse\n"
            f"  conversations:   GET  {base}/conversations/{{sender_id}}\n"
            f"  agent console:   {base}/console  ({desk})\n"
            f"  knowledge base:  {base}/kb  (staff page: edit, publish, history, try it, unanswered inbox, import)\n"
            f"  data sync API:   PUT  {base}/api/sync/...  ({keys})\n"
            f"  actions:         {actions}\n"
            f"  health:          GET  {base}/health\n"
            f"  API docs:        {base}/docs\n"
        )
        if log_format == "json":  # the log shipper reads one JSON object a line, this too
            logging.getLogger("triage").info(banner.strip())
        else:
            print(banner, flush=True)

    app = create_app(settings, on_ready=announce)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        log_config=logs.uvicorn_log_config(log_format, args.log_level.upper()),
        # The client address (rate limits, logs) from a trusted load balancer's X-Forwarded-For.
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("TRIAGE_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        # Slow or idle clients do not hold connections for long; past this many at once, 503.
        timeout_keep_alive=5,
        # SIGTERM waits this long for requests in flight, then stops (a stuck one must not keep it up).
        timeout_graceful_shutdown=20,
        limit_concurrency=int(os.environ.get("TRIAGE_MAX_CONNECTIONS", "2000")),
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from bot.nlu.evaluate import main as evaluate

    return evaluate(args)


def _conversation_arguments(parser: argparse.ArgumentParser) -> None:
    from triage.evaluate_conversations import add_arguments

    add_arguments(parser)


def _conversations(args: argparse.Namespace) -> int:
    from triage.evaluate_conversations import main as conversations

    return conversations(args)


def _demo_data(args: argparse.Namespace) -> int:
    from core.config import Settings
    from core.db import Database
    from merchant.demo import DemoDataExists, generate

    settings = Settings.from_env(database_url=args.database_url) if args.database_url else Settings.from_env()
    db = Database(settings.database_url)
    with db.startup_lock():
        db.migrate()
    try:
        summary = generate(
            db, orders=args.orders, seed=args.seed, today=args.today, progress=True, replace=args.replace
        )
    except DemoDataExists as exc:
        print(f"triage demo-data: {exc}", file=sys.stderr)
        return 2
    print(
        f"{summary.orders:,} orders, {summary.total_rows:,} rows in {summary.seconds:.1f} s "
        f"({summary.rows_per_second:,.0f} rows/s) into {settings.database_url.split('@')[-1]}"
    )
    return 0


def _demo_history(args: argparse.Namespace) -> int:
    from core.config import Settings
    from core.db import Database
    from handoff.agents import demo_password, seed_demo_desk
    from triage.history import HistoryExists, generate

    overrides = {"database_url": args.database_url} if args.database_url else {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    settings = Settings.from_env(**overrides)
    db = Database(settings.database_url)
    with db.startup_lock():
        db.migrate()
        if settings.embedded:  # the demo desk `triage serve` makes, with the password it prints
            with db.session() as session:
                seed_demo_desk(session, demo_password(settings.data_dir))
    try:
        summary = generate(db, days=args.days, per_day=args.per_day, seed=args.seed, end=args.end, replace=args.replace)
    except HistoryExists as exc:
        print(f"triage demo-history: {exc}", file=sys.stderr)
        return 2
    added = f"; {summary.agents_added} agents added for the traffic" if summary.agents_added else ""
    print(
        f"{summary.days} days: {summary.conversations:,} conversations, {summary.messages:,} messages, "
        f"{summary.tickets:,} tickets, {summary.ticket_events:,} ticket events, {summary.ratings:,} ratings{added} "
        f"in {summary.seconds:.1f} s ({summary.conversations_per_second:,.0f} conversations/s) "
        f"into {settings.database_url.split('@')[-1]}"
    )
    return 0


def _agent_add(args: argparse.Namespace) -> int:
    import getpass

    from core.config import Settings
    from core.db import Database
    from handoff.agents import AgentExists, create_agent
    from handoff.desk import load_desk

    skills = [s.strip() for s in args.skills.split(",") if s.strip()]
    unknown = [s for s in skills if s not in load_desk().queues]
    if unknown:
        print(
            f"triage agent add: unknown queue(s) {', '.join(unknown)}; queues: {', '.join(load_desk().queues)}",
            file=sys.stderr,
        )
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().strip()
    elif not sys.stdin.isatty():
        print(
            "triage agent add: no terminal to ask for the password on; pipe it in with --password-stdin",
            file=sys.stderr,
        )
        return 2
    else:
        try:
            password = getpass.getpass(f"password for {args.username}: ")
        except (EOFError, KeyboardInterrupt):
            print("\ntriage agent add: no password given; nothing was created", file=sys.stderr)
            return 2
    if len(password) < 10:
        print("triage agent add: the password needs at least 10 characters", file=sys.stderr)
        return 2
    db = Database(Settings.from_env().database_url)
    with db.startup_lock():
        db.migrate()
    try:
        with db.session() as session:
            create_agent(
                session,
                username=args.username,
                display_name=args.name,
                password=password,
                skills=skills,
                max_chats=args.max_chats,
                role="supervisor" if args.supervisor else args.role,
            )
    except AgentExists as exc:
        print(f"triage agent add: {exc}", file=sys.stderr)
        return 2
    role = "supervisor" if args.supervisor else args.role
    if role == "kb_editor":
        print(f"{args.username} ({args.name}) can now log in at /kb to edit the knowledge base")
    else:
        print(f"{args.username} ({args.name}) can now log in at /console; queues: {', '.join(skills)}")
    return 0


def _kb_settings(data_dir: str | None) -> Settings:
    from core.config import Settings

    return Settings.from_env(data_dir=data_dir) if data_dir else Settings.from_env()


def _kb_database(settings: Settings) -> Database:
    """The product's database, migrated and seeded as the app does at start-up (no NLU is built)."""
    from core.db import Database
    from knowledge_base.store import load_files, seed

    db = Database(settings.database_url)
    with db.startup_lock():
        db.migrate()
        with db.session() as session:
            seed(session, load_files())
    return db


def _kb_announce(settings: Settings) -> str:
    """Tell running bots over Redis, as the staff API does; embedded bots reload on their next start."""
    if not settings.redis_url:
        return "a running embedded bot answers from the import after its next start"
    import time

    from core.runtime import Runtime, ServiceUnavailable
    from triage.kb_reload import KB_CHANNEL

    runtime = Runtime(settings.redis_url)
    try:
        runtime.publish(KB_CHANNEL, {"entry_id": "*", "at": time.time()})
    except ServiceUnavailable:
        return "Redis is unavailable: running bots answer from the import after their next start"
    finally:
        runtime.close()
    return "running bots told to reload"


def _kb_import(args: argparse.Namespace) -> int:
    import getpass
    from pathlib import Path

    from sqlalchemy import select
    from tqdm import tqdm

    from handoff.models import Agent
    from knowledge_base import transfer, versions
    from staff.kb_api import EDITOR_ROLES

    path = Path(args.file)
    fmt = args.format or {".yml": "yaml", ".yaml": "yaml", ".csv": "csv", ".xlsx": "xlsx"}.get(path.suffix.lower())
    if fmt is None:
        print(f"triage kb import: cannot tell the format of {path.name}; give --format", file=sys.stderr)
        return 2
    settings = _kb_settings(args.data_dir)
    db = _kb_database(settings)
    editor, note = None, f"{path.name} (command line, {getpass.getuser()})"
    if args.editor:
        with db.session() as session:
            agent = session.scalars(select(Agent).where(Agent.username == args.editor)).first()
        if agent is None or agent.role not in EDITOR_ROLES:
            print(f"triage kb import: {args.editor!r} is not a knowledge-base editor account", file=sys.stderr)
            return 2
        editor, note = versions.Editor(id=agent.id, username=agent.username), path.name
    bars: dict[str, tqdm] = {}

    def progress(phase: str, done: int, total: int) -> None:
        bar = bars.get(phase) or bars.setdefault(phase, tqdm(total=total, desc=phase, unit="entry"))
        bar.update(done - bar.n)

    try:
        with db.session() as session:
            report = transfer.import_file(
                session, path.read_bytes(), fmt, name=note, editor=editor, dry_run=args.dry_run, progress=progress
            )
    except transfer.ImportRejected as exc:
        for bar in bars.values():
            bar.close()
        print(f"triage kb import: {exc}", file=sys.stderr)
        for p in exc.problems:
            where = ", ".join(x for x in (f"line {p.line}" if p.line else "", p.field or "", p.id or "") if x)
            print(f"  {path.name}: {where}: {p.message}", file=sys.stderr)
        return 1
    for bar in bars.values():
        bar.close()
    verb = "would create" if args.dry_run else "created"
    print(
        f"{verb} {len(report.created)}, {'would update' if args.dry_run else 'updated'} {len(report.updated)}, "
        f"unchanged {report.unchanged} of {report.as_dict()['total']} entries"
    )
    for entry_id, fields in report.updated:
        print(f"  ~ {entry_id}: {', '.join(fields)}")
    for entry_id in report.created:
        print(f"  + {entry_id}")
    if report.changed and not args.dry_run:
        print(_kb_announce(settings))
    return 0


def _kb_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from knowledge_base import transfer

    db = _kb_database(_kb_settings(args.data_dir))
    with db.session() as session:
        data = transfer.export(session, args.format)
    Path(args.output).write_bytes(data)
    print(f"{len(data):,} bytes written to {args.output}")
    return 0


def _telegram_api(command: str) -> tuple[Settings, BotApi] | None:
    """The bot's API client from the settings; None (after saying what is missing) without a token.
    Logging goes through the masked handler `triage serve` uses: httpx logs each request's URL, and
    the Bot API's URLs carry the bot's token."""
    from bot.channels.telegram_api import BotApi
    from core import logs
    from core.config import Settings

    logs.configure("text", "INFO")
    settings = Settings.from_env()
    if not settings.telegram_token:
        print(
            f"triage telegram {command}: TRIAGE_TELEGRAM_TOKEN is not set (the token from @BotFather)", file=sys.stderr
        )
        return None
    return settings, BotApi(settings.telegram_api, settings.telegram_token)


def _telegram_answer(command: str, api: BotApi, method: str, params: dict[str, object]) -> int:
    """Call `method` and print what Telegram answered: 0 when it said ok, 1 otherwise."""
    import json

    from bot.channels.telegram_api import BotApiError

    try:
        answer = api.answer(method, params)
    except BotApiError as exc:
        print(f"triage telegram {command}: {exc}", file=sys.stderr)
        return 1
    finally:
        api.close()
    print(json.dumps(answer, ensure_ascii=False, indent=2))
    return 0


def _telegram_set_webhook(args: argparse.Namespace) -> int:
    import re

    from bot.channels.telegram_api import ALLOWED_UPDATES

    found = _telegram_api("set-webhook")
    if found is None:
        return 2
    settings, api = found
    secret = settings.telegram_secret
    if not secret or not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        api.close()
        print(
            "triage telegram set-webhook: TRIAGE_TELEGRAM_SECRET must be set, 1-256 characters of A-Z, a-z, 0-9, _ "
            "and - (Telegram sends it back with every update; the webhook refuses updates without it)",
            file=sys.stderr,
        )
        return 2
    url = args.url or (f"{settings.public_url}/webhooks/telegram" if settings.public_url else None)
    if url is None:
        api.close()
        print("triage telegram set-webhook: give the URL, or set TRIAGE_PUBLIC_URL", file=sys.stderr)
        return 2
    params: dict[str, object] = {"url": url, "secret_token": secret, "allowed_updates": list(ALLOWED_UPDATES)}
    if args.drop_pending_updates:
        params["drop_pending_updates"] = True
    return _telegram_answer("set-webhook", api, "setWebhook", params)


def _telegram_webhook_info(args: argparse.Namespace) -> int:
    found = _telegram_api("webhook-info")
    if found is None:
        return 2
    return _telegram_answer("webhook-info", found[1], "getWebhookInfo", {})


def _at_least_showcase(value: str) -> int:
    from merchant.demo import SHOWCASE

    number = int(value) if value.isdigit() else -1
    if number < len(SHOWCASE):
        raise argparse.ArgumentTypeError(f"must be at least {len(SHOWCASE)} (the showcase orders)")
    return number


def _positive(value: str) -> int:
    number = int(value) if value.isdigit() else 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value!r}")
    return number


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="triage", description="Chatbot-first triage assistant")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the whole product (embedded by default)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--data-dir", help="where SQLite keeps its file (default ./triage-data)")
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--log-format", choices=("text", "json"), help="default: json in production, text in the demo")
    serve.set_defaults(func=_serve)

    nlu = sub.add_parser("nlu", help="NLU tools")
    nlu_sub = nlu.add_subparsers(dest="nlu_command", required=True)
    ev = nlu_sub.add_parser("evaluate", help="measure the matcher on labelled messages")
    ev.add_argument("--train", help="CSV text,label to build the matcher from (default: the product KB)")
    ev.add_argument("--test", help="CSV text,label to measure on (label 'oos' = out of scope)")
    ev.add_argument("--validation", help="CSV to choose the out-of-scope threshold on")
    ev.add_argument("--threshold", type=float, help="out-of-scope threshold (default: the product's)")
    ev.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    ev.set_defaults(func=_evaluate)
    conv = nlu_sub.add_parser("conversations", help="play labelled conversations through the whole bot and score them")
    _conversation_arguments(conv)
    conv.set_defaults(func=_conversations)

    demo = sub.add_parser("demo-data", help="write a realistic, deterministic demo data set into the database")
    demo.add_argument("--orders", type=_at_least_showcase, default=300, help="how many orders (default 300)")
    demo.add_argument("--seed", type=int, default=7, help="same seed and --today, same rows (default 7)")
    demo.add_argument("--today", type=_day, help="the data set's today, YYYY-MM-DD (default: today in China)")
    demo.add_argument("--database-url", help="default: DATABASE_URL, or the embedded SQLite file")
    demo.add_argument("--replace", action="store_true", help="delete the merchant data already there first")
    demo.set_defaults(func=_demo_data)

    history = sub.add_parser(
        "demo-history", help="write weeks of generated conversations, handoffs, tickets and ratings into the database"
    )
    history.add_argument("--days", type=_positive, default=30, help="how many days, ending with --end (default 30)")
    history.add_argument("--per-day", type=_positive, default=200, help="contacts on an average day (default 200)")
    history.add_argument("--seed", type=int, default=7, help="same seed, days, size and --end: same rows (default 7)")
    history.add_argument("--end", type=_day, help="the last day, YYYY-MM-DD (default: today in China, up to now)")
    history.add_argument("--database-url", help="default: DATABASE_URL, or the embedded SQLite file")
    history.add_argument("--data-dir", help="where SQLite keeps its file (default ./triage-data)")
    history.add_argument("--replace", action="store_true", help="delete a history generated before first")
    history.set_defaults(func=_demo_history)

    agent = sub.add_parser("agent", help="agent accounts for the human desk")
    agent_sub = agent.add_subparsers(dest="agent_command", required=True)
    add = agent_sub.add_parser("add", help="create an agent (asks for the password)")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="the name customers see, e.g. 王芳")
    add.add_argument("--skills", default="general", help="queues served, comma-separated (default: general)")
    add.add_argument("--max-chats", type=int, default=3, help="chats at once (default 3)")
    add.add_argument("--supervisor", action="store_true", help="may take major complaints and edit keywords")
    add.add_argument(
        "--role",
        choices=("agent", "supervisor", "kb_editor", "admin"),
        default="agent",
        help="agent (default); supervisor; kb_editor edits the knowledge base; admin",
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=_agent_add)

    kb = sub.add_parser("kb", help="knowledge-base import and export")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    kb_in = kb_sub.add_parser("import", help="import entries from YAML, CSV or Excel: all of them or none")
    kb_in.add_argument("file")
    kb_in.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    kb_in.add_argument("--format", choices=("yaml", "csv", "xlsx"), help="default: from the file name")
    kb_in.add_argument("--as", dest="editor", help="the editor account the history names (default: none)")
    kb_in.add_argument("--data-dir", help="where SQLite keeps its file (default ./triage-data)")
    kb_in.set_defaults(func=_kb_import)
    kb_out = kb_sub.add_parser("export", help="write every entry to a file")
    kb_out.add_argument("--format", choices=("yaml", "csv", "xlsx", "nlu"), required=True, help="nlu: Rasa nlu.yml")
    kb_out.add_argument("-o", "--output", required=True, help="the file to write")
    kb_out.add_argument("--data-dir", help="where SQLite keeps its file (default ./triage-data)")
    kb_out.set_defaults(func=_kb_export)

    telegram = sub.add_parser("telegram", help="the Telegram bot's webhook (TRIAGE_TELEGRAM_TOKEN, _SECRET)")
    telegram_sub = telegram.add_subparsers(dest="telegram_command", required=True)
    hook = telegram_sub.add_parser("set-webhook", help="have Telegram send the bot's updates to this deployment")
    hook.add_argument("url", nargs="?", help="default: TRIAGE_PUBLIC_URL/webhooks/telegram")
    hook.add_argument("--drop-pending-updates", action="store_true", help="discard updates Telegram still holds")
    hook.set_defaults(func=_telegram_set_webhook)
    info = telegram_sub.add_parser("webhook-info", help="where Telegram sends updates, and its last error")
    info.set_defaults(func=_telegram_webhook_info)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except ConfigError as exc:  # a setting that would run the product unsafely or not at all
        print(f"triage: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
