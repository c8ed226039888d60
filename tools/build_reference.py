"""Rebuild the reference tables in data/ from the shared reference files.

Run by a developer when the shared reference changes (``python tools/build_reference.py``);
the outputs are committed, so users never need ../shared. Each output is documented in
data/README.md. This script is not part of the package: it only reshapes public tables.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
REF = SHARED / "reference"
OUT = ROOT / "data"

# Comtrade "ISO3" values that are not ISO codes: aggregates and areas not elsewhere specified.
# Mapped to readable pseudo-codes so that a flow can never be joined to a real country by accident.
AGGREGATE_CODES = {
    "0": "WLD",  # World
    "97": "EUR",  # European Union (as a reporter)
    "899": "_X",  # Areas, nes
    "837": "X1",  # Bunkers
    "838": "X2",  # Free zones
    "839": "XX",  # Special categories
}

# 490 "Other Asia, nes" is Taiwan in practice (Comtrade publishes Taiwan's trade under it;
# the Harvard Growth Lab and CEPII both treat it so). We map it to TWN and say so in `note`.
OTHER_ASIA_NES = "490"

# Codes that files from the legacy Comtrade (the "classic" API and bulk downloads before Comtrade
# Plus) carry but that the current reference lists no longer hold. 381 was legacy Comtrade's code
# for Italy (Comtrade Plus uses 380, in the lists). Each: code -> (ISO3, ISO2, Comtrade name, note).
LEGACY_CODES = {
    "381": ("ITA", "IT", "Italy", "legacy Comtrade code for Italy (Comtrade Plus: 380); not in the current lists"),
}

# Comtrade's own "ISO" field where the reference list writes something else: the API and bulk
# files write W00 for the World (partnerISO, partner2ISO), the list writes "World".
COMTRADE_ISO_OVERRIDES = {"0": "W00"}

# Names people and other publishers use that neither Comtrade nor the ISO/UN tables carry: World
# Bank (WDI) names ("Korea, Dem. People's Rep."), common English names and abbreviations, former
# states by their usual names. Written for trade-mirror; each maps to one ISO3 code (a name that
# could mean two countries is left out by the store's country_lookup view).
COMMON_NAMES = {
    "PRK": ["DPRK", "DPR Korea", "Korea, DPR", "Korea DPR", "Korea, Dem. People's Rep.", "North Korea",
            "Korea, Democratic People's Republic of", "Democratic People's Republic of Korea"],
    "KOR": ["South Korea", "Korea, Rep.", "Republic of Korea", "ROK", "Korea, Republic of"],
    "TUR": ["Turkey", "Türkiye", "Turkiye", "Republic of Türkiye"],
    "CIV": ["Côte d'Ivoire", "Cote d'Ivoire", "Ivory Coast"],
    "RUS": ["Russia"],
    "SUN": ["USSR", "U.S.S.R.", "Soviet Union", "Former USSR"],
    "YUG": ["Yugoslavia", "SFR Yugoslavia", "Former Yugoslavia"],
    "CSK": ["Czechoslovakia", "Former Czechoslovakia"],
    "DDR": ["East Germany", "German Democratic Republic"],
    "USA": ["United States", "United States of America", "U.S.", "U.S.A."],
    "GBR": ["United Kingdom", "UK", "Great Britain", "Britain"],
    "IRN": ["Iran", "Iran, Islamic Rep."],
    "EGY": ["Egypt, Arab Rep."],
    "VEN": ["Venezuela", "Venezuela, RB"],
    "YEM": ["Yemen, Rep."],
    "COD": ["Congo, Dem. Rep.", "DR Congo", "DRC"],
    "COG": ["Congo, Rep."],
    "GMB": ["Gambia, The"],
    "BHS": ["Bahamas, The"],
    "HKG": ["Hong Kong", "Hong Kong SAR, China"],
    "MAC": ["Macao", "Macau", "Macao SAR, China"],
    "LAO": ["Lao PDR", "Laos"],
    "KGZ": ["Kyrgyz Republic"],
    "SVK": ["Slovak Republic"],
    "FSM": ["Micronesia, Fed. Sts."],
    "SYR": ["Syria"],
    "VNM": ["Vietnam", "Viet Nam"],
    "CZE": ["Czech Republic", "Czechia"],
    "MKD": ["Macedonia", "North Macedonia", "FYR Macedonia"],
    "TWN": ["Taiwan", "Chinese Taipei", "Taiwan, China"],
    "MDA": ["Moldova"],
    "TZA": ["Tanzania"],
    "BOL": ["Bolivia"],
}


def fold(text: str) -> str:
    """A name as people type it without accents or typographic apostrophes (Côte d’Ivoire ->
    Cote d'Ivoire), so that both spellings are keys."""
    import unicodedata

    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def write(path: Path, fields: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in fields})
    print(f"wrote {path.relative_to(ROOT)}: {len(rows)} rows")


