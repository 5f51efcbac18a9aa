"""Stored perturbations: validation names the index and field, plain words, and the engine's form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from aidbridge.whatif.perturbations import describe, to_engine, validate_stored

START = dt.date(2026, 3, 11)  # a Wednesday: week 0 starts on Monday 9 March


def _messages(perturbations) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        validate_stored(perturbations)
    return exc.value.messages


def test_defaults_are_filled_and_ids_normalised(world, personas):
    de = personas.orgs["de"]
    stored = validate_stored([
        {"kind": "withdraw_donor", "donor": str(de.pk)},
        {"kind": "close_hub", "hub": world.hub.pk, "from_date": dt.date(2026, 4, 1)},
        {"kind": "lead_time", "leg": "in", "weeks": 2},
        {"kind": "demand_surge", "supply_class": "VII", "share": "0.25"},
    ])
    assert stored == [
        {"kind": "withdraw_donor", "donor": de.pk, "from_date": None, "lose_allocated": True},
        {"kind": "close_hub", "hub": world.hub.pk, "cut": 1.0, "from_date": "2026-04-01", "to_date": None},
        {"kind": "lead_time", "leg": "in", "origin": "*", "hub": "*", "weeks": 2},
        {"kind": "demand_surge", "item": None, "supply_class": "VII", "share": 0.25},
    ]
    assert validate_stored(stored) == stored  # idempotent


def test_errors_name_the_index_the_kind_and_the_field(world, personas):
    messages = _messages([
        {"kind": "delay_donor", "donor": personas.orgs["de"].pk, "weeks": 3},
        {"kind": "close_hub", "hub": 999999},
        {"kind": "withdraw_donor", "donor": personas.orgs["ua"].pk},
        {"kind": "demand_surge", "item": world.item.pk, "supply_class": "V", "share": 0.1},
        {"kind": "teleport"},
        {"kind": "delay_donor", "donor": personas.orgs["de"].pk, "weeks": 60},
        {"kind": "close_hub", "hub": world.hub.pk, "cut": 0},
        {"kind": "close_hub", "hub": world.hub.pk, "from_date": "2026-05-01", "to_date": "2026-04-01"},
        {"kind": "lead_time", "leg": "sideways", "weeks": 1},
        {"kind": "lead_time", "leg": "in", "origin": "XX", "weeks": 1},
        {"kind": "withdraw_donor", "donor": personas.orgs["de"].pk, "from_date": "soon"},
        {"kind": "demand_surge", "supply_class": "V", "share": 6},
        {"kind": "close_hub", "hub": world.hub.pk, "colour": "red"},
        "not an object",
    ])
    assert messages == [
        "perturbations[1] (close_hub): hub 999999 does not exist.",
        f"perturbations[2] (withdraw_donor): donor {personas.orgs['ua'].pk} is not a donor organisation.",
        "perturbations[3] (demand_surge): give either item or supply_class (exactly one).",
        "perturbations[4]: kind “teleport” is not one of withdraw_donor, delay_donor, close_hub, lead_time, "
        "demand_surge.",
        "perturbations[5] (delay_donor): weeks must be a whole number from 1 to 52, not 60.",
        "perturbations[6] (close_hub): cut must be more than 0 and at most 1 (1 = closed), not 0.",
        "perturbations[7] (close_hub): to_date 2026-04-01 is before from_date 2026-05-01.",
        "perturbations[8] (lead_time): leg must be “in” (origin → hub) or “out” (hub → destination), not 'sideways'.",
        "perturbations[9] (lead_time): origin “XX” is not an ISO 3166 country code (or “*”).",
        "perturbations[10] (withdraw_donor): from_date “soon” is not a date (YYYY-MM-DD).",
        "perturbations[11] (demand_surge): share must be more than 0 and at most 5 (+500%), not 6.",
        "perturbations[12] (close_hub): unknown field colour.",
        "perturbations[13]: expected an object with a “kind”.",
    ]


def test_a_list_is_required(db):
    assert _messages({"kind": "close_hub"}) == ["perturbations: expected a list of perturbations."]
    assert validate_stored(None) == [] and validate_stored(()) == []


def test_to_engine_uses_codes_and_weeks_from_the_start_monday(world, personas):
    de, us = personas.orgs["de"], personas.orgs["us"]
    stored = [
        {"kind": "withdraw_donor", "donor": de.pk, "from_date": "2026-04-01", "lose_allocated": False},
        {"kind": "withdraw_donor", "donor": us.pk, "from_date": None},
        {"kind": "delay_donor", "donor": de.pk, "weeks": 4},
        {"kind": "close_hub", "hub": world.hub.pk, "cut": 0.5, "from_date": "2026-03-01", "to_date": "2026-03-23"},
        {"kind": "close_hub", "hub": world.hub_ro.pk, "to_date": "2026-03-01"},  # over before week 0: dropped
        {"kind": "lead_time", "leg": "in", "origin": "DE", "hub": world.hub.pk, "weeks": 2},
        {"kind": "lead_time", "leg": "out", "hub": "*", "destination": world.lviv.pk, "weeks": 1},
        {"kind": "demand_surge", "item": world.other_item.pk, "share": 0.25},
        {"kind": "demand_surge", "supply_class": "VII", "share": 1},
    ]
    assert to_engine(stored, start_date=START) == [
        {"kind": "withdraw_donor", "donor": str(de.pk), "from_week": 3, "lose_allocated": False},
        {"kind": "withdraw_donor", "donor": str(us.pk), "from_week": 0, "lose_allocated": True},
        {"kind": "delay_donor", "donor": str(de.pk), "weeks": 4},
        {"kind": "close_hub", "hub": "PL-RZE", "cut": 0.5, "from_week": 0, "to_week": 2},
        {"kind": "lead_time", "leg": "in", "from": "DE", "to": "PL-RZE", "weeks": 2},
        {"kind": "lead_time", "leg": "out", "from": "*", "to": "UA-LWO", "weeks": 1},
        {"kind": "demand_surge", "items": ["MED-KIT"], "share": 0.25},
        {"kind": "demand_surge", "items": ["GEN-100KW"], "share": 1.0},
    ]


def test_describe_says_it_in_plain_words(world, personas):
    de = personas.orgs["de"]
    assert describe({"kind": "withdraw_donor", "donor": de.pk, "from_date": None, "lose_allocated": True}) == (
        "Germany — Federal Ministry of Defence withdraws everything not yet moved; approved but undispatched "
        "allocations are lost too")
    assert describe({"kind": "withdraw_donor", "donor": de.pk, "from_date": "2026-04-01",
                     "lose_allocated": False}) == (
        "Germany — Federal Ministry of Defence withdraws what it has not dispatched by 1 Apr 2026; approved "
        "allocations are still delivered")
    assert describe({"kind": "delay_donor", "donor": de.pk, "weeks": 1}) == (
        "Germany — Federal Ministry of Defence delays its deliveries by 1 week")
    assert describe({"kind": "close_hub", "hub": world.hub.pk, "cut": 1.0, "from_date": None, "to_date": None}) == (
        "PL-RZE Rzeszów hub closes for the whole horizon")
    assert describe({"kind": "close_hub", "hub": world.hub.pk, "cut": 0.4, "from_date": "2026-04-01",
                     "to_date": "2026-04-30"}) == (
        "PL-RZE Rzeszów hub loses 40% of its capacity from 1 Apr 2026 to 30 Apr 2026")
    assert describe({"kind": "lead_time", "leg": "in", "origin": "DE", "hub": "*", "weeks": 2}) == (
        "Lead times from DE to all hubs rise by 2 weeks")
    assert describe({"kind": "lead_time", "leg": "out", "hub": world.hub.pk, "destination": world.lviv.pk,
                     "weeks": 2}) == "Lead times from PL-RZE Rzeszów hub to Lviv rise by 2 weeks"
    assert describe({"kind": "demand_surge", "item": world.item.pk, "supply_class": None, "share": 0.25}) == (
        "Demand for Generator 100 kW (GEN-100KW) rises by 25%")
    assert describe({"kind": "demand_surge", "item": None, "supply_class": "V", "share": 1.5}) == (
        "Demand for supply class V — Ammunition rises by 150%")


@pytest.mark.parametrize(("perturbation", "message"), [
    ({"kind": "close_hub", "hub": 1.5}, "hub “1.5” is not an id."),
    ({"kind": "close_hub", "hub": float("inf")}, "hub “inf” is not an id."),
    ({"kind": "close_hub", "hub": [1]}, "hub “[1]” is not an id."),
    ({"kind": "close_hub", "hub": 2**70}, f"hub {2**70} does not exist."),
    ({"kind": "lead_time", "leg": "in", "weeks": "abc"}, "weeks “abc” is not a number."),
    ({"kind": "lead_time", "leg": "in", "weeks": float("inf")}, "weeks must be a finite number."),
    ({"kind": "lead_time", "leg": "in", "weeks": 1.5}, "weeks must be a whole number from 1 to 52, not 1.5."),
    ({"kind": "withdraw_donor", "donor": True}, "donor is required."),
])
def test_odd_values_are_refused_cleanly(db, perturbation, message):
    assert _messages([perturbation]) == [f"perturbations[0] ({perturbation['kind']}): {message}"]
