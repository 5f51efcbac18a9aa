"""Load benchmark: 50 users on the coordinator's and donors' pages and API lists, then closed-loop saturation.

Run from the repository root against a PostgreSQL database filled by ``bench/scale_data.py``::

    AIDBRIDGE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/aidbridge_scale \\
        .venv/bin/python bench/bench_load.py [--workers 4] [--users 50] [--duration 60] [--no-write]

It starts the web server with several worker processes (``aidbridge serve --workers N --no-worker`` where
that command has ``--workers``, else gunicorn directly; ``--server-cmd`` overrides both, with ``{port}`` and
``{workers}`` filled in), makes a read API token for each persona with ``aidbridge token create``, and runs
locust headless on ``bench/locustfile.py`` three times:

0. warm-up: four users a persona (the donors taken in turn, so that each is reached), no think time, for
   ``--warmup`` seconds (default 30): the pages are asked once or more, so the caches hold what they would hold
   after a while without writes (each write empties them); reported on its own, as the cost of cold caches;
1. the load: ``--users`` users (default 50, a quarter coordinators, the rest donor liaisons), spawned 10 a
   second, each thinking 1–3 s between requests, for ``--duration`` seconds;
2. saturation: ``--saturation-users`` users (default 16) with no think time (a closed loop), for
   ``--saturation-duration`` seconds: the throughput the server sustains.

It writes its section of docs/benchmarks.md: p50/p95/p99 per page group against the targets of issue 14
(p95 ≤ 150 ms for lists, details, home and API lists; ≤ 400 ms for charts and the hub page), per page, and the
throughput, and the CPU each request took in the server's processes, in PostgreSQL's and in locust's (read
from ``/proc``). Locust runs on the same machine as the server and the database, and takes CPU from them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEMO_PERSONAS = ("coordinator", "donor-de", "donor-us")
TARGETS = {"home": 150, "list": 150, "detail": 150, "api list": 150, "chart": 400, "hub": 400}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def python() -> str:
    return sys.executable


def server_env(var_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "AIDBRIDGE_VAR_DIR": var_dir,
        "AIDBRIDGE_SECURE_COOKIES": "0",  # plain http on the loopback: the cookies must travel
        "AIDBRIDGE_CONN_MAX_AGE": env.get("AIDBRIDGE_CONN_MAX_AGE", "60"),  # persistent connections, as deployed
        "PYTHONPATH": str(ROOT),
    })
    return env


def serve_has_workers(env: dict[str, str]) -> bool:
    out = subprocess.run([python(), "-m", "aidbridge", "serve", "--help"], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=False)
    return "--workers" in out.stdout


def server_command(args: argparse.Namespace, port: int, env: dict[str, str]) -> list[str]:
    if args.server_cmd:
        return shlex.split(args.server_cmd.format(port=port, workers=args.workers))
    if serve_has_workers(env):
        return [python(), "-m", "aidbridge", "serve", "--workers", str(args.workers), "--no-worker",
                "--port", str(port)]
    return [python(), "-m", "gunicorn", "aidbridge.wsgi:application", "-w", str(args.workers),
            "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "--log-level", "warning"]


def wait_up(url: str, proc: subprocess.Popen[Any], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {proc.returncode})")
        try:
            with urllib.request.urlopen(url + "healthz", timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the server did not answer /healthz in time")


def liaisons(env: dict[str, str]) -> list[str]:
    """The extra donor logins of bench/scale_data.py (made here if the database predates them)."""
    out = subprocess.run([python(), "-c", "import django; django.setup(); from bench.scale_data import "
                          "ensure_liaisons; from aidbridge.core.requestid import request_id\n"
                          "with request_id(): print(','.join(ensure_liaisons()))"],
                         env={**env, "DJANGO_SETTINGS_MODULE": "aidbridge.settings"}, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return [name for name in out.stdout.strip().splitlines()[-1].split(",") if name]


def make_tokens(env: dict[str, str]) -> dict[str, str]:
    tokens = {}
    for username in (*DEMO_PERSONAS, *liaisons(env)):
        out = subprocess.run([python(), "-m", "aidbridge", "token", "create", "--user", username,
                              "--name", "bench_load", "--expires-days", "1"], env=env, cwd=ROOT,
                             capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            tokens[username] = out.stdout.strip().splitlines()[-1].strip()
    return tokens


def hub_ids(env: dict[str, str]) -> str:
    out = subprocess.run([python(), "-c", "import django, os; django.setup(); from aidbridge.locations.models "
                          "import Hub; print(','.join(str(pk) for pk in Hub.objects.filter(active=True)"
                          ".order_by('pk').values_list('pk', flat=True)))"],
                         env={**env, "DJANGO_SETTINGS_MODULE": "aidbridge.settings"}, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def run_locust(url: str, env: dict[str, str], *, users: int, rate: float, seconds: int, think: tuple[float, float],
               work: Path, label: str) -> Run:
    samples = work / f"{label}.jsonl"
    locust_env = {**env, "LOAD_THINK_MIN": str(think[0]), "LOAD_THINK_MAX": str(think[1]),
                  "LOAD_SAMPLES": str(samples)}
    cmd = [python(), "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(users),
           "-r", str(rate), "-t", f"{seconds}s", "--host", url.rstrip("/"), "--csv", str(work / label),
           "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"]
    print(f"bench_load: {label}: {' '.join(cmd[2:])}", file=sys.stderr)
    subprocess.run(cmd, env=locust_env, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    rows, stamps, reasons = [], [], []
    if samples.exists():
        with samples.open(encoding="utf-8") as f:
            for line in f:
                group, name, ms, ok, at, reason = json.loads(line)
                rows.append((group, name, float(ms), bool(ok)))
                stamps.append(float(at))
                if not ok:
                    reasons.append(reason)
    # Throughput over the measured span only: from the first page after the logins to the last answer.
    span = (max(stamps) - min(stamps)) if len(stamps) > 1 else 0.0
    return Run(rows, span, reasons)


class Run:
    def __init__(self, rows: list[tuple[str, str, float, bool]], span: float, reasons: list[str]) -> None:
        self.rows, self.span, self.reasons = rows, span, reasons
        self.cpu: dict[str, float] = {}

    @property
    def rate(self) -> float:
        return len(self.rows) / self.span if self.span else 0.0


def pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def cpu_seconds() -> dict[str, float]:
    """CPU time so far (user + system, with waited-for children) of the server's processes, PostgreSQL's and
    locust's, from ``/proc``; keyed by process id, so that a difference of two readings counts only the time
    spent in between."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        group = ("server" if "aidbridge serve" in cmdline or "gunicorn" in cmdline else
                 "postgres" if cmdline.startswith("postgres") else "locust" if "locust" in cmdline else None)
        if group:
            out[f"{group}:{pid}"] = sum(int(x) for x in fields[11:15]) / tick
    return out


