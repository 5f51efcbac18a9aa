"""Allocation run at scale, end to end: served by ``aidbridge serve``, executed by its task-worker process.

Run from the repository root against a PostgreSQL database filled by ``bench/scale_data.py``::

    python bench/bench_allocation_scale.py --database postgresql://postgres@127.0.0.1:5432/aidbridge_scale

Writes its section of docs/benchmarks.md (``--no-write`` prints it only). Without ``--database`` (or
``AIDBRIDGE_BENCH_SCALE_DATABASE``) it says so and exits with status 2, writing nothing.

It starts ``aidbridge serve`` (waitress, with its ``db_worker`` child process), queues an optimal run as the
demo coordinator with ``--time-limit`` seconds (60 by default), and waits for it, sampling the processes'
memory from ``/proc``: the peak resident set (``VmHWM``) of the worker that ran it and of the web server. Then
it renders the run's page twice in a fresh process, as the coordinator (Django's test client), and reports the
times (cold, then warm), the HTML size and that process's peak memory. The run's wall time is the worker's,
from claiming the run to storing its plan; the target is the time limit plus 10%.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_mb(pid: int) -> float:
    """A process's peak resident set, from ``/proc`` (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidbridge.settings")
    import django

    django.setup()


def child_start(time_limit: float) -> dict[str, Any]:
    """Queue the run as the coordinator, and count what it will plan over."""
    _django()
    from django.contrib.auth import get_user_model

    from aidbridge.allocation import run_services
    from aidbridge.allocation.models import AllocationLine
    from aidbridge.pledges.models import Pledge
    from aidbridge.requirements.models import Requirement

    coordinator = get_user_model().objects.get(username="coordinator")
    run = run_services.start_run(actor=coordinator, time_limit=time_limit)
    return {"run": run.pk, "pledges": Pledge.objects.count(), "requirements": Requirement.objects.count(),
            "lines": AllocationLine.objects.count()}


def child_status(run_id: int) -> dict[str, Any]:
    _django()
    from aidbridge.allocation.models import AllocationRun

    run = AllocationRun.objects.defer("instance", "plan", "greedy_plan").get(pk=run_id)
    return {"status": run.status, "duration": run.duration_seconds, "message": run.progress_message,
            "plan_status": run.plan_status, "error": run.error[:500]}


