"""The report: one self-contained offline HTML file of charts and tables built from the store
(``build_report``), its exports, and the same renderer for notebooks.

- ``page``: the page's objects (Report, Section, Figure, Table, Finding), rendering and exports;
- ``sections`` and ``parts``: what each section shows, from the store's queries;
- ``findings``: the headline sentences and their citations;
- ``words``: how values are written (years, dates, countries, HS codes, measures, number formats).
"""

from .page import (
    Figure,
    Finding,
    Report,
    Section,
    Table,
    check_renderer,
    javascript_bundle,
    render,
    safe_json,
    use_offline_renderer,
)
from .sections import build_report

__all__ = ["Figure", "Finding", "Report", "Section", "Table", "build_report", "check_renderer", "javascript_bundle",
           "render", "safe_json", "use_offline_renderer"]
