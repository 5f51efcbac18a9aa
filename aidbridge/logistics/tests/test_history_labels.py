"""A shipment's history names the allocations on board (pledge → requirement), never raw allocation-line ids."""

from __future__ import annotations

import re


def test_a_shipment_history_names_its_lines_by_pledge_and_requirement(legs, world, personas, login):
    page = login(personas.coordinator).get(f"/shipments/{legs.inbound.pk}/").content.decode()
    history = page[page.index('id="history-heading"'):]
    assert f"{world.pledge_coalition.reference} → {world.requirement.reference}: 10" in history
    assert not re.search(r"\[\[\d+, \d+\]\]", history)
