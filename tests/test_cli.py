"""``python -m escala``: each command, and one Spanish line for bad input."""

from __future__ import annotations

import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from escala import cli
from escala.db import Database, is_url
from escala.domain import UserDraft
from escala.store import Store

ROOT = Path(__file__).resolve().parents[1]


def run(where, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    """``python -m escala`` on ``where``: a folder (its cli.duckdb) or a database location
    on the engine under test."""
    location = where / "cli.duckdb" if isinstance(where, Path) and where.is_dir() else where
    flag = "--database-url" if is_url(location) else "--db"
    return subprocess.run([sys.executable, "-m", "escala", flag, str(location), *args],
                          cwd=ROOT, capture_output=True, text=True, input=stdin)


def test_init_twice_is_fine(database_location):
    assert run(database_location, "init").returncode == 0
    second = run(database_location, "init")
    assert second.returncode == 0 and "Base de datos lista" in second.stdout


def test_create_user_from_stdin_then_list(database_location):
    created = run(database_location, "create-user", "Lia@Example.com", "--name", "Lía Gómez", "--role", "seller",
                  "--password-stdin", stdin="clave-segura-1\n")
    assert created.returncode == 0, created.stderr
    listed = run(database_location, "users")
    assert "lia@example.com\tLía Gómez\tVendedor\tactivo" in listed.stdout


@pytest.mark.parametrize("args, stdin, words", [
    (["create-user", "no-es-correo", "--name", "X", "--role", "seller", "--password-stdin"], "clave-segura-1\n",
     "Correo electrónico no válido"),
    (["create-user", "a@b.co", "--name", "X", "--role", "jefe", "--password-stdin"], "clave-segura-1\n",
     "Argumentos no válidos"),
    (["create-user", "a@b.co", "--name", "X", "--role", "seller", "--password-stdin"], "corta\n",
     "al menos 8 caracteres"),
    (["seed-demo", "--activities", "muchas"], None, "no es un número entero"),
    (["seed-demo", "--users", "2"], None, "al menos 3 usuarios"),
    (["comando-raro"], None, "Argumentos no válidos"),
])
def test_bad_input_exits_non_zero_with_one_spanish_line(tmp_path, args, stdin, words):
    result = run(tmp_path, *args, stdin=stdin)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert words in result.stderr


def test_duplicate_user_is_one_line(database_location):
    args = ["create-user", "a@b.co", "--name", "X", "--role", "admin", "--password-stdin"]
    assert run(database_location, *args, stdin="clave-segura-1\n").returncode == 0
    again = run(database_location, *args, stdin="clave-segura-1\n")
    assert again.returncode == 2 and "Ya existe un usuario" in again.stderr


def test_seed_demo_fills_an_empty_database_once(database_location):
    first = run(database_location, "seed-demo", "--contacts", "30", "--activities", "200", "--tasks", "100")
    assert first.returncode == 0 and "200 actividades y 100 tareas" in first.stdout
    again = run(database_location, "seed-demo")
    assert again.returncode == 2 and "ya tiene datos" in again.stderr
    skipped = run(database_location, "seed-demo", "--if-empty")
    assert skipped.returncode == 0 and "no se cargan" in skipped.stdout


def test_the_default_path_comes_from_escala_db(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ESCALA_DB", str(tmp_path / "from-env.duckdb"))
    assert cli.main(["init"]) == 0
    assert "from-env.duckdb" in capsys.readouterr().out
    assert (tmp_path / "from-env.duckdb").exists()
    Database(tmp_path / "from-env.duckdb").close()


@pytest.fixture
def database_with_admin(tmp_path) -> Path:
    path = tmp_path / "cli.duckdb"
    db = Database(path)
    db.migrate()
    Store(db).create_user(None, UserDraft("Admin", "admin@example.com", "admin", "clave-segura-1"))
    db.close()
    return path


def export_args(db: Path, out: str, *more: str) -> list[str]:
    return ["--db", str(db), "export", "tareas", "--out", out, "--as", "admin@example.com", *more]


def one_spanish_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_export_over_the_database_is_refused_and_the_database_survives(database_with_admin, tmp_path):
    before = database_with_admin.read_bytes()
    result = run(tmp_path, "export", "tareas", "--out", str(database_with_admin), "--force",
                 "--as", "admin@example.com")
    assert result.returncode == 2 and "archivo de la base de datos" in result.stderr
    assert result.stderr.count("\n") == 1
    assert database_with_admin.read_bytes() == before
    assert "admin@example.com" in run(tmp_path, "users").stdout


@pytest.mark.parametrize("out, words", [
    ("{db}.wal", "archivo de la base de datos"),
    ("{folder}/otra/../cli.duckdb", "archivo de la base de datos"),
    ("{folder}", "es una carpeta"),
    ("{folder}/no-existe/x.csv", "No existe la carpeta"),
    ("", "Falta el archivo"),
    ("/proc/escala.csv", "No se pudo escribir"),
])
def test_export_to_a_bad_place_is_one_line_exit_2_and_no_file(database_with_admin, tmp_path, capsys, out, words):
    (tmp_path / "otra").mkdir()
    out = out.format(db=database_with_admin, folder=tmp_path)
    assert cli.main(export_args(database_with_admin, out)) == 2
    assert words in one_spanish_line(capsys)
    assert not list(tmp_path.rglob("*.parcial"))


def test_export_replaces_an_existing_file_only_with_force(database_with_admin, tmp_path, capsys):
    out = tmp_path / "tareas.csv"
    out.write_text("no me borres\n", encoding="utf-8")
    assert cli.main(export_args(database_with_admin, str(out))) == 2
    assert "--force" in one_spanish_line(capsys) and out.read_text(encoding="utf-8") == "no me borres\n"
    assert cli.main(export_args(database_with_admin, str(out), "--force")) == 0
    assert out.read_text(encoding="utf-8").startswith("ID,Clase")


@pytest.mark.parametrize("kind", ["csv", "folder"])
def test_a_db_that_is_not_a_database_is_one_line_exit_2(tmp_path, capsys, kind):
    path = tmp_path / "datos.csv"
    if kind == "csv":
        path.write_text("ID,Nombre\n1,Llamada\n", encoding="utf-8")
    else:
        path.mkdir()
    assert cli.main(["--db", str(path), "init"]) == 2
    assert "No se puede usar" in one_spanish_line(capsys)
    assert kind == "folder" or path.read_text(encoding="utf-8") == "ID,Nombre\n1,Llamada\n"


@pytest.mark.parametrize("args", [
    ["export", "tareas", "--out", "x.csv", "--as", "a@b.co", "--hasta", "9999-12-31"],
    ["export", "tareas", "--out", "x.csv", "--as", "a@b.co", "--desde", "1969-12-31"],
    ["seed-demo", "--today", "2101-01-01"],
])
def test_days_outside_1970_to_2100_are_one_line_exit_2(tmp_path, args):
    result = run(tmp_path, *args)
    assert result.returncode == 2 and "entre 1970 y 2100" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_an_unexpected_error_is_one_line_with_a_reference_and_the_traceback_is_logged(
        tmp_path, capsys, caplog, monkeypatch):
    def broken(args):
        raise ZeroDivisionError("fallo interno")

    monkeypatch.setattr(cli, "run", broken)
    db = tmp_path / "x.duckdb"
    assert cli.main(["--db", str(db), "users"]) == 1
    err = one_spanish_line(capsys)
    reference = re.search(r"Error inesperado \(referencia ([0-9a-f]{8})\)", err).group(1)
    log = (tmp_path / "escala.log").read_text(encoding="utf-8")
    assert reference in log and "Traceback" in log and "ZeroDivisionError: fallo interno" in log
    assert stat.S_IMODE((tmp_path / "escala.log").stat().st_mode) == 0o600
    (record,) = [r for r in caplog.records if r.name == "escala"]
    assert record.exc_info and reference in record.getMessage()


def test_ctrl_c_still_exits_130(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run", interrupted)
    assert cli.main(["users"]) == 130
    assert one_spanish_line(capsys) == "Cancelado.\n"