def child_page(run_id: int) -> dict[str, Any]:
    _django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from aidbridge.allocation.models import AllocationRun

    client = Client()
    client.force_login(get_user_model().objects.get(username="coordinator"))
    seconds = []
    for _ in range(2):  # the first view also loads the URL conf and checks staleness; the second is a warm one
        started = time.perf_counter()
        response = client.get(f"/allocations/runs/{run_id}/")
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    run = AllocationRun.objects.get(pk=run_id)
    stats = run.plan.get("stats") or {}
    return {"first": seconds[0], "seconds": seconds[1], "bytes": len(response.content), "rss": peak_mb(os.getpid()),
            "instance_pledges": len(run.instance["pledges"]),
            "instance_requirements": len(run.instance["requirements"]), "flows": len(run.plan["flows"]),
            "objective": run.objective, "bound": run.bound, "gap": run.gap, "greedy_objective": run.greedy_objective,
            "solver": {k: stats.get(k) for k in ("seconds", "pairs", "pairs_pruned", "algorithm", "lagrangian_rounds",
                                                  "time_limit_reached")}}


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], env=env, cwd=ROOT, check=True, capture_output=True,
                         text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def measure(database: str, time_limit: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "AIDBRIDGE_TESTING"}
        env.update(AIDBRIDGE_DATABASE_URL=database, AIDBRIDGE_VAR_DIR=tmp, PYTHONPATH=str(ROOT))
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "aidbridge", "serve", "--port", str(port), "--threads", "4"],
                                  env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            worker = next(pid for pid in _children(server.pid)
                          if "db_worker" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"))
            started = _child(env, "--child-start", str(time_limit))
            queued = time.monotonic()
            worker_peak = 0.0
            while True:
                worker_peak = max(worker_peak, peak_mb(worker))
                status = _child(env, "--child-status", str(started["run"]))
                if status["status"] not in ("queued", "running"):
                    break
                time.sleep(1.0)
            waited = time.monotonic() - queued
            web_peak = peak_mb(server.pid)
            page = _child(env, "--child-page", str(started["run"])) if status["status"] == "done" else {}
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(60)
    return {**started, **status, "waited": waited, "worker_peak": worker_peak, "web_peak": web_peak, "page": page,
            "limit": time_limit}


def section(r: dict[str, Any]) -> str:
    from bench.report import machine_lines

    page = r["page"]
    within = r["duration"] is not None and r["duration"] <= 1.1 * r["limit"]
    out = ["## Allocation run at scale (database, worker process)", "", *machine_lines(), "",
           f"One optimal run over the database filled by `bench/scale_data.py`: {r['pledges']:,} pledges, "
           f"{r['requirements']:,} requirements, {r['lines']:,} allocation lines"
           + (f"; the instance plans {page['instance_pledges']:,} pledges against {page['instance_requirements']:,} "
              f"requirements and the plan has {page['flows']:,} flows." if page else "."),
           "Served by `aidbridge serve` (waitress, 4 threads); the run executes in its `db_worker` child process.",
           "",
           "| measure | value |", "|---|---|",
           f"| time limit | {r['limit']:.0f} s |",
           f"| run wall time (worker: read inputs, greedy, solve, check, store) | "
           f"{r['duration'] or 0:.1f} s ({'within' if within else 'over'} the limit + 10%) |",
           f"| from queueing to the stored plan (as polled) | {r['waited']:.1f} s |",
           f"| outcome | {r['status']}, plan {r['plan_status'] or '—'}: {r['message']} |",
           f"| worker process peak RSS | {r['worker_peak']:.0f} MB |",
           f"| web server process peak RSS (after the run) | {r['web_peak']:.0f} MB |"]
    if page:
        out += [f"| run page (first page of rows) in a fresh process: first view, then a warm one | "
                f"{page['first']:.2f} s, then {page['seconds']:.2f} s; {page['bytes'] / 1024:.0f} kB of HTML; process "
                f"peak RSS {page['rss']:.0f} MB |"]
        sv = page["solver"]
        if page["objective"] is not None:
            out += [f"| plan objective (greedy baseline; proven bound, gap) | {page['objective']:,.0f} "
                    f"({page['greedy_objective']:,.0f}; {page['bound'] or 0:,.0f}, {100 * (page['gap'] or 0):.2f}%) |"]
        out += [f"| optimal method | {sv['seconds'] or 0:.1f} s, {sv['algorithm'] or '—'}, "
                f"{sv['lagrangian_rounds'] or 0} round(s) over {sv['pairs'] or 0:,} pairs"
                f"{' (pruned)' if sv['pairs_pruned'] else ''}; time limit "
                f"{'reached' if sv['time_limit_reached'] else 'not reached'} |"]
    out += ["", "The run's wall time is the worker's, from claiming the run to storing its plan. The time from "
            "queueing also includes the worker's start: its start hook queues a transparency-log checkpoint over the "
            "audit events, which may run first. Above 2 million pledge-requirement pairs the optimal method plans "
            "over each side's best partners (docs/allocation.md, *Large instances*), and its bound is then the pair "
            "bound over all pairs."]
    if r["error"]:
        out += ["", f"The run failed: `{r['error']}`"]
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=os.environ.get("AIDBRIDGE_BENCH_SCALE_DATABASE"))
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--no-write", action="store_true", help="Print the section; leave docs/benchmarks.md alone.")
    parser.add_argument("--child-start", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--child-status", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-page", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_start is not None:
        print(json.dumps(child_start(args.child_start)))
        return 0
    if args.child_status is not None:
        print(json.dumps(child_status(args.child_status)))
        return 0
    if args.child_page is not None:
        print(json.dumps(child_page(args.child_page)))
        return 0
    if not args.database:
        print("bench_allocation_scale: no --database (or AIDBRIDGE_BENCH_SCALE_DATABASE) filled by "
              "bench/scale_data.py; section skipped", file=sys.stderr)
        return 2
    text = section(measure(args.database, args.time_limit))
    print(text)
    if not args.no_write:
        from bench.report import write_section

        write_section("allocation-scale", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
