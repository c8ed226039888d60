"""The public API's arguments (issue 17, items 2 and 5): ``years`` in every form people write and
nothing else, ranges checked against what the store holds, a store path in a missing folder refused,
every fixed-choice option checked with the same list the CLI offers, ``hs`` implying its level, and
an empty result that names the filter that emptied it.

The store: China's and Russia's reports of trade with the DPRK in 2016-2018 (crude 2709, refined
2710, coal 2701 and totals; LPG 2711 in 2016 only), so that every filter has something to match and
something to miss."""

from __future__ import annotations

import warnings

import pytest

import mirror
from mirror import options
from mirror.cli import build_parser
from mirror.errors import OptionError, StoreError

from .helpers import load_rows, row


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    rows = []
    for year in (2016, 2017, 2018):
        rows += [row("CHN", "PRK", "X", "2709", 500 + year, year=year), row("CHN", "PRK", "X", "2710", 90, year=year),
                 row("CHN", "PRK", "X", "TOTAL", 3000, year=year), row("CHN", "PRK", "M", "2701", 1200, year=year),
                 row("RUS", "PRK", "X", "TOTAL", 80, year=year)]
    rows.append(row("CHN", "PRK", "X", "2711", 7, year=2016))  # LPG in one year only
    with mirror.open(folder / "s.duckdb") as db:
        load_rows(db, folder, rows)
    db = mirror.open(folder / "s.duckdb", read_only=True)
    yield db
    db.close()


@pytest.mark.parametrize("years", [2017, "2017", "2017-2017", (2017, 2017), [2017, 2017], range(2017, 2018)])
def test_one_year_in_every_accepted_form(store, years):
    frame = store.mirror(exporter="CHN", importer="PRK", years=years)
    assert set(frame.year) == {2017}


@pytest.mark.parametrize("years", ["2016-2018", "2016..2018", "2016–2018", (2016, 2018), range(2016, 2019)])
def test_a_range_in_every_accepted_form(store, years):
    assert set(store.mirror(exporter="CHN", importer="PRK", years=years).year) == {2016, 2017, 2018}
    assert options.parse_years(years) == (2016, 2018)


@pytest.mark.parametrize("years", ["2010-2015-2019", "twenty", 2017.5, (2016.5, 2018), True, {2016: 2018}, range(2016, 2019, 2),
                                   (2016,), "17-18"])
def test_other_forms_are_refused_listing_the_allowed_ones(store, years):
    with pytest.raises(OptionError) as err:
        store.mirror(years=years)
    text = str(err.value)
    assert "years=" in text and "Fix:" in text
    assert ("a (from, to) tuple or a range" in text) or ("four-digit years" in text) or ("consecutive" in text)


def test_a_reversed_range_is_an_error_giving_the_right_order(store):
    with pytest.raises(OptionError, match=r"runs backwards \(2018 after 2016\).*2016-2018"):
        store.mirror(years=(2018, 2016))
    with pytest.raises(OptionError, match="runs backwards"):
        store.reconstruct("PRK", years="2018-2016")
    with pytest.raises(OptionError, match="runs backwards"):
        store.coverage("CHN", "PRK", years=(2018, 2016))


# (coverage takes any span: years the store has nothing of are its answer, "not available")
@pytest.mark.parametrize("call", ["mirror", "reconstruct", "oil"])
def test_a_range_outside_the_store_says_what_it_holds(store, call):
    with pytest.raises(OptionError, match=r"years=2030-2035: the store holds the years 2016-2018, none of these"):
        getattr(store, call)(years=(2030, 2035))
    # a range that overlaps the store's years is kept as given
    assert getattr(store, call)(years=(2010, 2016)) is not None


def test_the_report_checks_its_years_too(store):
    from mirror.report import build_report

    with pytest.raises(OptionError, match="the store holds the years 2016-2018"):
        build_report(store, years=(1990, 1995))


def test_a_store_in_a_folder_that_does_not_exist_is_an_error_not_a_new_empty_store(tmp_path):
    with pytest.raises(StoreError, match=r"The folder .*typo/dir does not exist.*Fix: check the path"):
        mirror.open(tmp_path / "typo" / "dir" / "x.duckdb")
    with pytest.raises(StoreError, match=r"No store at .*typo/dir/x.duckdb"):
        mirror.open(tmp_path / "typo" / "dir" / "x.duckdb", read_only=True)
    assert not (tmp_path / "typo").exists()
    with mirror.open(tmp_path / "x.duckdb") as db:  # an existing folder: a new store is made there
        assert db.status().empty


def test_the_load_command_may_start_a_store_in_a_new_folder(cli, tmp_path, fixtures):
    target = tmp_path / "new" / "dir" / "s.duckdb"
    code, _, err = cli("status", "--db", target)  # reading never creates
    assert code == 3 and "No store at" in err and not target.parent.exists()
    code, _, err = cli("load", fixtures / "comtrade_api_CHN_2018.json", "--db", target, "--quiet")
    assert code == 0, err
    assert target.exists()


def test_hs_implies_its_level(store):
    frame = store.mirror(exporter="CHN", importer="PRK", hs="2709")  # no level: the code's own (4)
    assert set(frame.hs) == {"2709"} and set(frame.hs_level) == {"4"} and len(frame) == 3
    assert options.implied_level("27", None) == "2" and options.implied_level("270900", None) == "6"
    assert options.implied_level("3", None) == "2" and options.implied_level(None, None) == "TOTAL"
    assert set(store.mirror(exporter="CHN", importer="PRK", hs="27", level="4").hs) == {"2709", "2710", "2711"}


