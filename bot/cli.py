"""The `triage` command: serve the product, evaluate the NLU."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.app import create_app
    from bot.config import Settings

    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    settings = Settings.from_env(**overrides)
    base = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"

    def announce() -> None:
        mode = "embedded (SQLite + in-process Redis stand-in)" if settings.embedded else "production"
        print(
            f"\nTriage assistant ready: {mode}\n"
            f"  database:        {settings.database_url.split('@')[-1]}\n"
            f"  chat page:       {base}/\n"
            f"  REST channel:    POST {base}/webhooks/rest/webhook\n"
            f"  NLU parse:       POST {base}/model/parse\n"
            f"  conversations:   GET  {base}/conversations/{{sender_id}}\n"
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

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
