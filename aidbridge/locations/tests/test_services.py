from __future__ import annotations

from decimal import Decimal

import pytest

from aidbridge.core.errors import ServiceError
from aidbridge.locations import services


@pytest.mark.parametrize(
    ("unlocode", "country"),
    [("PLRZE", "PL"), ("pl rze", "PL"), ("XX RZE", "XX"), ("PL RZE", "DE")],
)
def test_unlocode_must_be_well_formed_and_match_the_country(personas, unlocode, country):
    with pytest.raises(ServiceError) as exc:
        services.create_location(actor=personas.coordinator, unlocode=unlocode, name="x", country=country,
                                 latitude=Decimal("50"), longitude=Decimal("20"))
    assert "unlocode" in exc.value.errors or "country" in exc.value.errors


def test_hub_operator_must_be_a_hub_operator(world, personas):
    with pytest.raises(ServiceError) as exc:
        services.create_hub(actor=personas.coordinator, code="PL-X", name="x", location=world.lviv,
                            operator=personas.orgs["de"], capacity_t_per_week=Decimal("1"))
    assert "operator" in exc.value.errors


def test_lead_times_can_be_set_and_removed(world, personas):
    row = services.set_inbound_lead_time(actor=personas.coordinator, hub=world.hub, origin_country="FR", weeks=2)
    assert row is not None and row.weeks == 2
    services.set_inbound_lead_time(actor=personas.coordinator, hub=world.hub, origin_country="FR", weeks=None)
    assert not world.hub.inbound_lead_times.filter(origin_country="FR").exists()
    with pytest.raises(ServiceError):
        services.set_inbound_lead_time(actor=personas.coordinator, hub=world.hub, origin_country="FR", weeks=None)
