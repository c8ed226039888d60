"""Rebuild the reference tables in data/ from the shared reference files.

Run by a developer when the shared reference changes (``python tools/build_reference.py``);
the outputs are committed, so users never need ../shared. Each output is documented in
data/README.md. This script is not part of the package: it only reshapes public tables.
"""

from __future__ import annotations

import csv
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
    codes = dict(partners)
    for code, r in reporters.items():
        codes.setdefault(code, r)

    out = []
    for code, r in sorted(codes.items(), key=lambda kv: int(kv[0])):
        raw_iso = r["iso_3"].strip()
        note = r["note"].strip()
        is_group = r["group"].strip() == "True"
        if code in AGGREGATE_CODES:
            iso3, is_country = AGGREGATE_CODES[code], False
        elif code == OTHER_ASIA_NES:
            iso3, is_country = "TWN", True
            note = "Other Asia, nes (Comtrade S19): Taiwan in practice"
        elif code in areas_nes or is_group or not (len(raw_iso) == 3 and raw_iso.isalpha() and raw_iso.isupper()):
            iso3, is_country = raw_iso or f"_{code}", False
        else:
            iso3, is_country = raw_iso, True
        iso = iso_rows.get(iso3, {})
        aliases = {
            iso.get("UNTERM English Short", "").replace(" (the)", "").strip(),
            iso.get("CLDR display name", "").strip(),
            iso.get("official_name_en", "").strip(),
            note if code != OTHER_ASIA_NES else "Other Asia, nes",
        }
        name = iso.get("CLDR display name") or r["country"]
        if len(name) <= 3:  # CLDR's "US" is an abbreviation, not a display name
            name = iso.get("official_name_en") or r["country"]
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
            }
        )
    # Groups used by published compilations (the public record) that Comtrade has no code for.
    for iso3, name in [("WLD-CHN", "World excluding China"), ("CHN+RUS", "China and Russia combined"), ("EU", "European Union")]:
        out.append({"comtrade_code": "", "iso3": iso3, "name": name, "comtrade_name": "", "is_country": "false",
                    "note": "published group, not a Comtrade code"})
    write(OUT / "countries.csv",
          ["comtrade_code", "iso3", "iso2", "m49", "name", "comtrade_name", "is_country",
           "valid_from_year", "valid_to_year", "note", "aliases"], out)


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


if __name__ == "__main__":
    if not REF.exists():
        sys.exit(f"shared reference not found at {REF}: clone the project beside ../shared")
    build_countries()
    build_hs()
    build_units()
    copy_public_record()
