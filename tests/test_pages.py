"""The app shell through Streamlit's AppTest: sign-in gate, role navigation, sign-out."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from escala import demo
from escala.db import Database

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def navigation_like_the_server(monkeypatch):
    """AppTest re-detects the ``pages/`` folder before every run and so replays Streamlit's
    legacy folder mode, which runs a page file without ``app.py``. The server does that only
    until the first ``st.navigation`` call; make AppTest behave like the running server."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    class ServerPagesManager(PagesManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    monkeypatch.setattr(app_test, "PagesManager", ServerPagesManager)


@pytest.fixture
def demo_db(tmp_path, monkeypatch):
    path = tmp_path / "app.duckdb"
    db = Database(path)
    db.migrate()
    demo.seed(db, demo.DemoSize(users=4, contacts=10, activities=20, tasks=20, seed=1))
    db.close()
    monkeypatch.setenv("ESCALA_DB", str(path))
    return path


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()


def sign_in(at: AppTest, email: str, password: str = demo.DEMO_PASSWORD) -> AppTest:
    inputs = {w.label: w for w in at.text_input}
    inputs["Correo electrónico"].input(email)
    inputs["Contraseña"].input(password)
    next(b for b in at.button if b.label == "Ingresar").click()
    return at.run()


def test_signed_out_visitors_see_only_the_sign_in_form_and_the_demo_accounts(demo_db):
    at = app()
    assert not at.exception
    assert [w.label for w in at.text_input] == ["Correo electrónico", "Contraseña"]
    assert any(b.label == "Ingresar" for b in at.button)
    assert any("Datos de demostración" in i.value for i in at.info)
    assert not any(b.label == "Cerrar sesión" for b in at.button)


def test_wrong_password_shows_a_spanish_error_and_stays_signed_out(demo_db):
    at = sign_in(app(), "admin@escala.demo", "mala-clave")
    assert [e.value for e in at.error] == ["Correo electrónico o contraseña incorrectos."]
    assert "user_id" not in at.session_state


@pytest.mark.parametrize("email, role_label", [
    ("admin@escala.demo", "Administrador"),
    ("analista@escala.demo", "Analista"),
    ("vendedor1@escala.demo", "Vendedor"),
])
def test_each_role_signs_in_and_lands_on_its_page(demo_db, email, role_label):
    at = sign_in(app(), email)
    assert not at.exception
    assert any(role_label in m.value for m in at.markdown)
    assert [t.value for t in at.title] == ["Inicio"]
    assert any("datos de demostración" in c.value for c in at.caption)


def test_sign_out_returns_to_the_form(demo_db):
    at = sign_in(app(), "vendedor1@escala.demo")
    next(b for b in at.button if b.label == "Cerrar sesión").click()
    at.run()
    assert "user_id" not in at.session_state
    assert [w.label for w in at.text_input] == ["Correo electrónico", "Contraseña"]


def test_a_page_file_run_on_its_own_still_refuses_a_signed_out_visitor(demo_db):
    at = AppTest.from_file(str(ROOT / "pages" / "inicio.py"), default_timeout=30).run()
    assert not at.exception and not at.title
    assert "Inicia sesión" in at.warning[0].value