def year(s: str) -> str:
    return str(int(float(s))) if s.strip() else ""


def build_countries() -> None:
    iso_rows = {r["ISO3166-1-Alpha-3"]: r for r in read(REF / "country_codes_datasets.csv") if r["ISO3166-1-Alpha-3"]}
    areas_nes = {r["id"] for r in read(REF / "areas_not_specified_growthlab.csv")}
    reporters = {r["id"]: r for r in read(REF / "comtrade_reporters.csv")}
    partners = {r["id"]: r for r in read(REF / "comtrade_partner_areas.csv")}
    # The API's own reporter list (comtrade_Reporters.json) must agree with the CSV one: a code in
    # one and not the other means the shared reference is out of step; stop rather than guess.
    api = {str(r["id"]): r for r in json.loads((REF / "comtrade_Reporters.json").read_text(encoding="utf-8"))["results"]}
    if set(api) != set(reporters):
        sys.exit(f"comtrade_Reporters.json and comtrade_reporters.csv differ: {sorted(set(api) ^ set(reporters))}")
    codes = dict(partners)
    for code, r in reporters.items():
        codes.setdefault(code, r)
    for code, (iso3, iso2, name, note) in LEGACY_CODES.items():
        if code in codes:
            sys.exit(f"legacy code {code} is in the current lists now: drop it from LEGACY_CODES")
        codes[code] = {"iso_3": iso3, "iso_2": iso2, "country": name, "note": note, "entry_year": "",
                       "exit_year": "", "group": "False", "legacy": True}

    out = []
    for code, r in sorted(codes.items(), key=lambda kv: int(kv[0])):
        raw_iso = r["iso_3"].strip()
        comtrade_iso = COMTRADE_ISO_OVERRIDES.get(code, raw_iso)
        note = r["note"].strip()
        is_group = r["group"].strip() == "True"
        if code in AGGREGATE_CODES:
            iso3, is_country = AGGREGATE_CODES[code], False
        elif code == OTHER_ASIA_NES:
            iso3, is_country = "TWN", True
            note = "Other Asia, nes (Comtrade S19): Taiwan in practice"
        elif r.get("legacy"):
            iso3, is_country = raw_iso, True
        elif code in areas_nes or is_group or not (len(raw_iso) == 3 and raw_iso.isalpha() and raw_iso.isupper()):
            iso3, is_country = raw_iso or f"_{code}", False
        else:
            iso3, is_country = raw_iso, True
        iso = iso_rows.get(iso3, {})
        aliases = {
            iso.get("UNTERM English Short", "").replace(" (the)", "").strip(),
            iso.get("CLDR display name", "").strip(),
            iso.get("official_name_en", "").strip(),
            "" if r.get("legacy") else note if code != OTHER_ASIA_NES else "Other Asia, nes",
        }
        name = iso.get("CLDR display name") or r["country"]
        if len(name) <= 3:  # CLDR's "US" is an abbreviation, not a display name
            name = iso.get("official_name_en") or r["country"]
        if is_country and r["iso_2"].strip():
            aliases.add(r["iso_2"].strip())  # ISO alpha-2 (KP, TR ...)
        if comtrade_iso and comtrade_iso != iso3:
            aliases.add(comtrade_iso)  # Comtrade's ISO-like codes: S19, W00, X1 ...
        aliases.update(COMMON_NAMES.get(iso3, []))
        aliases.update({fold(a) for a in aliases | {name, r["country"].strip()}})
        aliases.discard("")
        aliases.discard(name)
        aliases.discard(r["country"])
        out.append(
            {
                "comtrade_code": code,
                "iso3": iso3,
                "iso2": r["iso_2"].strip(),
                "m49": iso.get("M49", "") if is_country else "",
                "name": name,
                "comtrade_name": r["country"].strip(),
                "is_country": "true" if is_country else "false",
                "valid_from_year": year(r["entry_year"]) if r["entry_year"] else "",
                "valid_to_year": year(r["exit_year"]) if r["exit_year"] else "",
                "note": note if note != r["country"] else "",
                "aliases": "|".join(sorted(aliases)),
                "comtrade_iso": comtrade_iso,
                "is_reporter": "true" if code in reporters or r.get("legacy") else "false",
            }
        )
    # Groups used by published compilations (the public record) that Comtrade has no code for.
    for iso3, name in [("WLD-CHN", "World excluding China"), ("CHN+RUS", "China and Russia combined"), ("EU", "European Union")]:
        out.append({"comtrade_code": "", "iso3": iso3, "name": name, "comtrade_name": "", "is_country": "false",
                    "note": "published group, not a Comtrade code"})
    write(OUT / "countries.csv",
          ["comtrade_code", "iso3", "iso2", "m49", "name", "comtrade_name", "is_country",
           "valid_from_year", "valid_to_year", "note", "aliases", "comtrade_iso", "is_reporter"], out)


