"""The load scenario of ``bench/bench_load.py``: the coordinator's and the donors' pages and API lists.

Each simulated user is a demo persona, logged in once through the login form (the coordinator, or one of the donor
liaisons, or the extra donor logins ``bench/scale_data.py`` makes), then browses,
thinking ``LOAD_THINK_MIN``–``LOAD_THINK_MAX`` seconds between requests (1–3 s by
default; 0 for the closed-loop saturation run). Its API calls carry a bearer token made for its persona by
``bench_load.py`` (``LOAD_TOKENS``, JSON: username → secret). Detail pages are picked among the ids the
persona's own API lists return, so every one is a page it may see (a 404 counts as a failure).

Every request is recorded, with its page group, in ``LOAD_SAMPLES`` (JSON lines) when the run stops, so that
``bench_load.py`` can report percentiles per group; locust's own CSV has them per page.

Run on its own: ``locust -f bench/locustfile.py --headless -u 50 -r 10 -t 60s --host http://127.0.0.1:8000``
with ``LOAD_TOKENS`` set (see ``bench_load.py``).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from typing import Any

from gevent.lock import Semaphore
from locust import HttpUser, between, constant, events, task
from urllib3.util.retry import Retry

PASSWORD = os.environ.get("LOAD_PASSWORD", "aidbridge-demo")
TOKENS: dict[str, str] = json.loads(os.environ.get("LOAD_TOKENS", "{}"))
THINK_MIN = float(os.environ.get("LOAD_THINK_MIN", "1"))
THINK_MAX = float(os.environ.get("LOAD_THINK_MAX", "3"))
DONORS = [name for name in TOKENS if name != "coordinator"] or ["donor-de", "donor-us"]
HUBS = [int(x) for x in os.environ.get("LOAD_HUBS", "1,2").split(",") if x]
SAMPLES: list[tuple[str, str, float, bool, float, str]] = []
SESSIONS: dict[str, dict[str, str]] = {}  # username → the cookies of its one logged-in session
LOGIN_LOCK = Semaphore()
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Page groups and their p95 targets (issue 14): lists, details and home 150 ms; charts and the hub page 400 ms.
WARMUP = os.environ.get("LOAD_WARMUP") == "1"
_TURNS = itertools.count()

GROUPS = {"home": 150, "list": 150, "detail": 150, "api list": 150, "chart": 400, "hub": 400}


def group_of(name: str) -> str:
    return name.split(":", 1)[0]


@events.request.add_listener
def _record(request_type: str, name: str, response_time: float, response_length: int, exception: Any,
            **kwargs: Any) -> None:
    if ":" not in name:
        return  # logging in and collecting ids: the users' set-up, not the pages measured
    reason = "" if exception is None else f"{type(exception).__name__}: {exception}"[:160]
    SAMPLES.append((group_of(name), name, response_time, exception is None, time.time(), reason))


@events.quitting.add_listener
def _write(environment: Any, **kwargs: Any) -> None:
    path = os.environ.get("LOAD_SAMPLES")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            for row in SAMPLES:
                f.write(json.dumps(row) + "\n")


def why(response: Any) -> str:
    """A failed answer's status, and for no answer at all (status 0) the error that stopped it."""
    if response.status_code == 0:
        return f"HTTP 0 ({type(response.error).__name__}: {response.error})"
    return f"HTTP {response.status_code}"


def wait() -> Any:
    return constant(0) if THINK_MAX <= 0 else between(THINK_MIN, THINK_MAX)


