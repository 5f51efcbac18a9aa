"""The map of flows: donor origins → hubs → destinations, drawn as SVG on the server over Natural Earth shapes.

A flow is the tonnage of the allocation lines (quantity × the item's weight per unit) that a viewer may see,
grouped by donor, origin country, hub and destination. A line falls in a period by its dispatch week, or by
the day it was allocated while it has no dispatch week yet. Everything is summed in SQL, in one query, and
cached until the next write (see :func:`flows`).

Releasability is that of the lines themselves (``AllocationLine.objects.for_user``: the viewer may see both the
pledge and the requirement). A pledge's origin country is
withheld below the full view (:mod:`aidbridge.pledges.releasability`), so for the lines of pledges the
viewer does not see in full the origin is "withheld": their tonnes count on the hub → destination leg, and
no origin → hub leg is drawn.

Geometry: an equirectangular projection (longitudes scaled by the cosine of the frame's middle latitude)
fitted to the hubs, the destinations and the origins near them; an origin far from them (the United States,
Japan) is pinned to the frame's edge, in its direction, and labelled "off map". Country paths are kept in
degrees (longitude, −latitude) and placed by one ``transform`` on their group, so they are built once.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from django import forms
from django.db.models import Case, DecimalField, F, Q, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.allocation.models import AllocationLine
from aidbridge.audit.cache import cached, scope
from aidbridge.core import clock
from aidbridge.core.charts import FONT_SIZE, text_width
from aidbridge.core.models import prefixed
from aidbridge.data import DATA_DIR, countries
from aidbridge.locations.models import Hub, Location
from aidbridge.pledges.releasability import full_view_q

WIDTH, HEIGHT = 800, 520
MARGIN = 18  # user units kept free inside the edge for off-map origins and labels
DEFAULT_DAYS = 90
MAX_STROKE, MIN_STROKE = 14.0, 1.5
# Where the map looks when nothing is to be shown: Europe, where the coalition's hubs are.
DEFAULT_FRAME = (-12.0, 34.0, 42.0, 66.0)
# An origin this far (degrees) outside the box of hubs and destinations is pinned to the frame's edge.
NEAR_LON, NEAR_LAT = 36.0, 16.0
TONNES = DecimalField(max_digits=24, decimal_places=6)


# --- the shipped country shapes -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Country:
    code: str
    name: str
    path: str  # in degrees: "x" is the longitude, "y" minus the latitude
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    anchor: tuple[float, float]  # (lon, lat): the centroid of its largest polygon


def _area_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    """The area and centroid (lon, lat) of a ring, by the shoelace formula, in degrees."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if a == 0:
        return 0.0, ring[0][0], ring[0][1]
    return abs(a) / 2, cx / (3 * a), cy / (3 * a)


@cache
def world() -> tuple[Country, ...]:
    """Every country of ``aidbridge/data/ne-110m-countries.geojson`` (see ``aidbridge/data/build.py``)."""
    with open(DATA_DIR / "ne-110m-countries.geojson", encoding="utf-8") as f:
        features = json.load(f)["features"]
    out = []
    for feature in features:
        polygons = feature["geometry"]["coordinates"]
        parts, lons, lats = [], [], []
        for polygon in polygons:
            for ring in polygon:
                parts.append("M" + "L".join(f"{lon:g},{-lat:g}" for lon, lat in ring) + "Z")
                lons += [lon for lon, _ in ring]
                lats += [lat for _, lat in ring]
        _, lon, lat = max((_area_centroid(polygon[0]) for polygon in polygons), key=lambda c: c[0])
        props = feature["properties"]
        out.append(Country(props["iso_a2"], props["name"], "".join(parts),
                           (min(lons), min(lats), max(lons), max(lats)), (lon, lat)))
    return tuple(out)


@cache
def anchors() -> dict[str, tuple[float, float]]:
    """ISO 3166-1 alpha-2 → where the country's donor origin is drawn (lon, lat)."""
    return {c.code: c.anchor for c in world() if c.code}


