from __future__ import annotations

from decimal import Decimal

import pytest

from aidbridge.audit.models import AuditEvent
from aidbridge.catalogue import services
from aidbridge.catalogue.models import Item
from aidbridge.core.errors import NotPermitted, ServiceError


def _item(**kw):
    return {"code": "X-1", "name": "Thing", "supply_class": "II", "unit": "each", "weight_t": Decimal("0.1"), **kw}


def test_nsn_is_stored_as_digits_and_shown_4_2_3_4(personas):
    item = services.create_item(actor=personas.coordinator, **_item(nsn="6115-01-234-5678", fsc="6115"))
    assert item.nsn == "6115012345678" and item.nsn_display == "6115-01-234-5678"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"nsn": "6115-01-234-567"}, "nsn"),
        ({"nsn": "0000-01-234-5678"}, "nsn"),
        ({"fsc": "12"}, "fsc"),
        ({"fsc": "0000"}, "fsc"),
        ({"nsn": "6115-01-234-5678", "fsc": "6515"}, "nsn"),
        ({"weight_t": Decimal("0")}, "weight_t"),
        ({"supply_class": "XI"}, "supply_class"),
    ],
)
def test_bad_codes_are_refused_with_the_field_named(personas, fields, field):
    with pytest.raises(ServiceError) as exc:
        services.create_item(actor=personas.coordinator, **_item(**fields))
    assert field in exc.value.errors
    assert not Item.objects.exists()


def test_only_coordinator_editors_manage_the_catalogue(personas):
    with pytest.raises(NotPermitted):
        services.create_item(actor=personas.donor_de, **_item())
    with pytest.raises(NotPermitted):
        services.create_item(actor=personas.auditor, **_item())


def test_create_and_update_are_audited(personas):
    item = services.create_item(actor=personas.coordinator, **_item())
    services.update_item(actor=personas.coordinator, item=item, changes={"name": "Better thing"})
    assert list(AuditEvent.objects.for_object(item).values_list("action", flat=True)) == [
        "item.create", "item.update"]
