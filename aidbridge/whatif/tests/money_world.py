"""A world with exchange rates and financial pledges, for the tests of values in the reporting currency
(what-if exposure here; the dashboard and /transparency/, above, import it).

Rates: 1 EUR = 1.25 USD, dated five days before the suite's clock (11 March 2026), so 6 March 2026; no GBP rate.
On top of ``conftest.world``'s in-kind pledges (Germany 50 + 20 generators at 45,000 EUR, the US 50 at 45,000 USD
public since yesterday, and 5,000 kits at 120 EUR public only next year), the financial pledges are:

==========  ===========  =============  ===========================  ============
donor       amount       status         released                     key
==========  ===========  =============  ===========================  ============
US          1,000,000 $  committed      public, disclosed yesterday  us_public
US          5,000,000 $  announced      public from next year        us_later
Germany     2,000,000 €  disbursed      coalition                    de_coalition
Germany       300,000 £  announced      public, disclosed yesterday  de_pounds
Germany        50,000 €  withdrawn      coalition                    de_withdrawn
==========  ===========  =============  ===========================  ============
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from aidbridge.catalogue.models import ExchangeRate
from aidbridge.core import clock
from aidbridge.pledges import services as pledges

RATE_DATE = dt.date(2026, 3, 6)
USD_PER_EUR = Decimal("1.25")


def build(personas: Any) -> SimpleNamespace:
    today = clock.today()
    assert today - dt.timedelta(days=5) == RATE_DATE, "the suite's clock moved; the figures below assume it"
    ExchangeRate.objects.create(currency="USD", date=RATE_DATE, per_euro=USD_PER_EUR)
    ExchangeRate.objects.create(currency="USD", date=today + dt.timedelta(days=1), per_euro=Decimal("2"))  # future

    def money(actor: Any, amount: str, currency: str, **kw: Any) -> Any:
        return pledges.create_financial_pledge(actor=actor, amount=Decimal(amount), currency=currency,
                                               pledged_on=today, purpose="Budget support", **kw)

    yesterday, next_year = today - dt.timedelta(days=1), today + dt.timedelta(days=365)
    us, de = personas.donor_us, personas.donor_de
    withdrawn = money(de, "50000", "EUR", releasability="coalition")
    withdrawn = pledges.withdraw_financial_pledge(actor=de, pledge=withdrawn)
    return SimpleNamespace(
        us_public=money(us, "1000000", "USD", releasability="public", disclosure_date=yesterday, status="committed"),
        us_later=money(us, "5000000", "USD", releasability="public", disclosure_date=next_year),
        de_coalition=money(de, "2000000", "EUR", releasability="coalition", status="disbursed"),
        de_pounds=money(de, "300000", "GBP", releasability="public", disclosure_date=yesterday),
        de_withdrawn=withdrawn,
    )
