"""``hubcore fetch`` against a local fixture HTTP server replaying the official formats.

The server serves the real files in ../shared/data (GIAS Leeds extract, LSOA 2011 Leeds
boundaries as an ArcGIS GeoJSON query answer, IoD2019 File 1, the NCCIS NEET dashboard file,
the KS4 destination measures), so nothing here touches the internet.
"""

from __future__ import annotations

import csv
import hashlib
import http.server
import io
import json
import threading
import urllib.parse
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from hubcore.errors import HubcoreError
from hubcore.fetch import download, fetch, load_settings
from hubcore.fetch.pipeline import resolve
from hubcore.models import Area, LaNeetStat, School, SchoolDestinationMeasure, SourceProvenance

LEEDS = "E08000035"


def _imd_rows(shared: Path) -> bytes:
    """IoD2019 File 1 cut to Leeds and one other district (keeps the test quick); real rows."""
    text = (shared / "deprivation" / "imd2019_file1_lsoa11_england.csv").read_text(
        encoding="utf-8-sig")
    lines = text.splitlines()
    keep = [lines[0]] + [ln for ln in lines[1:] if f",{LEEDS}," in ln or ",E08000036," in ln]
    return ("\n".join(keep) + "\n").encode()


def lad_region_rows(shared: Path) -> bytes:
    """An ONS "LAD to Region" lookup (LAD25CD, LAD25NM, RGN25CD, RGN25NM, ObjectId) built from
    the real NEET dashboard's single-tier LAs (E06, E08, E09: district and upper tier at once)
    and the region each is listed in there."""
    frame = pd.read_csv(shared / "neet" / "UD_NEETNK_LA_dashboard_2024_final.csv", dtype=str,
                        keep_default_na=False, encoding="utf-8-sig")
    las = frame[frame["new_la_code"].str.match(r"E0[689]") & (frame["region_code"] != "")]
    las = las.drop_duplicates("new_la_code")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["LAD25CD", "LAD25NM", "RGN25CD", "RGN25NM", "ObjectId"])
    for i, r in enumerate(las.itertuples(), 1):
        writer.writerow([r.new_la_code, r.la_name, r.region_code, r.region_name, i])
    return ("\ufeff" + out.getvalue()).encode()


#: The national LA-membership lookups: settings name → (route, cache file name).
AREA_LOOKUPS = {"lad_region": ("/lad_region.csv", "lad25_rgn25_en_lu.csv"),
                "lad_cauth": ("/lad_cauth.csv", "lad25_cauth25_en_lu.csv"),
                "lad_lsip": ("/lad_lsip.csv", "lad23_lsip23_dfe.csv")}


def area_lookup_tables(base: str) -> dict[str, str]:
    """Settings lines pointing the area lookups at the fixture server (the DfE LSIP file is
    served as the CSV in ../shared/data, so its cache name says .csv)."""
    return {name: f'address = "{base}{route}"\nfilename = "{filename}"'
            for name, (route, filename) in AREA_LOOKUPS.items()}


