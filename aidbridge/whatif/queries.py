"""Reads of the what-if app for pages, exports and the API. Each takes the viewing user where what it shows
depends on releasability: a donor's pledges count only where the viewer may see them.

Runs, sweeps and scenarios themselves are for coordinators and auditors (``for_user`` on the models); callers
resolve those through ``for_user`` first, and these functions add what the result documents name by id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.allocation.instance import key_pk, week_start
from aidbridge.allocation.models import AllocationLine
from aidbridge.allocation.solver import Instance, Plan
from aidbridge.catalogue.models import Item
from aidbridge.catalogue.money import Rates, Total
from aidbridge.core import clock
from aidbridge.locations.models import Hub
from aidbridge.pledges.models import FinancialPledge, Pledge
from aidbridge.pledges.releasability import value_visible_q
from aidbridge.requirements.models import Requirement
from aidbridge.whatif.engine import concentration, metrics
from aidbridge.whatif.models import ScenarioRun, Status, Sweep
from aidbridge.whatif.perturbations import donors_withdrawn

DONOR_KINDS = ("withdraw_donor", "delay_donor", "donors", Sweep.Kind.DONORS)
HUB_KINDS = ("close_hub", "hubs", Sweep.Kind.HUBS)
PLEDGED = (Pledge.Status.ANNOUNCED, Pledge.Status.COMMITTED, Pledge.Status.ALLOCATED, Pledge.Status.SHIPPED,
           Pledge.Status.DELIVERED)
FINANCIAL_PLEDGED = (FinancialPledge.Status.ANNOUNCED, FinancialPledge.Status.COMMITTED,
                     FinancialPledge.Status.DISBURSED)
FINANCIAL = "financial"  # the supply class table's group of financial pledges
FINANCIAL_LABEL = _("Financial (money)")


def _items(codes: Iterable[str]) -> dict[str, Item]:
    return {i.code: i for i in Item.objects.filter(code__in=set(codes))}


def _org_pk(target: Any) -> int | None:
    try:
        return int(target)
    except (TypeError, ValueError):
        return None


# --- backfill -----------------------------------------------------------------------------------------------

def backfill_rows(run: ScenarioRun, user: Any) -> list[dict[str, Any]]:
    """The run's shortfall per item and due week, with the donors that have pledged the item before.

    ``{"item_code", "item_name", "week", "week_start", "units_short", "donors": [{"name", "units"}]}``.
    A donor's units are its pledged quantities of the item (any status) that ``user`` may see, so a donor
    that released nothing to the viewer is not named; the donors the scenario withdraws are left out.
    """
    rows = list((run.result or {}).get("backfill") or [])
    if not rows:
        return []
    codes = {str(r["item"]) for r in rows}
    items = _items(codes)
    withdrawn = {pk for pk in (_org_pk(d) for d in donors_withdrawn(run.perturbations or [])) if pk is not None}
    pledged: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[int, str] = {}
    visible = (Pledge.objects.for_user(user).filter(item__code__in=codes).exclude(donor_id__in=withdrawn)
               .values_list("item__code", "donor_id", "donor__name", "quantity"))
    for code, donor_id, name, quantity in visible:
        pledged[code][donor_id] += quantity
        names[donor_id] = name
    out = []
    for row in rows:
        code = str(row["item"])
        item = items.get(code)
        donors = sorted(pledged.get(code, {}).items(), key=lambda kv: (-kv[1], names[kv[0]]))
        out.append({
            "item_code": code, "item_name": item.name if item is not None else code, "week": int(row["week"]),
            "week_start": week_start(run.start_date, int(row["week"])), "units_short": int(row["units_short"]),
            "donors": [{"name": names[pk], "units": units} for pk, units in donors],
        })
    return out


# --- sweeps -------------------------------------------------------------------------------------------------

def target_label(kind: str, target: str) -> str:
    """Who drops out: the donor organisation's name, or the hub's code and name."""
    if kind in DONOR_KINDS:
        pk = _org_pk(target)
        name = Organisation.objects.filter(pk=pk).values_list("name", flat=True).first() if pk else None
        return name or gettext("donor %(target)s") % {"target": target}
    if kind in HUB_KINDS:
        hub = Hub.objects.filter(code=target).first()
        return f"{hub.code} {hub.name}" if hub is not None else str(target)
    return str(target)


def latest_sweeps() -> dict[str, Sweep | None]:
    """The latest finished sweep of each kind (``"donors"``, ``"hubs"``), or None."""
    return {kind: Sweep.objects.filter(kind=kind, status=Status.DONE).order_by("-finished_at", "-pk").first()
            for kind in Sweep.Kind.values}


def sweep_progress(sweep: Sweep) -> float:
    """Finished runs over all runs (0 while the baseline is being planned; 1 once done)."""
    if sweep.status == Status.DONE:
        return 1.0
    if not sweep.total:
        return 0.0
    finished = getattr(sweep, "finished_runs", None)  # annotated by with_finished_runs() on lists
    if finished is None:
        finished = sweep.runs.filter(status__in=(Status.DONE, Status.FAILED)).count()
    return min(1.0, finished / sweep.total)


def with_finished_runs(sweeps: Any) -> Any:
    """Sweeps annotated with their finished runs, so a list computes every progress in one query."""
    return sweeps.annotate(finished_runs=Count("runs", filter=Q(runs__status__in=(Status.DONE, Status.FAILED))))


def _done_runs(sweep: Sweep) -> list[ScenarioRun]:
    return list(sweep.runs.filter(status=Status.DONE).order_by("pk"))


def tornado(sweep: Sweep) -> list[dict[str, Any]]:
    """Each donor's (or hub's) exposure: ``{"kind", "target", "label", "loss_share", "run_id"}``, largest first."""
    rows = [{"kind": r.kind, "target": r.target, "label": target_label(r.kind, r.target),
             "loss_share": float(r.loss_share or 0.0), "run_id": r.pk} for r in _done_runs(sweep)]
    return sorted(rows, key=lambda r: (-r["loss_share"], r["label"]))


def spof_rows(sweep: Sweep) -> list[dict[str, Any]]:
    """Single points of failure: items whose P1 coverage falls by more than half when one target drops out.

    ``{"item_code", "item_name", "label" (who drops out), "baseline", "scenario", "run_id"}``.
    """
    runs = _done_runs(sweep)
    found = [(r, row) for r in runs for row in ((r.result or {}).get("single_points_of_failure") or [])]
    items = _items(str(row["item"]) for _, row in found)
    out = []
    for run, row in found:
        item = items.get(str(row["item"]))
        out.append({"item_code": str(row["item"]), "item_name": item.name if item is not None else str(row["item"]),
                    "label": target_label(run.kind, run.target), "baseline": row.get("baseline"),
                    "scenario": row.get("scenario"), "run_id": run.pk})
    return sorted(out, key=lambda r: (r["item_code"], r["label"]))


# --- concentration ------------------------------------------------------------------------------------------

GROUPS = ("item", "class", "package")
METRIC_KEYS = ("units", "value", "points")


def _points_rows(user: Any, visible: set[int]) -> list[tuple[tuple[Any, ...], str, float]]:
    """(groups, donor, priority points) per flow of the latest finished sweep's baseline plan, for the pledges
    ``user`` may see."""
    sweep = (Sweep.objects.filter(status=Status.DONE, baseline__isnull=False).order_by("-finished_at", "-pk")
             .only("pk", "baseline").first())
    if sweep is None or not sweep.baseline:
        return []
    data = sweep.baseline
    inst = _instance(data)
    if inst is None:
        return []
    classes = dict(Item.objects.values_list("code", "supply_class"))
    package_of = {rid: pkg.id for pkg in inst.packages for rid in pkg.requirements}
    rows = []
    for flow in _plan_flows(data):
        try:
            pledge_pk = key_pk(flow.pledge)
        except ValueError:
            continue
        if pledge_pk not in visible:
            continue
        p = inst.pledge_by_id[flow.pledge]
        points = metrics.figures(inst, [flow]).total_points
        rows.append(((p.item, classes.get(p.item), package_of.get(flow.requirement)), p.donor, points))
    return rows


def _instance(data: dict[str, Any]) -> Any:
    try:
        return Instance.from_dict(data["instance"])
    except Exception:  # a baseline stored by an older engine: no points rather than a broken page
        return None


def _plan_flows(data: dict[str, Any]) -> list[Any]:
    try:
        return list(Plan.from_dict(data["plan"]).flows)
    except Exception:
        return []


def concentration_tables(user: Any) -> dict[str, list[dict[str, Any]]]:
    """Donor concentration per item, supply class and requirement package, by three measures.

    Each row: ``{"group", "label", "donors", "units": {...}, "value": {...}, "points": {...}}``, each measure
    ``{"hhi", "top" (donor name), "top_share", "total"}``.

    - units: pledged units (every status but withdrawn) of the pledges ``user`` may see; for a package, the
      units allocated to its requirements;
    - value: ``unit_value × quantity`` of the same pledges, and the amounts of the financial pledges (every
      status but withdrawn) whose value ``user`` may see, converted into the reporting currency at the rates
      known today (:mod:`aidbridge.catalogue.money`). Financial pledges name no item: they form the supply
      class table's "Financial" group, and count in no item or package. The measure says its ``currency``, the
      oldest ``rate_date`` it used, and what it leaves out for want of a rate: ``excluded`` pledges and their
      amounts by currency (``not_converted``), never counted as zero;
    - points: priority points delivered in the baseline plan of the latest finished sweep.
    """
    pledges = list(Pledge.objects.for_user(user).filter(status__in=PLEDGED)
                   .values_list("pk", "donor_id", "item__code", "item__supply_class", "quantity", "unit_value",
                                "currency"))
    visible = {row[0] for row in pledges}
    rates, on = Rates(), clock.today()
    converted = Total(rates.target)  # the rate date and what had no rate, over every value counted
    excluded = 0

    def value_of(amount: Decimal, currency: str) -> Decimal | None:
        nonlocal excluded
        result = rates.convert(amount, currency, on)
        converted.add(result, amount, currency)
        if result is None:
            excluded += 1
            return None
        return result.amount

    units_rows: list[tuple[tuple[Any, ...], str, Any]] = []
    value_rows: list[tuple[tuple[Any, ...], str, Any]] = []
    for _pk, donor, code, supply_class, quantity, unit_value, cur in pledges:
        units_rows.append(((code, supply_class, None), str(donor), quantity))
        if (amount := value_of(Decimal(unit_value) * quantity, cur)) is not None:
            value_rows.append(((code, supply_class, None), str(donor), amount))
    lines = (AllocationLine.objects.filter(pledge_id__in=visible).exclude(requirement__package="")
             .values_list("requirement__package", "pledge__donor_id", "quantity", "pledge__unit_value",
                          "pledge__currency"))
    for package, donor, quantity, unit_value, cur in lines:
        units_rows.append(((None, None, package), str(donor), quantity))
        # The package's share of a pledge already counted above: converted, but not counted again.
        if (result := rates.convert(Decimal(unit_value) * quantity, cur, on)) is not None:
            value_rows.append(((None, None, package), str(donor), result.amount))
    money: Any = FinancialPledge.objects.for_user(user).filter(status__in=FINANCIAL_PLEDGED)
    if (value_visible := value_visible_q(user)) is not None:
        money = money.filter(value_visible)
    for donor, amount, cur in money.values_list("donor_id", "amount", "currency"):
        if (value := value_of(Decimal(amount), cur)) is not None:
            value_rows.append(((None, FINANCIAL, None), str(donor), value))
    measures = {
        "units": concentration.by_keys(units_rows, GROUPS),
        "value": concentration.by_keys(value_rows, GROUPS),
        "points": concentration.by_keys(_points_rows(user, visible), GROUPS),
    }
    donor_names = dict(Organisation.objects.filter(kind=Organisation.Kind.DONOR).values_list("pk", "name"))
    items = {i.code: i.name for i in Item.objects.all()}
    classes = {**dict(Item.SupplyClass.choices), FINANCIAL: FINANCIAL_LABEL}
    packages = set(Requirement.objects.exclude(package="").values_list("package", flat=True))

    def label(key: str, group: Any) -> str:
        if key == "item":
            return f"{group} {items.get(group, '')}".strip()
        if key == "class":
            return str(classes.get(group, group))
        return str(group)

    def measure(c: Any, name: str) -> dict[str, Any]:
        if c is None:
            out: dict[str, Any] = {"hhi": None, "top": None, "top_share": None, "total": 0.0}
        else:
            top = donor_names.get(_org_pk(c.top) or 0, c.top) if c.top is not None else None
            out = {"hhi": c.hhi, "top": top, "top_share": c.top_share, "total": c.total}
        if name == "value":
            out.update(currency=rates.target, excluded=excluded,
                       rate_date=converted.rate_date.isoformat() if converted.rate_date else None,
                       not_converted={c: str(a) for c, a in sorted(converted.missing.items())})
        return out

    tables: dict[str, list[dict[str, Any]]] = {}
    for key in GROUPS:
        groups = sorted({g for m in measures.values() for g in m[key]}, key=str)
        if key == "package":
            groups = [g for g in groups if g in packages]
        rows = []
        for group in groups:
            per = {name: measures[name][key].get(group) for name in METRIC_KEYS}
            counted = per["units"] if per["units"] is not None else per["value"]  # money has no units
            rows.append({"group": group, "label": label(key, group),
                         "donors": counted.donors if counted is not None else 0,
                         **{name: measure(per[name], name) for name in METRIC_KEYS}})
        tables[key] = rows
    return tables


# --- a donor's own exposure ---------------------------------------------------------------------------------

def own_exposure(user: Any) -> dict[str, Any] | None:
    """For a coalition donor's liaison: its organisation's loss share in the latest donor sweep, and its share of the
    released pledged units per item (of the pledges the liaison may see). None for anyone else.

    ``{"organisation", "loss_share", "time_to_survive_week", "sweep_id", "items": [{"item_code", "item_name",
    "units", "total_units", "share"}]}``; ``loss_share`` is None when no donor sweep has finished (or it left the
    donor out).
    """
    p = principal(user)
    if p.organisation_id is None or p.org_kind != Organisation.Kind.DONOR or not p.in_coalition:
        return None
    org = Organisation.objects.get(pk=p.organisation_id)
    sweep = latest_sweeps().get(Sweep.Kind.DONORS)
    run = (sweep.runs.filter(status=Status.DONE, target=str(org.pk)).first() if sweep is not None else None)
    totals: dict[str, int] = defaultdict(int)
    own: dict[str, int] = defaultdict(int)
    for code, donor_id, quantity in (Pledge.objects.for_user(user).filter(status__in=PLEDGED)
                                     .values_list("item__code", "donor_id", "quantity")):
        totals[code] += quantity
        if donor_id == org.pk:
            own[code] += quantity
    items = _items(own)
    return {
        "organisation": org.name,
        "loss_share": run.loss_share if run is not None else None,
        "time_to_survive_week": run.time_to_survive_week if run is not None else None,
        "time_to_survive_date": (week_start(run.start_date, run.time_to_survive_week)
                                 if run is not None and run.time_to_survive_week is not None else None),
        "sweep_id": sweep.pk if sweep is not None else None,
        "items": sorted(({"item_code": code, "item_name": items[code].name if code in items else code,
                          "units": units, "total_units": totals[code], "share": units / totals[code]}
                         for code, units in own.items() if totals[code]),
                        key=lambda r: (-r["share"], r["item_code"])),
    }
