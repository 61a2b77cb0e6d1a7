"""User text is shown exactly as typed: never read as Markdown by Streamlit, nor as HTML by plotly."""

from __future__ import annotations

import re
import string
from datetime import datetime

import pandas as pd
import pytest

from escala import charts
from escala.domain import ContactDraft, OpportunityDraft, UserDraft
from escala.ui.format import md
from tests.conftest import task
from tests.test_pages import app, demo_db, navigation_like_the_server, store_of  # noqa: F401 (fixtures)

HOSTILE = [
    '![t](http://127.0.0.1:9/track.png) **b** <a href="http://127.0.0.1:9/x">l</a>',
    "**bold** _it_ ~~tachado~~ `code`",
    "$x^2$ y $$\\frac{1}{2}$$",
    ":red[rojo] :blue-background[azul] :material/check: :smile: :red-badge[x]",
    "# título", "1. lista", "> cita", "- viñeta", "+ más", "| a | b |",
    "<script>alert(1)</script> <b>negrita</b> &amp; &lt;",
    "[enlace](javascript:alert(1)) <http://127.0.0.1:9/> \\*ya escapado\\*",
    "línea uno\nlínea dos\ttab",
]
MARKDOWN_ACTIVE = [r"(?<!\\)!\\?\[", r"(?<!\\)\*\*", r"(?<!\\):\w[\w-]*(?<!\\)\[", r"(?<!\\)\$", r"(?<!\\)<",
                   r"(?<!\\)&", r"(?<!\\):material/", r"(?<!\\)`", r"^\s*(?:#|\d+\.|>|-|\+)\s"]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@pytest.mark.parametrize("text", HOSTILE)
def test_md_escapes_everything_markdown_or_streamlit_would_interpret(text):
    escaped = md(text)
    assert "\n" not in escaped and "\t" not in escaped
    assert _unescape(escaped).replace("\u2060", "") == " ".join(text.split())  # as typed, on one line
    assert not re.search(r"://\w|@\w|www\.", _unescape(escaped))  # no URL or address to autolink
    for pattern in MARKDOWN_ACTIVE:
        assert not re.search(pattern, escaped), (pattern, escaped)
    assert not set(re.sub(r"\\.", "", escaped)) & set(string.punctuation)  # every ASCII mark is escaped


@pytest.mark.parametrize("text", HOSTILE)
def test_plotly_text_turns_markup_into_entities(text):
    shown = charts.plotly_text(text)
    assert "<" not in shown and ">" not in shown and "$" not in shown
    assert re.sub("&(?!amp;|lt;|gt;|#36;)", "", shown).count("&") == shown.count("&")  # every & is an entity
    assert shown.replace("&lt;", "<").replace("&gt;", ">").replace("&#36;", "$").replace("&amp;", "&") == text


def _figure_texts(figure) -> list[str]:
    """Every string plotly draws from the data: categories, ticks, legend names, hover templates."""
    texts = []
    for trace in figure.data:
        texts += [str(v) for v in (trace.x if trace.orientation != "h" else trace.y) if isinstance(v, str)]
        texts += [str(v) for row in (trace.customdata if trace.customdata is not None else []) for v in row
                  if isinstance(v, str)]
    return texts


def test_charts_show_user_names_literally_with_spanish_hover_labels():
    name = HOSTILE[0]
    frame = pd.DataFrame({"responsible": [name, name, "Ana"], "state": ["Pendiente", "Realizada", "Pendiente"],
                          "count": [3, 1, 2], "responsible_id": [7, 7, 8]})
    bars = charts.state_bars(frame, "responsible", key_column="responsible_id")
    assert charts.plotly_text(name) in _figure_texts(bars) and name not in _figure_texts(bars)
    assert all("=" not in t.hovertemplate and "Estado: " in t.hovertemplate and "Elementos: " in t.hovertemplate
               for t in bars.data)
    ageing = charts.ageing(pd.DataFrame({"responsible": [name], "bucket": ["1–7 días"], "count": [2]}))
    assert _figure_texts(ageing) == [charts.plotly_text(name)]
    assert "Días de atraso: 1–7 días" in ageing.data[0].hovertemplate
    week = charts.week_timeline(pd.DataFrame([{"Actividad": f"{name} #1", "Desde": datetime(2026, 3, 2, 10),
                                               "Hasta": datetime(2026, 3, 2, 11), "Estado": "Pendiente",
                                               "Contacto": "<b>Contacto</b>"}]),
                                datetime(2026, 3, 2), datetime(2026, 3, 9))
    assert not [t for t in _figure_texts(week) if "<" in t]
    assert "Contacto: %{customdata[0]}" in week.data[0].hovertemplate
    over_time = charts.over_time(pd.DataFrame({"period": pd.to_datetime(["2026-03-02"]), "series": ["Creadas"],
                                               "count": [1]}), "week")
    assert over_time.data[0].hovertemplate.startswith("Semana del ") and "Creadas: " in over_time.data[0].hovertemplate


# ---------------------------------------------------------------- the pages, through AppTest

NAME = HOSTILE[0]


def _markdown_bodies(at) -> list[str]:
    return [e.value for kind in ("markdown", "caption", "title", "info", "toast") for e in getattr(at, kind)]


def _assert_only_escaped(bodies: list[str]) -> None:
    for body in bodies:
        if "track" in body:
            assert md(NAME) in body, body


def test_a_contact_named_with_markdown_is_escaped_in_its_profile_list_and_toasts(demo_db):
    store = store_of(demo_db)
    admin, seller = store.get_user(1), store.get_user(3)
    contact = store.create_contact(admin, ContactDraft(NAME, owner_id=3))
    store.create_opportunity(admin, OpportunityDraft(NAME, contact.id))
    item = store.create_item(seller, task(contact.id, name=NAME, start=datetime(2030, 1, 1, 9, 0)))

    profile = app(user_id=3, page="pages/contactos.py", contacto=str(contact.id))
    assert profile.title[0].value == md(NAME)
    _assert_only_escaped(_markdown_bodies(profile))
    assert f"¿Eliminar «{md(NAME)}»? Podrás deshacerlo durante 2 minutos." in [m.value for m in profile.markdown]
    profile.button(key=f"done-{item.id}").click().run()
    assert f"«{md(NAME)}» marcada como Realizada" in [t.value for t in profile.toast]

    listing = app(user_id=3, page="pages/contactos.py")
    listing.text_input(key="buscar_contacto").input("track").run()
    links = [e.proto.label for e in listing.get("page_link") if e.proto.label != "Ir a Mi agenda"]  # the bell's
    assert links == [md(NAME)]
    listing.text_input(key="buscar_contacto").input("**nadie**").run()
    assert "«\\*\\*nadie\\*\\*»" in listing.info[0].value


def test_a_user_named_with_markdown_is_escaped_in_the_sidebar(demo_db):
    store = store_of(demo_db)
    user = store.create_user(store.get_user(1), UserDraft(NAME, "raro@escala.demo", "seller", "clave-segura-123"))
    at = app(user_id=user.id)
    sidebar = [m.value for m in at.sidebar.markdown]
    assert sidebar[0].startswith(f"**{md(NAME)}**") and md("raro@escala.demo") in sidebar[0]
