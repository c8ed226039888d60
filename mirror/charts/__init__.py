"""One function per chart: a DataFrame in (already aggregated, by a Store method or a named query
in queries/report/), an ``alt.Chart`` out. Every mark has a tooltip with units and the source.

Drawn as publication figures: periods on time axes (a year is a span of time, so 1989 and 2006 sit
seventeen years apart, not side by side), years written without separators, countries by name,
every colour, shade and line explained in a legend or the subtitle, each chart sized to what it
holds. Years are placed as local-time dates ("2014-01-01T00:00") with the ``year`` time unit, so a
reader west of Greenwich does not see 2014 drawn in 2013.

No Altair theme or option is changed at import; the row guard (5,000 rows) is left on on purpose:
the frames come aggregated, and a frame too big for a chart is a bug to fix in SQL, not a limit to
lift. An empty frame gives a chart that says what is missing (the report leaves such charts out).
"""

from .axes import *  # noqa: F403 - the shared helpers (with_years, year_domain, message ...)
from .oil import *  # noqa: F403
from .sanctions import *  # noqa: F403
from .trade import *  # noqa: F403