@cache
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 → a name in full: ISO 3166's (CLDR), but Natural Earth's long name where CLDR
    abbreviates ("US", "UK")."""
    long = {c.code: c.name for c in world() if c.code}
    return {code: long[code] if (len(name) <= 3 and name.isupper() and code in long) else name
            for code, name in countries().items()}


# --- the period -----------------------------------------------------------------------------------------

def _date(label: Any) -> forms.DateField:
    return forms.DateField(label=label, required=False,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class PeriodForm(forms.Form):
    start = _date(_("From"))
    end = _date(_("To"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError(gettext("The period must end on or after its first day."))
        return data


def period(params: Any) -> tuple[PeriodForm, dt.date, dt.date]:
    """The bound form and the period it asks for: ``start``/``end`` (inclusive); by default, and wherever the
    form is invalid, the last 90 days up to today."""
    today = clock.today()
    start, end = today - dt.timedelta(days=DEFAULT_DAYS), today
    form = PeriodForm(params or None, initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["start"] or (
            (form.cleaned_data["end"] or end) - dt.timedelta(days=DEFAULT_DAYS))
        end = form.cleaned_data["end"] or max(start, today)
    return form, start, end


# --- flows, summed in SQL ---------------------------------------------------------------------------------

@dataclass
class Flow:
    """One row of the table: a donor's tonnes from an origin (``""`` when withheld) through a hub to a destination."""

    donor_id: int
    donor: str
    origin: str
    origin_name: str
    hub_id: int
    destination_id: int
    tonnes: Decimal
    delivered: Decimal
    hub: Any = None
    destination: Any = None
    links: dict[str, str] = field(default_factory=dict)


CACHE_SECONDS = 600


def flows(user: Any, start: dt.date, end: dt.date) -> list[Flow]:
    """The flows ``user`` may see whose lines fall between ``start`` and ``end`` (inclusive), largest first.

    Cached for everyone who sees the same (:func:`aidbridge.audit.cache.scope`), on the same day (disclosure
    dates), until the next write (:func:`aidbridge.audit.cache.cached`).
    """
    rows = cached(("dashboard.flows", scope(user), start, end), lambda: _sum_flows(user, start, end),
                  timeout=CACHE_SECONDS)
    names = country_names()
    return [Flow(donor_id, donor, origin, names.get(origin, origin), hub_id, destination_id, tonnes, delivered)
            for donor_id, donor, origin, hub_id, destination_id, tonnes, delivered in rows]


def _sum_flows(user: Any, start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
    """(donor id, donor, origin or "", hub id, destination id, tonnes, delivered tonnes), largest first."""
    # Said without a function of the columns, so that the planner can estimate (and index) both halves.
    first = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    after = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    in_period = (Q(dispatch_week__gte=start, dispatch_week__lte=end)
                 | Q(dispatch_week__isnull=True, created_at__gte=first, created_at__lt=after))
    full = full_view_q(user)
    origin: Any = F("pledge__origin_country")
    if full is not None:
        origin = Case(When(prefixed(full, "pledge__"), then=origin), default=Value(""))
    weight = F("pledge__item__weight_t")
    rows = list(AllocationLine.objects.for_user(user).filter(in_period)
                .order_by().annotate(origin=origin)
                .values("pledge__donor_id", "origin", "hub_id", "requirement__destination_id")
                .annotate(tonnes=Sum(F("quantity") * weight, output_field=TONNES),
                          delivered=Sum(F("delivered_quantity") * weight, output_field=TONNES)))
    # The donors' names apart: grouping by a short key, not by a name, keeps the sort small.
    donors = dict(Organisation.objects.filter(pk__in={row["pledge__donor_id"] for row in rows})
                  .values_list("pk", "name"))
    out = [(row["pledge__donor_id"], donors[row["pledge__donor_id"]], row["origin"] or "", row["hub_id"],
            row["requirement__destination_id"], Decimal(row["tonnes"] or 0), Decimal(row["delivered"] or 0))
           for row in rows]
    return sorted(out, key=lambda f: (-f[5], f[1], f[2], f[3], f[4]))


# --- geometry --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Frame:
    """The part of the world shown: ``WIDTH`` × ``HEIGHT`` user units from (``west``, ``north``)."""

    west: float
    south: float
    east: float
    north: float

    @property
    def stretch(self) -> float:
        return math.cos(math.radians((self.south + self.north) / 2))

    @property
    def scale(self) -> float:
        return WIDTH / ((self.east - self.west) * self.stretch)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.west) * self.stretch * self.scale, (self.north - lat) * self.scale

    @property
    def transform(self) -> str:
        """Degrees (lon, −lat) to user units, for the group of country paths."""
        sx, s = self.stretch * self.scale, self.scale
        return f"matrix({sx:.6f} 0 0 {s:.6f} {-self.west * sx:.4f} {self.north * s:.4f})"

    def shows(self, bbox: tuple[float, float, float, float]) -> bool:
        west, south, east, north = bbox
        return west <= self.east and east >= self.west and south <= self.north and north >= self.south


