"""Issue #9, part 3: no leaks through shared shipments.

One lorry carries a coalition pledge of donor-de and a coordinators-only pledge of donor-us. For every persona
and every logistics surface (pages, the hub chart, form error pages, histories and the API), nothing of a line
the persona may not see appears: not its pledge's reference, its quantities, its origin nor its line ids.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from aidbridge.allocation import services as allocation
from aidbridge.audit.labels import readable_changes
from aidbridge.audit.models import AuditEvent
from aidbridge.core import clock
from aidbridge.core.clock import monday
from aidbridge.logistics import services
from aidbridge.logistics.models import Shipment, ShipmentLine, StockMovement
from aidbridge.logistics.views import hub_logistics_context
from aidbridge.pledges import services as pledges
from aidbridge.requirements import services as requirements

Received = services.Received

# Units of the hidden (coordinators-only, donor-us) pledge: allocated, split off, taken off, left on the lorry.
HIDDEN_ALLOCATED, HIDDEN_MOVED, HIDDEN_REMOVED, HIDDEN_LEFT = 173, 61, 37, 75
DE_UNITS = 10  # the coalition pledge of donor-de

SEES_US_LINES = {"coordinator", "auditor", "hub_pl", "recipient", "donor_us"}
SEES_DE_LINES = {"coordinator", "auditor", "hub_pl", "recipient", "donor_de"}
SEES_US_ORIGIN = {"coordinator", "auditor", "donor_us"}
SEES_DE_ORIGIN = {"coordinator", "auditor", "donor_de"}


@dataclass
class Lorry:
    lorry: Shipment  # outbound, dispatched: donor-de's units and what is left of the hidden pledge's
    split: Shipment  # outbound, planned: only hidden units, split off the lorry
    de_in: Shipment
    us_in: Shipment
    hidden_pledge: Any
    hidden_line: ShipmentLine  # on the lorry
    split_line: ShipmentLine  # on the split-off shipment
    de_line: ShipmentLine  # on the lorry
    requirement: Any


@pytest.fixture
def shared(world, personas) -> Lorry:
    c, today = personas.coordinator, clock.today()
    requirement = requirements.create_requirement(actor=personas.recipient, item=world.item, quantity=400,
                                                  priority=1, due_date=today + dt.timedelta(days=70),
                                                  destination=world.kyiv)
    requirements.submit_requirement(actor=personas.recipient, requirement=requirement)
    requirement = requirements.validate_requirement(actor=c, requirement=requirement)
    hidden = pledges.commit_pledge(actor=personas.donor_us, pledge=pledges.create_pledge(
        actor=personas.donor_us, item=world.item, quantity=300, available_from=today, origin_country="US",
        unit_value=Decimal("45000"), currency="USD", funding_source="stockpile", releasability="coordinators"))
    week = monday(today) + dt.timedelta(weeks=4)
    de = allocation.allocate(actor=c, pledge=world.pledge_coalition, requirement=requirement, hub=world.hub,
                             quantity=DE_UNITS, dispatch_week=week)
    us = allocation.allocate(actor=c, pledge=hidden, requirement=requirement, hub=world.hub,
                             quantity=HIDDEN_ALLOCATED, dispatch_week=week)
    services.generate_shipments(actor=c)
    de_in = Shipment.objects.get(leg="inbound", donor=personas.orgs["de"])
    us_in = Shipment.objects.get(leg="inbound", donor=personas.orgs["us"])
    services.dispatch_shipment(actor=personas.donor_de, shipment=de_in)
    services.dispatch_shipment(actor=personas.donor_us, shipment=us_in)
    services.receive_shipment(actor=personas.hub_pl, shipment=de_in, lines=[(de_in.lines.get(), DE_UNITS)])
    services.receive_shipment(actor=personas.hub_pl, shipment=us_in, lines=[(us_in.lines.get(), HIDDEN_ALLOCATED)])
    lorry = Shipment.objects.get(leg="outbound")
    assert lorry.lines.count() == 2
    split = services.split_shipment(actor=personas.hub_pl, shipment=lorry,
                                    lines=[(lorry.lines.get(allocation_line=us), HIDDEN_MOVED)])
    services.remove_shipment_lines(actor=personas.hub_pl, shipment=lorry,
                                   lines=[(lorry.lines.get(allocation_line=us), HIDDEN_REMOVED)],
                                   reason="Short of space")
    services.dispatch_shipment(actor=personas.hub_pl, shipment=lorry)
    hidden_line = lorry.lines.get(allocation_line=us)
    assert hidden_line.quantity == HIDDEN_LEFT
    return Lorry(lorry=lorry, split=split, de_in=de_in, us_in=us_in, hidden_pledge=hidden,
                 hidden_line=hidden_line, split_line=split.lines.get(), de_line=lorry.lines.get(allocation_line=de),
                 requirement=requirement)


def _text(body: str) -> str:
    """What a person reads: tags, CSRF tokens and the chart's geometry dropped, entities decoded."""
    body = re.sub(r"<svg\b.*?</svg>", lambda m: " ".join(re.findall(r"<title>(.*?)</title>", m.group(0))),
                  body, flags=re.S)
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)
    body = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _number(n: int | str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.,]){re.escape(str(n))}(?![\w]|[.,]\d)")


