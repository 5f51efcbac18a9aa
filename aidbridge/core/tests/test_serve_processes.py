"""``aidbridge serve``: one waitress process or several gunicorn processes, with the task worker beside them.

The end-to-end tests start the real command in a temporary directory (its own SQLite database, holding only the
task queue), ask it for pages, queue a task that records the process running it, and stop the server as Ctrl+C
does.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from aidbridge.core.management.commands import serve

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AIDBRIDGE_TESTING", "AIDBRIDGE_DATABASE_URL",
                                                             "DJANGO_SETTINGS_MODULE")}
    env.update(AIDBRIDGE_VAR_DIR=str(var), PYTHONPATH=str(ROOT))
    return env


def _aidbridge(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "aidbridge", *args], env=env, cwd=ROOT, check=True, timeout=300,
                   capture_output=True)


def _get(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return {int(x) for x in out.split()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for(check, seconds: float = 120.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (value := check()) is not None:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting after {seconds:.0f} s")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir() or not serve.has_fcntl(), reason="needs Linux processes")
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_runs_tasks_in_a_worker_process_stopped_with_the_server(tmp_path, workers):
    env = _env(tmp_path / "var")
    _aidbridge(env, "migrate", "django_tasks_database", "-v0")  # the queue is all these tests need
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "aidbridge", "serve", "--port", str(port), "--threads", "2",
                               "--workers", str(workers)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        def up() -> bool | None:
            try:
                return True if _get(f"{base}/healthz")[0] == 200 else None
            except OSError:
                return None

        _wait_for(up)
        status, body = _get(f"{base}/static/aidbridge/app.css")
        assert status == 200 and body  # WhiteNoise serves the static files in every mode
        from django.conf import settings

        status, _ = _get(f"{base}/healthz", data=b"x",
                         headers={"Content-Length": str(settings.MAX_REQUEST_BODY_BYTES + 1)})
        assert status == 413  # refused before a body that large is read

        # gunicorn's processes and the task worker start on their own time: the first one may answer before the
        # others are forked (a busy machine showed two of three), so the count is awaited, then held to.
        expected = workers + 1 if workers > 1 else 1
        children = _wait_for(lambda: found if len(found := _children(server.pid)) == expected else None)
        time.sleep(1)
        assert _children(server.pid) == children  # and no more come
        marker = tmp_path / "pid"
        _aidbridge(env, "shell", "-c", "from aidbridge.core.tests.worker_tasks import record_pid; "
                                       f"record_pid.enqueue({str(marker)!r})")
        ran_in = _wait_for(lambda: int(marker.read_text()) if marker.exists() and marker.read_text() else None)
        assert ran_in in children and ran_in != server.pid
        web = children - {ran_in}
        assert all("db_worker" not in Path(f"/proc/{pid}/cmdline").read_text() for pid in web)
        assert "db_worker" in Path(f"/proc/{ran_in}/cmdline").read_bytes().decode().replace("\0", " ")
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=60)[0].decode()
    assert "Stopped." in output
    assert not _alive(ran_in)  # the worker stopped with the server


def test_gunicorn_serves_several_threaded_processes_on_the_same_address():
    options = serve.gunicorn_options(host="0.0.0.0", port=8765, threads=4, workers=3)
    assert (options["bind"], options["workers"], options["threads"], options["worker_class"]) == (
        ["0.0.0.0:8765"], 3, 4, "gthread")
    assert serve.gunicorn_options(host="::1", port=80, threads=1, workers=2)["bind"] == ["[::1]:80"]
    server = serve._gunicorn_server(lambda environ, start_response: [b""], options)
    assert (server.cfg.workers, server.cfg.threads, server.cfg.bind) == (3, 4, ["0.0.0.0:8765"])


def test_the_body_limit_refuses_a_large_declared_body_before_the_application_runs():
    seen: list[str] = []

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        seen.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"ok"]

    limited = serve.limit_request_body(app, 100)
    statuses: list[str] = []
    for length in ("100", "", "101"):
        limited({"PATH_INFO": f"/{length}", "CONTENT_LENGTH": length}, lambda status, headers: statuses.append(status))
    assert statuses == ["200 OK", "200 OK", "413 Request Entity Too Large"]
    assert seen == ["/100", "/"]


def test_several_processes_need_gunicorn_and_so_unix(monkeypatch):
    monkeypatch.setattr(serve, "has_fcntl", lambda: False)
    with pytest.raises(CommandError, match="Unix only"):
        serve.run_server(host="127.0.0.1", port=8000, threads=1, stdout=io.StringIO(), worker=False, workers=2)
    with pytest.raises(CommandError, match="at least 1"):
        serve.run_server(host="127.0.0.1", port=8000, threads=1, stdout=io.StringIO(), worker=False, workers=0)