def cpu_per_request(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request by process group, between two :func:`cpu_seconds` readings."""
    spent: dict[str, float] = defaultdict(float)
    for key, seconds in after.items():
        spent[key.split(":")[0]] += seconds - before.get(key, 0.0)
    return {group: 1000 * spent[group] / requests for group in ("server", "postgres", "locust")} if requests else {}


def summarise(rows: list[tuple[str, str, float, bool]], by: int) -> dict[str, dict[str, Any]]:
    grouped: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for row in rows:
        grouped[row[by]].append((row[2], row[3]))
    out = {}
    for key, values in grouped.items():
        times = sorted(ms for ms, _ in values)
        out[key] = {"n": len(values), "failures": sum(1 for _, ok in values if not ok), "p50": pct(times, 50),
                    "p95": pct(times, 95), "p99": pct(times, 99)}
    return out


def run(args: argparse.Namespace) -> str:
    from bench.report import machine_lines

    machine = machine_lines()
    if not (os.environ.get("AIDBRIDGE_DATABASE_URL") or "").startswith("postgres"):
        print("bench_load: set AIDBRIDGE_DATABASE_URL to the PostgreSQL database bench/scale_data.py filled",
              file=sys.stderr)
        raise SystemExit(2)
    with tempfile.TemporaryDirectory(prefix="aidbridge-bench-load-") as work_dir:
        work = Path(work_dir)
        env = server_env(os.environ.get("AIDBRIDGE_VAR_DIR") or str(work / "var"))
        port = free_port()
        cmd = server_command(args, port, env)
        url = f"http://127.0.0.1:{port}/"
        tokens = make_tokens(env)
        env["LOAD_TOKENS"] = json.dumps(tokens)
        env["LOAD_HUBS"] = hub_ids(env)
        counts = subprocess.run(
            [python(), "-c", "import django; django.setup(); from aidbridge.pledges.models import Pledge; "
             "from aidbridge.requirements.models import Requirement; from aidbridge.allocation.models import "
             "AllocationLine; from aidbridge.audit.models import AuditEvent; print(Pledge.objects.count(), "
             "Requirement.objects.count(), AllocationLine.objects.count(), AuditEvent.objects.count())"],
            env={**env, "DJANGO_SETTINGS_MODULE": "aidbridge.settings"}, cwd=ROOT, capture_output=True, text=True,
            check=True).stdout.split()
        print(f"bench_load: server: {' '.join(cmd)}", file=sys.stderr)
        with (work / "server.log").open("w") as log:
            server = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_up(url, server)
                warmup = run_locust(url, {**env, "LOAD_WARMUP": "1"}, users=4 * len(tokens), rate=4 * len(tokens),
                                    seconds=args.warmup, think=(0, 0), work=work, label="warmup")
                before, children = cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
                load = run_locust(url, env, users=args.users, rate=10, seconds=args.duration, think=(1, 3),
                                  work=work, label="load")
                load.cpu = cpu_per_request(before, cpu_seconds(), len(load.rows))
                # locust has exited by now: its CPU is this process's waited-for children's
                done = resource.getrusage(resource.RUSAGE_CHILDREN)
                if load.rows:
                    load.cpu["locust"] = 1000 * (done.ru_utime + done.ru_stime - children.ru_utime
                                                 - children.ru_stime) / len(load.rows)
                saturation = run_locust(url, env, users=args.saturation_users, rate=args.saturation_users,
                                        seconds=args.saturation_duration, think=(0, 0), work=work,
                                        label="saturation")
            finally:
                server.terminate()
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()
    return report(args, machine, cmd, counts, warmup, load, saturation, list(tokens))


def report(args: argparse.Namespace, machine: list[str], cmd: list[str], counts: list[str], warmup: Run,
           load: Run, saturation: Run, personas: list[str]) -> str:
    pledges, requirements, lines, events = (int(x) for x in counts)
    groups, pages, sat = summarise(load.rows, 0), summarise(load.rows, 1), summarise(saturation.rows, 0)
    server = " ".join(Path(c).name if c == python() else c for c in cmd)
    out = [f"## Load: {args.users} users at {pledges:,} pledges", "",
           f"Generated by `python bench/bench_load.py`, on the PostgreSQL database `bench/scale_data.py` fills: "
           f"{pledges:,} pledges, {requirements:,} requirements, {lines:,} allocation lines, {events:,} audit "
           f"events. The server is `{server}` ({args.workers} worker processes, persistent database "
           "connections); locust (`bench/locustfile.py`) runs on the same machine and takes CPU from it.", "",
           *machine, "",
           f"### Warm-up: {4 * len(personas)} users, no think time, {args.warmup} s", "",
           "The users browse as in the load, the donors taken in turn so that each is reached; the pages are "
           "asked once or more before the load, so that the caches hold what they "
           "hold after a while without writes. Every write empties them (their keys carry the audit trail's "
           "head), so this is what the first requests after a write cost: "
           f"{len(warmup.rows):,} requests, {warmup.rate:.1f}/s.", "",
           "| group | requests | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|"]
    warm = summarise(warmup.rows, 0)
    for name in sorted(warm, key=lambda g: list(TARGETS).index(g) if g in TARGETS else 99):
        g = warm[name]
        slowest = max(ms for group, _, ms, _ in warmup.rows if group == name)
        out.append(f"| {name} | {g['n']:,} | {g['p50']:.0f} | {g['p95']:.0f} | {slowest:.0f} |")
    cpu = ", ".join(f"{group} {ms:.1f} ms" for group, ms in load.cpu.items())
    out += ["", f"### {args.users} users thinking 1–3 s, {args.duration} s, after the warm-up", "",
           f"A quarter of the users are the coordinator, the rest donor liaisons ({len(personas) - 1} donors); each "
           "persona logs in once through the form and its users share the session; they browse home, lists, "
           "details, charts, the hub page (coordinator) and API lists with a bearer "
           f"token. {len(load.rows):,} requests measured after the logins, {load.rate:.1f}/s. A failure is a "
           "non-200 answer, no answer, or a request still waiting when the run stops (locust cuts it off: HTTP 0); "
           "a GET on a kept-alive connection the server has just closed as idle is sent again once, as browsers do. "
           f"CPU per request (all processes of each kind on the machine): {cpu or 'not measured'}.", "",
           "| group | requests | failures | p50 ms | p95 ms | p99 ms | p95 target | met |",
           "|---|---|---|---|---|---|---|---|"]
    for name in sorted(groups, key=lambda g: list(TARGETS).index(g) if g in TARGETS else 99):
        g = groups[name]
        target = TARGETS.get(name)
        out.append(f"| {name} | {g['n']:,} | {g['failures']:,} | {g['p50']:.0f} | {g['p95']:.0f} | {g['p99']:.0f} "
                   f"| {target or '—'} | {'yes' if target and g['p95'] <= target else 'no'} |")
    out += failures(load)
    out += ["", "Per page:", "", "| page | requests | failures | p50 ms | p95 ms | p99 ms |",
            "|---|---|---|---|---|---|"]
    for name in sorted(pages):
        p = pages[name]
        out.append(f"| {name.split(': ', 1)[1]} | {p['n']:,} | {p['failures']:,} | {p['p50']:.0f} | {p['p95']:.0f} "
                   f"| {p['p99']:.0f} |")
    total = len(saturation.rows)
    out += ["", f"### Saturation: {args.saturation_users} users, no think time, {args.saturation_duration} s", "",
            f"A closed loop: each user sends its next request as soon as the last one answers. Throughput "
            f"**{saturation.rate:.1f} requests/s** over the same mix, measured after the logins "
            f"({sum(g['failures'] for g in sat.values()):,} failures of {total:,}).", "",
            "| group | requests | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|---|"]
    for name in sorted(sat, key=lambda g: list(TARGETS).index(g) if g in TARGETS else 99):
        g = sat[name]
        out.append(f"| {name} | {g['n']:,} | {g['p50']:.0f} | {g['p95']:.0f} | {g['p99']:.0f} |")
    out += failures(saturation)
    return "\n".join(out)


def failures(run: Run) -> list[str]:
    """What the failed requests of ``run`` answered or raised, most frequent first."""
    if not run.reasons:
        return []
    return ["", "Failures:", "", *(f"- {n} × {reason or 'no reason given'}"
                                   for reason, n in Counter(run.reasons).most_common())]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4, help="Web server worker processes (default 4).")
    parser.add_argument("--warmup", type=int, default=30, help="Seconds of the warm-up (default 30).")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=60, help="Seconds of the load run (default 60).")
    parser.add_argument("--saturation-users", type=int, default=16)
    parser.add_argument("--saturation-duration", type=int, default=30)
    parser.add_argument("--server-cmd", help="The server command; {port} and {workers} are filled in.")
    parser.add_argument("--no-write", action="store_true", help="Print the section; leave docs/benchmarks.md alone.")
    args = parser.parse_args()
    text = run(args)
    print(text)
    if not args.no_write:
        from bench.report import write_section

        print(f"wrote {write_section('load', text)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
