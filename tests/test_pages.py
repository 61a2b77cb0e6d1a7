"""Every page through Streamlit's AppTest, as each role: what renders, what is refused, and
what is absent from the navigation. (Dialogs are driven in the browser tests.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from escala import times
from escala.domain import ContactDraft, Kind, Status, UserDraft
from escala.store import Store
from escala.ui import resources
from tests.conftest import point_at, seed_demo_file, task

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
def demo_db(database_location, monkeypatch):
    """A small demo database; users 1 admin, 2 analyst, 3-4 sellers."""
    seed_demo_file(database_location, users=4, contacts=10, activities=20, tasks=20, seed=1)
    point_at(monkeypatch, database_location)
    return database_location


def app(user_id: int | None = None, page: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    if user_id is not None:
        at.session_state["user_id"] = user_id
    if page is None:
        at.query_params.update(query)
        return at.run()
    at.run()  # the landing page first (it may rewrite the URL), then the page asked for
    at.query_params.clear()
    at.query_params.update(query)
    return at.switch_page(page).run()


def store_of(at_path) -> Store:
    """The running app's store (same process, same cached database handle)."""
    from escala.ui.resources import _open_store
    return _open_store(str(at_path))


MENUS: list[list[str]] = []  # the visible menu of every navigation message the app sent


