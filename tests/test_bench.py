"""The bench command runs end to end (on a tiny database), twice in the same folder."""

from __future__ import annotations

import json

from escala import cli


def test_bench_runs_twice_in_the_same_folder_and_reports_json(tmp_path, capsys):
    for _ in range(2):  # the second run reuses the database and overwrites its own scratch files
        assert cli.main(["bench", "--items", "400", "--json", "--folder", str(tmp_path)]) == 0
    numbers = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert numbers["items"] == 400 and numbers["tablero_ms"] > 0 and numbers["export_rows"] > 0
    assert numbers["order"] == "insertion" and numbers["tablero_ms_p95"] > 0 and numbers["bulk_complete_1000_ms"] > 0


def test_bench_reports_postgresql_beside_duckdb_on_the_same_data(tmp_path, capsys, postgresql_url):
    from escala import bench
    from escala.db import Database
    from tests.postgresql import create_database, drop_database

    url = create_database(postgresql_url)
    try:
        assert cli.main(["bench", "--items", "400", "--json", "--folder", str(tmp_path), "--database-url", url]) == 0
        source = Database(tmp_path / "bench-400-insertion.duckdb")
        server = bench.server_database(source, url)  # a later run finds the copy and reuses it
        items = [server.query_one("SELECT count(*) FROM items"), source.query_one("SELECT count(*) FROM items")]
        server.close()
        source.close()
    finally:
        drop_database(url)
    out = capsys.readouterr().out.strip().splitlines()
    numbers = json.loads(out[-1])
    server_numbers = numbers["postgresql"]
    assert server_numbers["tablero_ms"] > 0 and server_numbers["tablero_filtered_ms"] > 0
    assert server_numbers["insert_ms"] > 0 and server_numbers["bulk_complete_1000_ms"] > 0
    assert server_numbers["export_rows"] == numbers["export_rows"] == 400
    assert server_numbers["import_rows"] == numbers["import_rows"] > 0
    assert out[0].split()[-2:] == ["DuckDB", "PostgreSQL"]
    # each engine got its own five test inserts: the copy was made before DuckDB's were
    assert items[0][0] == items[1][0]


def test_bench_refuses_a_database_url_that_is_not_one(tmp_path, capsys):
    assert cli.main(["bench", "--items", "400", "--folder", str(tmp_path), "--database-url", "/tmp/x.duckdb"]) != 0
    assert "postgresql://" in capsys.readouterr().err
