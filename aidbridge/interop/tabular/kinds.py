"""What each kind of spreadsheet holds: its columns, how a cell becomes a value, and which services write a row.

Every row goes through the same service a person's form calls (``create_*`` / ``update_*``), so it is checked,
permitted and audited exactly as a hand-made record. A kind's **identity** says how a row is recognised when the
file comes again: reference data by its code (an item's code, a location's UN/LOCODE, a hub's code), everything
else by the ``external_id`` column when the sheet has one, otherwise by the row's content.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_noop as _  # marked here, translated where shown (import pages)

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import Principal
from aidbridge.catalogue import services as catalogue
from aidbridge.catalogue.models import Item
from aidbridge.core.errors import InvalidTransition, ServiceError
from aidbridge.core.models import Releasability
from aidbridge.interop.models import Kind
from aidbridge.interop.tabular import cells
from aidbridge.locations import services as locations
from aidbridge.locations.models import Hub, Location
from aidbridge.pledges import services as pledges
from aidbridge.pledges.models import FinancialPledge, Pledge
from aidbridge.requirements import services as requirements
from aidbridge.requirements.models import Requirement
from aidbridge.training import services as training
from aidbridge.training.models import Course

EXTERNAL_ID = "external_id"


@dataclass(frozen=True)
class Column:
    """One field a sheet may fill. ``name`` is the field (and the template's header)."""

    name: str
    label: str
    parse: cells.Parser
    required: bool = False
    aliases: tuple[str, ...] = ()
    example: str = ""
    help: str = ""
    blank: Any = None  # the value of an empty cell on an update (None: leave the field as it is)


@dataclass(frozen=True)
class KindSpec:
    kind: str
    label: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    create: Callable[..., Any]  # (actor, owner, values) -> object
    update: Callable[..., Any]  # (actor, obj, changes) -> object
    allowed: Callable[[Principal], bool]
    identity: str = EXTERNAL_ID  # a natural key column for reference data
    owner: str = ""  # the column naming the owning organisation (recipient, donor, provider), if any
    editable: tuple[str, ...] = ()
    description: str = ""
    find_existing: Callable[..., Any] | None = None  # (actor, owner, external id) -> object or None
    stores_external_id: bool = False  # the model keeps the external id itself (financial pledges)
    by_name: dict[str, Column] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_name.update({c.name: c for c in self.columns})

    @property
    def shared(self) -> bool:
        """Reference data belongs to the coalition, not to the importing organisation."""
        return not self.owner

    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]


_ID = Column(EXTERNAL_ID, _("External id"), cells.text(250), aliases=("id", "ref", "reference", "your id", "row id"),
             example="ROW-0001", help=_("Your own id for the row; importing the row again updates it instead of "
                                         "adding a copy."))


def _releasability() -> Column:
    return Column("releasability", _("Releasability"), cells.choice(Releasability.choices), example="coalition",
                  help=_("coordinators, coalition or public"))


def _disclosure() -> Column:
    return Column("disclosure_date", _("Disclosure date"), cells.date, aliases=("disclosed",), example="",
                  help=_("Needed for public records: when they become visible to everyone."))


def _notes() -> Column:
    return Column("notes", _("Notes"), cells.text(10_000), aliases=("comment", "comments", "remarks"), blank="")


def _country(name: str, label: str, example: str, required: bool = True, aliases: tuple[str, ...] = ()) -> Column:
    return Column(name, label, cells.code(), required=required, aliases=aliases, example=example,
                  help=_("ISO 3166-1 alpha-2, e.g. DE"), blank="" if not required else None)


def _currency(required: bool = True) -> Column:
    return Column("currency", _("Currency"), cells.code(), required=required, example="EUR",
                  help=_("ISO 4217, e.g. EUR"))


def _item(name: str = "item", required: bool = True) -> Column:
    return Column(name, _("Item code") if name == "item" else "Qualifies for item",
                  cells.reference(Item, "code", "catalogue item with the code"), required=required,
                  aliases=("item code", "code") if name == "item" else ("item",), example="GEN-100KW")


