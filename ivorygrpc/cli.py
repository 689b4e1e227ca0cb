"""The `ivorygrpc` command line: `serve DECK.py`, `ui --server HOST:PORT` and
`protos export DECK.py`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivorygrpc.config import ServerConfig
from ivorygrpc.errors import DeckError

if TYPE_CHECKING:
    from ivorygrpc.runtime import Companion

logger = logging.getLogger("ivorygrpc")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ivorygrpc", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve a deck file as gRPC services")
    serve.add_argument("deck", type=Path, nargs="?", help="the deck's Python file")
    serve.add_argument("--schema", type=Path,
                       help="design offline against an exported ivorygrpc.binpb instead")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    serve.add_argument("--port", type=int, default=50051)
    serve.add_argument("--data-dir", type=Path, default=Path("ivorygrpc_data"))
    serve.add_argument("--no-ui", action="store_true", help="do not start the browser UI")
    serve.add_argument("--ui-host", default="127.0.0.1",
                       help="browser UI bind address (default loopback)")
    serve.add_argument("--ui-port", type=int, default=8000, help="browser UI port (default 8000)")
    serve.add_argument("--tls-cert", type=Path, help="PEM certificate chain (enables TLS)")
    serve.add_argument("--tls-key", type=Path, help="PEM private key")
    serve.add_argument("--tls-client-ca", type=Path,
                       help="PEM CA bundle: require client certificates (mutual TLS)")
    serve.add_argument("--insecure", action="store_true",
                       help="allow plaintext on a non-loopback address")

    browser = commands.add_parser("ui", help="serve the browser UI for a running server")
    _client_arguments(browser)
    browser.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    browser.add_argument("--port", type=int, default=8000)
    browser.add_argument("--data-dir", type=Path, default=Path("ivorygrpc_ui_data"),
                         help="where the UI keeps logins (a private folder)")

    agent = commands.add_parser(
        "mcp", help="serve a running server's operations to AI agents (MCP over stdio); "
                    "credentials from IVORYGRPC_TOKEN or IVORYGRPC_USERNAME/IVORYGRPC_PASSWORD")
    _client_arguments(agent)

    protos = commands.add_parser("protos", help="schema files")
    protos_commands = protos.add_subparsers(dest="protos_command", required=True)
    export = protos_commands.add_parser("export", help="write .proto files and a descriptor set")
    export.add_argument("deck", type=Path)
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--data-dir", type=Path, default=Path("ivorygrpc_data"),
                        help="where the field-number lock file lives (same as the server's)")
    return parser


def _client_arguments(command: argparse.ArgumentParser) -> None:
    """The options of a command that connects to a running server (`ui`, `mcp`)."""
    command.add_argument("--server", required=True, help="the gRPC server, HOST:PORT")
    command.add_argument("--tls", action="store_true", help="connect to the server with TLS")
    command.add_argument("--ca-file", type=Path, help="PEM CA bundle for TLS")


def _client_tls(args: argparse.Namespace) -> dict[str, Any]:
    """`tls` and `root_certificates` for a client command (`--ca-file` implies TLS)."""
    return {"tls": args.tls or args.ca_file is not None,
            "root_certificates": args.ca_file.read_bytes() if args.ca_file else None}


def _browser_ui(args: argparse.Namespace) -> Companion | None:
    """The browser UI next to the server (connecting over loopback), unless turned off."""
    from ivorygrpc.runtime import browser_ui

    if args.no_ui:
        return None
    return browser_ui(server_host=args.host, ui_host=args.ui_host, ui_port=args.ui_port,
                      data_dir=args.data_dir, tls=args.tls_cert is not None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ivorygrpc` command."""
    from ivorygrpc.runtime import configure_logging, load_deck, registered_notify, serve

    args = _parser().parse_args(argv)
    configure_logging()
    if args.command == "ui":
        from ivorygrpc_ui.main import run as run_ui  # lazy: the server never imports the UI

        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it stops
            run_ui(args.server, host=args.host, port=args.port, storage_dir=args.data_dir,
                   **_client_tls(args))
        return 0
    if args.command == "mcp":
        from ivorygrpc.client.mcp_server import serve_stdio  # lazy: needs the `mcp` extra

        with contextlib.suppress(KeyboardInterrupt):
            serve_stdio(args.server, **_client_tls(args))
        return 0
    try:
        if args.command == "serve" and (args.deck is None) == (args.schema is None):
            print("ivorygrpc: give a deck file or --schema FILE.binpb (not both)",
                  file=sys.stderr)
            return 2
        module = load_deck(args.deck) if args.deck is not None else None
        if args.command == "serve":
            config = ServerConfig(deck=module, schema_file=args.schema, host=args.host,
                                  port=args.port,
                                  data_dir=args.data_dir, tls_cert=args.tls_cert,
                                  tls_key=args.tls_key, tls_client_ca=args.tls_client_ca,
                                  insecure=args.insecure, notify=registered_notify())
            asyncio.run(serve(config, companion=_browser_ui(args)))
        else:
            from ivorygrpc.export import write_export
            from ivorygrpc.server import build_deck

            _, schema = build_deck(ServerConfig(deck=module, data_dir=args.data_dir))
            for path in write_export(schema, args.out):
                print(path)
    except (OSError, DeckError) as exc:
        print(f"ivorygrpc: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
