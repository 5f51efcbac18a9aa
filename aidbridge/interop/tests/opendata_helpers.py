"""Helpers shared by the open-data tests (IATI, FTS, HXL, safe XML): the real files and a superuser importer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from aidbridge.accounts import services as accounts
from aidbridge.pledges import services as pledges

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "data"
IATI_REAL = SHARED / "iati" / "real-activities"
FTS_JORDAN = SHARED / "aid-flows" / "ocha-fts" / "fts_incoming_funding_jor.csv"
CORPUS = Path(__file__).resolve().parent / "corpus" / "xml"


def real_iati_files() -> list[Path]:
    return sorted(IATI_REAL.glob("*.xml")) if IATI_REAL.is_dir() else []


needs_iati = pytest.mark.skipif(
    not real_iati_files(), reason=f"real IATI activity files absent ({IATI_REAL}); they are not shipped with Aidbridge")
needs_fts = pytest.mark.skipif(
    not FTS_JORDAN.is_file(), reason=f"OCHA FTS Jordan 2020 flows absent ({FTS_JORDAN}); not shipped with Aidbridge")


def superuser(username: str = "importer") -> Any:
    """The platform superuser: may record pledges for any donor and add organisations (as `--as` an admin)."""
    return get_user_model().objects.create_superuser(username=username, password="x" * 20)


def name_donors(personas: Any) -> None:
    """Give the two coalition donors IATI organisation identifiers (the persona fixtures have none)."""
    for key, identifier in (("de", "XM-DAC-5"), ("us", "XM-DAC-302")):
        accounts.update_organisation(actor=personas.coordinator, organisation=personas.orgs[key],
                                     changes={"iati_identifier": identifier})


def money_pledge(actor: Any, *, releasability: str = "public", disclosure: dt.date | None = None, **fields: Any) -> Any:
    """A financial pledge by ``actor``'s donor (public and disclosed since yesterday unless told otherwise)."""
    defaults: dict[str, Any] = dict(amount=Decimal("250000.00"), currency="EUR", pledged_on=dt.date(2026, 2, 3),
                                    sector="72010", purpose="Winter relief", recipient_country="UA")
    if releasability == "public":
        defaults["disclosure_date"] = disclosure or dt.date(2026, 3, 10)
    return pledges.create_financial_pledge(actor=actor, releasability=releasability, **{**defaults, **fields})