def _location(name: str, label: str, aliases: tuple[str, ...] = ()) -> Column:
    return Column(name, label, cells.reference(Location, "unlocode", "location with the UN/LOCODE", upper=True),
                  required=True, aliases=aliases, example="UA LWO", help=_("UN/LOCODE, e.g. UA LWO"))


def _owner(name: str, label: str, kind: str, aliases: tuple[str, ...] = ()) -> Column:
    return Column(name, label, cells.organisation(kind), aliases=aliases,
                  help=_("The organisation's short name; empty: your own organisation."))


# --- rights (who is offered which kind; the services remain the authority) ----------------------------------

def _recipient_editor(p: Principal) -> bool:
    return p.is_superuser or (p.can_write and p.org_kind == Organisation.Kind.RECIPIENT)


def _donor_editor(p: Principal) -> bool:
    return p.is_superuser or (p.can_write and p.org_kind == Organisation.Kind.DONOR)


def _course_editor(p: Principal) -> bool:
    return _donor_editor(p) or p.is_coordinator_editor


def _reference_manager(p: Principal) -> bool:
    return p.manages_reference_data


# --- the kinds -----------------------------------------------------------------------------------------------

def _create_requirement(actor: Any, owner: Organisation | None, values: dict[str, Any]) -> Requirement:
    return requirements.create_requirement(actor=actor, recipient=owner, **values)


def _update_requirement(actor: Any, obj: Requirement, changes: dict[str, Any]) -> Requirement:
    return requirements.update_requirement(actor=actor, requirement=obj, changes=changes)


def _create_pledge(actor: Any, owner: Organisation | None, values: dict[str, Any]) -> Pledge:
    return pledges.create_pledge(actor=actor, donor=owner, **values)


def _update_pledge(actor: Any, obj: Pledge, changes: dict[str, Any]) -> Pledge:
    return pledges.update_pledge(actor=actor, pledge=obj, changes=changes)


def _create_financial(actor: Any, owner: Organisation | None, values: dict[str, Any]) -> FinancialPledge:
    values = dict(values)
    status = values.pop("status", FinancialPledge.Status.ANNOUNCED)
    return pledges.create_financial_pledge(actor=actor, donor=owner, status=status, **values)


def _update_financial(actor: Any, obj: FinancialPledge, changes: dict[str, Any]) -> FinancialPledge:
    changes = dict(changes)
    status = changes.pop("status", None)
    status_date = changes.pop("status_date", None)
    changes.pop(EXTERNAL_ID, None)
    obj = pledges.update_financial_pledge(actor=actor, pledge=obj, changes=changes) if changes else obj
    if status and status != obj.status:
        transition = pledges.MONEY_TRANSITIONS.get(status)
        if transition is None:
            raise_status(obj, status)
        obj = transition(actor=actor, pledge=obj, on=status_date)
    return obj


def raise_status(obj: FinancialPledge, status: str) -> NoReturn:
    from_label = obj.get_status_display().lower()
    raise InvalidTransition(f"{obj.reference} is {from_label}; it cannot go back to “{status}”.", field="status")


def _find_financial(actor: Any, owner: Organisation | None, external_id: str) -> FinancialPledge | None:
    """A financial pledge first imported from IATI or FTS carries the same external id: update that one."""
    if not external_id:
        return None
    found = FinancialPledge.objects.filter(external_id=external_id).first()
    if found is not None and (owner is None or found.donor_id != owner.pk):
        raise ServiceError(f"The external id “{external_id}” already names a financial pledge of another donor; "
                           "give this row an id of its own.", field=EXTERNAL_ID)
    return found


def _create_course(actor: Any, owner: Organisation | None, values: dict[str, Any]) -> Course:
    return training.create_course(actor=actor, provider=owner, **values)