@pytest.fixture(autouse=True)
def record_menus(monkeypatch):
    """Spy on the navigation messages: hidden pages (the sign-in form's stand-ins, the
    explanations for closed pages) are registered but never shown in the menu."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext
    original = ScriptRunContext.enqueue

    def spy(self, msg):
        if msg.HasField("navigation"):
            MENUS.append([page.page_name for page in msg.navigation.app_pages if not page.is_hidden])
        return original(self, msg)

    MENUS.clear()
    monkeypatch.setattr(ScriptRunContext, "enqueue", spy)


def _nav(at: AppTest) -> list[str]:
    """The menu the app sent on its last run (page titles in menu order)."""
    return MENUS[-1] if MENUS else []


def signed_in_as(demo_db, email: str) -> AppTest:
    """The app as ``email`` sees it once signed in (signing in itself is a server route:
    tests/test_signin.py)."""
    user, _ = store_of(demo_db).credentials(email)
    return app(user_id=user.id)


# ---------------------------------------------------------------- sign-in and navigation

def test_signed_out_visitors_are_sent_to_the_sign_in_route_with_their_place(demo_db):
    at = app(page=None, contacto="7")
    assert not at.exception
    assert not at.text_input  # no form here: the form is the server's (escala/ui/signin.py)
    assert any("/_escala/ingresar" in m.value for m in at.markdown)
    scripts = [h.proto.body for h in at.get("html")]
    assert any("window.location.replace" in body and "encodeURIComponent(location.pathname + location.search)"
               in body for body in scripts)
    assert _nav(at) == []


@pytest.mark.parametrize("email, landing, menu", [
    ("vendedor1@escala.demo", "Mi agenda", ["Mi agenda", "Tablero", "Calendario", "Contactos", "Exportar"]),
    ("admin@escala.demo", "Tablero", ["Tablero", "Mi agenda", "Calendario", "Contactos", "Exportar", "Usuarios"]),
    ("analista@escala.demo", "Tablero", ["Tablero", "Contactos", "Exportar"]),
])
def test_each_role_lands_on_its_page_with_only_its_menu(demo_db, email, landing, menu):
    at = signed_in_as(demo_db, email)
    assert not at.exception
    assert at.title[0].value == landing
    assert _nav(at) == menu
    assert any("datos de demostración" in c.value for c in at.caption)


def test_an_analyst_cannot_open_mi_agenda_by_url(demo_db):
    at = app(user_id=2)
    with pytest.raises(ValueError):  # not in the analyst's navigation: AppTest cannot even resolve it
        at.switch_page("pages/agenda.py")


def test_signing_out_in_one_tab_ends_the_session_in_the_others(demo_db):
    from escala import auth
    store = store_of(demo_db)
    secret = resources.signing_secret()
    token = auth.issue_token(store, store.get_user(3), secret)
    tabs = [AppTest.from_file(str(ROOT / "app.py"), default_timeout=30) for _ in range(2)]
    for tab in tabs:
        tab.session_state["user_id"], tab.session_state["session_token"] = 3, token
        tab.run()
        assert tab.title[0].value == "Mi agenda"
    tabs[0].button(key="cerrar_sesion").click().run()
    tabs[1].run()
    assert "user_id" not in tabs[1].session_state
    assert [w.value for w in tabs[1].warning] == ["Tu sesión terminó; vuelve a ingresar."]
    assert any("/_escala/ingresar" in m.value for m in tabs[1].markdown)


def test_sign_out_ends_the_session_and_sends_the_browser_to_the_sign_out_route(demo_db):
    from escala import auth
    store = store_of(demo_db)
    secret = resources.signing_secret()
    token = auth.issue_token(store, store.get_user(3), secret)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["user_id"], at.session_state["session_token"] = 3, token
    at.run()
    at.button(key="cerrar_sesion").click().run()
    assert "user_id" not in at.session_state
    assert auth.user_from_token(store, token, secret) is None  # over on the server, not just in this tab
    assert any("/_escala/salir" in h.proto.body for h in at.get("html"))


@pytest.mark.parametrize("page", ["agenda.py", "contactos.py", "tablero.py", "exportar.py", "usuarios.py"])
def test_a_page_file_run_on_its_own_still_refuses_a_signed_out_visitor(demo_db, page):
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=30).run()
    assert not at.exception and not at.title
    assert "Inicia sesión" in at.warning[0].value


# ---------------------------------------------------------------- Contactos

def test_seller_sees_only_their_contacts_with_pending_counts(demo_db):
    at = app(user_id=3, page="pages/contactos.py")
    store = store_of(demo_db)
    seller = store.get_user(3)
    expected = [row.name for row in store.contact_summaries(seller, limit=25)[0]]
    links = [link.label for link in at.get("page_link") if link.label not in ("Contactos", "Mi agenda", "Ir a Mi agenda")]
    assert links == expected and expected
    assert at.caption[1].value.endswith("contactos") or at.caption[1].value.endswith("contacto")
    assert not any(m.value == "**Dueño**" for m in at.markdown)  # a seller's contacts are all theirs


def test_search_narrows_the_list_and_says_when_nothing_matches(demo_db):
    at = app(user_id=1, page="pages/contactos.py")
    at.text_input(key="buscar_contacto").input("zzz-nadie").run()
    assert "Ningún contacto coincide con «zzz\\-nadie»" in at.info[0].value  # the search, escaped


def test_analyst_sees_every_contact_but_cannot_create(demo_db):
    at = app(user_id=2, page="pages/contactos.py")
    assert "10 contactos" in [c.value for c in at.caption]
    assert next(b for b in at.button if b.label == "Nuevo contacto").disabled


# ---------------------------------------------------------------- profile

def own_contact(store: Store, user_id: int) -> int:
    return store.contact_summaries(store.get_user(user_id), limit=1)[0][0].id


def test_profile_shows_general_information_and_both_sections(demo_db):
    store = store_of(demo_db)
    contact_id = own_contact(store, 3)
    at = app(user_id=3, page="pages/contactos.py", contacto=str(contact_id))
    contact = store.get_contact(store.get_user(3), contact_id)
    assert not at.exception
    assert at.title[0].value == contact.name
    assert [s.value for s in at.subheader] == ["Oportunidades", "Actividades", "Tareas"]
    assert at.button(key="nueva_actividad").label == "+" and at.button(key="nueva_tarea").label == "+"
    assert any("con** el contacto" in c.value for c in at.caption)
    assert any("**internos**" in c.value for c in at.caption)


def test_another_sellers_contact_by_url_is_not_found(demo_db):
    store = store_of(demo_db)
    theirs = own_contact(store, 4)
    at = app(user_id=3, page="pages/contactos.py", contacto=str(theirs))
    assert [e.value for e in at.error] == ["Contacto no encontrado"]
    assert not at.subheader


def test_unknown_contact_ids_are_not_found(demo_db):
    at = app(user_id=1, page="pages/contactos.py", contacto="999999")
    assert [e.value for e in at.error] == ["Contacto no encontrado"]


@pytest.mark.parametrize("value", ["abc", "-1", "²", "١٢", "9" * 40, "1e3", " ", "0"])
def test_a_malformed_contact_link_shows_the_list_with_a_notice(demo_db, value):
    at = app(user_id=1, page="pages/contactos.py", contacto=value)
    assert not at.exception and not at.error
    assert at.title[0].value == "Contactos"
    assert "contacto" not in at.query_params
    assert any("no indica un contacto válido" in t.value for t in at.toast)


def test_realizada_in_one_click_completes_the_item(demo_db):
    store = store_of(demo_db)
    seller = store.get_user(3)
    contact_id = own_contact(store, 3)
    item = store.create_item(seller, task(contact_id, name="Tarea para completar",
                                          start=datetime(2030, 1, 1, 9, 0)))
    at = app(user_id=3, page="pages/contactos.py", contacto=str(contact_id))
    at.button(key=f"done-{item.id}").click().run()
    assert store.get_item(seller, item.id).status is Status.DONE
    assert any("marcada como Realizada" in t.value for t in at.toast)


def test_a_deleted_item_comes_back_with_deshacer(demo_db):
    store = store_of(demo_db)
    seller = store.get_user(3)
    contact_id = own_contact(store, 3)
    item = store.create_item(seller, task(contact_id, name="Borrada sin querer", start=datetime(2030, 1, 1, 9, 0)))
    at = app(user_id=3, page="pages/contactos.py", contacto=str(contact_id))
    at.button(key=f"delete-{item.id}").click().run()
    assert store.get_item(seller, item.id) is None
    assert any("Eliminaste «Borrada sin querer»" in c.value for c in at.caption)
    at.button(key=f"deshacer-{item.id}").click().run()
    assert store.get_item(seller, item.id) is not None
    assert any("restaurada" in t.value for t in at.toast)
    assert not any("Eliminaste" in c.value for c in at.caption)


def test_analyst_profile_has_every_write_disabled(demo_db):
    store = store_of(demo_db)
    contact_id = own_contact(store, 3)
    at = app(user_id=2, page="pages/contactos.py", contacto=str(contact_id))
    assert at.button(key="nueva_actividad").disabled and at.button(key="nueva_tarea").disabled
    assert all(b.disabled for b in at.button if b.key and b.key.startswith(("done-", "edit-", "reopen-")))


def test_empty_sections_say_what_to_do_next(demo_db):
    store = store_of(demo_db)
    admin = store.get_user(1)
    contact = store.create_contact(admin, ContactDraft("Contacto Vacío", owner_id=3))
    at = app(user_id=3, page="pages/contactos.py", contacto=str(contact.id))
    assert any("Aún no hay actividades" in i.value for i in at.info)
    assert any("Aún no hay tareas" in i.value for i in at.info)


# ---------------------------------------------------------------- Mi agenda

def agenda_with_overdue(demo_db, name: str):
    """The first demo seller's store, self, a task ``name`` of theirs due in 2020, and their Mi agenda."""
    store = store_of(demo_db)
    seller = store.get_user(3)
    item = store.create_item(seller, task(own_contact(store, 3), name=name, start=datetime(2020, 1, 1, 9, 0)))
    return store, seller, item, app(user_id=3)


