"""Reference data of the seed scenario: places, organisations, routes and the item catalogue.

Everything here is illustrative demo data written for Aidbridge. UN/LOCODEs and their coordinates are
real (UN/LOCODE, geocoded); NSNs have a real Federal Supply Class as their first four digits, but their
serial parts are made up. Unit values are rough list prices in EUR, for demonstration only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

DEMO_PASSWORD = "aidbridge-demo"  # demo only: every persona of the demo shares it

# The source article (Tempo.co, 14 Oct 2024, after Reuters). Its text is third-party copyright and is not
# shipped: the seed refers to it by URL and records the SHA-256 of the copy that was read.
ARTICLE_TITLE = (
    "Tempo.co, 14 Oct 2024 — NATO's Wiesbaden command (NSATU) to coordinate assistance to Ukraine (after Reuters)"
)
ARTICLE_URL = "https://www.tempo.co/internasional/sekjen-nato-rutte-kunjungi-wiesbaden-nsatu-ukraina"
ARTICLE_SHA256 = "0f44db3d79c5132c7e15a821f8ac919ac87183817dec6b09685e932e80f93bb3"
ARTICLE_ENV = "AIDBRIDGE_SEED_ARTICLE"

# Illustrative conversion to EUR, used to size donor shares; not an exchange-rate service.
EUR_PER_UNIT: dict[str, Decimal] = {
    "EUR": Decimal("1"), "USD": Decimal("0.92"), "GBP": Decimal("1.17"), "CAD": Decimal("0.67"),
}


@dataclass(frozen=True)
class Place:
    unlocode: str
    name: str
    latitude: str
    longitude: str


WIESBADEN = Place("DE WIB", "Wiesbaden", "50.087764", "8.120627")
MONS = Place("BE MQS", "Mons (SHAPE liaison element)", "50.450000", "3.933333")
RZESZOW = Place("PL RZE", "Rzeszów-Jasionka", "50.050000", "22.000000")
SUCEAVA = Place("RO SCV", "Suceava", "47.647001", "26.252260")
LVIV = Place("UA LWO", "Lviv", "49.833333", "24.033333")
KYIV = Place("UA IEV", "Kyiv", "50.450000", "30.533333")
PLACES = (WIESBADEN, MONS, RZESZOW, SUCEAVA, LVIV, KYIV)


@dataclass(frozen=True)
class OrgSpec:
    short_name: str
    name: str
    kind: str
    country: str
    iati_identifier: str = ""
    in_coalition: bool = True


CELL = OrgSpec("coord-cell", "Coalition Coordination Cell, Wiesbaden", "coordinator", "DE")
RECIPIENT = OrgSpec("ua-mod", "Ukraine — Ministry of Defence", "recipient", "UA")
HUB_OPERATORS = (
    OrgSpec("pl-hub", "Rzeszów-Jasionka Hub Operations", "hub_operator", "PL"),
    OrgSpec("ro-hub", "Suceava Hub Operations", "hub_operator", "RO"),
)
OUTSIDER = OrgSpec("northbridge", "Northbridge Relief Foundation", "donor", "CH", in_coalition=False)


@dataclass(frozen=True)
class Donor:
    org: OrgSpec
    currency: str
    share: float  # target share of pledged value (EUR)
    weeks_to: tuple[int, int]  # inbound lead time to (PL-RZE, RO-SCV)
    km_to: tuple[int, int]  # rough road/sea distance, for the small transport cost


def _donor(cc: str, short: str, name: str, dac: str, currency: str, share: float,
           weeks: tuple[int, int], km: tuple[int, int]) -> Donor:
    return Donor(OrgSpec(short, name, "donor", cc, f"XM-DAC-{dac}"), currency, share, weeks, km)


# The largest donor holds about 40% of pledged value, so "what if the largest donor steps back?" matters.
DONORS = (
    _donor("US", "us-dod", "United States — Department of Defense", "302", "USD", 0.40, (4, 4), (7600, 8000)),
    _donor("DE", "de-mod", "Germany — Federal Ministry of Defence", "5", "EUR", 0.155, (1, 2), (750, 1300)),
    _donor("GB", "gb-mod", "United Kingdom — Ministry of Defence", "12", "GBP", 0.08, (2, 3), (1750, 2300)),
    _donor("PL", "pl-mod", "Poland — Ministry of National Defence", "76", "EUR", 0.05, (1, 1), (300, 800)),
    _donor("FR", "fr-mod", "France — Ministry of the Armed Forces", "4", "EUR", 0.04, (2, 3), (1650, 2100)),
    _donor("NL", "nl-mod", "Netherlands — Ministry of Defence", "7", "EUR", 0.04, (2, 3), (1300, 1900)),
    _donor("NO", "no-mod", "Norway — Ministry of Defence", "8", "EUR", 0.035, (3, 3), (1600, 2100)),
    _donor("DK", "dk-mod", "Denmark — Ministry of Defence", "3", "EUR", 0.035, (2, 3), (1050, 1600)),
    _donor("SE", "se-mod", "Sweden — Ministry of Defence", "10", "EUR", 0.03, (2, 3), (1300, 1700)),
    _donor("CA", "ca-dnd", "Canada — Department of National Defence", "301", "CAD", 0.03, (4, 4), (7200, 7600)),
    _donor("FI", "fi-mod", "Finland — Ministry of Defence", "18", "EUR", 0.02, (2, 3), (1200, 1600)),
    _donor("IT", "it-mod", "Italy — Ministry of Defence", "6", "EUR", 0.02, (2, 2), (1500, 1700)),
    _donor("ES", "es-mod", "Spain — Ministry of Defence", "50", "EUR", 0.015, (3, 3), (2700, 3000)),
    _donor("CZ", "cz-mod", "Czechia — Ministry of Defence", "68", "EUR", 0.015, (1, 2), (650, 1000)),
    _donor("BE", "be-mod", "Belgium — Ministry of Defence", "2", "EUR", 0.015, (2, 3), (1400, 1900)),
    _donor("LT", "lt-mod", "Lithuania — Ministry of National Defence", "84", "EUR", 0.01, (1, 2), (650, 900)),
    _donor("EE", "ee-mod", "Estonia — Ministry of Defence", "82", "EUR", 0.01, (2, 2), (1100, 1400)),
)


@dataclass(frozen=True)
class HubSpec:
    code: str
    name: str
    place: Place
    operator: str  # short name of the hub-operator organisation
    capacity_t_per_week: int
    weeks_out: tuple[int, int]  # outbound lead time to (Lviv, Kyiv)


# Weekly capacities are sized to the scenario's volume, not to a real airfield, and are tight on purpose: in the
# busiest weeks of the seeded history both hubs run full (a coordinator booking by hand moves a line to the other
# hub or a week or two later, as the allocate service refuses a full hub-week), the first weeks after today are
# still taken by goods already moving, and the committed pledges left to plan compete for the rest: PL-RZE stays
# at 96-100% for about three months of an optimised plan, RO-SCV is full in its first weeks.
HUBS = (
    HubSpec("PL-RZE", "Rzeszów-Jasionka logistics hub", RZESZOW, "pl-hub", 200, (0, 1)),
    HubSpec("RO-SCV", "Suceava logistics hub", SUCEAVA, "ro-hub", 150, (1, 2)),
)


@dataclass(frozen=True)
class ItemSpec:
    code: str
    name: str
    supply_class: str
    unit: str
    weight_t: str
    fsc: str
    nsn: str
    eur: str  # rough unit value in EUR
    qty: tuple[int, int, int]  # typical requirement size: low, high, step


def _i(code: str, name: str, cls: str, unit: str, weight_t: str, fsc: str, nsn: str, eur: str,
       qty: tuple[int, int, int]) -> ItemSpec:
    return ItemSpec(code, name, cls, unit, weight_t, fsc, nsn, eur, qty)


ITEMS = (
    # I — subsistence
    _i("RATION-24H", "Combat ration pack, 24 h (box of 10)", "I", "box", "0.0075", "8970", "8970-01-533-4582",
       "120", (500, 4000, 100)),
    _i("WATER-PALLET", "Bottled drinking water (pallet, 504 × 1.5 l)", "I", "pallet", "0.8", "8960", "",
       "260", (20, 200, 10)),
    # II — clothing and individual equipment
    _i("UNIFORM-WINTER", "Winter combat uniform set", "II", "set", "0.0035", "8415", "8415-01-612-3307",
       "310", (500, 5000, 100)),
    _i("BOOTS-COLD", "Cold-weather boots (pair)", "II", "each", "0.0022", "8430", "", "150", (500, 5000, 100)),
    _i("ARMOUR-VEST", "Body armour vest with level IV plates", "II", "each", "0.011", "8470", "8470-01-620-4418",
       "1150", (200, 2000, 50)),
    _i("HELMET-BALLISTIC", "Ballistic helmet", "II", "each", "0.0015", "8470", "", "420", (200, 2000, 50)),
    _i("SLEEPING-BAG", "Sleeping bag, extreme cold", "II", "each", "0.0028", "8465", "", "190", (500, 4000, 100)),
    _i("CAMO-NET", "Multispectral camouflage net, 10 × 10 m", "II", "each", "0.03", "1080", "1080-12-345-6712",
       "1700", (50, 400, 10)),
    # III — fuel
    _i("DIESEL-F54", "Diesel fuel F-54", "III", "l", "0.00084", "9140", "9140-12-377-2121", "1.15",
       (50000, 400000, 10000)),
    _i("JET-F34", "Aviation turbine fuel F-34 (JP-8)", "III", "l", "0.0008", "9130", "9130-01-031-5816", "1.05",
       (20000, 200000, 10000)),
    _i("OIL-OMD113", "Engine oil OMD-113 (20 l drum)", "III", "each", "0.019", "9150", "", "95", (50, 600, 10)),
    # IV — construction
    _i("SANDBAGS", "Sandbags, polypropylene (bundle of 100)", "IV", "box", "0.012", "8105", "", "48",
       (200, 3000, 50)),
    _i("RAZOR-WIRE", "Concertina razor wire (roll)", "IV", "each", "0.022", "5660", "", "65", (200, 2000, 50)),
    _i("AGGREGATE", "Crushed stone aggregate", "IV", "kg", "0.001", "5610", "", "0.03", (20000, 200000, 10000)),
    _i("BARRIER-UNIT", "Defensive barrier unit, gabion type (collapsed)", "IV", "each", "0.3", "5680", "", "950",
       (20, 300, 10)),
    _i("SHELTER-MODULAR", "Prefabricated modular shelter", "IV", "each", "2.4", "5410", "", "26000", (2, 20, 1)),
    # V — ammunition
    _i("AMMO-556", "Cartridge 5.56 × 45 mm ball (case of 1,000)", "V", "box", "0.0135", "1305",
       "1305-01-155-5459", "620", (100, 1500, 50)),
    _i("AMMO-762", "Cartridge 7.62 × 51 mm ball (case of 800)", "V", "box", "0.026", "1305", "", "950",
       (50, 800, 50)),
    _i("AMMO-155-HE", "Projectile 155 mm HE with propelling charges", "V", "round", "0.052", "1320",
       "1320-01-520-1128", "4200", (500, 8000, 100)),
    _i("MORTAR-120-HE", "Mortar bomb 120 mm HE", "V", "round", "0.019", "1315", "1315-12-180-6625", "1500",
       (300, 4000, 100)),
    _i("AT-LAUNCHER", "Light anti-tank weapon, disposable", "V", "each", "0.0095", "1340", "", "5200",
       (50, 800, 10)),
    _i("DEMO-KIT", "Demolition charge kit", "V", "kit", "0.012", "1375", "", "780", (50, 500, 10)),
    # VI — personal items
    _i("HYGIENE-KIT", "Personal hygiene kit", "VI", "kit", "0.0014", "8530", "", "24", (1000, 8000, 100)),
    _i("DENTAL-KIT", "Dental care and shaving kit", "VI", "kit", "0.0007", "8520", "", "11", (1000, 8000, 100)),
    # VII — major end items
    _i("GEN-100KW", "Generator set 100 kW, diesel, skid-mounted", "VII", "each", "2.1", "6115",
       "6115-01-234-5678", "45000", (5, 60, 1)),
    _i("GEN-5KW", "Generator set 5 kW, portable", "VII", "each", "0.11", "6115", "6115-01-581-9402", "3400",
       (20, 300, 10)),
    _i("TRUCK-8T", "Cargo truck 8 t, 6 × 6", "VII", "each", "9.8", "2320", "2320-12-370-9814", "185000",
       (5, 60, 1)),
    _i("AMBULANCE-ARMOURED", "Armoured ambulance, wheeled", "VII", "each", "14.5", "2355", "", "680000",
       (2, 20, 1)),
    _i("IFV-TRACKED", "Infantry fighting vehicle, tracked", "VII", "each", "32", "2350", "", "3200000",
       (2, 20, 1)),
    _i("HOWITZER-155", "Howitzer 155 mm, towed", "VII", "each", "4.2", "1025", "1025-01-517-1620", "3100000",
       (2, 12, 1)),
    _i("RADIO-MANPACK", "VHF tactical radio, manpack", "VII", "each", "0.0065", "5820", "5820-01-451-8250",
       "14000", (20, 300, 10)),
    _i("WATER-PURIFIER", "Water purification unit, 2,000 l/h", "VII", "each", "1.6", "4610", "", "82000",
       (2, 15, 1)),
    # VIII — medical
    _i("IFAK", "Individual first aid kit", "VIII", "kit", "0.0006", "6545", "6545-01-530-0929", "90",
       (1000, 10000, 100)),
    _i("TOURNIQUET", "Combat application tourniquet", "VIII", "each", "0.0001", "6515", "6515-01-521-7976",
       "32", (1000, 10000, 100)),
    _i("TRAUMA-DRESSING", "Emergency trauma dressing (box of 50)", "VIII", "box", "0.0045", "6510", "", "310",
       (50, 600, 10)),
    _i("SURGICAL-SET", "Surgical instrument set, field", "VIII", "set", "0.024", "6515", "", "6800", (5, 60, 1)),
    _i("HOSPITAL-BED", "Field hospital bed with mattress", "VIII", "each", "0.032", "6530", "", "950",
       (20, 200, 10)),
    # IX — repair parts
    _i("TYRE-395-85R20", "Tyre 395/85 R20 for tactical trucks", "IX", "each", "0.105", "2610", "", "1450",
       (40, 400, 10)),
    _i("ENGINE-300KW", "Diesel engine assembly 300 kW (replacement)", "IX", "each", "1.15", "2815", "", "52000",
       (2, 30, 1)),
    _i("BATTERY-6TL", "Vehicle battery 6TL, 24 V", "IX", "each", "0.036", "6140", "6140-01-485-1472", "430",
       (50, 800, 10)),
    # X — non-military programmes
    _i("SHELTER-KIT", "Emergency shelter kit (tarpaulins, timber, fixings)", "X", "kit", "0.025", "8340", "",
       "130", (500, 5000, 100)),
    _i("HEATER-STOVE", "Wood-burning space heater", "X", "each", "0.055", "4520", "", "360", (100, 1500, 50)),
)

# Capability bundles: each requirement of a package is filled completely or not at all. Supply of some members
# is short (water purifiers, modular shelters), so a bundle is only complete if other needs leave enough of it.
PACKAGES: dict[str, tuple[Place, int, tuple[tuple[str, int], ...]]] = {
    "field-hospital": (LVIV, 1, (("SURGICAL-SET", 12), ("HOSPITAL-BED", 120), ("GEN-100KW", 4),
                                 ("WATER-PURIFIER", 4), ("SHELTER-MODULAR", 4), ("TRAUMA-DRESSING", 100))),
    "artillery-battery": (KYIV, 1, (("HOWITZER-155", 6), ("AMMO-155-HE", 3000), ("TRUCK-8T", 8))),
    "winter-kyiv": (KYIV, 2, (("HEATER-STOVE", 600), ("GEN-5KW", 120), ("SHELTER-KIT", 1500))),
}
