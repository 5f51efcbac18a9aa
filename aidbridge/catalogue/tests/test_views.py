from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from aidbridge.audit.models import AuditEvent
from aidbridge.catalogue import services as catalogue
from aidbridge.catalogue.models import Item


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def item_form(**overrides: object) -> dict[str, object]:
    data = {"code": "FUEL-JP8", "name": "Jet fuel JP-8", "supply_class": "III", "unit": "l", "weight_t": "0.0008",
            "nsn": "", "fsc": "", "description": ""}
    data.update(overrides)
    return data


def test_item_list_shows_the_catalogue(world, personas, login):
    html = login(personas.donor_de).get("/catalogue/").content.decode()
    assert "GEN-100KW" in html and "6115-01-234-5678" in html


def test_item_list_filters(world, personas, login):
    html = login(personas.coordinator).get("/catalogue/?supply_class=VIII").content.decode()
    assert "MED-KIT" in html and "GEN-100KW" not in html


def test_item_list_query_count_is_bounded(world, personas, login, django_assert_max_num_queries):
    for i in range(40):
        catalogue.create_item(actor=personas.coordinator, code=f"X-{i}", name=f"Thing {i}", supply_class="II",
                              unit="each", weight_t=Decimal("0.01"))
    client = login(personas.coordinator)
    with django_assert_max_num_queries(8):
        response = client.get("/catalogue/")
    assert response.content.decode().count("Thing ") == 40


def test_outsider_sees_no_items_and_gets_404(world, personas, login):
    client = login(personas.outsider)
    assert "GEN-100KW" not in client.get("/catalogue/").content.decode()
    assert client.get(reverse("catalogue:item", args=[world.item.pk])).status_code == 404
    assert client.get(reverse("catalogue:item_edit", args=[world.item.pk])).status_code == 404
    assert client.post(reverse("catalogue:item_edit", args=[world.item.pk]), item_form()).status_code == 404


def test_item_detail_shows_history_and_usage(world, personas, login):
    html = login(personas.coordinator).get(reverse("catalogue:item", args=[world.item.pk])).content.decode()
    assert "item.create" in html
    assert "?item=GEN-100KW" in html


def test_coordinator_creates_an_item_and_it_is_audited(world, personas, login):
    before = events("item.create")
    response = login(personas.coordinator).post("/catalogue/add/", item_form(nsn="9130-01-031-5816",
                                                                             fsc="9130"))
    item = Item.objects.get(code="FUEL-JP8")
    assert response.status_code == 302 and response["Location"] == reverse("catalogue:item", args=[item.pk])
    assert item.nsn == "9130010315816"
    assert events("item.create") == before + 1


def test_coordinator_edits_an_item_and_it_is_audited(world, personas, login):
    before = events("item.update")
    data = item_form(code="GEN-100KW", name="Generator 100 kW, diesel", supply_class="VII", unit="each",
                     weight_t="2.1", nsn="6115-01-234-5678", fsc="6115")
    response = login(personas.coordinator).post(reverse("catalogue:item_edit", args=[world.item.pk]), data)
    assert response.status_code == 302
    world.item.refresh_from_db()
    assert world.item.name == "Generator 100 kW, diesel"
    assert events("item.update") == before + 1


def test_edit_form_shows_the_nsn_written_4_2_3_4(world, personas, login):
    html = login(personas.coordinator).get(reverse("catalogue:item_edit", args=[world.item.pk])).content.decode()
    assert 'value="6115-01-234-5678"' in html


def test_a_bad_nsn_is_shown_next_to_the_field(world, personas, login):
    before = AuditEvent.objects.count()
    response = login(personas.coordinator).post("/catalogue/add/", item_form(nsn="1234-56"))
    assert response.status_code == 422
    assert "nsn" in response.context["form"].errors
    html = response.content.decode()
    assert 'id="id_nsn_errors"' in html and "is not an NSN" in html
    assert not Item.objects.filter(code="FUEL-JP8").exists()
    assert AuditEvent.objects.count() == before


def test_a_service_error_lands_on_its_field(world, personas, login):
    # The form accepts both codes; the service refuses an NSN whose class differs from the FSC.
    response = login(personas.coordinator).post("/catalogue/add/", item_form(nsn="9130-01-031-5816",
                                                                             fsc="6115"))
    assert response.status_code == 422
    assert "must match the FSC" in str(response.context["form"].errors["nsn"])


def test_a_donor_may_not_add_or_edit_items(world, personas, login):
    client = login(personas.donor_de)
    before = AuditEvent.objects.count()
    assert client.get("/catalogue/add/").status_code == 403
    assert client.post("/catalogue/add/", item_form()).status_code == 403
    response = client.post(reverse("catalogue:item_edit", args=[world.item.pk]), item_form())
    assert response.status_code == 403
    assert AuditEvent.objects.count() == before
    html = client.get(reverse("catalogue:item", args=[world.item.pk])).content.decode()
    assert reverse("catalogue:item_edit", args=[world.item.pk]) not in html
