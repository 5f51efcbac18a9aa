"""The task worker that ``aidbridge serve`` starts beside the web server.

Background tasks (allocation runs, imports, checkpoints) never run in a web server's process: a run at scale
holds its instance and plan in memory for a minute, which would grow every web process and slow its pages.
``aidbridge serve`` (one process or several) therefore starts ``aidbridge db_worker`` as a separate child
process, and stops it when the server stops, so a laptop still needs one command and no broker. Larger
deployments pass ``--no-worker`` and run ``aidbridge db_worker`` processes themselves (as many as needed, on as
many machines): they all claim work from the same database table.

Apps that keep work recurring (the audit app's periodic checkpoints) register a start hook with
:func:`on_worker_start` in their ``AppConfig.ready``; every worker, in-process or ``db_worker``, runs the hooks
once as it starts. This is an explicit registry, so ``core`` names no app above it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

_start_hooks: list[Callable[[], object]] = []


def on_worker_start(hook: Callable[[], object]) -> Callable[[], object]:
    """Register ``hook`` to run each time a task worker starts (idempotent per hook)."""
    if hook not in _start_hooks:
        _start_hooks.append(hook)
    return hook


def run_start_hooks() -> None:
    """Run every start hook; one that fails is logged and does not stop the worker or the others."""
    for hook in _start_hooks:
        try:
            hook()
        except Exception:
            logger.exception("A task-worker start hook failed: %s", getattr(hook, "__qualname__", hook))


STOP_SECONDS = 10.0


class WorkerProcess:
    """``aidbridge db_worker`` running as a child process (the start hooks run there, as it starts)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = STOP_SECONDS) -> int | None:
        """Ask the worker to stop (it finishes a short task first), and kill it if it has not within ``timeout``
        seconds. Returns its exit status."""
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: django-tasks-db's worker stops after its current task
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.warning("The task worker (pid %s) did not stop within %.0f s; killing it", self.pid, timeout)
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_background_worker(*, interval: float = 1.0) -> WorkerProcess:
    """Start ``python -m aidbridge db_worker`` as a child process with this process's settings (environment).

    The child imports the same ``aidbridge`` as this process (its directory goes first on ``PYTHONPATH``), and
    runs in a session of its own: Ctrl+C in the terminal reaches the server, which then stops the worker once.
    """
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[2]),
                                                      env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "aidbridge", "db_worker", "--interval", str(interval), "--no-startup-delay",
               "--worker-id", f"serve-{os.getpid()}", "--verbosity", "0"]
    if os.name == "nt":  # pragma: no cover - Windows keeps Ctrl+C from the worker with a process group instead
        return WorkerProcess(subprocess.Popen(command, env=env,
                                              creationflags=subprocess.CREATE_NEW_PROCESS_GROUP))  # type: ignore[attr-defined]
    return WorkerProcess(subprocess.Popen(command, env=env, start_new_session=True))
