"""The country's series as the detectors read them: one matrix (series x periods), not a long frame.

A panel of the DPRK's partners has hundreds of thousands of series and millions of observations;
as a long pandas frame with a row of strings per observation it cost gigabytes and made every
detector group and sort it again. So the rows of detect_series (queries/detect/series.sql) are read
through Arrow straight into integer codes, and a run keeps:

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


def _ranked_codes(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a string column whose order is the strings' order, and the sorted strings."""
    encoded = column.combine_chunks().dictionary_encode()
    values = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    order = np.argsort(values.astype(str), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[encoded.indices.to_numpy(zero_copy_only=False)], values[order]


def from_arrow(table: pa.Table) -> SeriesPanel:
    """The panel of the rows of detect_series (any order; one row per series and period)."""
    n = table.num_rows
    if n == 0:
        return SeriesPanel(pd.DataFrame({k: pd.Series([], dtype=object) for k in KEYS}), np.zeros((0, 0)),
                           np.zeros((0, 0), dtype=np.int64), np.array([], dtype="datetime64[ns]"),
                           np.array([], dtype=object), "A")
    combined = np.zeros(n, dtype=np.int64)
    sorted_values = []
    for k in KEYS:  # a mixed-radix key whose integer order is the keys' lexicographic order
        codes, values = _ranked_codes(table[k])
        combined = combined * len(values) + codes
        sorted_values.append(values)
    row_codes, series_keys = pd.factorize(combined, sort=True)
    keys, rest = {}, np.asarray(series_keys, dtype=np.int64)
    for k, values in zip(reversed(KEYS), reversed(sorted_values), strict=True):
        keys[k], rest = values[rest % len(values)], rest // len(values)
    keys = pd.DataFrame({k: keys[k] for k in KEYS})
    start = table["period_start"].to_numpy().astype("datetime64[ns]")
    col_codes, col_starts = pd.factorize(start, sort=True)
    Y = np.full((len(keys), len(col_starts)), np.nan)
    Y[row_codes, col_codes] = table["amount"].to_numpy()
    figures = np.zeros(Y.shape, dtype=np.int64)
    figures[row_codes, col_codes] = table["figures"].to_numpy()
    first = np.unique(col_codes, return_index=True)[1]  # a row of each period: its label
    labels = np.array([str(v) for v in table["period"].take(pa.array(first)).to_pylist()], dtype=object)
    freq = "M" if table["month"].null_count < n else "A"
    return SeriesPanel(keys, Y, figures, np.asarray(col_starts, dtype="datetime64[ns]"), labels, freq)
