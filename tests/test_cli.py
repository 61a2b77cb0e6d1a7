"""``python -m escala``: each command, and one Spanish line for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from escala import cli
from escala.db import Database

ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "escala", "--db", str(tmp_path / "cli.duckdb"), *args],
                          cwd=ROOT, capture_output=True, text=True, input=stdin)


def test_init_twice_is_fine(tmp_path):
    assert run(tmp_path, "init").returncode == 0
    second = run(tmp_path, "init")
    assert second.returncode == 0 and "Base de datos lista" in second.stdout


def test_create_user_from_stdin_then_list(tmp_path):
    created = run(tmp_path, "create-user", "Lia@Example.com", "--name", "Lía Gómez", "--role", "seller",
                  "--password-stdin", stdin="clave-segura-1\n")
    assert created.returncode == 0, created.stderr
    listed = run(tmp_path, "users")
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


def test_duplicate_user_is_one_line(tmp_path):
    args = ["create-user", "a@b.co", "--name", "X", "--role", "admin", "--password-stdin"]
    assert run(tmp_path, *args, stdin="clave-segura-1\n").returncode == 0
    again = run(tmp_path, *args, stdin="clave-segura-1\n")
    assert again.returncode == 2 and "Ya existe un usuario" in again.stderr


def test_seed_demo_fills_an_empty_database_once(tmp_path):
    first = run(tmp_path, "seed-demo", "--contacts", "30", "--activities", "200", "--tasks", "100")
    assert first.returncode == 0 and "200 actividades y 100 tareas" in first.stdout
    again = run(tmp_path, "seed-demo")
    assert again.returncode == 2 and "ya tiene datos" in again.stderr
    skipped = run(tmp_path, "seed-demo", "--if-empty")
    assert skipped.returncode == 0 and "no se cargan" in skipped.stdout


def test_the_default_path_comes_from_escala_db(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ESCALA_DB", str(tmp_path / "from-env.duckdb"))
    assert cli.main(["init"]) == 0
    assert "from-env.duckdb" in capsys.readouterr().out
    assert (tmp_path / "from-env.duckdb").exists()
    Database(tmp_path / "from-env.duckdb").close()
