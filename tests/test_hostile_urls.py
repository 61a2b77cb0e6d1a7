"""Every URL parameter of every page, as every role, with hostile values (AppTest): never a
traceback, never an error element; malformed values are ignored (with a notice) and the page
still draws its title. Also: an unexpected error inside a page becomes a Spanish message
with a reference, logged in full on the server only."""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from escala.domain import parse_id
from tests.conftest import point_at, seed_demo_file
from tests.test_pages import ROOT, app, navigation_like_the_server  # noqa: F401 (fixture)

PARAMETERS = ["contacto", "date_from", "date_to", "kind", "types", "states", "responsible_ids", "owner_ids",
              "stages", "semana", "page"]
VALUES = st.one_of(
    st.sampled_from(["²", "١٢", "-1", "0", "9" * 40, "1e9", "9999-12-31", "0001-01-01", "10000-01-01", "2026-02-30",
                     "infinity", "epoch", "NaN", "1,²,x", "Llamada,Fiesta", "Pendiente,,", "ambas", "todo",
                     "<script>x</script>", "**b**", ":red[x]", "$x$", "\x00", "\u202e", "'; DROP TABLE items; --",
                     "%00", "../..", " ", "", "3", "2026-03-01", "2026-03-01,2026-03-31"]),
    st.text(max_size=40),
)
QUERIES = st.dictionaries(st.one_of(st.sampled_from(PARAMETERS), st.text(min_size=1, max_size=10)), VALUES,
                          max_size=5)
PAGES = [("pages/tablero.py", "Tablero"), ("pages/agenda.py", "Mi agenda"), ("pages/contactos.py", "Contactos"),
         ("pages/exportar.py", "Exportar"), ("pages/usuarios.py", "Usuarios")]
ROLES = {1: "admin", 2: "analyst", 3: "seller"}
OPEN_PAGES = [(user_id, path, title) for user_id, role in ROLES.items() for path, title in PAGES
              if not (path == "pages/usuarios.py" and role != "admin") and not (path == "pages/agenda.py"
                                                                                and role == "analyst")]


@pytest.fixture(scope="module")
def hostile_db(shared_location):
    location = shared_location("urls")
    seed_demo_file(location, users=4, contacts=10, activities=20, tasks=20, seed=1)
    with pytest.MonkeyPatch.context() as monkeypatch:
        point_at(monkeypatch, location)
        yield location


def no_traceback(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] in ([], ["Contacto no encontrado"])


@pytest.mark.parametrize("user_id, path, title", OPEN_PAGES)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(query=QUERIES)
def test_hostile_url_parameters_never_break_a_page(hostile_db, path, title, user_id, query):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["user_id"] = user_id
    at.run()
    at.query_params.clear()
    at.query_params.update(query)  # any key, even one named like app()'s own arguments
    at = at.switch_page(path).run()
    no_traceback(at)
    titles = [t.value for t in at.title]
    if path == "pages/contactos.py" and parse_id(query.get("contacto")) is not None:
        assert titles or at.error, titles  # a profile, or "Contacto no encontrado"
    else:
        assert title in titles, titles


def test_an_unexpected_error_is_a_spanish_message_with_a_reference(hostile_db, monkeypatch, caplog):
    from escala.analytics import Analytics

    def broken(*args, **kwargs):
        raise RuntimeError("/secret/path/on/the/server.py line 42")

    monkeypatch.setattr(Analytics, "dashboard", broken)
    import streamlit
    streamlit.cache_data.clear()  # the Tablero caches its dashboard: make this run compute it
    with caplog.at_level(logging.ERROR, logger="escala"):
        at = app(user_id=1, page="pages/tablero.py", date_from="2026-01-01")
    assert not at.exception
    (message,) = [e.value for e in at.error]
    assert message.startswith("Algo salió mal (referencia ") and "/secret" not in message
    reference = message.split("referencia ")[1].split(")")[0]
    assert any(reference in record.getMessage() and record.exc_info for record in caplog.records)