def _update_course(actor: Any, obj: Course, changes: dict[str, Any]) -> Course:
    return training.update_course(actor=actor, course=obj, changes=changes)


def _create_item(actor: Any, owner: Organisation | None, values: dict[str, Any]) -> Item:
    return catalogue.create_item(actor=actor, **values)


def _update_item(actor: Any, obj: Item, changes: dict[str, Any]) -> Item:
    return catalogue.update_item(actor=actor, item=obj, changes=changes)


def _find_item(actor: Any, owner: Organisation | None, external_id: str) -> Item | None:
    return Item.objects.filter(code=external_id).first()


def _create_location(actor: Any, owner: Organisation | None, values: dict[str, Any]) -> Location:
    return locations.create_location(actor=actor, **values)


def _update_location(actor: Any, obj: Location, changes: dict[str, Any]) -> Location:
    return locations.update_location(actor=actor, location=obj, changes=changes)


def _find_location(actor: Any, owner: Organisation | None, external_id: str) -> Location | None:
    return Location.objects.filter(unlocode=external_id).first()


def _create_hub(actor: Any, owner: Organisation | None, values: dict[str, Any]) -> Hub:
    return locations.create_hub(actor=actor, **values)


def _update_hub(actor: Any, obj: Hub, changes: dict[str, Any]) -> Hub:
    return locations.update_hub(actor=actor, hub=obj, changes=changes)


def _find_hub(actor: Any, owner: Organisation | None, external_id: str) -> Hub | None:
    return Hub.objects.filter(code=external_id).first()


def _priority() -> cells.Parser:
    extra = {f"p{p.value}": p.value for p in Requirement.Priority}
    extra.update({p.label.split()[1]: p.value for p in Requirement.Priority})  # "critical", "high", …
    return cells.choice(Requirement.Priority.choices, extra=extra)


def _unlocode(value: str, lookups: cells.Lookups) -> str:
    """``UA LWO``, also written ``UALWO`` or ``ua-lwo``."""
    compact = re.sub(r"[\s-]", "", value).upper()
    return f"{compact[:2]} {compact[2:]}" if len(compact) == 5 else value.upper()