class Server:
    """A threaded HTTP server: path → bytes (``routes``); ``/cut`` promises more than it
    sends and closes the connection mid-body; ``hits`` counts requests."""

    def __init__(self, routes: dict[str, bytes]):
        self.routes = routes
        self.hits: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                parsed = urllib.parse.urlsplit(self.path)
                owner.hits.append(self.path)
                if parsed.path == "/cut":
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(b"RECTYPE,URN\n" * 100)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                key = parsed.path
                if key.startswith("/gias/edubasealldata"):
                    key = "/gias"
                if key == "/lsoa2011/query":
                    where = urllib.parse.parse_qs(parsed.query)["where"][0]
                    assert "LSOA11NM LIKE 'Leeds %'" in where
                body = owner.routes.get(key)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def files(shared_data) -> dict[str, bytes]:
    return {
        "/gias": (shared_data / "schools" / "gias_edubase_leeds_20230703.csv").read_bytes(),
        "/lsoa2011/query": (shared_data / "boundaries" / "lsoa2011_leeds_E08000035_bgc.geojson"
                            ).read_bytes(),
        "/imd2019.csv": _imd_rows(shared_data),
        "/neet.csv": (shared_data / "neet" / "UD_NEETNK_LA_dashboard_2024_final.csv").read_bytes(),
        "/ks4.csv": (shared_data / "destinations" / "england_ks4-pupdest.csv").read_bytes(),
        "/lad_region.csv": lad_region_rows(shared_data),
        "/lad_cauth.csv": (shared_data / "lookups" / "lad25_to_cauth25_may2025_en.csv"
                           ).read_bytes(),
        "/lad_lsip.csv": (shared_data / "lookups" / "lad23_to_lsip23_dfe.csv").read_bytes(),
    }


@pytest.fixture
def server(files):
    srv = Server(dict(files))
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBCORE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HUBCORE_FETCH_SOURCES", raising=False)
    return tmp_path / "home"


def _settings(tmp_path: Path, base: str, extra: dict[str, str] | None = None):
    """Settings over the defaults pointing at ``base``; ``extra`` adds lines to a source."""
    extra = extra or {}
    tables = {
        "gias": f'address = "{base}/gias/edubasealldata{{date}}.csv"',
        "lsoa2011": f'address = "{base}/lsoa2011/query?where={{where}}&outFields=*&f=geojson'
                    '&resultOffset={offset}"',
        "imd2019": f'address = "{base}/imd2019.csv"',
        "neet": f'address = "{base}/neet.csv"',
        "ks4": f'address = "{base}/ks4.csv"',
        "ks5": "skip = true",
        **area_lookup_tables(base),
    }
    for name, line in extra.items():
        if line.startswith("address"):
            tables[name], extra[name] = line, ""
    text = '[fetch]\niod = "2019"\ntimeout_s = 10\n' + "".join(
        f"[source.{name}]\n{body}\n{extra.get(name, '')}\n" for name, body in tables.items())
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


def _count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model.__table__)).scalar_one()


def _nothing_imported(engine):
    for model in (School, Area, LaNeetStat, SchoolDestinationMeasure, SourceProvenance):
        assert _count(engine, model) == 0, model.__tablename__


