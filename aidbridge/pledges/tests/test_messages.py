"""A pledge's quantity gets the same one message per rule as a requirement's, in the form, the API and the service."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from aidbridge.core.errors import ServiceError
from aidbridge.core.fields import QUANTITY_NOT_WHOLE, QUANTITY_TOO_LARGE, QUANTITY_TOO_SMALL
from aidbridge.core.tests.api_helpers import as_user
from aidbridge.pledges import services

FIELDS = {"available_from": "2026-03-11", "origin_country": "DE", "unit_value": "10", "currency": "EUR",
          "funding_source": "procurement", "releasability": "coalition"}


@pytest.mark.parametrize(("quantity", "message"), [
    (0, QUANTITY_TOO_SMALL), (2**63, QUANTITY_TOO_LARGE), ("twelve", QUANTITY_NOT_WHOLE),
])
def test_pledge_quantity_messages(personas, world, login, quantity, message):
    api = as_user(personas.donor_de)
    created = api.post("/pledges", {"item": world.item.pk, "quantity": quantity, **FIELDS})
    assert created.json()["errors"] == {"quantity": [message]}
    patched = api.patch(f"/pledges/{world.pledge_coordinators.pk}", {"quantity": quantity})
    assert patched.json()["errors"] == {"quantity": [message]}
    page = login(personas.donor_de).post("/pledges/add/", {"item": world.item.pk, "quantity": quantity, **FIELDS})
    assert page.status_code == 422
    errors = re.findall(r'<ul class="field-errors"[^>]*><li>(.*?)</li>', page.content.decode())
    assert errors == [message]
    if isinstance(quantity, int):
        with pytest.raises(ServiceError) as refused:
            services.create_pledge(actor=personas.donor_de, item=world.item, quantity=quantity,
                                   available_from=world.pledge_coalition.available_from, origin_country="DE",
                                   unit_value=Decimal("10"), currency="EUR", funding_source="procurement")
        assert refused.value.errors == {"quantity": [message]}
