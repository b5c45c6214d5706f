"""The `triage` command: serve the product, evaluate the NLU, load demo data."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import date


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.app import create_app
    from bot.config import Settings

    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    settings = Settings.from_env(**overrides)
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
        print(
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
            f"  API docs:        {base}/docs\n",
            flush=True,
        )

    app = create_app(settings, on_ready=announce)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from bot.nlu.evaluate import main as evaluate

    return evaluate(args)


def _demo_data(args: argparse.Namespace) -> int:
    from actions.demo import DemoDataExists, generate
    from bot.config import Settings
    from bot.db import Database

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


def _agent_add(args: argparse.Namespace) -> int:
    import getpass

    from bot.config import Settings
    from bot.db import Database
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
    password = (
        sys.stdin.readline().strip() if args.password_stdin else getpass.getpass(f"password for {args.username}: ")
    )
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
    print(f"agent {args.username} ({args.name}) can now log in at /console; queues: {', '.join(skills)}")
    return 0


def _at_least_showcase(value: str) -> int:
    from actions.demo import SHOWCASE

    number = int(value) if value.isdigit() else -1
    if number < len(SHOWCASE):
        raise argparse.ArgumentTypeError(f"must be at least {len(SHOWCASE)} (the showcase orders)")
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

    demo = sub.add_parser("demo-data", help="write a realistic, deterministic demo data set into the database")
    demo.add_argument("--orders", type=_at_least_showcase, default=300, help="how many orders (default 300)")
    demo.add_argument("--seed", type=int, default=7, help="same seed and --today, same rows (default 7)")
    demo.add_argument("--today", type=_day, help="the data set's today, YYYY-MM-DD (default: today in China)")
    demo.add_argument("--database-url", help="default: DATABASE_URL, or the embedded SQLite file")
    demo.add_argument("--replace", action="store_true", help="delete the merchant data already there first")
    demo.set_defaults(func=_demo_data)

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

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