def test_agenda_groups_the_sellers_pending_work(demo_db):
    store, seller, _, at = agenda_with_overdue(demo_db, "Muy atrasada")
    assert at.title[0].value == "Mi agenda"
    labels = [tab.label for tab in at.tabs]
    assert [label.split(" (")[0] for label in labels] == ["Vencidas", "Hoy", "Próximos 7 días", "Más adelante"]
    pending = store.list_items(seller, responsible_id=3, status=Status.PENDING)
    assert sum(int(label.split("(")[1].rstrip(")")) for label in labels) == len(pending)
    assert any("Muy atrasada" in m.value for m in at.tabs[0].markdown)


def test_agenda_names_without_a_link_a_contact_the_seller_may_not_open(demo_db):
    store = store_of(demo_db)
    admin, other_contact = store.get_user(1), own_contact(store, 4)
    own = own_contact(store, 3)
    store.create_item(admin, task(other_contact, name="Apoyo en otra cuenta", start=datetime(2020, 1, 1, 9, 0),
                                  responsible_mode="Un usuario específico", responsible_id=3))
    store.create_item(admin, task(own, name="En su cuenta", start=datetime(2020, 1, 1, 10, 0)))
    at = app(user_id=3)
    others, mine = (store.get_contact(admin, other_contact).name, store.get_contact(admin, own).name)
    links = [link.label for link in at.get("page_link")]
    assert mine in links and others not in links  # the profile would say "Contacto no encontrado"
    assert any(c.value.endswith(f"{others} (contacto de otro vendedor)") for c in at.tabs[0].caption)