def fit(points: Iterable[tuple[float, float]]) -> Frame:
    """A frame around ``points`` (lon, lat) with a margin, at least 10° × 6°, in the map's aspect ratio."""
    points = list(points)
    if not points:
        west, south, east, north = DEFAULT_FRAME
    else:
        west, east = min(p[0] for p in points), max(p[0] for p in points)
        south, north = min(p[1] for p in points), max(p[1] for p in points)
    lon_span, lat_span = max(east - west, 10.0) * 1.3, max(north - south, 6.0) * 1.3
    mid_lon, mid_lat = (west + east) / 2, (south + north) / 2
    stretch = math.cos(math.radians(mid_lat))
    if lon_span * stretch / lat_span < WIDTH / HEIGHT:
        lon_span = lat_span * WIDTH / HEIGHT / stretch
    else:
        lat_span = lon_span * stretch * HEIGHT / WIDTH
    return Frame(mid_lon - lon_span / 2, mid_lat - lat_span / 2, mid_lon + lon_span / 2, mid_lat + lat_span / 2)


def _edge(x: float, y: float) -> tuple[float, float] | None:
    """Where the line from the map's centre towards (x, y) leaves the frame (inside the margin); None if
    (x, y) is inside."""
    lo_x, hi_x, lo_y, hi_y = MARGIN, WIDTH - MARGIN, MARGIN, HEIGHT - MARGIN
    if lo_x <= x <= hi_x and lo_y <= y <= hi_y:
        return None
    cx, cy = WIDTH / 2, HEIGHT / 2
    dx, dy = x - cx, y - cy
    t = min((hi_x - cx) / dx if dx > 0 else (lo_x - cx) / dx if dx < 0 else math.inf,
            (hi_y - cy) / dy if dy > 0 else (lo_y - cy) / dy if dy < 0 else math.inf)
    return round(cx + t * dx, 2), round(cy + t * dy, 2)


@dataclass(frozen=True)
class Label:
    text: str
    x: float
    y: float
    anchor: str  # "start", "middle" or "end"


def _label(text: str, x: float, y: float, anchor: str = "start") -> Label:
    """``text`` at (x, y), moved (or its anchor flipped) so that it stays inside the viewBox."""
    width = text_width(text)
    if anchor == "start" and x + width > WIDTH - 2:
        x, anchor = x - 16, "end"
    if anchor == "middle":
        x = min(max(x, width / 2 + 2), WIDTH - width / 2 - 2)
    elif anchor == "end":
        x = max(x, width + 2)
    else:
        x = max(x, 2.0)
    y = min(max(y, FONT_SIZE + 2.0), HEIGHT - 4.0)
    return Label(text, round(x, 2), round(y, 2), anchor)


def _box(label: Label) -> tuple[float, float, float, float]:
    width = text_width(label.text)
    left = label.x - width if label.anchor == "end" else label.x - width / 2 if label.anchor == "middle" else label.x
    return left, label.y - FONT_SIZE, left + width, label.y + 3


def _overlaps(box: tuple[float, float, float, float], taken: list[tuple[float, float, float, float]]) -> bool:
    return any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken)


@dataclass(frozen=True)
class Marker:
    kind: str  # "origin", "offmap", "hub" or "destination"
    x: float
    y: float
    title: str
    label: Label

    @property
    def corner(self) -> tuple[float, float]:
        """The top left corner of a 12 × 12 square centred on the marker."""
        return round(self.x - 6, 2), round(self.y - 6, 2)


@dataclass(frozen=True)
class Leg:
    kind: str  # "inbound" (origin → hub) or "outbound" (hub → destination)
    d: str
    stroke: float
    title: str
    label: Label | None


def tonnes(value: Decimal | float) -> str:
    return gettext("%(tonnes)s t") % {"tonnes": number_format(value, 1, use_l10n=True, force_grouping=True)}


def _curve(a: tuple[float, float], b: tuple[float, float]) -> tuple[str, tuple[float, float]] | None:
    """A gently bowed path from ``a`` to ``b`` and its middle point; None when they coincide."""
    (x0, y0), (x1, y1) = a, b
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy)
    if length < 1:
        return None
    cx, cy = (x0 + x1) / 2 - dy * 0.18, (y0 + y1) / 2 + dx * 0.18
    mid = (0.25 * x0 + 0.5 * cx + 0.25 * x1, 0.25 * y0 + 0.5 * cy + 0.25 * y1)
    return f"M{x0:.1f},{y0:.1f} Q{cx:.1f},{cy:.1f} {x1:.1f},{y1:.1f}", mid