def markers(s: Lorry, world: Any, name: str) -> dict[str, list[re.Pattern[str]]]:
    """What ``name`` must never find, per kind: of each line it may not see and each origin it may not see."""
    out: dict[str, list[re.Pattern[str]]] = {"reference": [], "quantity": [], "origin": [], "line id": []}
    hidden_lines = []
    if name not in SEES_US_LINES:
        hidden_lines += [s.hidden_line, s.split_line]
        out["reference"].append(re.compile(re.escape(s.hidden_pledge.reference)))
        out["quantity"] += [_number(n) for n in (HIDDEN_ALLOCATED, HIDDEN_MOVED, HIDDEN_REMOVED, HIDDEN_LEFT,
                                                 HIDDEN_ALLOCATED - HIDDEN_MOVED)]
        # tonnes: the hidden units on the lorry and on the split-off shipment, alone or added to donor-de's
        out["quantity"] += [_number(t) for t in ("157.5", "128.1", "178.5", "306.6")]
    if name not in SEES_DE_LINES:
        hidden_lines.append(s.de_line)
        out["quantity"] += [_number(n) for n in (DE_UNITS + HIDDEN_LEFT, DE_UNITS + HIDDEN_LEFT + HIDDEN_REMOVED,
                                                 DE_UNITS + HIDDEN_ALLOCATED)]
    for line in hidden_lines:
        out["line id"] += [re.compile(rf"(?:good|damaged|lost|reason|move|remove)_{line.pk}\b"),
                           re.compile(rf'"id": {line.pk}, "item"|"(?:line|shipment_line)": {line.pk}\b'),
                           re.compile(rf'"allocation_line": {line.allocation_line_id}\b')]
    for country, seers in (("US", SEES_US_ORIGIN), ("DE", SEES_DE_ORIGIN)):
        if name not in seers:
            out["origin"] += [re.compile(rf"\b{country} → PL-RZE"), re.compile(rf'"origin_country": "{country}"'),
                              re.compile(rf"origin country\s+(?:— → |→ )?{country}\b", re.I),
                              re.compile(rf"· at {country}\b")]  # where a pledge's custody starts
    return out


def found(text: str, patterns: dict[str, list[re.Pattern[str]]], raw: str | None = None) -> list[str]:
    """Every marker in ``text``; line ids (form field names, JSON keys) are looked for in ``raw`` if given."""
    hits = []
    for kind, pats in patterns.items():
        where = raw if raw is not None and kind == "line id" else text
        hits += [f"{kind} {p.pattern!r}: …{where[max(m.start() - 60, 0):m.end() + 60]}…"
                 for p in pats if (m := p.search(where))]
    return hits