def test_agenda_with_nothing_pending_says_so(demo_db):
    store = store_of(demo_db)
    admin = store.get_user(1)
    new_seller = store.create_user(admin, UserDraft("Nuevo Vendedor", "nuevo@escala.demo", "seller", "clave-larga-1"))
    at = app(user_id=new_seller.id)
    assert "No tienes pendientes" in at.success[0].value


def test_selected_items_are_completed_together(demo_db):
    store = store_of(demo_db)
    seller = store.get_user(3)
    contact_id = own_contact(store, 3)
    items = [store.create_item(seller, task(contact_id, name=f"Lote {n}", start=datetime(2030, 1, 1, 9, n)))
             for n in range(2)]
    at = app(user_id=3, page="pages/contactos.py", contacto=str(contact_id))
    for item in items:
        at.checkbox(key=f"sel-{item.id}").check().run()
    at.button(key="bulk-done-Tarea").click().run()
    assert {store.get_item(seller, i.id).status for i in items} == {Status.DONE}
    assert any("2 seleccionadas marcadas como Realizada" in t.value for t in at.toast)


def tab_totals(at: AppTest) -> list[int]:
    return [int(tab.label.split("(")[1].rstrip(")").replace(",", "")) for tab in at.tabs]


def test_agenda_filters_narrow_every_group(demo_db):
    store, seller, _, at = agenda_with_overdue(demo_db, "Zanahoria única")
    everything = tab_totals(at)
    at.text_input(key="agenda_buscar").input("zanahoria").run()
    assert tab_totals(at) == [1, 0, 0, 0] and sum(everything) > 1
    assert any("Zanahoria única" in m.value for m in at.tabs[0].markdown)
    at.text_input(key="agenda_buscar").input("").run()
    at.multiselect(key="agenda_tipo").select("Tarea").run()
    tasks = store.list_items(seller, responsible_id=3, status=Status.PENDING, kind=Kind.TASK)
    assert sum(tab_totals(at)) == len(tasks) < sum(everything)
    at.text_input(key="agenda_buscar").input("no existe en ninguna parte").run()
    assert "Ningún pendiente coincide" in at.info[0].value


def test_posponer_moves_an_overdue_item_to_tomorrow(demo_db):
    store, seller, item, at = agenda_with_overdue(demo_db, "Para mañana")
    at.text_input(key="agenda_buscar").input("Para mañana").run()
    at.button(key=f"snooze-1-{item.id}").click().run()  # Mañana 9:00
    moved = store.get_item(seller, item.id)
    tomorrow = times.to_local(store.clock(), seller.time_zone).date() + timedelta(days=1)
    assert times.to_local(moved.starts_at, seller.time_zone).replace(tzinfo=None) == \
        datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 0)
    assert tab_totals(at)[:2] == [0, 0] and tab_totals(at)[2] == 1
    assert any("pospuesta" in t.value for t in at.toast)


def test_the_calendar_draws_the_sellers_week_and_moves_with_its_buttons(demo_db):
    at = app(user_id=3, page="pages/calendario.py")
    assert not at.exception and at.title[0].value == "Calendario"
    today = at.session_state["calendario-dia"]
    at.button(key="calendario-siguiente").click().run()
    assert at.session_state["calendario-dia"] == today + timedelta(days=7)
    at.radio(key="calendario-vista").set_value("Mes").run()
    at.button(key="calendario-anterior").click().run()  # the month before
    assert at.session_state["calendario-dia"] < today and at.session_state["calendario-dia"].day == 1


def test_admin_has_an_agenda_of_their_own_work(demo_db):
    at = app(user_id=1, page="pages/agenda.py")
    assert not at.exception and at.title[0].value == "Mi agenda"


# ---------------------------------------------------------------- Tablero

def metric_values(at: AppTest) -> dict:
    return {m.label: m.value for m in at.metric}