KINDS: dict[str, KindSpec] = {spec.kind: spec for spec in (
    KindSpec(
        Kind.REQUIREMENTS, _("Requirements"), Requirement,
        (
            _ID,
            _owner("recipient", _("Recipient"), Organisation.Kind.RECIPIENT),
            _item(),
            Column("quantity", _("Quantity"), cells.quantity, required=True, aliases=("qty", "units"), example="10"),
            Column("priority", _("Priority"), _priority(), aliases=("prio",), example="P1", help=_("P1–P4")),
            Column("due_date", _("Due date"), cells.date, required=True, aliases=("due", "needed by"),
                   example="2026-06-30"),
            _location("destination", _("Destination"), ("destination unlocode", "to")),
            Column("package", _("Package"), cells.text(40), aliases=("capability",), blank="",
                   help=_("Requirements sharing a package are filled completely or not at all.")),
            _notes(),
        ),
        _create_requirement, _update_requirement, _recipient_editor, owner="recipient",
        editable=requirements.REQUIREMENT_FIELDS,
        description=_("What the recipient needs: one row per item, quantity, due date and destination. New rows "
                       "are drafts."),
    ),
    KindSpec(
        Kind.PLEDGES, _("Pledges in kind"), Pledge,
        (
            _ID,
            _owner("donor", _("Donor"), Organisation.Kind.DONOR),
            _item(),
            Column("quantity", _("Quantity"), cells.quantity, required=True, aliases=("qty", "units"), example="50"),
            Column("available_from", _("Available from"), cells.date, required=True, aliases=("available",),
                   example="2026-04-01"),
            _country("origin_country", _("Origin country"), "DE", aliases=("origin", "from country")),
            Column("unit_value", _("Unit value"), cells.decimal(2, Decimal("0")), required=True,
                   aliases=("value", "unit price", "price"), example="45000"),
            _currency(),
            Column("funding_source", _("Funding source"), cells.choice(Pledge.FundingSource.choices), required=True,
                   aliases=("funding",), example="stockpile", help=_("stockpile, procurement or pooled_fund")),
            _releasability(),
            _disclosure(),
            _notes(),
        ),
        _create_pledge, _update_pledge, _donor_editor, owner="donor", editable=pledges.PLEDGE_FIELDS,
        description=_("Goods a donor offers: item, quantity, when and from where, their value and who may see them."),
    ),
    KindSpec(
        Kind.FINANCIAL_PLEDGES, _("Financial pledges"), FinancialPledge,
        (
            _ID,
            _owner("donor", _("Donor"), Organisation.Kind.DONOR),
            Column("amount", _("Amount"), cells.decimal(2, Decimal("0.01")), required=True, aliases=("value", "sum"),
                   example="2500000"),
            _currency(),
            Column("pledged_on", _("Pledged on"), cells.date, required=True, aliases=("date", "pledge date"),
                   example="2026-02-15"),
            Column("status", _("Status"), cells.choice(
                [(s.value, s.label) for s in FinancialPledge.Status if s != FinancialPledge.Status.WITHDRAWN],
                extra={"pledge": "announced", "commitment": "committed", "paid": "disbursed"}),
                aliases=("state",), example="announced", help=_("announced, committed or disbursed")),
            Column("status_date", _("Status date"), cells.date, aliases=("committed on", "disbursed on"),
                   help=_("When it reached its status.")),
            Column("sector", _("Sector"), cells.text(5), aliases=("dac sector", "sector code"), example="72010",
                   help=_("OECD DAC 5-digit purpose code"), blank=""),
            Column("purpose", _("Purpose"), cells.text(300), aliases=("programme", "description"), blank="",
                   example="Winter relief"),
            _country("recipient_country", _("Recipient country"), "UA", required=False, aliases=("country",)),
            _releasability(),
            _disclosure(),
            _notes(),
        ),
        _create_financial, _update_financial, _donor_editor, owner="donor",
        editable=(*pledges.FINANCIAL_FIELDS, "status", "status_date"), find_existing=_find_financial,
        stores_external_id=True,
        description=_("Money a donor pledges: amount and currency, with its status and an optional DAC sector."),
    ),
    KindSpec(
        Kind.ITEMS, _("Catalogue items"), Item,
        (
            Column("code", _("Code"), cells.text(40), required=True, aliases=("item code",), example="GEN-100KW"),
            Column("name", _("Name"), cells.text(200), required=True, aliases=("item", "description short"),
                   example="Generator 100 kW"),
            Column("supply_class", _("Supply class"), cells.choice(
                Item.SupplyClass.choices, extra={f"class {c.value}".casefold(): c.value for c in Item.SupplyClass}),
                required=True, aliases=("class", "nato class"), example="VII", help=_("NATO class I–X")),
            Column("unit", _("Unit"), cells.choice(Item.Unit.choices), aliases=("uom", "unit of measure"),
                   example="each"),
            Column("weight_t", _("Weight per unit (t)"), cells.decimal(6, Decimal("0.000001")), required=True,
                   aliases=("weight", "weight t", "tonnes"), example="2.1"),
            Column("nsn", _("NSN"), cells.text(20), aliases=("nato stock number",), example="6115-01-234-5678",
                   blank=""),
            Column("fsc", _("FSC"), cells.text(4), aliases=("federal supply class",), example="6115", blank=""),
            Column("description", _("Description"), cells.text(10_000), blank=""),
        ),
        _create_item, _update_item, _reference_manager, identity="code", editable=catalogue.ITEM_FIELDS,
        find_existing=_find_item,
        description=_("The catalogue: one row per item, recognised by its code."),
    ),
    KindSpec(
        Kind.LOCATIONS, _("Locations"), Location,
        (
            Column("unlocode", _("UN/LOCODE"), _unlocode, required=True, aliases=("locode", "un locode", "code"),
                   example="UA LWO"),
            Column("name", _("Name"), cells.text(200), required=True, example="Lviv"),
            _country("country", _("Country"), "UA"),
            Column("latitude", _("Latitude"), cells.decimal(6), required=True, aliases=("lat",), example="49.8397"),
            Column("longitude", _("Longitude"), cells.decimal(6), required=True, aliases=("lon", "lng", "long"),
                   example="24.0297"),
        ),
        _create_location, _update_location, _reference_manager, identity="unlocode",
        editable=locations.LOCATION_FIELDS, find_existing=_find_location,
        description=_("Places, by UN/LOCODE, with their coordinates."),
    ),
    KindSpec(
        Kind.HUBS, _("Hubs"), Hub,
        (
            Column("code", _("Code"), cells.text(16), required=True, aliases=("hub", "hub code"), example="PL-RZE"),
            Column("name", _("Name"), cells.text(200), required=True, example="Rzeszów hub"),
            _location("location", _("Location"), ("unlocode", "locode")),
            Column("operator", _("Operator"), cells.organisation(Organisation.Kind.HUB_OPERATOR), required=True,
                   aliases=("hub operator",), example="pl-hub", help=_("The hub operator's short name.")),
            Column("capacity_t_per_week", _("Weekly throughput (t)"), cells.decimal(3, Decimal("0")), required=True,
                   aliases=("capacity", "throughput", "tonnes per week"), example="800"),
            Column("active", _("Active"), cells.boolean, example="yes"),
        ),
        _create_hub, _update_hub, _reference_manager, identity="code", editable=locations.HUB_FIELDS,
        find_existing=_find_hub,
        description=_("Logistics hubs, by code, with their location, operator and weekly throughput."),
    ),
    KindSpec(
        Kind.COURSES, _("Courses"), Course,
        (
            _ID,
            _owner("provider", _("Provider"), Organisation.Kind.DONOR, ("donor",)),
            Column("title", _("Title"), cells.text(200), required=True, aliases=("course", "name"),
                   example="Generator maintenance"),
            _location("location", _("Location"), ("venue", "unlocode")),
            Column("start_date", _("Start date"), cells.date, required=True, aliases=("start", "from"),
                   example="2026-05-04"),
            Column("end_date", _("End date"), cells.date, required=True, aliases=("end", "to", "until"),
                   example="2026-05-15"),
            Column("seats", _("Seats"), cells.integer(1, 10_000), required=True, aliases=("places",), example="12"),
            Column("language", _("Language"), lambda value, lookups: value.lower(), required=True,
                   aliases=("lang",), example="en", help=_("ISO 639-1, e.g. en")),
            _item("qualifies_item", required=False),
            Column("qualifies_class", _("Qualifies for class"), cells.choice(Item.SupplyClass.choices),
                   aliases=("supply class", "class"), help=_("Or give a supply class instead of an item."), blank=""),
            _releasability(),
            _disclosure(),
            _notes(),
        ),
        _create_course, _update_course, _course_editor, owner="provider", editable=training.COURSE_FIELDS,
        description=_("Course seats a donor offers: title, place, dates, seats, language and what they qualify for."),
    ),
)}


def spec_of(kind: str) -> KindSpec:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"“{kind}” is not a kind of import; choose one of: {', '.join(KINDS)}.") from None


def header_key(text: str) -> str:
    """A header as compared when mapping: case, spaces, dashes, underscores and punctuation do not matter."""
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def auto_mapping(spec: KindSpec, headers: list[str]) -> dict[str, str]:
    """Field name → header, for headers that name a field (by its name, label or a common alias)."""
    by_key = {header_key(h): h for h in headers if h}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in spec.columns:
        for candidate in (column.name, column.label, *column.aliases):
            header = by_key.get(header_key(candidate))
            if header is not None and header not in taken:
                mapping[column.name] = header
                taken.add(header)
                break
    return mapping
