"""Property tests: whatever text and numbers the cells of a CSV hold, an import stores exactly them, and the same
file again changes nothing."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aidbridge.catalogue.models import Item
from aidbridge.interop.tests.helpers import csv_bytes, run

# Names as people type them: any printable text without control characters, trimmed, not empty.
NAME = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60).map(str.strip).filter(bool)
WEIGHT = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("99999"), places=6, allow_nan=False)
CLASS = st.sampled_from(["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"])
ROW = st.tuples(NAME, CLASS, WEIGHT)


class Rollback(Exception):
    pass


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=6))
def test_property_imported_items_hold_exactly_their_cells(world, personas, rows):
    table = [["code", "name", "supply_class", "weight_t"]]
    table += [[f"PROP-{i}", name, supply_class, str(weight)] for i, (name, supply_class, weight) in enumerate(rows)]
    content = csv_bytes(table)
    try:
        with transaction.atomic():  # each example starts from the same world
            report = run("items", content, personas.coordinator)
            assert report.ok and report.created == len(rows), report.lines()
            for i, (name, supply_class, weight) in enumerate(rows):
                item = Item.objects.get(code=f"PROP-{i}")
                assert (item.name, item.supply_class, item.weight_t) == (name.lstrip("'") if name.startswith(
                    "'") and name[1:2] in ("=", "+", "-", "@") else name, supply_class, weight)
            again = run("items", content, personas.coordinator)
            assert (again.created, again.updated, again.unchanged) == (0, 0, len(rows))
            raise Rollback
    except Rollback:
        pass
