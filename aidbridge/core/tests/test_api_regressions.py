"""Bugs the schemathesis run (``test_fuzz_api.py``) found, each pinned by a focused test.

Each test names the bug as it was: the request, and the wrong answer it got on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from aidbridge.core.tests.api_helpers import API, as_user

BEYOND_BIGINT = 2**63  # one past the largest id a 64-bit column holds
HUGE = 44871855011581236440782077952  # the offset schemathesis first sent
pytestmark = pytest.mark.django_db


def _assert_422(response: Any, field: str) -> None:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"]
    assert field in body["errors"], body


def _item(**changes: Any) -> dict[str, Any]:
    return {"code": "NEW-1", "name": "New item", "supply_class": "VII", "weight_t": "1.5", **changes}


# --- ?offset= past the database's integer range -------------------------------------------------------------

@pytest.mark.parametrize("offset", [HUGE, BEYOND_BIGINT, 2**31])
def test_offset_past_the_integer_range_is_422(personas: Any, offset: int) -> None:
    """Was: GET /organisations?offset=44871855011581236440782077952 answered 409 on SQLite ("datatype
    mismatch", an IntegrityError) and 500 on PostgreSQL ("bigint out of range"). The schema now documents a
    maximum offset (2**31 - 1), far past any real list."""
    _assert_422(as_user(personas.coordinator).get("/organisations", {"offset": offset}), "offset")


def test_the_largest_offset_still_pages(personas: Any) -> None:
    body = as_user(personas.coordinator).get("/organisations", {"offset": 2**31 - 1}).json()
    assert body["items"] == [] and body["count"] > 0


# --- a body that is not JSON ---------------------------------------------------------------------------------

def test_unparseable_json_body_is_a_documented_400(personas: Any) -> None:
    """Was: POST /items with the body ``\\x1f`` answered 400, a status the schema did not document."""
    api = as_user(personas.coordinator)
    response = api.client.post(f"{API}/items", b"\x1f", content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["detail"]


def test_every_operation_with_a_body_documents_400(client: Any) -> None:
    schema = client.get(f"{API}/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorOut"
                }, f"{method.upper()} {path}"


# --- id filters past the database's integer range ------------------------------------------------------------

@pytest.mark.parametrize(
    "path, param",
    [
        ("/allocations", "requirement"),
        ("/allocations", "pledge"),
        ("/allocations", "hub"),
        ("/hubs", "organisation"),
        ("/pledges", "organisation"),
        ("/requirements", "organisation"),
    ],
)
@pytest.mark.parametrize("value", [-74136809667494427588820992, BEYOND_BIGINT])
def test_id_filter_past_the_integer_range_is_422(personas: Any, path: str, param: str, value: int) -> None:
    """Was: GET /allocations?requirement=-74136809667494427588820992 answered 500 (OverflowError on SQLite,
    "bigint out of range" on PostgreSQL): a FilterSet's NumberFilter passed any integer to the database."""
    _assert_422(as_user(personas.coordinator).get(path, {param: value}), param)


def test_the_largest_id_filter_finds_nothing(personas: Any, allocate_line: Any) -> None:
    allocate_line(5)
    body = as_user(personas.coordinator).get("/allocations", {"pledge": BEYOND_BIGINT - 1}).json()
    assert body == {"count": 0, "items": []}


@pytest.mark.parametrize("value", [BEYOND_BIGINT, -BEYOND_BIGINT - 1, HUGE])
def test_ids_past_the_integer_range_elsewhere_are_404_or_422(personas: Any, world: Any, value: int) -> None:
    """A guard rather than a bug: ids in paths and bodies never overflowed (Django's integer lookups skip
    the database for values out of the column's range), and must not start to."""
    api = as_user(personas.coordinator)
    assert api.get(f"/items/{value}").status_code == 404
    assert api.patch(f"/pledges/{value}", {"notes": "x"}).status_code == 404
    _assert_422(api.post("/hubs", {"code": "NEW-1", "name": "New hub", "location": value,
                                   "operator": personas.orgs["pl"].pk, "capacity_t_per_week": "10"}), "location")
    donor = as_user(personas.donor_de)
    _assert_422(donor.patch(f"/pledges/{world.pledge_coalition.pk}", {"quantity": value}), "quantity")


# --- ?item= (an id or a code) --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/pledges", "/requirements"])
@pytest.mark.parametrize("value", ["²", "٣", "9" * 20, str(BEYOND_BIGINT), "1" * 5000])
def test_item_filter_that_is_digits_but_no_id_is_422(personas: Any, path: str, value: str) -> None:
    """Was: GET /pledges?item=² answered 500 (``"²".isdigit()`` but ``int("²")`` raises), and
    ?item=99999999999999999999 overflowed the database (500)."""
    _assert_422(as_user(personas.coordinator).get(path, {"item": value}), "item")


@pytest.mark.parametrize("path", ["/pledges", "/requirements"])
def test_item_filter_still_takes_an_id_or_a_code(personas: Any, world: Any, path: str) -> None:
    api = as_user(personas.coordinator)
    by_id = api.get(path, {"item": str(world.item.pk)}).json()
    by_code = api.get(path, {"item": world.item.code}).json()
    assert by_id["count"] == by_code["count"] > 0
    assert api.get(path, {"item": "0" * 30 + str(world.item.pk)}).json()["count"] == by_id["count"]


# --- text no database can store -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["a\x00b", "\x00"])
def test_nul_in_a_json_body_is_422(personas: Any, world: Any, text: str) -> None:
    """Was: POST /items with a NUL character in ``name`` answered 500 on PostgreSQL ("A string literal cannot
    contain NUL (0x00) characters"); SQLite stored it."""
    api = as_user(personas.coordinator)
    _assert_422(api.post("/items", _item(name=text)), "name")
    _assert_422(api.patch(f"/organisations/{personas.orgs['de'].pk}", {"name": text}), "name")
    _assert_422(api.patch(f"/pledges/{world.pledge_coalition.pk}", {"notes": text}), "notes")


def test_nul_in_a_query_filter_is_422(personas: Any, world: Any) -> None:
    """A guard rather than a bug: the FilterSets' form fields already refused NUL in a text filter; the
    query schema now refuses it first, naming the filter, like every other text input."""
    api = as_user(personas.coordinator)
    _assert_422(api.get("/items", {"q": "a\x00"}), "q")
    _assert_422(api.get("/organisations", {"country": "D\x00"}), "country")
    _assert_422(api.get("/pledges", {"item": "GEN\x00"}), "item")


def test_nul_in_a_path_parameter_is_422(personas: Any, world: Any) -> None:
    """Was: PUT /hubs/{id}/lead-times/inbound/D%00E answered 500 on PostgreSQL: the service looked the route
    up by country before validating it."""
    response = as_user(personas.coordinator).put(
        f"/hubs/{world.hub.pk}/lead-times/inbound/D%00E", {"weeks": 2}
    )
    _assert_422(response, "country")


def test_nul_in_a_form_field_is_422(personas: Any, world: Any) -> None:
    """Was: POST /pledges/{id}/documents with a NUL in ``title`` answered 500 on PostgreSQL."""
    api = as_user(personas.donor_de)
    path = f"/pledges/{world.pledge_coalition.pk}/documents"
    _assert_422(api.upload(path, {"title": "Offer\x00", "url": "https://example.org/offer"}), "title")
    _assert_422(api.upload(path, {"title": "Offer", "url": "https://example.org/\x00"}), "url")
    assert api.upload(path, {"title": "Offer", "url": "https://example.org/offer"}).status_code == 201


def test_lone_surrogate_in_a_json_body_is_422(personas: Any) -> None:
    """Was: a JSON string holding a lone surrogate (``"\\ud800"``) answered 500 on both databases
    (UnicodeEncodeError when the driver encoded it)."""
    api = as_user(personas.coordinator)
    body = json.dumps(_item(name="x")).replace('"x"', '"\\ud800"')
    response = api.client.post(f"{API}/items", body, content_type="application/json")
    _assert_422(response, "name")
