"""The country's series as the detectors read them: one matrix (series x periods), not a long frame.

A panel of the DPRK's partners has hundreds of thousands of series and millions of observations;
as a long pandas frame with a row of strings per observation it cost gigabytes and made every
detector group and sort it again. So the parts of detect_series (queries/detect/series.sql) are
read through Arrow straight into integer codes - its figures, the published periods and the codes
figures speak for, the implicit zeros put into the matrix here rather than read as rows (a large
country's 30 years: 180 million rows) - and a run keeps:

- ``index``: the series' keys (reporter, partner, flow, hs, unit), in sorted order;
- ``Y``: their amounts, series x periods, NaN where the series has no row in the period;
- ``implicit``: where an amount is an implicit zero (a period the reporter published for the pair
  with no figure for the code: figures 0);
- ``figures``: how many figures each amount is the median of (0 for an implicit zero);
- ``starts`` / ``labels``: each period column's start date and label, in time order; ``freq``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

KEYS = ("reporter", "partner", "flow", "hs", "unit")


@dataclass(frozen=True)
class SeriesPanel:
    keys: pd.DataFrame  # one row per series, columns KEYS, in sorted order (the matrix's rows)
    Y: np.ndarray  # series x periods, NaN where no row
    figures: np.ndarray  # series x periods, int; 0 where implicit or no row
    starts: np.ndarray  # datetime64[ns] per column, ascending
    labels: np.ndarray  # period label per column
    freq: str  # "A" or "M"

    @cached_property
    def index(self) -> list[tuple]:
        return list(zip(*(self.keys[k].tolist() for k in KEYS), strict=True))

    @property
    def implicit(self) -> np.ndarray:
        return ~np.isnan(self.Y) & (self.figures == 0)

    @property
    def empty(self) -> bool:
        return len(self.keys) == 0

    def __len__(self) -> int:
        return len(self.keys)

    def rows(self, mask: np.ndarray) -> pd.DataFrame:
        """The observations of the series ``mask`` selects, as a long frame (KEYS, period,
        period_start, amount): for the few detectors that read a handful of series that way."""
        r, c = np.nonzero(mask[:, None] & ~np.isnan(self.Y))
        out = self.keys.iloc[r].reset_index(drop=True)
        return out.assign(period=self.labels[c], period_start=self.starts[c], amount=self.Y[r, c])


# What detection holds per cell of the panel (series x periods), measured with tracemalloc over a
# whole run of every detector on the 239,504-series benchmark (1.05 GB for 6.0 million cells: 175
# bytes), rounded up: the matrices, the detectors' working arrays and each series' share of the rest.
DETECTION_BYTES_PER_CELL = 200


class PanelTooLarge(Exception):
    """The panel would not fit in the memory there is (from_parts' ``budget``)."""

    def __init__(self, series: int, periods: int, need: float, budget: float):
        super().__init__(f"{series} series x {periods} periods")
        self.series, self.periods, self.need, self.budget = series, periods, need, budget


def check_fits(series: int, periods: int, budget: float | None) -> None:
    """Raise PanelTooLarge where a panel of ``series`` x ``periods`` needs more than ``budget`` bytes
    (DETECTION_BYTES_PER_CELL a cell; None: no limit known)."""
    need = series * periods * DETECTION_BYTES_PER_CELL
    if budget is not None and need > budget:
        raise PanelTooLarge(series, periods, need, budget)


def available_memory() -> float | None:
    """Bytes of memory the system can give without swapping (Linux MemAvailable), None elsewhere."""
    try:
        with open("/proc/meminfo") as fh:
            return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        return None


def _shared_codes(*columns: pa.ChunkedArray) -> tuple[list[np.ndarray], np.ndarray]:
    """Integer codes of string columns of several tables over one sorted dictionary (codes in the
    strings' order), and that dictionary: each column dictionary-encoded, its few distinct values
    looked up in the union of them all."""
    encoded = [c.combine_chunks().dictionary_encode() for c in columns]
    local = [np.asarray(e.dictionary.to_pylist(), dtype=object).astype(str) for e in encoded]
    values = np.unique(np.concatenate(local)) if local else np.array([], dtype=str)
    codes = [np.searchsorted(values, d)[e.indices.to_numpy(zero_copy_only=False)] if len(d) else
             np.zeros(len(e), dtype=np.int64) for e, d in zip(encoded, local, strict=True)]
    return codes, values.astype(object)


def _radix(codes: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """One int64 per row whose order is the codes' lexicographic order (a mixed-radix number)."""
    out = np.zeros(len(codes[0]), dtype=np.int64)
    for c, size in zip(codes, sizes, strict=True):
        out = out * size + c
    return out


def _empty() -> SeriesPanel:
    return SeriesPanel(pd.DataFrame({k: pd.Series([], dtype=object) for k in KEYS}), np.zeros((0, 0)),
                       np.zeros((0, 0), dtype=np.int64), np.array([], dtype="datetime64[ns]"),
                       np.array([], dtype=object), "A")


def from_parts(reported: pa.Table, published: pa.Table, present: pa.Table, budget: float | None = None) -> SeriesPanel:
    """The panel of detect_series from its parts (queries/detect/series.sql): the series-periods with
    figures (detect_series_reported), the published reporter-partner-flow-periods
    (detect_series_published) and the codes figures speak for (detect_series_present). The implicit
    zeros are put in the matrix here - a code of a series (not TOTAL) with no figure in a published
    period of its pair-flow, its code not present (no figure for it or a finer code, in either unit)
    - instead of being read as rows: they are most of a long panel. Memory: the matrices and the
    reported rows, not a row per implicit zero. ``budget``: bytes detection may use; a panel that
    needs more (DETECTION_BYTES_PER_CELL a cell) raises PanelTooLarge before its matrices are made."""
    if reported.num_rows == 0:
        return _empty()
    # one dictionary per key column over the three tables, so that their codes compare
    (r_rep, r_pub, r_pre), reporters = _shared_codes(reported["reporter"], published["reporter"], present["reporter"])
    (p_rep, p_pub, p_pre), partners = _shared_codes(reported["partner"], published["partner"], present["partner"])
    (f_rep, f_pub, f_pre), flows = _shared_codes(reported["flow"], published["flow"], present["flow"])
    (h_rep, h_pre), codes = _shared_codes(reported["hs"], present["hs"])
    (u_rep,), units = _shared_codes(reported["unit"])
    sizes = [len(reporters), len(partners), len(flows), len(codes), len(units)]
    row_codes, series = pd.factorize(_radix([r_rep, p_rep, f_rep, h_rep, u_rep], sizes), sort=True)
    series = np.asarray(series, dtype=np.int64)
    keys, rest = {}, series
    for k, values, size in zip(reversed(KEYS), [units, codes, flows, partners, reporters], reversed(sizes), strict=True):
        keys[k], rest = values[rest % size], rest // size
    keys = pd.DataFrame({k: keys[k] for k in KEYS})
    coded = keys.hs.to_numpy() != "TOTAL"

    # the series' pair-flows and the published periods of those pair-flows
    pair_size = sizes[:3]
    series_pf = series // (len(codes) * len(units))  # (reporter, partner, flow) of each series, as a radix number
    pf_values, series_pf_code = np.unique(series_pf[coded], return_inverse=True)
    pub_pf = _radix([r_pub, p_pub, f_pub], pair_size)
    pub_at = np.minimum(np.searchsorted(pf_values, pub_pf), max(len(pf_values) - 1, 0))
    pub_rows = np.flatnonzero(pf_values[pub_at] == pub_pf) if len(pf_values) else np.array([], dtype=np.int64)

    rep_start = reported["period_start"].to_numpy().astype("datetime64[ns]")
    pub_start = published["period_start"].to_numpy().astype("datetime64[ns]")[pub_rows]
    col_codes, col_starts = pd.factorize(np.concatenate([rep_start, pub_start]), sort=True)
    rep_col, pub_col = col_codes[:len(rep_start)], col_codes[len(rep_start):]
    width = len(col_starts)
    check_fits(len(keys), width, budget)

    Y = np.full((len(keys), width), np.nan)
    Y[row_codes, rep_col] = reported["amount"].to_numpy()
    figures = np.zeros(Y.shape, dtype=np.int64)
    figures[row_codes, rep_col] = reported["figures"].to_numpy()

    # zeros: published for the series' pair-flow, less the cells a figure speaks for
    published_cells = np.zeros((len(pf_values), width), dtype=bool)
    published_cells[pub_at[pub_rows], pub_col] = True
    coded_rows = np.flatnonzero(coded)
    zero = np.zeros(Y.shape, dtype=bool)
    zero[coded_rows] = published_cells[series_pf_code]
    del published_cells
    starts = np.asarray(col_starts, dtype="datetime64[ns]")
    pre_start = present["period_start"].to_numpy().astype("datetime64[ns]")
    pre_at = np.minimum(np.searchsorted(starts, pre_start), width - 1)
    in_columns = starts[pre_at] == pre_start
    code_key = _radix([r_pre, p_pre, f_pre, h_pre], sizes[:4]) * len(units)
    for u in range(len(units)):  # a figure speaks for its code in both units
        at = np.minimum(np.searchsorted(series, code_key + u), len(series) - 1)
        hit = in_columns & (series[at] == code_key + u)
        zero[at[hit], pre_at[hit]] = False
    zero &= np.isnan(Y)
    Y[zero] = 0.0
    del zero

    kept = np.flatnonzero(~np.isnan(Y).all(axis=0))  # a period with no row of any series is no column
    if len(kept) < width:
        Y, figures = Y[:, kept], figures[:, kept]
    labels, monthly = _column_labels(width, [(rep_col, reported["period"], reported["month"]),
                                             (pub_col, published["period"].take(pa.array(pub_rows)),
                                              published["month"].take(pa.array(pub_rows)))])
    return SeriesPanel(keys, Y, figures, starts[kept], labels[kept], "M" if monthly[kept].any() else "A")


def _column_labels(width: int, sources: list[tuple[np.ndarray, pa.ChunkedArray, pa.ChunkedArray]]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Each column's period label and whether it is a month, from the first row that has it."""
    labels = np.full(width, None, dtype=object)
    monthly = np.zeros(width, dtype=bool)
    for cols, periods, months in sources:
        if not len(cols):
            continue
        first_col, first = np.unique(cols, return_index=True)
        todo = labels[first_col] == None  # noqa: E711 - elementwise on an object array
        take = pa.array(first[todo])
        labels[first_col[todo]] = [str(v) for v in periods.take(take).to_pylist()]
        monthly[first_col[todo]] = ~np.asarray(months.take(take).is_null().to_pylist(), dtype=bool)
    return labels, monthly