def test_tablero_shows_the_four_metrics_every_chart_and_the_comparison(demo_db):
    at = app(user_id=1)
    assert not at.exception and at.title[0].value == "Tablero"
    assert list(metric_values(at)) == ["Pendientes", "Realizadas", "Vencidas", "% completado"]
    titles = [s.value for s in at.subheader if s.value != "Filtros"]
    assert titles[:3] == ["Por responsable", "Por tipo", "Oportunidades con más trabajo pendiente"]
    assert titles[3].startswith("Creadas vs. realizadas por ")
    assert titles[4:] == ["Antigüedad de lo vencido", "Comparativo por responsable"]
    charts = at.get("plotly_chart")
    assert len(charts) == 5
    # each chart in words and as a table, for whoever cannot see it
    assert [e.label for e in at.expander if e.label == "Ver los datos"] == ["Ver los datos"] * len(charts)
    assert len(at.table) == len(charts)
    said = [c.value for c in at.caption]
    assert any(text.startswith("Más pendientes") for text in said)  # (Markdown-escaped: "Más pendientes\\: …")
    assert any(text.startswith(("Última semana", "Último mes", "Último día")) for text in said)
    store = store_of(demo_db)
    total = store.db.query_one("SELECT count(*) FROM items")[0]
    values = metric_values(at)
    assert int(values["Pendientes"].replace(".", "")) + int(values["Realizadas"].replace(".", "")) == total


def test_tablero_reads_its_filters_from_the_url(demo_db):
    at = app(user_id=1, kind="tareas", states="Realizada")  # the Tablero is the admin's landing page
    assert at.radio(key="f_kind").value == "tareas" and at.multiselect(key="f_states").value == ["Realizada"]
    store = store_of(demo_db)
    done_tasks = store.db.query_one("SELECT count(*) FROM items WHERE kind = 'Tarea' AND status = 'Realizada'")[0]
    values = metric_values(at)
    assert values["Pendientes"] == "0" and int(values["Realizadas"].replace(".", "")) == done_tasks


def test_changing_a_filter_writes_it_to_the_url(demo_db):
    at = app(user_id=1, page="pages/tablero.py")
    at.radio(key="f_kind").set_value("actividades").run()
    assert at.query_params["kind"] == ["actividades"] or at.query_params["kind"] == "actividades"


def test_a_sellers_tablero_counts_only_their_work(demo_db):
    store = store_of(demo_db)
    seller = store.get_user(3)
    visible = store.db.query_one("SELECT count(*) FROM items WHERE contact_owner_id = 3 OR responsible_id = 3")[0]
    at = app(user_id=3, page="pages/tablero.py")
    values = metric_values(at)
    assert int(values["Pendientes"].replace(".", "")) + int(values["Realizadas"].replace(".", "")) == visible
    assert seller.role.value == "seller" and any("Tu trabajo" in c.value for c in at.caption)


def test_an_empty_filter_result_says_so(demo_db):
    at = app(user_id=1, date_from="2001-01-01", date_to="2001-01-31")
    assert "No hay actividades ni tareas con estos filtros" in at.info[0].value


# ---------------------------------------------------------------- Exportar

def test_export_page_previews_the_rows_the_tablero_counts(demo_db):
    at = app(user_id=3, page="pages/exportar.py")
    assert not at.exception and at.title[0].value == "Exportar"
    store = store_of(demo_db)
    visible = store.db.query_one("SELECT count(*) FROM items WHERE contact_owner_id = 3 OR responsible_id = 3")[0]
    assert any(m.value == f"**{visible} filas** con estos filtros." for m in at.markdown)
    assert len(at.dataframe[0].value) == min(visible, 100)
    next(b for b in at.button if b.label == "Preparar archivo").click().run()
    assert not at.exception
    assert any(d.label.startswith("Descargar escala-") for d in at.get("download_button"))


def test_only_admins_see_the_import_section(demo_db):
    admin = app(user_id=1, page="pages/exportar.py")
    assert any(h.value == "Importar" for h in admin.header)
    for user_id in (2, 3):
        at = app(user_id=user_id, page="pages/exportar.py")
        assert not any(h.value == "Importar" for h in at.header)


def test_agenda_exports_the_sellers_pending_work(demo_db):
    import csv
    store = store_of(demo_db)
    pending = store.list_items(store.get_user(3), responsible_id=3, status=Status.PENDING)
    at = app(user_id=3)
    at.button(key="agenda-export-prepare").click().run()
    assert [d.label for d in at.get("download_button") if d.label.startswith("Descargar escala-")]
    path = Path(at.session_state["agenda-export"]["path"])
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    assert len(rows) == len(pending) and {r["Estatus"] for r in rows} == {"Pendiente"}


