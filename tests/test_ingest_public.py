"""Importers of public files, on the real samples in ../shared/data and broken variants of them
made in tmp_path: GIAS, IMD, NEET and KS4 destination measures."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from hubcore.errors import HubcoreError
from hubcore.ingest import gias, import_file
from hubcore.models import Area, LaNeetStat, School, SchoolDestinationMeasure
from tests.ingest_corpus import gias_variant, read_real

GIAS = "schools/gias_edubase_leeds_20230703.csv"
LINKS = "schools/gias_links_leeds_20230817.csv"


def scalar(engine, query):
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


def frame(engine, query) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def test_gias_leeds_keeps_63_open_in_scope_and_is_idempotent(engine, shared_data, tmp_path):
    path = shared_data / GIAS
    first = import_file(engine, "gias", path, links=shared_data / LINKS,
                        rejects_path=tmp_path / "r.csv")
    assert (first.read, first.accepted, first.rejected, first.skipped) == (771, 63, 0, 708)
    second = import_file(engine, "gias", path, links=shared_data / LINKS,
                         rejects_path=tmp_path / "r.csv")
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 63)
    schools = frame(engine, select(School.__table__))
    assert len(schools) == 63
    kinds = schools["kind"].value_counts().to_dict()
    assert kinds["all_through"] == 4 and kinds["special"] + kinds["ap"] == 14
    lawnswood = schools.set_index("urn").loc[108055]
    assert lawnswood["lsoa_code"] == "E01011685" and lawnswood["lsoa_vintage"] == 2011
    assert lawnswood["la_gss"] == lawnswood["lad_gss"] == "E08000035"
    assert lawnswood["lat"] == pytest.approx(53.836, abs=0.001)
    assert lawnswood["lon"] == pytest.approx(-1.595, abs=0.001)
    # Academy conversions: the links file gives predecessors of the new URNs.
    assert schools["predecessor_urn"].notna().sum() > 20
    assert not schools["name"].str.contains("\x92").any()


def test_gias_cp1252_and_bom_variants_import_the_same(engine, shared_data, tmp_path):
    cp = gias_variant(shared_data, tmp_path, "cp.csv", encoding="cp1252",
                      change=lambda f: f.replace("\x92", "’", regex=True))
    bom = gias_variant(shared_data, tmp_path, "bom.csv", bom=True)
    assert import_file(engine, "gias", cp).accepted == 63
    report = import_file(engine, "gias", bom)
    assert report.unchanged == 63 and report.inserted == 0


def test_gias_bad_values_are_rejected_not_stored(engine, shared_data, tmp_path):
    def spoil(f):
        f = f.copy()
        open_rows = f.index[(f["URN"] == "108055") | (f["URN"] == "108076")]
        f.loc[open_rows[0], "URN"] = "10805X"
        f.loc[open_rows[1], "PercentageFSM"] = "140"
        return pd.concat([f, f[f["URN"] == "137704"]])  # a repeated URN

    path = gias_variant(shared_data, tmp_path, "bad.csv", change=spoil)
    report = import_file(engine, "gias", path)
    rules = set(zip(report.rejects["column"], report.rejects["rule"], strict=True))
    assert rules == {("URN", "not_integer"), ("PercentageFSM", "out_of_range")}
    # GIAS is cumulative: a URN listed twice is one establishment, kept once (not an error).
    assert (report.accepted, report.skipped) == (61, 709)
    assert scalar(engine, select(func.count()).select_from(School.__table__)) == 61


def test_gias_missing_column_stops_with_names(engine, shared_data, tmp_path):
    path = gias_variant(shared_data, tmp_path, "nourn.csv",
                        change=lambda f: f.drop(columns=["URN", "PhaseOfEducation (code)"]))
    with pytest.raises(HubcoreError, match=r"missing columns: URN, PhaseOfEducation \(code\)"):
        import_file(engine, "gias", path)


def test_gias_closed_school_already_stored_is_updated_not_lost(engine, shared_data, tmp_path):
    import_file(engine, "gias", shared_data / GIAS)

    def close(f):
        f = f.copy()
        f.loc[f["URN"] == "108055", "EstablishmentStatus (name)"] = "Closed"
        return f

    report = import_file(engine, "gias", gias_variant(shared_data, tmp_path, "c.csv", close))
    assert report.updated == 1
    status = scalar(engine, select(School.__table__.c.status).where(
        School.__table__.c.urn == 108055))
    assert status == "Closed"


def test_read_schools_for_the_demo(shared_data):
    schools = gias.read_schools(shared_data / GIAS)
    assert len(schools) == 63
    assert set(schools.columns) >= {"urn", "name", "kind", "easting", "northing", "lsoa_code"}
    assert schools["urn"].is_unique


def test_imd_2019_updates_stored_lsoas(engine, shared_data, tmp_path):
    import_file(engine, "boundaries",
                shared_data / "boundaries" / "lsoa2011_leeds_E08000035_bgc.geojson")
    report = import_file(engine, "imd",
                         shared_data / "deprivation" / "imd2019_file1_lsoa11_england.csv",
                         rejects_path=tmp_path / "r.csv")
    assert (report.read, report.accepted, report.skipped) == (32844, 482, 32362)
    again = import_file(engine, "imd",
                        shared_data / "deprivation" / "imd2019_file1_lsoa11_england.csv",
                        rejects_path=tmp_path / "r.csv")
    assert again.unchanged == 482 and again.updated == 0
    areas = frame(engine, select(Area.__table__.c.code, Area.__table__.c.imd_decile,
                                 Area.__table__.c.imd_vintage, Area.__table__.c.parent_code))
    assert areas["imd_decile"].between(1, 10).all() and set(areas["imd_vintage"]) == {2019}
    assert set(areas["parent_code"]) == {"E08000035"}


def test_imd_2025_headers_and_bad_values(engine, shared_data, tmp_path):
    real = read_real(shared_data / "deprivation" / "imd2019_file1_lsoa11_england.csv")
    leeds = real[real["Local Authority District code (2019)"] == "E08000035"].head(5).copy()
    renamed = leeds.rename(columns={
        "LSOA code (2011)": "LSOA code (2021)",
        "LSOA name (2011)": "LSOA name (2021)",
        "Local Authority District code (2019)": "Local Authority District code (2024)",
        "Local Authority District name (2019)": "Local Authority District name (2024)",
        "Index of Multiple Deprivation (IMD) Rank":
            "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
        "Index of Multiple Deprivation (IMD) Decile":
            "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
    })
    renamed.iloc[0, 5] = "11"
    path = tmp_path / "File_1_IoD2025.csv"
    renamed.to_csv(path, index=False)
    report = import_file(engine, "imd", path, create_missing=True)
    assert report.rejects["rule"].tolist() == ["out_of_range"]
    assert report.inserted == 4 and "IoD2025 on 2021 LSOAs" in report.notes
    vintages = frame(engine, select(Area.__table__.c.imd_vintage, Area.__table__.c.vintage))
    assert set(vintages["imd_vintage"]) == {2025} and set(vintages["vintage"]) == {2021}


def test_imd_wrong_file_stops(engine, shared_data):
    with pytest.raises(HubcoreError, match="missing columns: LSOA code"):
        import_file(engine, "imd", shared_data / "lookups" / "lad23_to_lsip23_dfe.csv")


def test_neet_all_real_years(engine, shared_data, tmp_path):
    reports = {
        p.name[23:27]: import_file(engine, "neet", p, rejects_path=tmp_path / f"{p.stem}.csv")
        for p in sorted((shared_data / "neet").glob("*.csv"))
    }
    assert reports["2021"].rejected == 2  # the "LA demo" placeholder pair
    assert set(reports["2021"].rejects["rule"]) == {"missing_code"}
    assert all(r.rejected == 0 for y, r in reports.items() if y != "2021")
    t = LaNeetStat.__table__
    leeds = frame(engine, select(t.c.time_period, t.c.neet_nk_percent)
                  .where(t.c.la_gss == "E08000035").order_by(t.c.time_period))
    assert leeds["neet_nk_percent"].tolist() == [7.9, 7.8, 9.2, 8.3, 8.8]
    england = frame(engine, select(t).where(t.c.la_gss == "E92000001", t.c.time_period == 2025))
    assert england[["cohort", "neet_nk_percent", "neet_percent", "nk_percent"]].iloc[0].tolist() \
        == [1335160, 5.6, 3.4, 2.2]
    again = import_file(engine, "neet", shared_data / "neet" /
                        "UD_NEETNK_LA_dashboard_2025_final.csv", rejects_path=tmp_path / "x.csv")
    assert again.unchanged == 161


def test_neet_suppression_symbols_are_kept_not_zero(engine, shared_data, tmp_path):
    real = read_real(shared_data / "neet" / "UD_NEETNK_LA_dashboard_2025_final.csv").head(6)
    real.loc[3, "NEET_percent"] = "c"
    real.loc[4, "Notknown_percent"] = "low"
    real.loc[5, "NEET_not_known_percent"] = "140"
    path = tmp_path / "neet.csv"
    real.to_csv(path, index=False)
    report = import_file(engine, "neet", path)
    assert report.rejects[["row", "column", "rule"]].values.tolist() == [
        [7, "NEET_not_known_percent", "out_of_range"]
    ]
    t = LaNeetStat.__table__
    stored = frame(engine, select(t.c.neet_percent, t.c.nk_percent, t.c.suppressed))
    assert stored["suppressed"].dropna().tolist() == ["neet_percent=c", "nk_percent=low"]
    assert stored["neet_percent"].isna().sum() == 1 and (stored["neet_percent"] != 0).all()


def test_ks4_destinations_performance_tables(engine, shared_data, tmp_path):
    path = shared_data / "destinations" / "england_ks4-pupdest.csv"
    report = import_file(engine, "ks4-destinations", path, rejects_path=tmp_path / "r.csv")
    assert (report.read, report.accepted, report.rejected, report.skipped) == (4134, 3983, 0, 151)
    t = SchoolDestinationMeasure.__table__
    brigshaw = frame(engine, select(t).where(t.c.urn == 143238)).set_index("breakdown")
    assert brigshaw.loc["Total", ["cohort", "overall", "education", "apprenticeship"]] \
        .tolist() == [229, 95.0, 84.0, 7.0]
    assert brigshaw.loc["Total", "time_period"] == 202223
    assert pd.isna(brigshaw.loc["Total", "unknown"])
    assert brigshaw.loc["Total", "suppressed"] == "unknown=SP"
    leeds = frame(engine, select(t.c.urn).where(t.c.breakdown == "Total"))
    assert len(leeds) == 3983


def test_ks4_destinations_ees_long_format(engine, tmp_path):
    rows = []
    for urn, overall in ((108055, "92"), (108076, "c")):
        for data_type in ("Number of students", "Percentage"):
            rows.append({"time_period": "202223", "school_urn": str(urn), "breakdown": "Total",
                         "data_type": data_type, "cohort": "200", "overall": overall,
                         "education": "80", "appren": "low", "all_work": "5",
                         "all_notsust": "6", "all_unknown": "x"})
    path = tmp_path / "ees_ks4_inst_202223.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    report = import_file(engine, "ks4-destinations", path)
    assert (report.accepted, report.skipped) == (2, 2)
    t = SchoolDestinationMeasure.__table__
    stored = frame(engine, select(t).order_by(t.c.urn))
    assert stored["overall"].tolist()[0] == 92 and pd.isna(stored["overall"].tolist()[1])
    assert stored["suppressed"].tolist()[1] == "overall=c; apprenticeship=low; unknown=x"


def test_national_ees_file_is_refused_for_school_measures(engine, shared_data):
    with pytest.raises(HubcoreError, match="missing columns: school_urn"):
        import_file(engine, "ks4-destinations",
                    shared_data / "destinations" / "ees_ks4_nat_202223.csv")