def build_hs() -> None:
    rows = read(REF / "comtrade_hs_H0_to_H6.csv")
    out = []
    for r in rows:
        code = r["id"].strip()
        if code == "TOTAL":
            continue
        out.append({"classification": r["classification"], "hs": code, "level": r["aggrlevel"],
                    "parent": "" if r["parent"] in ("#", "TOTAL") else r["parent"],
                    "is_leaf": "true" if r["isleaf"] == "1" else "false",
                    "description": r["text"].split(" - ", 1)[1] if " - " in r["text"] else r["text"],
                    "standard_unit": r["standardunitabbr"]})
    write(OUT / "hs_codes.csv", ["classification", "hs", "level", "parent", "is_leaf", "description", "standard_unit"], out)

    sections = {r["section"]: r["name"] for r in read(REF / "hs_sections.csv")}
    chapters: dict[str, list[str]] = {}
    for r in read(REF / "hs2022_datasets.csv"):
        if r["level"] == "2":
            chapters.setdefault(r["section"], []).append(r["hscode"])
    order = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV", "XVI",
             "XVII", "XVIII", "XIX", "XX", "XXI"]
    out = [{"section": s, "number": i + 1, "name": sections[s][:1].upper() + sections[s][1:],
            "chapter_from": min(chapters[s]), "chapter_to": max(chapters[s])} for i, s in enumerate(order)]
    write(OUT / "hs_sections.csv", ["section", "number", "name", "chapter_from", "chapter_to"], out)


def build_units() -> None:
    out = [{"code": r["qtyCode"], "abbr": r["qtyAbbr"], "description": r["qtyDescription"]}
           for r in read(REF / "comtrade_qty_units.csv")]
    write(OUT / "qty_units.csv", ["code", "abbr", "description"], out)


def copy_public_record() -> None:
    for name in ("dprk_public_record.csv", "unverified.csv", "facts_from_public_pages.csv"):
        shutil.copyfile(SHARED / "public_record" / name, OUT / "public_record" / name)
        print(f"copied data/public_record/{name}")