def test_full_fetch_imports_schools_areas_iod_and_provenance(engine, server, files, tmp_path,
                                                             home):
    result = fetch(engine, ["Leeds"], _settings(tmp_path, server.url))
    assert [la.code for la in result.las] == [LEEDS]
    # Areas: every feature of the served Leeds LSOA file, parented to Leeds.
    served = json.loads(files["/lsoa2011/query"])
    lsoas = {f["properties"]["LSOA11CD"] for f in served["features"]}
    with engine.connect() as conn:
        areas = conn.execute(select(Area.code, Area.parent_code, Area.imd_decile,
                                    Area.imd_vintage)).all()
        urns = set(conn.execute(select(School.urn)).scalars())
        prov = conn.execute(select(SourceProvenance)).mappings().all()
    assert {a.code for a in areas} == lsoas and {a.parent_code for a in areas} == {LEEDS}
    # IoD: the deciles of the IMD rows for Leeds LSOAs, read here from the served CSV.
    imd = {r["LSOA code (2011)"]: int(r["Index of Multiple Deprivation (IMD) Decile"])
           for r in csv.DictReader(io.StringIO(files["/imd2019.csv"].decode()))}
    assert {a.code: a.imd_decile for a in areas} == {c: imd[c] for c in lsoas}
    assert {a.imd_vintage for a in areas} == {2019}
    # Schools: only URNs of the served file, open ones only (a closed one is left out).
    gias = list(csv.DictReader(io.StringIO(files["/gias"].decode("cp1252"))))
    open_urns = {int(r["URN"]) for r in gias if r["EstablishmentStatus (name)"] == "Open"}
    closed = {int(r["URN"]) for r in gias if r["EstablishmentStatus (name)"] == "Closed"}
    assert urns and urns <= open_urns and not urns & closed
    assert _count(engine, LaNeetStat) > 0
    assert _count(engine, SchoolDestinationMeasure) > 0
    # Provenance: one row per file, with the bytes' SHA-256 and the licence.
    by_kind = {}
    for row in prov:
        by_kind.setdefault(row["kind"], []).append(row)
    from hubcore.ingest import KINDS

    # The LA-membership lookups are imported once the `area-lookup` importer exists.
    lookups = {"area-lookup"} if "area-lookup" in KINDS else set()
    assert set(by_kind) == {"gias", "boundaries", "imd", "neet", "ks4-destinations"} | lookups
    if lookups:
        assert {r["source"]: r["sha256"] for r in by_kind["area-lookup"]} == {
            name: hashlib.sha256(files[route]).hexdigest()
            for name, (route, _f) in AREA_LOOKUPS.items()}
        assert all(r["licence"] == "Open Government Licence v3.0" for r in by_kind["area-lookup"])
    gias_row = by_kind["gias"][0]
    assert gias_row["sha256"] == hashlib.sha256(files["/gias"]).hexdigest()
    assert gias_row["address"].startswith(server.url + "/gias/edubasealldata")
    assert gias_row["la_codes"] == LEEDS and "Open Government Licence" in gias_row["licence"]
    assert "Contains OS data" in by_kind["boundaries"][0]["attribution"]
    assert by_kind["imd"][0]["edition"].startswith("English Indices of Deprivation 2019")
    from hubcore.fetch.provenance import attributions

    lines = attributions(engine)
    assert len(lines) == len(set(lines)) and any("Contains OS data" in t for t in lines)
    assert any("Get Information about Schools" in t for t in lines)


def test_la_by_name_or_code_agrees_with_the_ons_lookup(shared_data, files):
    import pandas as pd

    lookup = pd.read_csv(shared_data / "lookups" / "lad25_to_cauth25_may2025_en.csv",
                         encoding="utf-8-sig", dtype=str)
    leeds = lookup.loc[lookup["LAD25NM"] == "Leeds", "LAD25CD"].iloc[0]
    frame = pd.read_csv(io.BytesIO(files["/gias"]), dtype=str, keep_default_na=False,
                        encoding="cp1252")
    by_name = resolve(["  leeds "], frame)
    by_code = resolve([leeds.lower()], frame)
    assert [la.code for la in by_name] == [la.code for la in by_code] == [leeds]
    assert by_name[0].districts == {leeds: "Leeds"}
    with pytest.raises(HubcoreError, match="did you mean Leeds"):
        resolve(["Leds"], frame)


def test_offline_uses_the_cache_and_fails_clearly_without_it(engine, server, tmp_path, home):
    settings = _settings(tmp_path, server.url)
    with pytest.raises(HubcoreError, match="not in the cache"):
        fetch(engine, ["Leeds"], settings, offline=True)
    assert server.hits == []
    _nothing_imported(engine)
    fetch(engine, ["E08000035"], settings)
    n_schools = _count(engine, School)
    server.stop()
    # A second database, filled from the cache alone (the server is gone).
    from hubcore import db

    other = db.get_engine(db.sqlite_url(tmp_path / "second.db"))
    db.upgrade(other)
    fetch(other, ["Leeds"], settings, offline=True)
    assert _count(other, School) == n_schools > 0
    assert _count(other, SourceProvenance) == _count(engine, SourceProvenance)


