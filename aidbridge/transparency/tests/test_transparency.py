"""The public page shows released aggregates only: no unreleased record or value influences any number."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from django.test import Client

from aidbridge.accounts.models import Organisation
from aidbridge.audit import log
from aidbridge.pledges import services as pledges
from aidbridge.pledges.models import Pledge
from aidbridge.transparency.aggregates import csv_rows, summarise


def _csv(client: Client) -> list[list[str]]:
    response = client.get("/transparency/aidbridge-transparency.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_it_is_public_and_counts_only_disclosed_public_pledges(world, personas):
    response = Client().get("/transparency/")
    assert response.status_code == 200
    summary = summarise()
    assert summary.total.pledges == 1  # only world.pledge_public: public and disclosed yesterday
    assert summary.total.units == world.pledge_public.quantity
    # In the reporting currency (EUR); with no USD rate known, the value is kept apart as not converted.
    assert summary.total.value.currency == "EUR" and summary.total.value.amount == 0
    assert summary.total.value.missing == {"USD": world.pledge_public.unit_value * world.pledge_public.quantity}
    assert [row.key for row in summary.by_donor] == ["us-dod"]


def test_no_unreleased_record_or_value_changes_any_number(world, personas):
    before = _csv(Client())
    # Add and change everything that is not released: coalition, coordinator-only and not-yet-disclosed pledges.
    today = dt.date.today()
    for releasability, disclosure in [("coalition", None), ("coordinators", None),
                                      ("public", today + dt.timedelta(days=3))]:
        pledge = pledges.create_pledge(
            actor=personas.donor_de, item=world.item, quantity=999, available_from=today, origin_country="DE",
            unit_value=Decimal("123456"), currency="GBP", funding_source="procurement",
            releasability=releasability, disclosure_date=disclosure)
        pledges.commit_pledge(actor=personas.donor_de, pledge=pledge)
    pledges.update_pledge(actor=personas.donor_de, pledge=world.pledge_coalition,
                          changes={"unit_value": Decimal("1"), "quantity": 7})
    Pledge.objects.filter(pk=world.pledge_public_later.pk).update(unit_value=Decimal("99999"))
    assert _csv(Client()) == before


def test_released_changes_do_show(world, personas):
    before = summarise().total.units
    pledges.update_pledge(actor=personas.donor_us, pledge=world.pledge_public, changes={"quantity": 60})
    assert summarise().total.units == before + 10


def test_withdrawn_pledges_are_not_counted(world, personas):
    pledges.withdraw_pledge(actor=personas.donor_us, pledge=world.pledge_public)
    assert summarise().total.pledges == 0


def test_csv_has_every_dimension(world):
    rows = csv_rows(summarise())
    assert rows[0][:3] == ["dimension", "key", "label"]
    assert {r[0] for r in rows[1:]} == {"donor", "supply_class", "month", "total", "financial_status",
                                        "financial_total"}


def test_a_cell_that_looks_like_a_formula_is_escaped_in_the_csv(world, personas):
    """OWASP CSV injection: a donor named like a formula must reach the spreadsheet as text."""
    payload = "=cmd|' /C calc'!A0"
    Organisation.objects.filter(pk=personas.orgs["us"].pk).update(name=payload)
    donor_rows = [r for r in _csv(Client()) if r[0] == "donor"]
    assert [r[2] for r in donor_rows] == ["'" + payload]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in _csv(Client()) for cell in r)


def test_the_latest_signed_checkpoint_is_shown_for_anyone_to_keep(db, client, tmp_path, monkeypatch):
    monkeypatch.setenv("AIDBRIDGE_LOG_KEY", str(tmp_path / "log_key"))
    assert "No checkpoint has been signed yet." in client.get("/transparency/").content.decode()
    checkpoint = log.make_checkpoint()
    page = client.get("/transparency/").content.decode()
    assert checkpoint.root_hash in page and checkpoint.signature in page and checkpoint.key_id in page
    assert log.as_dict(checkpoint)["timestamp"] in page
