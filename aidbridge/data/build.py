"""Rebuild the shipped reference data from the third-party sources.

Usage, with SOURCES a directory holding the upstream files named in ``aidbridge/data/README.md``::

    python -m aidbridge.data.build SOURCES

Only rows that Aidbridge needs are kept: current 4-digit FSC classes (no end date), and
ISO 3166 entries that carry an alpha-2 code and a name.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def build(source: Path) -> None:
    countries: list[tuple[str, str, str]] = []
    currencies: dict[str, str] = {}
    with open(source / "geo/iso3166-country-codes-datahub/country-codes.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            alpha2 = row["ISO3166-1-Alpha-2"].strip()
            name = row["CLDR display name"].strip() or row["official_name_en"].strip()
            if len(alpha2) != 2 or not name:
                continue
            countries.append((alpha2, row["ISO3166-1-Alpha-3"].strip(), name))
            codes = [c.strip() for c in row["ISO4217-currency_alphabetic_code"].split(",")]
            for code in codes:
                if len(code) == 3 and not currencies.get(code):
                    currencies[code] = row["ISO4217-currency_name"].strip() if len(codes) == 1 else ""
    with open(HERE / "iso3166-countries.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["alpha2", "alpha3", "name"])
        writer.writerows(sorted(countries))
    with open(HERE / "iso4217-currencies.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["code", "name"])
        writer.writerows(sorted(currencies.items()))

    classes: dict[str, str] = {}
    with open(source / "supply/psc-fsc-codes.csv", encoding="utf-8", errors="replace") as f:
        for row in csv.DictReader(f):
            code = row["PSC CODE"].strip()
            name = row["PRODUCT AND SERVICE CODE NAME"].strip()
            if len(code) == 4 and code.isdigit() and not row["END DATE"].strip() and name:
                classes[code] = name
    with open(HERE / "fsc-classes.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["fsc", "name"])
        writer.writerows(sorted(classes.items()))
    shutil.copy(
        source / "geo/natural-earth-110m/ne_110m_admin_0_countries_EUROPE_subset.geojson",
        HERE / "ne-110m-europe.geojson",
    )


if __name__ == "__main__":
    build(Path(sys.argv[1]))
