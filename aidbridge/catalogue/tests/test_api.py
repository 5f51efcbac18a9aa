"""/api/v1/items."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aidbridge.catalogue.models import Item
from aidbridge.core.tests.api_helpers import (
    ListEndpointChecks,
    as_user,
    assert_not_found,
    assert_one_event,
    assert_refused,
    new_events,
)

NEW_ITEM = {"code": "RATION-24H", "name": "24-hour ration pack", "supply_class": "I", "unit": "box",
            "weight_t": "0.012", "nsn": "8970-01-321-9153", "fsc": "8970"}


class TestItemEndpoints(ListEndpointChecks):
    path = "/items"

    @pytest.fixture
    def target(self, world):
        return world.item

    def add_rows(self, world, personas, n):
        for i in range(n):
            Item.objects.create(code=f"EXTRA-{i}", name=f"Extra {i}", supply_class="II", weight_t=Decimal("1"))


def test_item_shows_its_nsn_written_4_2_3_4(personas, world):
    body = as_user(personas.donor_de).get(f"/items/{world.item.pk}").json()
    assert body["nsn"] == "6115-01-234-5678"
    assert (body["code"], body["supply_class"], body["fsc"]) == ("GEN-100KW", "VII", "6115")


@pytest.mark.parametrize("nsn", ["8970-01-321-9153", "8970013219153"])
def test_create_accepts_the_nsn_with_or_without_dashes_and_is_audited(personas, nsn):
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.post("/items", {**NEW_ITEM, "nsn": nsn})
    assert response.status_code == 201, response.content
    item = Item.objects.get(code="RATION-24H")
    assert item.nsn == "8970013219153"
    assert response.json()["nsn"] == "8970-01-321-9153"
    assert_one_event(events, "item.create", item)


@pytest.mark.parametrize("nsn", ["1234", "8970-01-321-915X", "0000-01-321-9153"])
def test_a_bad_nsn_is_refused_naming_the_field(personas, nsn):
    api = as_user(personas.coordinator)
    with new_events() as events:
        assert_refused(api.post("/items", {**NEW_ITEM, "nsn": nsn}), 422, field="nsn", events=events)
    assert not Item.objects.filter(code="RATION-24H").exists()


def test_an_nsn_outside_the_items_fsc_is_refused(personas):
    api = as_user(personas.coordinator)
    assert_refused(api.post("/items", {**NEW_ITEM, "fsc": "6115"}), 422, field="nsn")


@pytest.mark.parametrize(("field", "value"), [("supply_class", "XI"), ("unit", "barrel"), ("weight_t", "0"),
                                              ("weight_t", "heavy"), ("code", "GEN-100KW")])
def test_other_bad_values_are_refused_naming_the_field(personas, world, field, value):
    api = as_user(personas.coordinator)
    assert_refused(api.post("/items", {**NEW_ITEM, field: value}), 422, field=field)


def test_missing_fields_are_named(personas):
    body = assert_refused(as_user(personas.coordinator).post("/items", {"code": "X"}), 422)
    assert {"name", "supply_class", "weight_t"} <= set(body["errors"])


def test_only_coordinator_editors_create_items(personas):
    for persona in (personas.donor_de, personas.auditor, personas.outsider):
        api = as_user(persona)
        with new_events() as events:
            assert_refused(api.post("/items", NEW_ITEM), 403, events=events)
    assert not Item.objects.filter(code="RATION-24H").exists()


def test_patch_is_audited_and_normalises_the_nsn(personas, world):
    api = as_user(personas.coordinator)
    with new_events() as events:
        response = api.patch(f"/items/{world.item.pk}", {"nsn": "6115 01 234 9999", "name": "Generator"})
    assert response.status_code == 200, response.content
    world.item.refresh_from_db()
    assert (world.item.nsn, world.item.name) == ("6115012349999", "Generator")
    assert response.json()["nsn"] == "6115-01-234-9999"
    assert_one_event(events, "item.update", world.item)


def test_patch_with_a_bad_nsn_changes_nothing(personas, world):
    api = as_user(personas.coordinator)
    with new_events() as events:
        assert_refused(api.patch(f"/items/{world.item.pk}", {"nsn": "12"}), 422, field="nsn", events=events)
    world.item.refresh_from_db()
    assert world.item.nsn == "6115012345678"


def test_a_donor_sees_but_may_not_change_an_item(personas, world):
    api = as_user(personas.donor_de)
    with new_events() as events:
        assert_refused(api.patch(f"/items/{world.item.pk}", {"name": "Mine"}), 403, events=events)


def test_outsider_patching_an_item_gets_404(personas, world):
    api = as_user(personas.outsider)
    with new_events() as events:
        assert_not_found(api.patch(f"/items/{world.item.pk}", {"name": "Mine"}))
    assert events == []


def test_supply_class_filter_narrows_the_list(personas, world):
    api = as_user(personas.coordinator)
    assert [row["code"] for row in api.get("/items", {"supply_class": "VIII"}).json()["items"]] == ["MED-KIT"]
    assert [row["code"] for row in api.get("/items", {"q": "generator"}).json()["items"]] == ["GEN-100KW"]
    assert_refused(api.get("/items", {"supply_class": "XI"}), 422, field="supply_class")
