"""The SQL checks in queries/checks: they pass on real loads and catch what they are for."""

from .helpers import load_rows, row


def test_store_checks_pass_after_every_kind_of_load(db, fixtures, tmp_path):
    db.load_bundled()
    db.load(fixtures / "comtrade_api_CHN_2018.json")
    db.load(fixtures / "baci" / "BACI_HS92_Y2021_V202301.csv")
    db.load(fixtures / "un1718_notifications.csv")
    revised = tmp_path / "revised.csv"
    revised.write_text((fixtures / "comtrade_api_CHN_2018_monthly.csv").read_text())
    db.load(revised, release="r1")
    revised2 = tmp_path / "revised2.csv"
    revised2.write_text(revised.read_text().replace(",2002000.0,2002000.0,", ",2502000.0,2502000.0,"))
    db.load(revised2, release="r2")
    result = db.check()
    assert len(result) >= 6
    assert result.offending_rows.sum() == 0, result[result.offending_rows > 0]


def test_checks_catch_a_violation(db, tmp_path):
    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "2709", 100)])
    # Tamper with the store behind the loader's back: a negative value and a second current version.
    db.con.execute("UPDATE figures SET value = -5")
    db.con.execute("INSERT INTO figures SELECT * FROM figures")
    failing = set(db.check().query("offending_rows > 0").check)
    assert {"check_no_negative_values", "check_one_current_version_per_figure"} <= failing


def test_build_checks_run_after_every_build(db, tmp_path):
    from mirror import sql
    from mirror.engine import BUILD_CHECKS

    load_rows(db, tmp_path, [row("CHN", "PRK", "X", "2709", 100), row("PRK", "CHN", "M", "2709", 106),
                             row("RUS", "PRK", "X", "2709", 7)])
    db.mirror(level="4")
    for name in BUILD_CHECKS:
        assert sql.frame(db.con, name).empty, name
    assert sql.frame(db.con, "check_mirror_unique_keys").empty
    # A second figure for one side of a flow (a second row of its key) would be caught, and so would
    # the pair's values counted twice.
    db.con.execute("INSERT INTO mp_base SELECT * FROM mp_base LIMIT 1")
    assert len(sql.frame(db.con, "check_mirror_unique_keys")) == 1
    assert len(sql.frame(db.con, "check_mirror_sums_equal_staged")) >= 1
    # A key that decodes to another flow would be caught on the sampled flows.
    db.con.execute("INSERT INTO mp_resolved_sample SELECT pair_key, value_exporter_usd, 'CHN|PRK|2709|2018-01-01' "
                   "FROM mp_base WHERE value_exporter_usd IS NOT NULL")
    db.con.execute("UPDATE mp_base SET pair_key = pair_key + 1")
    assert len(sql.frame(db.con, "check_mirror_key_decoding")) >= 1


def test_check_command(cli, tmp_path):
    path = tmp_path / "s.duckdb"
    code, out, err = cli("load", "--bundled", "--db", path)
    assert code == 0, err
    code, out, _ = cli("check", "--json", "--db", path)
    assert code == 0 and '"offending_rows": 0' in out