def test_a_code_finer_than_its_level_is_an_error_saying_the_fix(store):
    with pytest.raises(OptionError, match=r"hs='2709' with level='TOTAL'.*leave the level out \(it follows the code: 4\)"):
        store.mirror(hs="2709", level="TOTAL")
    with pytest.raises(OptionError, match=r"hs='270900' is a 6-digit code, finer than level 4"):
        store.mirror(hs="270900", level="4")


@pytest.mark.parametrize(("kwargs", "said"), [
    ({"exporter": "KOR"}, "exporter='KOR': no flow exported by it at the total level. Exporters there: CHN, PRK, RUS."),
    ({"exporter": "CHN", "importer": "USA"}, "importer='USA': no flow from CHN to it at the total level. CHN trades with: PRK."),
    ({"exporter": "CHN", "importer": "PRK", "hs": "2716"}, "hs='2716': no code starting 2716 in CHN -> PRK at HS level 4. "
                                                           "Codes there: 2709, 2710, 2711."),
    # Russia reports totals only: at the heading level 2709 implies, it exports nothing
    ({"exporter": "RUS", "hs": "2709"}, "exporter='RUS': no flow exported by it at HS level 4. Exporters there: CHN, PRK."),
    ({"exporter": "CHN", "importer": "PRK", "hs": "2711", "years": 2018},
     "years=2018-2018: the flows matching the other filters are in 2016 only, at HS level 4."),
])
def test_an_empty_result_names_the_filter_that_emptied_it_and_what_exists(store, kwargs, said):
    with pytest.warns(options.EmptyResult) as caught:
        frame = store.mirror(**kwargs)
    assert frame.empty
    assert str(caught[0].message) == said


def test_a_result_with_rows_warns_nothing(store):
    with warnings.catch_warnings():
        warnings.simplefilter("error", options.EmptyResult)
        assert len(store.mirror(exporter="CHN", importer="PRK")) == 3


def test_the_empty_result_is_said_on_the_command_line_too(cli, store):
    code, out, err = cli("mirror", "--exporter", "CHN", "--importer", "PRK", "--hs", "2709", "--db", store.path)
    assert code == 0 and out.count("\n") == 4 and "2709" in out  # a header and three years: level 4 implied
    code, out, err = cli("mirror", "--exporter", "CHN", "--importer", "USA", "--db", store.path)
    assert code == 0 and "no rows: importer='USA': no flow from CHN to it" in err and "CHN trades with: PRK" in err


FIXED_CHOICES = [
    # (library call, the bad value's keyword, the CLI command and flag, the library's list)
    ("mirror", {"level": "5"}, ["mirror", "--level"], options.LEVELS),
    ("mirror", {"freq": "Q"}, ["mirror", "--freq"], options.FREQS),
    ("reconstruct", {"by": "colour"}, ["reconstruct", "--by"], options.RECONSTRUCT_BY),
    ("coverage", {"by": "country"}, ["coverage", "--by"], options.COVERAGE_BY),
    ("coverage", {"kind": "notified"}, ["coverage", "--kind"], options.COVERAGE_KINDS),
    ("coverage", {"flow": "exports"}, ["coverage", "--flow"], options.FLOWS),
    ("compare_kinds", {"kind": "reported"}, ["compare", "--kind"], options.COMPARE_KINDS),
    ("oil", {"kind": "notifed"}, ["oil", "--kind"], options.OIL_KINDS),
    ("caps", {"kind": "notifed"}, ["caps", "--kind"], options.CAP_KINDS),
    ("notifications_vs_customs", {"unit": "kg"}, ["notifications", "--unit"], options.UNITS),
    ("oil", {"factor_set": "bp2020"}, ["oil", "--factors"], None),
    ("sanctioned_trade", {"freq": "Q"}, ["sanctions", "--freq"], options.FREQS),
    ("flags", {"level": "5"}, ["flags", "--level"], options.LEVELS),
]


@pytest.mark.parametrize(("call", "kwargs", "cli_args", "allowed"), FIXED_CHOICES, ids=lambda v: str(v))
def test_every_fixed_choice_is_checked_with_one_list(store, cli, call, kwargs, cli_args, allowed):
    (name, bad), = kwargs.items()
    with pytest.raises(OptionError, match=rf"{name}='{bad}' is not allowed\. Choose one of: ") as err:
        getattr(store, call)(**kwargs)
    if allowed is not None:
        assert ", ".join(allowed) in str(err.value)
    code, _, text = cli(*cli_args, bad, "--db", store.path)
    assert code == 2 and f"invalid choice: '{bad}'" in text
    action = _action(cli_args[0], cli_args[1])
    if allowed is not None:
        assert tuple(action.choices) == tuple(allowed)  # the CLI offers the library's list


def _action(command: str, flag: str):
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    return next(a for a in sub._actions if flag in a.option_strings)


def test_caps_kind_notifed_fails_clearly(cli, store):
    code, _, err = cli("caps", "--kind", "notifed", "--db", store.path)
    assert code == 2 and "invalid choice: 'notifed'" in err and "'notified', 'reported', 'estimated', 'all', 'side-by-side'" in err