class Persona(HttpUser):
    abstract = True
    wait_time = wait()
    username = ""

    def on_start(self) -> None:
        self.username = self.pick_username()
        # As a browser does: a page asked on a kept-alive connection that the server has just closed as idle (its
        # keep-alive is shorter than the users' think time) is asked again once, on a new connection.
        for adapter in self.client.adapters.values():
            adapter.max_retries = Retry(total=1, connect=1, read=1, status=0, allowed_methods=frozenset({"GET"}),
                                        raise_on_status=False)
        self.client.headers["Accept-Language"] = "en-gb"
        self.client.cookies.update(self.session_cookies())
        self.ids: dict[str, list[int]] = {}
        for kind in ("pledges", "requirements", "shipments", "allocations"):
            data = self.api(f"/api/v1/{kind}?limit=100&offset={random.randrange(0, 2000, 100)}", "ids")
            self.ids[kind] = [row["id"] for row in data.get("items", [])] if data else []

    def session_cookies(self) -> dict[str, str]:
        """Log the persona in through the form once; its other simulated users share the session, as one
        person's browser tabs would (hashing a password costs about a second of CPU: fifty logins would
        measure the password hasher, not the pages)."""
        with LOGIN_LOCK:
            if self.username not in SESSIONS:
                page = self.client.get("/accounts/login/", name="login page")
                match = CSRF.search(page.text)
                response = self.client.post("/accounts/login/", name="login", allow_redirects=False, data={
                    "username": self.username, "password": PASSWORD,
                    "csrfmiddlewaretoken": match.group(1) if match else ""},
                    headers={"Referer": f"{self.host}/accounts/login/"})
                if response.status_code != 302:
                    raise RuntimeError(f"{self.username} could not log in (HTTP {response.status_code})")
                SESSIONS[self.username] = dict(self.client.cookies.get_dict())
        return SESSIONS[self.username]

    def pick_username(self) -> str:
        raise NotImplementedError

    def api(self, url: str, name: str) -> Any:
        token = TOKENS.get(self.username)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with self.client.get(url, headers=headers, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(why(response))
                return None
            return response.json()

    def page(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(why(response))

    def detail(self, kind: str, url: str) -> None:
        ids = self.ids.get(kind) or []
        if ids:
            self.page(url.format(random.choice(ids)), f"detail: {url.format('<id>')}")

    # --- what everyone does -----------------------------------------------------------------------------
    @task(4)
    def home(self) -> None:
        self.page("/", "home: /")

    @task(4)
    def pledges(self) -> None:
        page = random.choice(["", "?page=2", "?status=committed", "?page=50"])
        self.page(f"/pledges/{page}", "list: /pledges/")

    @task(2)
    def requirements(self) -> None:
        self.page(f"/requirements/{random.choice(['', '?page=3', '?status=validated'])}", "list: /requirements/")

    @task(2)
    def shipments(self) -> None:
        self.page("/shipments/", "list: /shipments/")

    @task(2)
    def allocations(self) -> None:
        self.page("/allocations/", "list: /allocations/")

    @task(3)
    def pledge(self) -> None:
        self.detail("pledges", "/pledges/{}/")

    @task(1)
    def requirement(self) -> None:
        self.detail("requirements", "/requirements/{}/")

    @task(1)
    def shipment(self) -> None:
        self.detail("shipments", "/shipments/{}/")

    @task(1)
    def transparency(self) -> None:
        self.page("/transparency/", "chart: /transparency/")

    @task(3)
    def api_lists(self) -> None:
        kind = random.choice(["pledges", "requirements", "shipments", "allocations"])
        self.api(f"/api/v1/{kind}?limit=50&offset={random.choice([0, 50, 1000])}", f"api list: /api/v1/{kind}")


class Coordinator(Persona):
    weight = 1

    def pick_username(self) -> str:
        return "coordinator"

    @task(2)
    def hub(self) -> None:
        self.page(f"/hubs/{random.choice(HUBS)}/", "hub: /hubs/<id>/")

    @task(1)
    def hub_stock(self) -> None:
        self.page(f"/hubs/{random.choice(HUBS)}/stock/", "hub: /hubs/<id>/stock/")

    @task(1)
    def readiness(self) -> None:
        self.page("/training/readiness/", "chart: /training/readiness/")

    @task(1)
    def runs(self) -> None:
        self.page("/allocations/runs/", "list: /allocations/runs/")

    @task(1)
    def audit(self) -> None:
        self.page(f"/audit/{random.choice(['', '?page=2', '?action=pledge.commit'])}", "list: /audit/")


class Donor(Persona):
    weight = 3

    def pick_username(self) -> str:
        if WARMUP:  # every donor in turn, so that the warm-up reaches each one's pages
            return DONORS[next(_TURNS) % len(DONORS)]
        return random.choice(DONORS)