def test_checksum_mismatch_is_refused_and_nothing_imported(engine, server, tmp_path, home):
    settings = _settings(tmp_path, server.url, {"imd2019": 'sha256 = "' + "ab" * 32 + '"'})
    with pytest.raises(HubcoreError, match="checksum mismatch") as err:
        fetch(engine, ["Leeds"], settings)
    assert "Traceback" not in str(err.value)
    _nothing_imported(engine)
    assert not (download.cache_dir() / "imd2019").exists() or not any(
        (download.cache_dir() / "imd2019").iterdir())


def test_matching_checksum_is_accepted(engine, server, files, tmp_path, home):
    sha = hashlib.sha256(files["/neet.csv"]).hexdigest()
    fetch(engine, ["Leeds"], _settings(tmp_path, server.url, {"neet": f'sha256 = "{sha}"'}))
    assert _count(engine, LaNeetStat) > 0


def test_changed_header_is_refused(engine, server, files, tmp_path, home):
    text = files["/neet.csv"].decode("utf-8-sig")
    head, rest = text.split("\n", 1)
    server.routes["/neet.csv"] = (head.replace("NEET_percent", "NEET_pct") + "\n" + rest).encode()
    with pytest.raises(HubcoreError, match=r"layout has changed \(missing columns: NEET_percent"):
        fetch(engine, ["Leeds"], _settings(tmp_path, server.url))
    _nothing_imported(engine)


def test_interrupted_download_leaves_nothing(engine, server, tmp_path, home):
    settings = _settings(tmp_path, server.url, {"ks4": f'address = "{server.url}/cut"'})
    with pytest.raises(HubcoreError, match="stopped after|connection closed|could not download"):
        fetch(engine, ["Leeds"], settings)
    folder = download.cache_dir() / "ks4"
    assert not folder.exists() or list(folder.iterdir()) == []
    _nothing_imported(engine)


def test_network_failure_in_words(engine, tmp_path, home):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(HubcoreError, match="could not download .*Check the network"):
        fetch(engine, ["Leeds"], _settings(tmp_path, f"http://127.0.0.1:{port}"))
    _nothing_imported(engine)


def test_a_failing_import_rolls_back_the_earlier_ones(engine, server, files, tmp_path, home):
    # KS4 passes the layout check but its importer fails (the COHORT_yy columns that date it
    # renamed, and no time_period in the settings) after boundaries, GIAS, IoD and NEET were
    # imported in the same transaction: all of them must be rolled back.
    settings = _settings(tmp_path, server.url)
    text = files["/ks4.csv"].decode("utf-8-sig")
    head, rest = text.split("\n", 1)
    cols = [c if not c.startswith("COHORT_") else c.replace("COHORT_", "CH_")
            for c in head.split(",")]
    server.routes["/ks4.csv"] = (",".join(cols) + "\n" + rest).encode()
    ks4 = settings.sources["ks4"]
    settings.sources["ks4"] = type(ks4)(**{**ks4.__dict__, "time_period": None})
    with pytest.raises(HubcoreError, match="does not say which year"):
        fetch(engine, ["Leeds"], settings)
    _nothing_imported(engine)


def test_default_edition_is_iod2025_on_lsoa2021():
    settings = load_settings()
    names = {s.name for s in settings.chosen()}
    assert {"lsoa2021", "imd2025"} <= names and not {"lsoa2011", "imd2019"} & names
    old = {s.name for s in settings.chosen("2019")}
    assert {"lsoa2011", "imd2019"} <= old and not {"lsoa2021", "imd2025"} & old
    with pytest.raises(HubcoreError, match="unknown IoD edition"):
        settings.chosen("2015")


def test_cli_fetch_then_offline_error_in_words(engine, server, tmp_path, home, capsys,
                                               monkeypatch):
    from hubcore.cli import main

    settings = tmp_path / "sources.toml"
    _settings(tmp_path, server.url)  # writes the file
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("HUBCORE_HOME", str(tmp_path / "empty-home"))
    code = main(["fetch", "--db", url, "--sources", str(settings), "--offline", "Leeds"])
    monkeypatch.setenv("HUBCORE_HOME", str(home))
    err = capsys.readouterr().err
    assert code == 1 and "not in the cache" in err and "Traceback" not in err
    assert main(["fetch", "--db", url, "--sources", str(settings), "E08000035"]) == 0
    out = capsys.readouterr().out
    assert "imd2019: English Indices of Deprivation 2019" in out and "downloaded" in out


