"""The demo scenario (docs/design.md), built entirely through the audited services.

``load()`` creates a coalition cell at Wiesbaden, 17 donors, hubs at Rzeszów-Jasionka and Suceava, the
Ukrainian Ministry of Defence with destinations at Lviv and Kyiv, a 42-item catalogue, about 200
requirements, about 430 pledges and their allocations, dispatches and deliveries, training (about a dozen
courses, requests tied to requirements, an approved seat plan: :mod:`aidbridge.seed.training`), and money
(ECB-style exchange rates and some thirty financial pledges: :mod:`aidbridge.seed.money`). Every write goes through
a service function acting as the right persona, so the audit trail tells the whole story.

The data are deterministic (``random.Random(20241014)``) apart from dates, which are relative to the clock
passed as ``now``: the demo passes the current time so that it always looks current, and tests pass fixed
instants (month ends, 29 February, year ends) so that they never depend on the day they run. Loading is
all-or-nothing and idempotent.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from aidbridge.accounts import services as accounts
from aidbridge.accounts.models import Membership, Organisation
from aidbridge.allocation.models import AllocationLine
from aidbridge.audit import writes
from aidbridge.catalogue import services as catalogue
from aidbridge.catalogue.models import ExchangeRate, Item
from aidbridge.core import clock
from aidbridge.locations import services as locations
from aidbridge.locations.models import Hub, Location
from aidbridge.logistics.seed import load_logistics_history
from aidbridge.pledges.models import FinancialPledge, Pledge
from aidbridge.requirements.models import Requirement
from aidbridge.seed import catalogue as ref
from aidbridge.seed import flows
from aidbridge.seed.catalogue import DEMO_PASSWORD
from aidbridge.seed.money import load_money
from aidbridge.seed.training import load_training
from aidbridge.whatif import services as whatif

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Persona:
    username: str
    persona: str
    organisation: str  # short name
    role: str


PERSONAS = (
    Persona("coordinator", "coordinator", ref.CELL.short_name, Membership.Role.EDITOR),
    Persona("donor-de", "donor liaison", "de-mod", Membership.Role.EDITOR),
    Persona("donor-us", "donor liaison", "us-dod", Membership.Role.EDITOR),
    Persona("recipient", "recipient liaison", ref.RECIPIENT.short_name, Membership.Role.EDITOR),
    Persona("hub-pl", "hub operator", "pl-hub", Membership.Role.EDITOR),
    Persona("auditor", "auditor", ref.CELL.short_name, Membership.Role.AUDITOR),
    Persona("outsider", "outsider", ref.OUTSIDER.short_name, Membership.Role.EDITOR),
)


@dataclass
class Summary:
    already_loaded: bool = False
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    requirements_by_status: dict[str, int] = field(default_factory=dict)
    pledges_by_status: dict[str, int] = field(default_factory=dict)
    largest_donor: str = ""
    largest_donor_share: float = 0.0

    def lines(self) -> list[str]:
        c = self.counts
        return [
            f"{c.get('donors', 0)} donors, {c.get('hubs', 0)} hubs, {c.get('items', 0)} items, "
            f"{c.get('requirements', 0)} requirements, {c.get('pledges', 0)} pledges, "
            f"{c.get('allocation_lines', 0)} allocation lines.",
            f"{c.get('financial_pledges', 0)} financial pledges; {c.get('exchange_rates', 0)} exchange rates.",
            "Pledges: " + ", ".join(f"{k} {v}" for k, v in self.pledges_by_status.items()) + ".",
            "Requirements: " + ", ".join(f"{k} {v}" for k, v in self.requirements_by_status.items()) + ".",
            f"Largest donor: {self.largest_donor} with {self.largest_donor_share:.0%} of pledged value.",
        ]


@dataclass
class World:
    """What the later phases need from the reference phase."""

    users: dict[str, Any]  # username → user
    orgs: dict[str, Organisation]  # short name → organisation
    donor_users: dict[str, Any]  # donor short name → liaison user
    items: dict[str, Item]
    places: dict[str, Location]  # UN/LOCODE → location
    hubs: dict[str, Hub]


def is_loaded() -> bool:
    return Organisation.objects.filter(short_name=ref.CELL.short_name).exists()


def load(stdout: IO[str] | None = None, progress: Progress | None = None, *,
         now: dt.datetime | None = None) -> Summary:
    """Load the scenario unless it is already there. Returns what the database now holds.

    ``now`` is the scenario's clock (default: the current time). Every date in the scenario is relative to it.
    """
    report: Progress = progress or (lambda fraction, message: None)
    now = now or clock.now()
    started = time.monotonic()
    if is_loaded():
        summary = summarise(already_loaded=True)
        if stdout is not None:
            stdout.write("The demo scenario is already loaded; nothing to do.\n")
        return summary
    with transaction.atomic(), clock.at(now):
        report(0.0, "organisations and people")
        world = build_reference(report)
        flows.build(world, report, today=timezone.localdate(now))
        report(0.9, "shipments, receipts and hub stock")
        load_logistics_history(random.Random(flows.SEED), now=now)
        report(0.95, "courses, training requests and a seat plan")
        load_training(world, today=timezone.localdate(now))
        report(0.97, "exchange rates and financial pledges")
        load_money(world, today=timezone.localdate(now))
        report(0.98, "what-if scenarios")
        save_whatif_scenarios(world, today=timezone.localdate(now))
    summary = summarise(seconds=time.monotonic() - started)
    report(1.0, "done")
    if stdout is not None:
        for line in summary.lines():
            stdout.write(line + "\n")
    return summary


def build_reference(report: Progress) -> World:
    # The very first organisation has no one yet who could create it: the system actor (the command line)
    # bootstraps the cell through the audited core helper; its coordinator then creates everything else.
    cell = writes.create(actor=None, obj=Organisation(**_org_fields(ref.CELL)), action="organisation.create")
    coordinator = accounts.create_user(actor=None, username="coordinator", password=DEMO_PASSWORD,
                                       organisation=cell, role=Membership.Role.EDITOR,
                                       email="coordinator@example.org")
    orgs = {cell.short_name: cell}
    specs = [ref.RECIPIENT, *ref.HUB_OPERATORS, *(d.org for d in ref.DONORS), ref.OUTSIDER]
    for spec in specs:
        orgs[spec.short_name] = accounts.create_organisation(actor=coordinator, **_org_fields(spec))
    users = {"coordinator": coordinator}
    for persona in PERSONAS[1:]:
        users[persona.username] = accounts.create_user(
            actor=None, username=persona.username, password=DEMO_PASSWORD, organisation=orgs[persona.organisation],
            role=persona.role, email=f"{persona.username}@example.org",
        )
    donor_users = {"de-mod": users["donor-de"], "us-dod": users["donor-us"]}
    for donor in ref.DONORS:
        short = donor.org.short_name
        if short not in donor_users:
            # Liaison accounts that act in the scenario but cannot log in until an admin sets a password.
            donor_users[short] = accounts.create_user(
                actor=None, username=f"donor-{donor.org.country.lower()}", password=None,
                organisation=orgs[short], role=Membership.Role.EDITOR,
            )
    report(0.03, "places and hubs")
    places = {
        p.unlocode: locations.create_location(
            actor=coordinator, unlocode=p.unlocode, name=p.name, country=p.unlocode[:2],
            latitude=Decimal(p.latitude), longitude=Decimal(p.longitude),
        )
        for p in ref.PLACES
    }
    hubs: dict[str, Hub] = {}
    for hub_spec in ref.HUBS:
        hub = locations.create_hub(actor=coordinator, code=hub_spec.code, name=hub_spec.name,
                                   location=places[hub_spec.place.unlocode], operator=orgs[hub_spec.operator],
                                   capacity_t_per_week=Decimal(hub_spec.capacity_t_per_week))
        hubs[hub_spec.code] = hub
        for destination, weeks in zip((ref.LVIV, ref.KYIV), hub_spec.weeks_out, strict=True):
            locations.set_outbound_lead_time(actor=coordinator, hub=hub, destination=places[destination.unlocode],
                                             weeks=weeks)
    for donor in ref.DONORS:
        for index, hub in enumerate(hubs.values()):
            locations.set_inbound_lead_time(
                actor=coordinator, hub=hub, origin_country=donor.org.country, weeks=donor.weeks_to[index],
                cost_per_t=(Decimal(donor.km_to[index]) * Decimal("0.000002")).quantize(Decimal("0.0001")),
            )
    report(0.06, "catalogue")
    items = {
        spec.code: catalogue.create_item(
            actor=coordinator, code=spec.code, name=spec.name, supply_class=spec.supply_class, unit=spec.unit,
            weight_t=Decimal(spec.weight_t), fsc=spec.fsc, nsn=spec.nsn,
        )
        for spec in ref.ITEMS
    }
    return World(users=users, orgs=orgs, donor_users=donor_users, items=items, places=places, hubs=hubs)


WHATIF_SCENARIO = "Largest donor withdraws from next month"


def save_whatif_scenarios(world: World, *, today: dt.date) -> Any:
    """The saved what-if scenario the demo shows: the donor with the largest pledged value withdraws what it has
    not dispatched by the first day of next month (approved but undispatched allocations are lost too)."""
    values = donor_values()
    largest = world.orgs[max(values, key=lambda k: (values[k], k))]
    first_of_next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return whatif.create_scenario(
        actor=world.users["coordinator"], name=WHATIF_SCENARIO,
        description=(f"{largest.name} holds the largest share of pledged value. What if it stopped on "
                     f"{first_of_next_month:%-d %B %Y}? Run it to see the coverage lost, the time to survive and who "
                     "could fill the gap."),
        perturbations=[{"kind": "withdraw_donor", "donor": largest.pk, "from_date": first_of_next_month.isoformat(),
                        "lose_allocated": True}],
    )


def _org_fields(spec: ref.OrgSpec) -> dict[str, Any]:
    return {"short_name": spec.short_name, "name": spec.name, "kind": spec.kind, "country": spec.country,
            "iati_identifier": spec.iati_identifier, "in_coalition": spec.in_coalition}


def value_eur(pledge: Pledge) -> Decimal:
    return pledge.unit_value * pledge.quantity * ref.EUR_PER_UNIT.get(pledge.currency, Decimal("1"))


def donor_values(*, include_withdrawn: bool = False) -> dict[str, Decimal]:
    """Pledged value by donor short name, in EUR at the scenario's illustrative rates."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    pledges = Pledge.objects.select_related("donor")
    if not include_withdrawn:
        pledges = pledges.exclude(status=Pledge.Status.WITHDRAWN)
    for pledge in pledges:
        totals[pledge.donor.short_name] += value_eur(pledge)
    return dict(totals)


