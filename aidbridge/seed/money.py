"""Money in the seed scenario: financial pledges beside the in-kind ones, and the exchange rates that total them.

The rates are ECB-style reference rates (units per euro, each business day) for the currencies the donors use,
around the scenario's illustrative values (:data:`aidbridge.seed.catalogue.EUR_PER_UNIT`), for the thirteen
months before the scenario's day. They are written as the ECB's history CSV would be and imported by the
coordinator through :func:`aidbridge.catalogue.services.import_ecb_rates`, as an administrator would.

Financial pledges are announced by each donor's liaison on their day and walked through their lifecycle on the
days it happened (the scenario's clock moved there), some public and disclosed, some public later, most for the
coalition or the coordinators only.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

from aidbridge.catalogue import services as catalogue
from aidbridge.core import clock
from aidbridge.pledges import services as pledges
from aidbridge.pledges.models import FinancialPledge
from aidbridge.seed import catalogue as ref

if TYPE_CHECKING:
    from aidbridge.seed.scenario import World

SEED = 20241015
RATE_DAYS = 400  # about thirteen months of business days
CLOSED = {(1, 1), (5, 1), (12, 25), (12, 26)}  # TARGET holidays that fall on fixed dates: no reference rate
FINANCIAL_DONORS = ("us-dod", "de-mod", "gb-mod", "nl-mod", "no-mod", "dk-mod", "ca-dnd", "se-mod", "pl-mod")
PLANS = {"announced": 25, "committed": 35, "disbursed": 32, "withdrawn": 8}
RELEASABILITY = {"coordinators": 20, "coalition": 45, "public": 35}
# OECD DAC purpose codes (IATI sector vocabulary 1) and the programmes the scenario funds under each.
PROGRAMMES = (
    ("72010", "Material relief: winter fuel and heating"),
    ("72040", "Emergency food assistance for front-line communities"),
    ("73010", "Immediate repair of energy infrastructure"),
    ("15250", "Removal of land mines and explosive remnants of war"),
    ("12191", "Field hospitals and medical evacuation"),
    ("15220", "Civilian protection and conflict resolution"),
    ("23630", "Electric power transmission repairs"),
)
PER_EURO_PLACES = Decimal("0.0001")
ROUND_TO = 50_000  # amounts are whole multiples of this, in the donor's currency
SCALE_DONOR = "de-mod"  # amounts drawn for this donor as they are; others scaled by their share of value to its


def _per_euro(currency: str) -> Decimal:
    return (Decimal(1) / ref.EUR_PER_UNIT[currency]).quantize(PER_EURO_PLACES, rounding=ROUND_HALF_EVEN)


def _business_days(today: dt.date) -> list[dt.date]:
    """Days with a reference rate before ``today`` (the day's rate is published in the afternoon), newest first."""
    days: list[dt.date] = []
    day = today - dt.timedelta(days=1)
    while len(days) < RATE_DAYS * 5 // 7:
        if day.weekday() < 5 and (day.month, day.day) not in CLOSED:
            days.append(day)
        day -= dt.timedelta(days=1)
    return days


def rates_csv(today: dt.date, rng: random.Random) -> bytes:
    """The ECB history layout (``eurofxref-hist.csv``) for the donors' currencies, drifting gently day by day."""
    currencies = sorted({donor.currency for donor in ref.DONORS} - {"EUR"})
    level = {code: _per_euro(code) for code in currencies}
    rows = []
    for day in _business_days(today):  # walking back in time from today's level
        rows.append(f"{day:%Y-%m-%d}," + ",".join(f"{level[code]:f}" for code in currencies) + ",")
        for code in currencies:
            step = Decimal(rng.randint(-30, 30)) / Decimal(10000)
            level[code] = (level[code] * (1 + step / 10)).quantize(PER_EURO_PLACES, rounding=ROUND_HALF_EVEN)
    return ("Date," + ",".join(currencies) + ",\n" + "\n".join(rows) + "\n").encode()


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def load_money(world: World, *, today: dt.date) -> dict[str, int]:
    """Import the rates, then announce and move the financial pledges. Returns what it wrote, by kind."""
    rng = random.Random(SEED)
    report = catalogue.import_ecb_rates(actor=world.users["coordinator"], content=rates_csv(today, rng),
                                        filename="eurofxref-hist.csv")
    currency = {donor.org.short_name: donor.currency for donor in ref.DONORS}
    # Money follows each donor's share of value, as goods do, so the largest donor stays the largest overall.
    share = {donor.org.short_name: Decimal(str(donor.share)) for donor in ref.DONORS}
    count = public = 0
    for short in FINANCIAL_DONORS:
        actor = world.donor_users[short]
        for _ in range(rng.randint(2, 4)):
            sector, purpose = rng.choice(PROGRAMMES)
            pledged = today - dt.timedelta(days=rng.randint(20, 330))
            releasability = _pick(rng, RELEASABILITY)
            disclosure = None
            if releasability == "public":
                # Most public pledges are disclosed a week or two after they were made; one in four next quarter.
                public += 1
                disclosure = (today + dt.timedelta(days=rng.randint(14, 90)) if public % 4 == 2
                              else pledged + dt.timedelta(days=rng.randint(7, 14)))
            drawn = Decimal(rng.randrange(250, 60000, 50)) * 1000 * share[short] / share[SCALE_DONOR]
            amount = max(1, int((drawn / ROUND_TO).to_integral_value(rounding=ROUND_HALF_EVEN))) * Decimal(ROUND_TO)
            with clock.at(_at(pledged, 10)):
                pledge = pledges.create_financial_pledge(
                    actor=actor, amount=amount, currency=currency[short], pledged_on=pledged, sector=sector,
                    purpose=purpose, recipient_country="UA", releasability=releasability, disclosure_date=disclosure)
            plan = _pick(rng, PLANS)
            day = pledged
            for step in {"announced": (), "committed": ("committed",), "disbursed": ("committed", "disbursed"),
                         "withdrawn": ("withdrawn",)}[plan]:
                day = min(today - dt.timedelta(days=1), day + dt.timedelta(days=rng.randint(5, 60)))
                with clock.at(_at(day, 11)):
                    move = pledges.MONEY_TRANSITIONS[FinancialPledge.Status(step)]
                    pledge = move(actor=actor, pledge=pledge, on=day)
            count += 1
    return {"exchange_rates": report.created, "financial_pledges": count}
