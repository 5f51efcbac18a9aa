"""``aidbridge serve``: run Aidbridge under waitress (one process), or gunicorn with ``--workers N`` (N processes).

Either way the background tasks run in a separate ``aidbridge db_worker`` child process, started with the
server and stopped with it (``--no-worker`` leaves them to ``db_worker`` processes run by hand).
"""

from __future__ import annotations

import errno
import importlib.util
import socket
from argparse import ArgumentParser
from collections.abc import Callable, Iterable
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
                        help=f"Threads serving requests in each process (default {DEFAULT_THREADS}).")
    parser.add_argument("--workers", type=int, default=1,
                        help="Processes serving requests (default 1: waitress, one process; 2 or more: gunicorn, "
                             "Unix only).")
    parser.add_argument("--no-worker", action="store_true",
                        help="Do not start the background-task worker process (run `aidbridge db_worker` instead).")


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


def has_fcntl() -> bool:
    """Gunicorn needs ``fcntl``, which Windows lacks."""
    return importlib.util.find_spec("fcntl") is not None


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def limit_request_body(application: WSGIApp, limit: int) -> WSGIApp:
    """Refuse, with 413 and before the application reads a byte, a request whose declared body exceeds
    ``limit``: what waitress's ``max_request_body_size`` does, for gunicorn (which has no such setting). A body
    without a length (chunked) is not read by Django at all, so the declared length is the whole guard."""

    def limited(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            body = b"Request body too large.\n"
            start_response("413 Request Entity Too Large", [("Content-Type", "text/plain; charset=utf-8"),
                                                             ("Content-Length", str(len(body))),
                                                             ("Connection", "close")])
            return [body]
        return application(environ, start_response)

    return limited


def gunicorn_options(*, host: str, port: int, threads: int, workers: int) -> dict[str, Any]:
    """The gunicorn settings ``serve --workers N`` runs with: N processes of ``threads`` threads (gthread)."""
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    return {
        "bind": [f"{shown}:{port}"], "workers": workers, "threads": threads, "worker_class": "gthread",
        "proc_name": "aidbridge", "accesslog": None, "errorlog": "-", "graceful_timeout": 10,
        # Slow allocation pages and exports may take a while; gunicorn's default 30 s kills a busy worker.
        "timeout": 120,
    }


def _gunicorn_server(application: WSGIApp, options: dict[str, Any]) -> Any:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        """Gunicorn run from Python (no command line to parse), serving the already loaded application."""

        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> WSGIApp:
            return application

    return Server()


def run_server(
    *, host: str, port: int, threads: int, stdout: IO[str] | OutputWrapper, worker: bool = True, workers: int = 1
) -> None:
    """Serve ``aidbridge.wsgi.application`` until interrupted. Shared by ``serve`` and ``demo``."""
    if threads < 1:
        raise CommandError(f"--threads must be at least 1, not {threads}.")
    if workers < 1:
        raise CommandError(f"--workers must be at least 1, not {workers}.")
    if workers > 1 and not has_fcntl():
        raise CommandError("--workers above 1 serves with gunicorn, which runs on Unix only (this system has no "
                           "fcntl, e.g. Windows). Serve with one process (--workers 1), or run Aidbridge on Linux.")
    try:
        check_port(host, port)
    except PortInUse as exc:
        raise CommandError(str(exc)) from None
    from django.conf import settings

    # WhiteNoise serves from the app finders too; an empty STATIC_ROOT just spares a start-up warning.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    from aidbridge.wsgi import application

    background = None
    if worker:
        from aidbridge.core.worker import start_background_worker

        background = start_background_worker()
    processes = f"{workers} processes of {threads} threads" if workers > 1 else f"{threads} threads"
    stdout.write(f"Aidbridge is serving at {server_url(host, port)} with {processes}  (press Ctrl+C to stop)\n")
    try:
        if workers > 1:
            from django.db import connections

            connections.close_all()  # the processes are forked from this one: none may inherit its connection
            server = _gunicorn_server(limit_request_body(application, settings.MAX_REQUEST_BODY_BYTES),
                                      gunicorn_options(host=host, port=port, threads=threads, workers=workers))
            try:
                server.run()
            except SystemExit as exc:  # gunicorn's arbiter exits the process when it halts (after Ctrl+C)
                if exc.code not in (None, 0):
                    raise
        else:
            import waitress

            waitress.serve(application, host=host.strip("[]"), port=port, threads=threads, ident="aidbridge",
                           max_request_body_size=settings.MAX_REQUEST_BODY_BYTES)
    except KeyboardInterrupt:
        pass
    finally:
        if background is not None:
            background.stop()
    stdout.write("Stopped.\n")


class Command(BaseCommand):
    help = ("Serve Aidbridge over HTTP: waitress in one process, or gunicorn with --workers N; static files too, and "
            "the background-task worker as a separate process.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_server_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        exit_if_port_in_use(options["host"], options["port"], self.stderr)
        run_server(host=options["host"], port=options["port"], threads=options["threads"], stdout=self.stdout,
                   worker=not options["no_worker"], workers=options["workers"])
