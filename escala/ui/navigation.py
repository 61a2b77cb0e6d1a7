"""Which pages each role may open, in one table used by ``app.py`` and by the pages themselves.

``app.py`` builds ``st.navigation`` from it, so a page outside the user's role cannot be
opened by URL. Each page also calls ``page_user`` first: when a ``pages/`` folder exists,
Streamlit may run a page file directly (without ``app.py``) for the first request after
the server starts, and a page must still refuse a visitor who may not see it.
"""

from __future__ import annotations

import runpy
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from escala.domain import Role, User
from escala.ui.resources import get_store
from escala.ui.session import current_user


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    url_path: str
    roles: frozenset[Role]


AGENDA = PageSpec("pages/agenda.py", "Mi agenda", ":material/event:", "agenda", frozenset({Role.SELLER, Role.ADMIN}))
CALENDAR = PageSpec("pages/calendario.py", "Calendario", ":material/calendar_month:", "calendario",
                    frozenset({Role.SELLER, Role.ADMIN}))
CONTACTS = PageSpec("pages/contactos.py", "Contactos", ":material/group:", "contactos", frozenset(Role))
TABLERO = PageSpec("pages/tablero.py", "Tablero", ":material/monitoring:", "tablero", frozenset(Role))
EXPORT = PageSpec("pages/exportar.py", "Exportar", ":material/download:", "exportar", frozenset(Role))
USERS = PageSpec("pages/usuarios.py", "Usuarios", ":material/manage_accounts:", "usuarios", frozenset({Role.ADMIN}))
PAGES = [TABLERO, AGENDA, CALENDAR, CONTACTS, EXPORT, USERS]  # menu order
LANDING = {Role.SELLER: AGENDA, Role.ADMIN: TABLERO, Role.ANALYST: TABLERO}


ENTRY_POINT = Path(__file__).resolve().parents[2] / "app.py"


def _run_without_the_entry_point() -> bool:
    """True on the first request after the server starts when it opens a page's address:
    because ``pages/`` exists, Streamlit then runs the page file by itself (its legacy
    folder mode, with English menu names) until the entry point has called st.navigation."""
    from streamlit.runtime.pages_manager import PagesManager
    return bool(PagesManager.uses_pages_directory)


def pages_for(role: Role) -> list[PageSpec]:
    """The pages ``role`` may open, its landing page first."""
    allowed = [spec for spec in PAGES if role in spec.roles]
    return sorted(allowed, key=lambda spec: spec is not LANDING[role])


def no_access_page(spec: PageSpec, user: User, home: PageSpec) -> None:
    """What a signed-in person sees at the address of a page their role may not open."""
    st.title(spec.title)
    st.warning(f"Tu rol ({user.role.label}) no tiene acceso a «{spec.title}». Si lo necesitas, pídeselo a un "
               "administrador.", icon=":material/lock:")
    st.page_link(home.path, label=f"Ir a {home.title}", icon=home.icon)


def page_user(spec: PageSpec) -> User:
    """The signed-in user, if their role may open this page; otherwise the page stops."""
    if _run_without_the_entry_point():
        runpy.run_path(str(ENTRY_POINT), run_name="__main__")  # builds the real navigation and runs this page
        st.stop()
    user = current_user(get_store())
    if user is None or user.role not in spec.roles:
        st.warning("Inicia sesión con un usuario que tenga acceso a esta página: [ir al inicio](/).")
        st.stop()
    return user