def test_demo_la_builds_over_the_cached_real_schools_and_areas(engine, server, files, tmp_path,
                                                               home, capsys):
    from hubcore import db
    from hubcore.cli import main
    from hubcore.fetch.demo import demo_file_name
    from hubcore.models import Hub

    settings = tmp_path / "sources.toml"
    fetch(engine, ["Leeds"], _settings(tmp_path, server.url))  # fills the cache
    server.stop()  # the demo must come from the cache alone
    assert main(["demo", "--la", "E08000035", "--sources", str(settings), "--no-serve"]) == 0
    url = capsys.readouterr().out.strip().splitlines()[-1]
    assert url == db.sqlite_url(home / demo_file_name(["E08000035"]))
    demo = db.get_engine(url)
    gias = list(csv.DictReader(io.StringIO(files["/gias"].decode("cp1252"))))
    open_urns = {int(r["URN"]) for r in gias if r["EstablishmentStatus (name)"] == "Open"}
    imd = {r["LSOA code (2011)"]: int(r["Index of Multiple Deprivation (IMD) Decile"])
           for r in csv.DictReader(io.StringIO(files["/imd2019.csv"].decode()))}
    with demo.connect() as conn:
        urns = set(conn.execute(select(School.urn)).scalars())
        areas = dict(conn.execute(select(Area.code, Area.imd_decile)
                                  .where(Area.kind == "lsoa")).all())
        hubs = conn.execute(select(Hub.synthetic)).scalars().all()
    assert urns and urns <= open_urns
    assert areas and all(areas[c] == imd[c] for c in areas)
    assert hubs and all(hubs)  # labelled synthetic
    # Its maps draw the fetched boundaries, so it records their credit (with the year the
    # cached file was downloaded) for the maps and briefings to print.
    from hubcore.display.provenance import attribution_lines

    with demo.connect() as conn:
        kept = dict(conn.execute(select(SourceProvenance.source, SourceProvenance.downloaded_at))
                    .all())
    assert set(kept) == {"gias", "lsoa2011", "imd2019"}
    year = pd.Timestamp(kept["lsoa2011"]).year
    assert (f"Contains OS data © Crown copyright and database right {year}"
            in " ".join(attribution_lines(demo)))
    demo.dispose()


