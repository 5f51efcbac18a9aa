"""The moving parts of the seed scenario: requirements, pledges, allocations, shipments and evidence.

Each record is walked through its life cycle by the persona who would do it in practice: the recipient
drafts and submits requirements, the coordinator validates, allocates and closes them, each donor's
liaison announces, commits and dispatches pledges, and the recipient confirms deliveries.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from aidbridge.allocation import services as allocation
from aidbridge.allocation.models import AllocationLine
from aidbridge.core import clock
from aidbridge.pledges import services as pledge_services
from aidbridge.pledges.models import Pledge, SourceDocument
from aidbridge.requirements import services as requirements
from aidbridge.requirements.models import Requirement
from aidbridge.seed import catalogue as ref

if TYPE_CHECKING:
    from aidbridge.seed.scenario import Progress, World

SEED = 20241014
REQUIREMENTS = 200
ENTERED_BEFORE_DUE = dt.timedelta(weeks=8)  # how long before its due date an overdue requirement was entered
PLEDGES = 430
HAND_SLIP_WEEKS = 2  # how many weeks later than the earliest a coordinator books a line when hubs are full
T = TypeVar("T")

REQUIREMENT_PLANS = {"draft": 8, "submitted": 12, "validated": 60, "closed": 12, "cancelled": 8}
PRIORITIES = {1: 20, 2: 35, 3: 30, 4: 15}
PLEDGE_PLANS = {"announced": 12, "committed": 34, "allocated": 14, "shipped": 12, "delivered": 20, "withdrawn": 8}
RELEASABILITY = {"coordinators": 25, "coalition": 55, "public": 20}
FUNDING = {"stockpile": 55, "procurement": 35, "pooled_fund": 10}
REQUIREMENT_NOTES = (
    "Replaces combat losses.", "Needed before the winter rotation.", "For newly formed brigades.",
    "Stocks at the destination are below two weeks of supply.", "Supports the repair depot.",
)
PLEDGE_NOTES = (
    "From national stockpile; replacement order placed.", "Delivered under a framework contract.",
    "Includes spare parts for the first year.", "Financed through the joint procurement fund.",
)


def _pick(rng: random.Random, weights: dict[T, int]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass
class Need:
    obj: Requirement
    item: str
    plan: str
    remaining: int


@dataclass
class Offer:
    obj: Pledge
    donor: str  # short name
    item: str
    plan: str


def build(world: World, report: Progress, *, today: dt.date) -> None:
    rng = random.Random(SEED)
    needs = _requirements(world, rng, today, report)
    offers = _pledges(world, rng, today, needs, report)
    _allocate(world, rng, needs, offers, report)
    report(0.97, "source document")
    supported = [o.obj for o in offers if o.donor == "us-dod" and o.plan not in ("announced", "withdrawn")]
    attach_article(actor=world.donor_users["us-dod"], pledges=supported[:5])


# --- requirements -------------------------------------------------------------------------------------------

def _requirements(world: World, rng: random.Random, today: dt.date, report: Progress) -> list[Need]:
    specs: list[dict[str, Any]] = []
    for package, (place, priority, members) in ref.PACKAGES.items():
        due = today + dt.timedelta(weeks=rng.randint(6, 14))
        for code, quantity in members:
            specs.append({"item": code, "quantity": quantity, "priority": priority, "due_date": due,
                          "destination": place.unlocode, "package": package, "plan": "validated"})
    codes = [item.code for item in ref.ITEMS]
    order = codes * 2 + [rng.choice(codes) for _ in range(REQUIREMENTS - len(specs) - 2 * len(codes))]
    rng.shuffle(order)
    by_code = {item.code: item for item in ref.ITEMS}
    for code in order:
        low, high, step = by_code[code].qty
        plan = _pick(rng, REQUIREMENT_PLANS)
        days = rng.randint(-28, 10) if plan == "closed" else rng.randint(-28, 26 * 7)
        specs.append({
            "item": code, "quantity": rng.randrange(low, high + 1, step), "priority": _pick(rng, PRIORITIES),
            "due_date": today + dt.timedelta(days=days),
            "destination": ref.LVIV.unlocode if rng.random() < 0.55 else ref.KYIV.unlocode,
            "package": "", "plan": plan,
            "notes": rng.choice(REQUIREMENT_NOTES) if rng.random() < 0.25 else "",
        })
    recipient, coordinator = world.users["recipient"], world.users["coordinator"]
    needs = []
    for index, spec in enumerate(specs):
        plan = spec.pop("plan")
        # A requirement already overdue today was entered (and worked through) weeks before it fell due:
        # no one may enter a due date in the past.
        due = spec["due_date"]
        entered = (clock.at(dt.datetime.combine(due - ENTERED_BEFORE_DUE, dt.time(9), tzinfo=dt.UTC))
                   if due < today else nullcontext())
        with entered:
            obj = requirements.create_requirement(
                actor=recipient, **{**spec, "item": world.items[spec["item"]],
                                    "destination": world.places[spec["destination"]]})
            stage = rng.choice(["draft", "submitted", "validated"]) if plan == "cancelled" else plan
            if stage == "draft" and rng.random() < 0.4:
                # Sent back once by the coordinator for rework.
                obj = requirements.submit_requirement(actor=recipient, requirement=obj)
                obj = requirements.return_requirement(actor=coordinator, requirement=obj)
            if stage in ("submitted", "validated", "closed"):
                obj = requirements.submit_requirement(actor=recipient, requirement=obj)
            if stage in ("validated", "closed"):
                obj = requirements.validate_requirement(actor=coordinator, requirement=obj)
        if plan == "cancelled":
            obj = requirements.cancel_requirement(actor=recipient, requirement=obj)
        needs.append(Need(obj=obj, item=spec["item"], plan=plan, remaining=obj.quantity))
        if index % 10 == 0:
            report(0.10 + 0.25 * index / len(specs), "requirements")
    return needs


# --- pledges ------------------------------------------------------------------------------------------------

def _pledges(world: World, rng: random.Random, today: dt.date, needs: Sequence[Need],
             report: Progress) -> list[Offer]:
    specs = _pledge_specs(rng, needs)
    _assign_donors(rng, specs)
    offers = []
    for index, spec in enumerate(specs):
        offers.append(_create_pledge(world, rng, today, spec))
        if index % 10 == 0:
            report(0.35 + 0.30 * index / len(specs), "pledges")
    return offers


def _pledge_specs(rng: random.Random, needs: Sequence[Need]) -> list[dict[str, Any]]:
    """Offer each item at 60–120% of what is asked for, in pledges of about half a requirement."""
    demand: dict[str, int] = {}
    count: dict[str, int] = {}
    for need in needs:
        if need.plan in ("submitted", "validated", "closed"):
            demand[need.item] = demand.get(need.item, 0) + need.obj.quantity
            count[need.item] = count.get(need.item, 0) + 1
    total = sum(count.values())
    specs = []
    for item in ref.ITEMS:
        if item.code not in demand:
            continue
        n = max(4, round(PLEDGES * count[item.code] / total))
        supply = demand[item.code] * rng.uniform(0.6, 1.2)
        step = max(1, item.qty[2] // 2)
        for _ in range(n):
            quantity = max(step, round(supply / n * rng.uniform(0.5, 1.5) / step) * step)
            unit_eur = Decimal(item.eur) * Decimal(str(round(rng.uniform(0.85, 1.15), 3)))
            specs.append({"item": item.code, "quantity": quantity, "unit_eur": unit_eur,
                          "value": unit_eur * quantity, "plan": _pick(rng, PLEDGE_PLANS)})
    return specs


def _assign_donors(rng: random.Random, specs: list[dict[str, Any]]) -> None:
    """Give every donor a fair number of pledges and each its target share of value.

    A few big-ticket pledges carry most of the value. The many smaller ones are spread over all donors
    first; the big ones then go, largest first, to the donor lacking the largest fraction of its target.
    Withdrawn pledges do not count towards the targets.
    """
    live = [spec for spec in specs if spec["plan"] != "withdrawn"]
    total = sum(spec["value"] for spec in live)
    ordered = sorted(live, key=lambda s: (-s["value"], s["item"], s["quantity"]))
    big, running = [], Decimal(0)
    for spec in ordered:
        if running >= total * Decimal("0.8"):
            break
        big.append(spec)
        running += spec["value"]
    donors = [d.org.short_name for d in ref.DONORS]
    target = {d.org.short_name: Decimal(str(d.share)) * total for d in ref.DONORS}
    deficit = dict(target)
    spread = [d.share ** 0.5 for d in ref.DONORS]
    for spec in ordered[len(big):] + [spec for spec in specs if spec["plan"] == "withdrawn"]:
        spec["donor"] = rng.choices(donors, weights=spread)[0]
        if spec["plan"] != "withdrawn":
            deficit[spec["donor"]] -= spec["value"]
    for spec in big:
        fits = [k for k, v in deficit.items() if v >= spec["value"]]
        spec["donor"] = (max(fits, key=lambda k: deficit[k] / target[k]) if fits
                         else max(donors, key=lambda k: deficit[k]))
        deficit[spec["donor"]] -= spec["value"]
    rng.shuffle(specs)


def _create_pledge(world: World, rng: random.Random, today: dt.date, spec: dict[str, Any]) -> Offer:
    donor = next(d for d in ref.DONORS if d.org.short_name == spec["donor"])
    plan = spec["plan"]
    days = {"delivered": (-56, -21), "shipped": (-42, -7), "allocated": (-21, 42), "committed": (-14, 35),
            "announced": (0, 140), "withdrawn": (-56, 140)}[plan]
    releasability = _pick(rng, RELEASABILITY)
    origin = "DE" if donor.org.country == "US" and rng.random() < 0.25 else donor.org.country
    unit_value = (spec["unit_eur"] / ref.EUR_PER_UNIT[donor.currency]).quantize(Decimal("0.01"))
    actor = world.donor_users[donor.org.short_name]
    obj = pledge_services.create_pledge(
        actor=actor, item=world.items[spec["item"]], quantity=spec["quantity"],
        available_from=today + dt.timedelta(days=rng.randint(*days)), origin_country=origin,
        unit_value=unit_value, currency=donor.currency, funding_source=_pick(rng, FUNDING),
        releasability=releasability,
        disclosure_date=today + dt.timedelta(days=rng.randint(-120, 90)) if releasability == "public" else None,
        notes=rng.choice(PLEDGE_NOTES) if rng.random() < 0.2 else "",
    )
    if plan not in ("announced", "withdrawn") or (plan == "withdrawn" and rng.random() < 0.5):
        obj = pledge_services.commit_pledge(actor=actor, pledge=obj)
    if plan == "withdrawn":
        obj = pledge_services.withdraw_pledge(actor=actor, pledge=obj)
    return Offer(obj=obj, donor=donor.org.short_name, item=spec["item"], plan=plan)


# --- allocation, dispatch and delivery ----------------------------------------------------------------------

def _allocate(world: World, rng: random.Random, needs: Sequence[Need], offers: Sequence[Offer],
              report: Progress) -> None:
    coordinator, recipient = world.users["coordinator"], world.users["recipient"]
    weeks_in = {(d.org.country, h.code): d.weeks_to[i] for d in ref.DONORS for i, h in enumerate(ref.HUBS)}
    stages = [o for plan in ("delivered", "shipped", "allocated") for o in offers if o.plan == plan]
    for index, offer in enumerate(stages):
        pledge = offer.obj
        # Packages are left to the optimiser; delivered goods went first to needs that are now closed, and by
        # hand the coordinator serves the most urgent needs first (whatever their priority).
        candidates = [n for n in needs if n.item == offer.item and n.remaining > 0 and not n.obj.package
                      and (n.plan == "validated" or (n.plan == "closed" and offer.plan == "delivered"))]
        candidates.sort(key=lambda n: (n.plan != "closed", n.obj.due_date, n.obj.priority, n.obj.pk))
        left, lines = pledge.quantity, []
        for need in candidates[:3]:
            kyiv = need.obj.destination_id == world.places[ref.KYIV.unlocode].pk
            first = "PL-RZE" if rng.random() < (0.55 if kyiv else 0.85) else "RO-SCV"
            slot = _hub_week(world, pledge, min(left, need.remaining), first, weeks_in)
            if slot is None:
                continue  # both hubs are full for weeks: the coordinator leaves it to the optimiser
            hub, week, quantity = slot
            # History is replayed: a dispatch week already past was planned back then, not in the past.
            with clock.at(min(clock.now(), dt.datetime.combine(week, dt.time(8), tzinfo=dt.UTC))):
                lines.append(allocation.allocate(
                    actor=coordinator, pledge=pledge, requirement=need.obj, hub=hub, quantity=quantity,
                    dispatch_week=week,
                ))
            need.remaining -= quantity
            left -= quantity
            if left == 0:
                break
        if not lines:
            offer.plan = "committed"  # nothing left to match: it waits for the optimiser
            continue
        donor_user = world.donor_users[offer.donor]
        if offer.plan in ("shipped", "delivered"):
            for line in lines:
                full = offer.plan == "delivered" or rng.random() < 0.7
                amount = line.quantity if full or line.quantity < 2 else rng.randint(1, line.quantity - 1)
                allocation.dispatch_allocation(actor=donor_user, line=line, quantity=amount)
        if offer.plan == "delivered":
            for line in lines:
                allocation.confirm_delivery(actor=recipient, line=line, quantity=line.quantity)
        elif offer.plan == "shipped" and rng.random() < 0.4:
            line = AllocationLine.objects.get(pk=lines[0].pk)
            if line.in_transit_quantity >= 2:
                allocation.confirm_delivery(actor=recipient, line=line,
                                            quantity=rng.randint(1, line.in_transit_quantity - 1))
        if index % 5 == 0:
            report(0.65 + 0.30 * index / len(stages), "allocations and deliveries")
    for need in needs:
        if need.plan == "closed":
            if need.remaining < need.obj.quantity:
                requirements.close_requirement(actor=coordinator, requirement=need.obj)
            else:
                need.plan = "validated"  # nothing arrived: still open, and now overdue


def _hub_week(world: World, pledge: Pledge, quantity: int, first: str,
              weeks_in: dict[tuple[str, str], int]) -> tuple[Any, dt.date, int] | None:
    """The hub, dispatch week and quantity a coordinator books by hand: the preferred hub in the first week the
    goods can leave it, else the other hub, else a week or two later; as many units as fit if none takes all.
    The allocate service refuses a full hub-week, so no line is ever booked over capacity."""
    weight = Decimal(pledge.item.weight_t)
    codes = [first] + [h.code for h in ref.HUBS if h.code != first]
    best: tuple[Any, dt.date, int] | None = None
    for slip in range(HAND_SLIP_WEEKS + 1):
        for code in codes:
            hub = world.hubs[code]
            week = _monday(pledge.available_from + dt.timedelta(weeks=weeks_in[(pledge.origin_country, code)] + slip))
            room = Decimal(hub.capacity_t_per_week) - allocation.hub_week_load_t(hub, week)
            fit = min(quantity, int(room / weight)) if weight > 0 else quantity
            if fit == quantity:
                return hub, week, quantity
            if fit > 0 and (best is None or fit > best[2]):
                best = (hub, week, fit)
    return best


# --- the source article -------------------------------------------------------------------------------------

def attach_article(*, actor: Any, pledges: list[Pledge], path: str | None = None) -> SourceDocument:
    """Attach the seed article to the pledges it supports.

    By default only its URL and the SHA-256 of the copy that was read are stored (the text is third-party
    copyright). If ``AIDBRIDGE_SEED_ARTICLE`` (or ``path``) names a readable file, that file is uploaded.
    """
    path = path or os.environ.get(ref.ARTICLE_ENV)
    if path and os.path.isfile(path) and os.access(path, os.R_OK):
        file = Path(path)
        evidence: dict[str, Any] = {"content": file.read_bytes(), "filename": file.name}
    else:
        evidence = {"sha256": ref.ARTICLE_SHA256}
    return pledge_services.add_source_document(actor=actor, pledges=pledges, title=ref.ARTICLE_TITLE,
                                               url=ref.ARTICLE_URL, **evidence)
