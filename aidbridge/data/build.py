"""Rebuild the shipped reference data from the third-party sources.

Usage, with SOURCES a directory holding the upstream files named in ``aidbridge/data/README.md``::

    python -m aidbridge.data.build SOURCES

Only rows that Aidbridge needs are kept: current 4-digit FSC classes (no end date), and
ISO 3166 entries that carry an alpha-2 code and a name. The world's country shapes keep only an ISO 3166
alpha-2 code and a name per country, with coordinates rounded to 0.01° (about 1 km, far below what a
1:110m shape resolves) and the points that rounding makes repeat dropped.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path
from typing import Any

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

    world(source / "geo/natural-earth-110m/ne_110m_admin_0_countries_full_properties.geojson",
          {alpha3: alpha2 for alpha2, alpha3, _ in countries})


def _ring(ring: list[list[float]]) -> list[list[float]]:
    out: list[list[float]] = []
    for lon, lat in ring:
        point = [round(lon, 2), round(lat, 2)]
        if not out or out[-1] != point:
            out.append(point)
    return out


def world(source: Path, alpha2_of: dict[str, str]) -> None:
    """``ne-110m-countries.geojson``: every Natural Earth 1:110m country, with only ``iso_a2`` and ``name`` (its
    long name).

    Natural Earth leaves ``ISO_A2`` as ``-99`` for a few countries (Norway among them); their code is then
    looked up from ``ADM0_A3`` in ISO 3166, and left empty where there is none (Northern Cyprus, Somaliland).
    """
    with open(source, encoding="utf-8") as f:
        features = json.load(f)["features"]
    out: list[dict[str, Any]] = []
    for feature in features:
        props, geometry = feature["properties"], feature["geometry"]
        code = props["ISO_A2"] if len(props["ISO_A2"]) == 2 else alpha2_of.get(props["ADM0_A3"], "")
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        shapes = [[_ring(ring) for ring in polygon] for polygon in polygons]
        out.append({"type": "Feature", "properties": {"iso_a2": code, "name": props["NAME_LONG"]},
                    "geometry": {"type": "MultiPolygon", "coordinates": shapes}})
    out.sort(key=lambda f: (f["properties"]["iso_a2"], f["properties"]["name"]))
    with open(HERE / "ne-110m-countries.geojson", "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": out}, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    build(Path(sys.argv[1]))