def test_default_edition_imports_iod2025_on_lsoa2021(engine, server, files, tmp_path, home):
    """The default: LSOA 2021 boundaries with IoD2025. The fixtures are the Leeds files under
    the 2021/2025 field names (ONS ``LSOA21CD``/``LSOA21NM``; IoD2025 File 7 headers as
    documented in DOMAIN.md §5.3), so the codes are the 2011 ones; only the layout is new."""
    served = json.loads(files["/lsoa2011/query"])
    for f in served["features"]:
        p = f["properties"]
        f["properties"] = {"LSOA21CD": p["LSOA11CD"], "LSOA21NM": p["LSOA11NM"]}
    server.routes["/lsoa2021/query"] = json.dumps(served).encode()
    rows = list(csv.DictReader(io.StringIO(files["/imd2019.csv"].decode())))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["LSOA code (2021)", "LSOA name (2021)", "Local Authority District code (2024)",
                     "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
                     "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% "
                     "of LSOAs)"])
    # Deciles turned round (11 - d) so the test sees the 2025 file, not the 2019 one, stored.
    for r in rows:
        writer.writerow([r["LSOA code (2011)"], r["LSOA name (2011)"],
                         r["Local Authority District code (2019)"],
                         r["Index of Multiple Deprivation (IMD) Rank"],
                         11 - int(r["Index of Multiple Deprivation (IMD) Decile"])])
    server.routes["/imd2025.csv"] = out.getvalue().encode()
    # The served GIAS file gives 2011 codes, the boundaries are 2021: the fetch needs the ONS
    # lookup. Here every relabelled area is "U" (unchanged), so each school keeps its code.
    lookup = io.StringIO()
    writer = csv.writer(lookup, lineterminator="\r\n")
    writer.writerow(["LSOA11CD", "LSOA11NM", "LSOA21CD", "LSOA21NM", "CHGIND", "LAD22CD",
                     "LAD22NM", "LAD22NMW", "ObjectId"])
    for i, f in enumerate(served["features"], 1):
        p = f["properties"]
        writer.writerow([p["LSOA21CD"], p["LSOA21NM"], p["LSOA21CD"], p["LSOA21NM"], "U", LEEDS,
                         "Leeds", "", i])
    server.routes["/lsoa_lookup.csv"] = lookup.getvalue().encode()
    base = server.url
    lookups = "".join(f"[source.{name}]\n{body}\n"
                      for name, body in area_lookup_tables(base).items())
    path = tmp_path / "sources.toml"
    path.write_text(f"""
[source.gias]
address = "{base}/gias/edubasealldata{{date}}.csv"
[source.lsoa2021]
address = "{base}/lsoa2021/query?where={{where}}&f=geojson&resultOffset={{offset}}"
[source.imd2025]
address = "{base}/imd2025.csv"
[source.neet]
address = "{base}/neet.csv"
[source.ks4]
address = "{base}/ks4.csv"
[source.ks5]
skip = true
[source.lsoa_lookup]
address = "{base}/lsoa_lookup.csv"
""" + lookups, encoding="utf-8")
    fetch(engine, ["Leeds"], load_settings(path))
    with engine.connect() as conn:
        areas = conn.execute(select(Area.code, Area.vintage, Area.imd_decile,
                                    Area.imd_vintage)).all()
        editions = set(conn.execute(select(SourceProvenance.source)).scalars())
        schools = conn.execute(select(School.lsoa_code, School.lsoa_vintage)
                               .where(School.lsoa_code.is_not(None))).all()
    gias = {r["LSOA (code)"] for r in csv.DictReader(io.StringIO(files["/gias"].decode("cp1252")))}
    assert schools and {s.lsoa_vintage for s in schools} == {2021}
    assert {s.lsoa_code for s in schools} <= gias
    original = {r["LSOA code (2011)"]: int(r["Index of Multiple Deprivation (IMD) Decile"])
                for r in rows}
    assert len(areas) == len(served["features"])
    assert {a.vintage for a in areas} == {2021} and {a.imd_vintage for a in areas} == {2025}
    assert all(a.imd_decile == 11 - original[a.code] for a in areas)
    assert {"lsoa2021", "imd2025", "lsoa_lookup"} <= editions
    assert not {"lsoa2011", "imd2019"} & editions


def test_settings_override_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "mine.toml"
    path.write_text('[fetch]\niod = "2019"\n[source.neet]\naddress = "https://example.org/n.csv"'
                    '\n[source.ks5]\nskip = true\n', encoding="utf-8")
    monkeypatch.setenv("HUBCORE_FETCH_SOURCES", str(path))
    settings = load_settings()
    assert settings.iod == "2019" and "ks5" not in settings.sources
    neet = settings.sources["neet"]
    # Only the address changed; the licence and the rest come from the defaults.
    assert neet.address == "https://example.org/n.csv"
    assert neet.licence == "Open Government Licence v3.0"
    path.write_text('[source.neet]\nsha256 = "xyz"\n', encoding="utf-8")
    with pytest.raises(HubcoreError, match="sha256 is not 64 hex digits"):
        load_settings()