def summarise(*, already_loaded: bool = False, seconds: float = 0.0) -> Summary:
    values = donor_values()
    total = sum(values.values(), Decimal(0))
    largest = max(values, key=lambda k: values[k]) if values else ""
    pledge_status = Counter(Pledge.objects.values_list("status", flat=True))
    requirement_status = Counter(Requirement.objects.values_list("status", flat=True))
    return Summary(
        already_loaded=already_loaded,
        seconds=seconds,
        counts={
            "organisations": Organisation.objects.count(),
            "donors": Organisation.objects.filter(kind=Organisation.Kind.DONOR, in_coalition=True).count(),
            "users": get_user_model().objects.count(),
            "hubs": Hub.objects.count(),
            "items": Item.objects.count(),
            "requirements": sum(requirement_status.values()),
            "pledges": sum(pledge_status.values()),
            "allocation_lines": AllocationLine.objects.count(),
            "financial_pledges": FinancialPledge.objects.count(),
            "exchange_rates": ExchangeRate.objects.count(),
        },
        requirements_by_status={s.value: requirement_status.get(s.value, 0) for s in Requirement.Status},
        pledges_by_status={s.value: pledge_status.get(s.value, 0) for s in Pledge.Status},
        largest_donor=largest,
        largest_donor_share=float(values[largest] / total) if total else 0.0,
    )


def demo_logins() -> list[tuple[str, str, str, str]]:
    """(username, persona, organisation, password) for the printed table of demo logins."""
    names = dict(Organisation.objects.filter(short_name__in={p.organisation for p in PERSONAS})
                 .values_list("short_name", "name"))
    return [(p.username, p.persona if p.role != Membership.Role.AUDITOR else "auditor",
             names.get(p.organisation, p.organisation), DEMO_PASSWORD) for p in PERSONAS]