def test_a_csv_above_the_size_limit_offers_gzip_or_parquet(demo_db, monkeypatch):
    import escala.ui.exportar as page
    monkeypatch.setattr(page, "SIZE_LIMIT", 10)  # any real export is bigger than 10 bytes
    at = app(user_id=1, page="pages/exportar.py")
    next(b for b in at.button if b.label == "Preparar archivo").click().run()
    assert any("más del límite de descarga" in w.value for w in at.warning)
    assert {"Preparar .csv.gz", "Preparar Parquet"} <= {b.label for b in at.button}
    assert not [d for d in at.get("download_button") if d.label.startswith("Descargar escala-")]
    next(b for b in at.button if b.label == "Preparar .csv.gz").click().run()
    assert any(d.label.endswith(".csv.gz") for d in at.get("download_button"))



# ---------------------------------------------------------------- Usuarios

def test_a_goal_set_in_usuarios_shows_on_the_tablero_and_the_sellers_agenda(demo_db):
    store = store_of(demo_db)
    at = app(user_id=1, page="pages/usuarios.py")
    at.selectbox(key="meta_usuario").select(3)
    at.radio(key="meta_periodo").set_value("Semana")
    at.selectbox(key="meta_medida").select("Llamada")
    at.number_input(key="meta_cantidad").set_value(7)
    at.button(key="FormSubmitter:metas-Guardar meta").click().run()
    assert [(g.user_id, g.period, g.measure, g.target) for g in store.goals(store.get_user(1))] == \
        [(3, "Semana", "Llamada", 7)]
    assert any("Meta guardada" in t.value for t in at.toast)
    tablero = app(user_id=1)
    assert any(e.label == "Metas del periodo" for e in tablero.expander)
    agenda = app(user_id=3)
    (bar,) = agenda.get("progress")
    assert bar.proto.text.startswith("Llamada esta semana: ") and bar.proto.text.endswith(" de 7")
    other = app(user_id=4)  # another seller: no goal of theirs, no bar
    assert other.get("progress") == []


def test_admin_changes_a_users_role_and_switches_them_off(demo_db):
    store = store_of(demo_db)
    at = app(user_id=1, page="pages/usuarios.py")
    assert not at.exception and at.title[0].value == "Usuarios"
    assert len(at.dataframe[0].value) == 4
    at.selectbox(key="u_chosen").set_value(4).run()
    at.selectbox[1].set_value("analyst")
    at.toggle[0].set_value(False)
    next(b for b in at.button if b.label == "Guardar").click().run()
    changed = store.get_user(4)
    assert (changed.role.value, changed.active) == ("analyst", False)


def password_toggle(at):
    return next(t for t in at.toggle if t.label == "Permitir ingresar con contraseña")


def test_without_company_sign_on_the_password_cannot_be_switched_off(demo_db):
    at = app(user_id=1, page="pages/usuarios.py")
    assert password_toggle(at).value is True and password_toggle(at).disabled


def test_with_company_sign_on_an_admin_takes_a_users_password_away(demo_db, monkeypatch):
    from escala.ui import sso
    monkeypatch.setattr(sso, "enabled", lambda: True)
    at = app(user_id=1, page="pages/usuarios.py")
    at.selectbox(key="u_chosen").set_value(3).run()
    assert not password_toggle(at).disabled
    password_toggle(at).set_value(False)
    next(b for b in at.button if b.label == "Guardar").click().run()
    assert not at.exception and store_of(demo_db).get_user(3).password_allowed is False


def test_a_bad_time_zone_is_refused_in_spanish(demo_db):
    at = app(user_id=1, page="pages/usuarios.py")
    at.selectbox(key="u_chosen").set_value(3).run()
    at.text_input[0].set_value("Marte/Olympus")
    next(b for b in at.button if b.label == "Guardar").click().run()
    assert any("Zona horaria desconocida" in e.value for e in at.error)
    assert store_of(demo_db).get_user(3).time_zone != "Marte/Olympus"


@pytest.mark.parametrize("user_id", [2, 3])
def test_only_admins_can_open_usuarios(demo_db, user_id):
    at = app(user_id=user_id)
    with pytest.raises(ValueError):
        at.switch_page("pages/usuarios.py")