MAX_LEGS = 150  # legs drawn per direction, largest first; the rest are in the table
MAX_LABELS = 10  # tonnage labels on the map, largest legs first; every leg keeps its tooltip
MAX_ROWS = 200  # rows of the table


def flow_map_context(user: Any, start: dt.date, end: dt.date, *, prefix: str = "flow-map") -> dict[str, Any]:
    """Everything ``dashboard/_flow_map.html`` draws, for ``user`` over ``start``..``end``: six queries, four when
    the flows come from the cache."""
    rows = flows(user, start, end)
    hub_ids = {f.hub_id for f in rows}
    hubs = {h.pk: h for h in Hub.objects.for_user(user).filter(Q(active=True) | Q(pk__in=hub_ids))
            .select_related("location")}
    places = {loc.pk: loc for loc in Location.objects.for_user(user).filter(
        pk__in={f.destination_id for f in rows})}
    where = anchors()
    for f in rows:
        f.hub, f.destination = hubs.get(f.hub_id), places.get(f.destination_id)

    inbound: dict[tuple[str, int], Decimal] = {}
    outbound: dict[tuple[int, int], Decimal] = {}
    by_origin: dict[str, Decimal] = {}
    hub_out: dict[int, Decimal] = {}
    by_destination: dict[int, Decimal] = {}
    for f in rows:
        if f.hub is None or f.destination is None:
            continue
        if f.origin in where:
            inbound[f.origin, f.hub_id] = inbound.get((f.origin, f.hub_id), Decimal(0)) + f.tonnes
            by_origin[f.origin] = by_origin.get(f.origin, Decimal(0)) + f.tonnes
        outbound[f.hub_id, f.destination_id] = outbound.get((f.hub_id, f.destination_id), Decimal(0)) + f.tonnes
        hub_out[f.hub_id] = hub_out.get(f.hub_id, Decimal(0)) + f.tonnes
        by_destination[f.destination_id] = by_destination.get(f.destination_id, Decimal(0)) + f.tonnes

    def at(location: Location) -> tuple[float, float]:
        return float(location.longitude), float(location.latitude)

    core = [at(h.location) for h in hubs.values()] + [at(places[d]) for d in by_destination]
    if core:
        west, east = min(p[0] for p in core) - NEAR_LON, max(p[0] for p in core) + NEAR_LON
        south, north = min(p[1] for p in core) - NEAR_LAT, max(p[1] for p in core) + NEAR_LAT
        near = [where[o] for o in by_origin if west <= where[o][0] <= east and south <= where[o][1] <= north]
    else:
        near = [where[o] for o in by_origin]
    frame = fit(core + near)

    def xy(lon: float, lat: float) -> tuple[float, float]:
        x, y = frame.xy(lon, lat)
        return round(x, 2), round(y, 2)

    names = country_names()
    markers: list[Marker] = []
    origin_xy: dict[str, tuple[float, float]] = {}
    for code in sorted(by_origin, key=lambda c: (-by_origin[c], c)):
        x, y = xy(*where[code])
        edge = _edge(x, y)
        name = names.get(code, code)
        title = gettext("%(origin)s (donor origin): %(tonnes)s") % {"origin": name, "tonnes": tonnes(by_origin[code])}
        if edge is None:
            origin_xy[code] = (x, y)
            markers.append(Marker("origin", x, y, title, _label(name, x + 8, y + 4)))
        else:
            origin_xy[code] = edge
            text = gettext("%(origin)s (off map)") % {"origin": name}
            anchor = "end" if edge[0] > WIDTH / 2 else "start"
            markers.append(Marker("offmap", *edge, title,
                                  _label(text, edge[0] + (-8 if anchor == "end" else 8), edge[1] - 8, anchor)))
    hub_xy: dict[int, tuple[float, float]] = {}
    for hub in sorted(hubs.values(), key=lambda h: h.code):
        x, y = hub_xy[hub.pk] = xy(*at(hub.location))
        title = gettext("%(hub)s (hub): %(tonnes)s through it") % {
            "hub": f"{hub.name} ({hub.code})", "tonnes": tonnes(hub_out.get(hub.pk, 0))}
        markers.append(Marker("hub", x, y, title, _label(hub.code, x + 9, y + 4)))
    place_xy: dict[int, tuple[float, float]] = {}
    for pk in sorted(by_destination, key=lambda p: places[p].unlocode):
        place = places[pk]
        x, y = place_xy[pk] = xy(*at(place))
        title = gettext("%(destination)s (destination): %(tonnes)s") % {
            "destination": str(place), "tonnes": tonnes(by_destination[pk])}
        markers.append(Marker("destination", x, y, title, _label(place.name, x + 8, y + 14)))

    top = max([*inbound.values(), *outbound.values()], default=Decimal(0))

    def stroke(value: Decimal) -> float:
        return round(max(MIN_STROKE, MAX_STROKE * float(value / top)), 2) if top else MIN_STROKE

    candidates: list[tuple[Decimal, str, tuple[float, float], tuple[float, float], str]] = []
    for (code, hub_id), value in sorted(inbound.items(), key=lambda kv: -kv[1])[:MAX_LEGS]:
        title = gettext("From %(origin)s to %(hub)s: %(tonnes)s") % {
            "origin": names.get(code, code), "hub": hubs[hub_id].name, "tonnes": tonnes(value)}
        candidates.append((value, "inbound", origin_xy[code], hub_xy[hub_id], title))
    for (hub_id, pk), value in sorted(outbound.items(), key=lambda kv: -kv[1])[:MAX_LEGS]:
        title = gettext("From %(hub)s to %(destination)s: %(tonnes)s") % {
            "hub": hubs[hub_id].name, "destination": places[pk].name, "tonnes": tonnes(value)}
        candidates.append((value, "outbound", hub_xy[hub_id], place_xy[pk], title))
    candidates.sort(key=lambda c: -c[0])  # the largest drawn first, under the smaller ones
    # Tonnage labels on the largest legs, none over a place's name or another label.
    taken = [_box(m.label) for m in markers]
    legs = []
    for value, kind, a, b, title in candidates:
        curve = _curve(a, b)
        if curve is None:
            continue
        d, (mx, my) = curve
        label: Label | None = _label(tonnes(value), mx, my - 4, "middle")
        if len(taken) - len(markers) >= MAX_LABELS or _overlaps(_box(label), taken):  # type: ignore[arg-type]
            label = None
        else:
            taken.append(_box(label))  # type: ignore[arg-type]
        legs.append(Leg(kind, d, stroke(value), title, label))

    total = sum((f.tonnes for f in rows), Decimal(0))
    withheld = sum((f.tonnes for f in rows if not f.origin), Decimal(0))
    legend = [(stroke(v), tonnes(v)) for v in (top, top / 2, top / 10)] if top else []
    title = gettext("Flows from %(start)s to %(end)s") % {
        "start": _day(start), "end": _day(end)}
    desc = gettext("Donor origins: %(origins)s; hubs: %(hubs)s; destinations: %(destinations)s. Allocated in "
                   "the period: %(total)s, of which %(withheld)s with the origin withheld. The table of flows "
                   "lists every figure.") % {
        "origins": len(by_origin), "hubs": len(hubs), "destinations": len(by_destination),
        "total": tonnes(total), "withheld": tonnes(withheld)}

    _link(rows[:MAX_ROWS])
    return {
        "prefix": prefix, "width": WIDTH, "height": HEIGHT, "transform": frame.transform,
        "countries": [c.path for c in world() if frame.shows(c.bbox)],
        "legs": legs, "markers": markers, "legend": legend, "title": title, "desc": desc,
        "rows": rows[:MAX_ROWS], "row_count": len(rows), "more_rows": max(len(rows) - MAX_ROWS, 0),
        "legs_left_out": max(len(inbound) - MAX_LEGS, 0) + max(len(outbound) - MAX_LEGS, 0),
        "total": total, "withheld": withheld, "start": start, "end": end, "empty": not rows,
        "oversees": principal(user).oversees,
    }


def _day(day: dt.date) -> str:
    return date_format(day, "DATE_FORMAT", use_l10n=True)


def _link(rows: list[Flow]) -> None:
    """The filtered lists behind a row: its allocation lines (donor and hub), the donor's pledges from that
    origin, the requirements delivered to that destination."""
    for f in rows:
        f.links["lines"] = reverse("allocation:allocationline_list") + "?" + urlencode(
            {"donor": str(f.donor_id), "hub": str(f.hub_id)})
        if f.origin:
            f.links["origin"] = reverse("pledges:pledge_list") + "?" + urlencode(
                {"organisation": str(f.donor_id), "origin_country": f.origin})
        if f.hub is not None:
            f.links["hub"] = reverse("locations:hub", args=[f.hub_id])
        if f.destination is not None:
            f.links["destination"] = reverse("requirements:requirement_list") + "?" + urlencode(
                {"destination": f.destination.unlocode})
