"""``aidbridge serve``: run Aidbridge under waitress, a production-grade pure-Python WSGI server."""

from __future__ import annotations

import errno
import socket
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


class PortInUse(Exception):
    """The port is taken: said in one line, before anything else is printed."""

    def __init__(self, port: int, suggestion: int | None) -> None:
        hint = f"try --port {suggestion}" if suggestion else "try another --port"
        super().__init__(f"port {port} is in use; {hint}")


def _can_bind(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The same option waitress sets: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def check_port(host: str, port: int) -> None:
    """Raise :class:`PortInUse` (naming a free port nearby) unless ``host:port`` can be listened on."""
    if not 0 < port < 65536:
        raise CommandError(f"--port must be between 1 and 65535, not {port}.")
    if _can_bind(host, port):
        return
    suggestion = next((p for p in range(port + 1, min(port + 100, 65536)) if _can_bind(host, p)), None)
    raise PortInUse(port, suggestion)


def exit_if_port_in_use(host: str, port: int, stderr: IO[str] | OutputWrapper) -> None:
    """For ``serve`` and ``demo``: one line and exit status 1 when the port is taken, no traceback."""
    try:
        check_port(host, port)
    except PortInUse as exc:
        stderr.write(f"{exc}\n")
        raise SystemExit(1) from None


def run_server(
    *, host: str, port: int, threads: int, stdout: IO[str] | OutputWrapper, worker: bool = True
) -> None:
    """Serve ``aidbridge.wsgi.application`` until interrupted. Shared by ``serve`` and ``demo``."""
    if threads < 1:
        raise CommandError(f"--threads must be at least 1, not {threads}.")
    try:
        check_port(host, port)
    except PortInUse as exc:
        raise CommandError(str(exc)) from None
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
        waitress.serve(application, host=host.strip("[]"), port=port, threads=threads, ident="aidbridge",
                       max_request_body_size=settings.MAX_REQUEST_BODY_BYTES)
    except KeyboardInterrupt:
        stdout.write("Stopped.\n")


class Command(BaseCommand):
    help = "Serve Aidbridge over HTTP with waitress (a production-grade WSGI server). Static files are served too."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_server_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        exit_if_port_in_use(options["host"], options["port"], self.stderr)
        run_server(host=options["host"], port=options["port"], threads=options["threads"], stdout=self.stdout,
                   worker=not options["no_worker"])