# Average exchange rates, transcribed from the Federal Reserve Board's statistical releases
# (stored copies of the release pages; rates are "averages of daily noon buying rates for cable
# transfers in New York City certified for customs purposes by the Federal Reserve Bank of New
# York"). Rates are currency units per US dollar, except those the Fed quotes as US dollars per
# unit (EUR, GBP, AUD: "*" in the release), kept as published and inverted in per_usd.
# Each entry: (release, URL, freq, periods, {currency: rates in the periods' order}).
USD_PER_UNIT = {"EUR", "GBP", "AUD"}
FED_G5A = "Federal Reserve Board, G.5A Foreign Exchange Rates (Annual)"
FED_G5 = "Federal Reserve Board, G.5 Foreign Exchange Rates (Monthly)"
RATE_TABLES = [
    (f"{FED_G5A}, release of February 1, 2024", "https://federalreserve.gov/releases/g5a/20240201", "A",
     ["2023", "2022", "2021", "2020"], {
         "CNY": [7.0809, 6.7290, 6.4508, 6.9042], "KRW": [1306.7637, 1291.7796, 1144.8911, 1180.5554],
         "THB": [34.7841, 35.0500, 32.0052, 31.3070], "EUR": [1.0817, 1.0534, 1.1830, 1.1410],
         "JPY": [140.5001, 131.4589, 109.8429, 106.7754], "HKD": [7.8292, 7.8306, 7.7727, 7.7559],
         "INR": [82.5708, 78.5792, 73.9351, 74.1429], "TWD": [31.1525, 29.7963, 27.9366, 29.4568],
         "GBP": [1.2440, 1.2371, 1.3764, 1.2829], "SGD": [1.3428, 1.3787, 1.3438, 1.3800],
         "MYR": [4.5577, 4.3982, 4.1439, 4.2029], "CHF": [0.8984, 0.9550, 0.9144, 0.9389],
         "CAD": [1.3494, 1.3014, 1.2533, 1.3422], "AUD": [0.6644, 0.6951, 0.7515, 0.6899]}),
    # 2020 is also in the release above (same values); the later release is kept for it.
    (f"{FED_G5A}, release of November 1, 2021", "https://federalreserve.gov/releases/g5a/20210104", "A",
     ["2019", "2018", "2017"], {
         "CNY": [6.9081, 6.6090, 6.7569], "KRW": [1165.8016, 1099.2926, 1129.0435],
         "THB": [31.0419, 32.3035, 33.9134], "EUR": [1.1194, 1.1817, 1.1301],
         "JPY": [109.0188, 110.3974, 112.0986], "HKD": [7.8351, 7.8376, 7.7926],
         "INR": [70.3777, 68.3734, 65.0659], "TWD": [30.9049, 30.1294, 30.4016],
         "GBP": [1.2768, 1.3363, 1.2890], "SGD": [1.3641, 1.3486, 1.3802],
         "MYR": [4.1416, 4.0307, 4.2982], "CHF": [0.9937, 0.9784, 0.9842],
         "CAD": [1.3269, 1.2957, 1.2984], "AUD": [0.6952, 0.7481, 0.7671]}),
    (f"{FED_G5A}, release of January 4, 2016", "https://federalreserve.gov/releases/g5a/20160104/default.htm", "A",
     ["2015", "2014", "2013", "2012"], {
         "CNY": [6.2827, 6.1620, 6.1478, 6.3093], "KRW": [1130.96, 1052.29, 1094.67, 1126.16],
         "THB": [34.241, 32.461, 30.696, 31.055], "EUR": [1.1096, 1.3297, 1.3281, 1.2859],
         "JPY": [121.05, 105.74, 97.60, 79.82], "HKD": [7.7524, 7.7545, 7.7565, 7.7569],
         "INR": [64.11, 61.00, 58.51, 53.37], "TWD": [31.744, 30.299, 29.680, 29.558],
         "GBP": [1.5284, 1.6484, 1.5642, 1.5853], "SGD": [1.3746, 1.2665, 1.2511, 1.2492],
         "MYR": [3.9041, 3.2697, 3.1488, 3.0862], "CHF": [0.9628, 0.9147, 0.9269, 0.9377],
         "CAD": [1.2791, 1.1043, 1.0300, 0.9995], "AUD": [0.7522, 0.9034, 0.9683, 1.0359]}),
    (f"{FED_G5A}, release of January 7, 1997", "https://federalreserve.gov/releases/G5A/19970107/G5A.htm", "A",
     ["1996", "1995", "1994", "1993"], {
         "CNY": [8.3395, 8.3700, 8.6404, 5.7795], "HKD": [7.7345, 7.7357, 7.7290, 7.7357],
         "INR": [35.510, 32.418, 31.394, 31.291], "CAD": [1.3638, 1.3725, 1.3664, 1.2902],
         "DEM": [1.5049, 1.4321, 1.6216, 1.6545]}),
    (f"{FED_G5}, release of July 1, 2024", "http://federalreserve.gov/Releases/G5/current/default.htm", "M",
     ["2024-06", "2024-05", "2024-04", "2023-06"], {
         "CNY": [7.2547, 7.2327, 7.2374, 7.1614], "KRW": [1379.0526, 1364.7241, 1367.8555, 1297.2514],
         "THB": [36.7095, 36.6350, 36.7668, 34.9110], "EUR": [1.0763, 1.0810, 1.0724, 1.0840],
         "JPY": [157.8600, 155.8691, 153.8900, 141.3581], "HKD": [7.8100, 7.8119, 7.8305, 7.8330],
         "INR": [83.4600, 83.3873, 83.3968, 82.2252], "TWD": [32.3768, 32.3286, 32.3350, 30.8405],
         "GBP": [1.2716, 1.2636, 1.2517, 1.2627], "SGD": [1.3517, 1.3509, 1.3568, 1.3462],
         "MYR": [4.7095, 4.7158, 4.7649, 4.6301], "CHF": [0.8938, 0.9088, 0.9099, 0.9004],
         "CAD": [1.3705, 1.3667, 1.3674, 1.3286], "AUD": [0.6642, 0.6626, 0.6506, 0.6713]}),
    # The Fed does not publish the rouble. World Bank WDI annual averages, as printed in the
    # Shandong Statistical Yearbook 2014, appendix table 2-19 (货币汇率(年平均价), 1 USD in local currency).
    ("World Bank WDI, via Shandong Statistical Yearbook 2014, appendix table 2-19",
     "http://tjj.shandong.gov.cn/tjnj/nj2014/html/C219.htm", "A",
     ["2000", "2005", "2008", "2009", "2010", "2011"], {"RUB": [28.13, 28.28, 24.85, 31.74, 30.37, 29.38]}),
]