def html_surfaces(s: Lorry, world: Any) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, POST data): every logistics page, the hub chart, the form error pages and histories."""
    every_line = [s.hidden_line, s.split_line, s.de_line]
    bad_receipt = {f"receive-good_{line.pk}": "-1" for line in every_line}
    bad_split = {f"split-move_{line.pk}": "-1" for line in every_line}
    bad_removal = {f"remove-remove_{line.pk}": "-1" for line in every_line}
    pages = [("GET", "/shipments/", {}), ("GET", "/shipments/discrepancies/", {}),
             ("GET", f"/hubs/{world.hub.pk}/", {}), ("GET", f"/hubs/{world.hub.pk}/stock/", {}),
             ("GET", f"/pledges/{world.pledge_coalition.pk}/custody/", {}),
             ("GET", f"/pledges/{s.hidden_pledge.pk}/custody/", {})]
    for shipment in (s.lorry, s.split, s.de_in, s.us_in):
        pages += [("GET", f"/shipments/{shipment.pk}/", {}),
                  ("POST", f"/shipments/{shipment.pk}/receive/", bad_receipt),
                  ("POST", f"/shipments/{shipment.pk}/split/", bad_split),
                  ("POST", f"/shipments/{shipment.pk}/remove-lines/", bad_removal)]
    return pages


def api_surfaces(s: Lorry, world: Any) -> list[str]:
    return ["/api/v1/shipments", "/api/v1/stock-movements", f"/api/v1/hubs/{world.hub.pk}/stock",
            *(f"/api/v1/shipments/{x.pk}" for x in (s.lorry, s.split, s.de_in, s.us_in))]


def test_the_scene_is_what_the_matrix_assumes(shared, personas):
    for name, user in personas.all().items():
        mine = set(ShipmentLine.objects.for_user(user).values_list("pk", flat=True))
        assert (shared.hidden_line.pk in mine) == (name in SEES_US_LINES), name
        assert (shared.de_line.pk in mine) == (name in SEES_DE_LINES), name


@pytest.mark.parametrize("name", ["coordinator", "donor_de", "donor_us", "recipient", "hub_pl", "auditor",
                                  "outsider", "anonymous"])
def test_no_surface_shows_a_line_the_persona_may_not_see(shared, world, personas, login, name):
    user = None if name == "anonymous" else personas.all()[name]
    client = login(user)
    must_not = markers(shared, world, name)
    leaks = []
    for method, path, data in html_surfaces(shared, world):
        response = client.post(path, data) if method == "POST" else client.get(path)
        body = response.content.decode()
        leaks += [f"{method} {path} ({response.status_code}): {hit}" for hit in found(_text(body), must_not, body)]
    for path in api_surfaces(shared, world):
        response = client.get(path)
        leaks += [f"GET {path} ({response.status_code}): {hit}"
                  for hit in found(json.dumps(response.json(), ensure_ascii=False), must_not)]
    assert not leaks, "\n".join(leaks)


def test_the_matrix_sees_what_may_be_seen(shared, world, personas, login):
    """The markers are real: a coordinator finds every one of them where the others must not."""
    client = login(personas.coordinator)
    lorry = _text(client.get(f"/shipments/{shared.lorry.pk}/").content.decode())
    assert shared.hidden_pledge.reference in lorry
    assert f"{shared.hidden_pledge.reference} → {shared.requirement.reference}: {HIDDEN_LEFT}" in lorry
    receive = _text(client.post(f"/shipments/{shared.lorry.pk}/receive/",
                                {f"receive-good_{shared.hidden_line.pk}": "-1"}).content.decode())
    assert f"({HIDDEN_LEFT} outstanding)" in receive
    us_in = client.get(f"/api/v1/shipments/{shared.us_in.pk}").json()
    assert us_in["origin_country"] == "US"
    assert "US → PL-RZE" in _text(client.get(f"/shipments/{shared.us_in.pk}/").content.decode())
    everything = markers(shared, world, "outsider")  # every marker of both donors' lines
    assert found(lorry + receive + json.dumps(us_in), {k: v for k, v in everything.items() if k != "line id"})


def test_the_receive_error_page_lists_only_the_users_lines(shared, personas, login):
    """Regression: donor-de saw the other donor's coordinators-only pledge on the 422 page."""
    response = login(personas.donor_de).post(f"/shipments/{shared.lorry.pk}/receive/",
                                             {f"receive-good_{shared.de_line.pk}": "-1"})
    assert response.status_code == 422
    page = response.content.decode()
    assert f"receive-good_{shared.de_line.pk}" in page  # the form is there, with donor-de's own line
    assert shared.hidden_pledge.reference not in page
    assert f"good_{shared.hidden_line.pk}" not in page


def test_the_hub_chart_sums_only_the_lines_the_viewer_may_see(shared, world, personas):
    """Regression: the chart added the hidden lines of every shipment the viewer could see."""
    weight = world.item.weight_t
    expected = {"donor_de": DE_UNITS * weight, "donor_us": (HIDDEN_LEFT + HIDDEN_MOVED) * weight,
                "coordinator": (DE_UNITS + HIDDEN_LEFT + HIDDEN_MOVED) * weight}
    for name, tonnes in expected.items():
        chart = hub_logistics_context(personas.all()[name], world.hub)["hub_chart"]
        assert sum(c.outbound for c in chart.columns) == tonnes, name


