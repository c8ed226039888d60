"""The price-neutral variants of a level shift in nominal USD: a shift in value can be a price. Each
USD shift gets the same flow's shift deflated by the product's unit value at the same date - the
world's (every report of the code in the store) when the run can query it, else the run's own
flows' - and says whether the flow's tonnes are tested as their own series. Descriptive: the date
is the USD test's, so the deflated shift is not a second test."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .base import pct


def unit_values(index: list[tuple], Y: np.ndarray, codes: set) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The product's unit value per period, as the price-neutral deflator of its USD series: hs ->
    (median over the run's flows of the code with both a USD and a kg figure in the period of
    ln(USD / kg), per period column; their number). Read from the series matrix (rows ``index``)."""
    row = {k: i for i, k in enumerate(index)}
    pairs: dict[str, list[tuple[int, int]]] = {}
    for key, i in row.items():
        if key[4] == "kg" and key[3] in codes and (j := row.get((*key[:4], "USD"))) is not None:
            pairs.setdefault(key[3], []).append((j, i))
    out = {}
    for hs, rows in pairs.items():
        usd, kg = Y[[j for j, _ in rows]], Y[[i for _, i in rows]]
        with np.errstate(all="ignore"):
            log_uv = np.where((usd > 0) & (kg > 0), np.log(usd) - np.log(kg), np.nan)
            out[hs] = (np.nanmedian(log_uv, axis=0), np.isfinite(log_uv).sum(axis=0))
    return out


def world_deflators(frame: pd.DataFrame, labels: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The world unit values (rows of detect_world_unit_values: hs, period, log_uv, flows) in the
    shape unit_values returns: hs -> (median ln(USD/kg) per period column, number of reports)."""
    position = {str(lab): c for c, lab in enumerate(labels)}
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for hs, rows in frame.groupby("hs"):
        uv, n = np.full(len(labels), np.nan), np.zeros(len(labels), dtype=int)
        for r in rows.itertuples(index=False):
            if (c := position.get(str(r.period))) is not None:
                uv[c], n[c] = r.log_uv, r.flows
        out[str(hs)] = (uv, n)
    return out


def price_neutral(flags: list[dict], index: list[tuple], Y: np.ndarray, labels: np.ndarray,
                  world_unit_values: Callable[[set[str]], pd.DataFrame] | None = None) -> list[dict]:
    """Each level shift of a USD series with its price-neutral variants: the same flow's shift deflated
    by the product's world unit value (every report of the code in the store, detect_world_unit_values;
    without it, the run's own flows: unit_values) at the same date - ln(USD_t) - ln(UV_t), geometric means
    after against before, where the product has a unit value in at least two periods on each side -
    and whether the flow's tonnes are tested too. A shift in nominal USD can be a price; the deflated
    variant says how much of it is volume. Descriptive: the date is the USD test's, so the deflated
    shift is not a second test."""
    usd = [f for f in flags if f["unit"] == "USD" and f["hs"] not in ("TOTAL", "ALL")]
    if not usd:
        return flags
    row = {k: i for i, k in enumerate(index)}
    codes = {f["hs"] for f in usd}
    if world_unit_values is not None:
        deflators, among = world_deflators(world_unit_values(codes), labels), "report(s) a period in the store"
    else:
        deflators, among = unit_values(index, Y, codes), "flow(s) a period in this run"
    position = {lab: c for c, lab in enumerate(labels)}
    for f in usd:
        key = (f["reporter"], f["partner"], f["flow"], f["hs"])
        kg_text = " Its tonnes are tested as their own series." if (*key, "kg") in row else \
            " No tonnes are reported for it."
        text = (f" No price-neutral variant: HS {f['hs']} has no unit value (USD and kg of one flow) in two "
                "periods either side.")
        if f["hs"] in deflators and (i := row.get((*key, "USD"))) is not None:
            uv, flows = deflators[f["hs"]]
            with np.errstate(all="ignore"):
                x = np.where(Y[i] > 0, np.log(np.where(Y[i] > 0, Y[i], 1.0)), np.nan) - uv
            ok = np.isfinite(x)
            after = np.arange(len(x)) >= position[f["period"]]
            if (ok & ~after).sum() >= 2 and (ok & after).sum() >= 2:
                moved = float(np.expm1(x[ok & after].mean() - x[ok & ~after].mean()))
                text = (f" Deflated by HS {f['hs']}'s unit value (median USD/kg of a median {int(np.median(flows[ok]))} "
                        f"{among}), the level moved {pct(moved)}: the price-neutral variant.")
                f["evidence"] = f"{f['evidence']}; deflated shift {pct(moved)}"
        f["reason"] = f["reason"].rstrip(".") + "." + text + kg_text
    return flags