def build_rates() -> None:
    out, seen = [], set()
    for source, url, freq, periods, table in RATE_TABLES:
        for currency, rates in table.items():
            if len(rates) != len(periods):
                sys.exit(f"{source}: {currency} has {len(rates)} rates for {len(periods)} periods")
            for period, rate in zip(periods, rates, strict=True):
                if (currency, freq, period) in seen:
                    continue  # a later release already gave this period
                seen.add((currency, freq, period))
                inverted = currency in USD_PER_UNIT
                out.append({"currency": currency, "freq": freq, "period": period, "year": period[:4],
                            "month": str(int(period[5:7])) if freq == "M" else "",
                            "per_usd": f"{1 / rate:.6f}" if inverted else f"{rate}",
                            "published": f"{rate}", "published_as": "USD per unit" if inverted else "units per USD",
                            "source": source, "source_url": url})
    out.sort(key=lambda r: (r["currency"], r["freq"], r["period"]))
    write(OUT / "exchange_rates.csv", ["currency", "freq", "period", "year", "month", "per_usd", "published",
                                       "published_as", "source", "source_url"], out)


BUILDERS = {"countries": build_countries, "rates": build_rates, "hs": build_hs, "units": build_units, "public_record": copy_public_record}

if __name__ == "__main__":
    # python tools/build_reference.py [countries hs units public_record]: the named tables, or all.
    if not REF.exists():
        sys.exit(f"shared reference not found at {REF}: clone the project beside ../shared")
    wanted = sys.argv[1:] or list(BUILDERS)
    unknown = sorted(set(wanted) - set(BUILDERS))
    if unknown:
        sys.exit(f"unknown table(s) {', '.join(unknown)}: choose from {', '.join(BUILDERS)}")
    for name in wanted:
        BUILDERS[name]()
