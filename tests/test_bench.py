"""The bench command runs end to end (on a tiny database), twice in the same folder."""

from __future__ import annotations

import json

from escala import cli


def test_bench_runs_twice_in_the_same_folder_and_reports_json(tmp_path, capsys):
    for _ in range(2):  # the second run reuses the database and overwrites its own scratch files
        assert cli.main(["bench", "--items", "2000", "--json", "--folder", str(tmp_path)]) == 0
    numbers = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert numbers["items"] == 2000 and numbers["tablero_ms"] > 0 and numbers["export_rows"] > 0
    assert numbers["order"] == "insertion" and numbers["tablero_ms_p95"] > 0 and numbers["bulk_complete_1000_ms"] > 0