def test_receipts_answer_alike_for_a_hidden_line_and_no_line(shared, personas, login):
    """Regression: a line id on the lorry that the user may not see answered differently from an unknown id."""
    unknown = max(ShipmentLine.objects.values_list("pk", flat=True)) + 1000
    for name, hidden in (("donor_de", shared.hidden_line), ("donor_us", shared.de_line)):
        client = login(personas.all()[name])
        answers = []
        for pk in (hidden.pk, unknown):
            response = client.post(f"/api/v1/shipments/{shared.lorry.pk}/receipts",
                                   {"lines": [{"line": pk, "good": 1}]}, content_type="application/json")
            answers.append((response.status_code, response.content.decode().replace(f"Line {pk} ", "Line N ")))
        assert answers[0] == answers[1], name
        assert answers[0][0] == 422, name


def test_the_history_leaves_out_lines_and_shipments_the_viewer_may_not_see(shared, personas, login):
    """Regression: the lorry's history showed "an allocation line you cannot see: N" and the split-off
    shipment's id."""
    page = login(personas.donor_de).get(f"/shipments/{shared.lorry.pk}/").content.decode()
    history = _text(page[page.index('id="history-heading"'):])
    assert "allocation line you cannot see" not in history
    assert shared.split.reference not in history
    assert f"{shared.de_line.allocation_line.pledge.reference} → {shared.requirement.reference}: {DE_UNITS}" \
        in history
    assert not _number(HIDDEN_LEFT).search(history)


def test_an_inbound_legs_origin_is_withheld_from_the_hub(shared, personas, login):
    """Regression: the hub operator read the donor's origin country off the shipment (page, API, history)."""
    client = login(personas.hub_pl)
    api = client.get(f"/api/v1/shipments/{shared.us_in.pk}").json()
    assert api["origin_country"] == ""
    listed = {s["id"]: s for s in client.get("/api/v1/shipments").json()["items"]}
    assert listed[shared.us_in.pk]["origin_country"] == ""
    page = _text(client.get(f"/shipments/{shared.us_in.pk}/").content.decode())
    assert "US → PL-RZE" not in page and "? → PL-RZE" in page
    assert not re.search(r"origin country\s+(?:— → |→ )?US\b", page, re.I)
    donor = login(personas.donor_us).get(f"/api/v1/shipments/{shared.us_in.pk}").json()
    assert donor["origin_country"] == "US"


def test_the_history_lists_only_the_viewers_stock_movements(shared, world, personas, login):
    """Regression: the lorry's dispatch listed the ids of every issue from the hub's stock, the hidden line's
    too (how many lines there were, and an id to try)."""
    issues = {m.allocation_line_id: m for m in StockMovement.objects.filter(shipment=shared.lorry)}
    mine, theirs = issues[shared.de_line.allocation_line_id], issues[shared.hidden_line.allocation_line_id]
    page = login(personas.donor_de).get(f"/shipments/{shared.lorry.pk}/").content.decode()
    history = _text(page[page.index('id="history-heading"'):])
    row = history[history.index("movements"):][:120]
    assert str(mine) in row
    assert str(theirs) not in history and not _number(theirs.pk).search(row)
    coordinator = login(personas.coordinator).get(f"/shipments/{shared.lorry.pk}/").content.decode()
    assert str(theirs) in _text(coordinator[coordinator.index('id="history-heading"'):])


def test_the_units_signed_for_on_a_shared_lorry_stay_with_those_who_see_every_line(shared, world, personas):
    """Regression: the proof of delivery counted every donor's units, in its timeline note and its history."""
    services.receive_shipment(actor=personas.recipient, shipment=shared.lorry, lines=[
        Received(shared.de_line, good=DE_UNITS), Received(shared.hidden_line, good=HIDDEN_LEFT)])
    proof = services.record_proof_of_delivery(actor=personas.recipient, shipment=shared.lorry, signatory="Sgt. Bondar")
    note = shared.lorry.events.latest("pk").note
    assert note == "Proof of delivery signed by Sgt. Bondar."
    event = AuditEvent.objects.get(action="shipment.proof_of_delivery", object_id=str(proof.pk))
    assert event.after["received_good"] == DE_UNITS + HIDDEN_LEFT

    def shown(user: Any) -> dict[str, str]:
        return {c.name: str(c.after) for c in readable_changes(user, [event])[0]}

    assert "received good" not in shown(personas.donor_de)
    assert "received good" not in shown(personas.donor_us)
    assert shown(personas.coordinator)["received good"] == str(DE_UNITS + HIDDEN_LEFT)
    assert shown(personas.recipient)["received good"] == str(DE_UNITS + HIDDEN_LEFT)
