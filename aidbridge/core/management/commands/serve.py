"""``aidbridge serve``: run Aidbridge under waitress, a production-grade pure-Python WSGI server."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_THREADS = 8


def add_server_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"Address to listen on (default {DEFAULT_HOST}; use 0.0.0.0 for all interfaces).")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT}).")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help=f"Worker threads serving requests (default {DEFAULT_THREADS}).")
    parser.add_argument("--no-worker", action="store_true",
                        help="Do not run background tasks in this process (run `aidbridge db_worker` instead).")


def server_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"


def run_server(
    *, host: str, port: int, threads: int, stdout: IO[str] | OutputWrapper, worker: bool = True
) -> None:
    """Serve ``aidbridge.wsgi.application`` until interrupted. Shared by ``serve`` and ``demo``."""
    if not 0 < port < 65536:
        raise CommandError(f"--port must be between 1 and 65535, not {port}.")
    if threads < 1:
        raise CommandError(f"--threads must be at least 1, not {threads}.")
    import waitress
    from django.conf import settings

    # WhiteNoise serves from the app finders too; an empty STATIC_ROOT just spares a start-up warning.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    from aidbridge.wsgi import application

    if worker:
        from aidbridge.core.worker import start_background_worker

        start_background_worker()
    stdout.write(f"Aidbridge is serving at {server_url(host, port)}  (press Ctrl+C to stop)\n")
    try:
        waitress.serve(application, host=host.strip("[]"), port=port, threads=threads, ident="aidbridge")
    except KeyboardInterrupt:
        stdout.write("Stopped.\n")


class Command(BaseCommand):
    help = "Serve Aidbridge over HTTP with waitress (a production-grade WSGI server). Static files are served too."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_server_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        run_server(host=options["host"], port=options["port"], threads=options["threads"], stdout=self.stdout,
                   worker=not options["no_worker"])
