"""Which pages each role may open, in one table used by ``app.py`` and by the pages themselves.

``app.py`` builds ``st.navigation`` from it, so a page outside the user's role cannot be
opened by URL. Each page also calls ``page_user`` first: when a ``pages/`` folder exists,
Streamlit may run a page file directly (without ``app.py``) for the first request after
the server starts, and a page must still refuse a visitor who may not see it.
"""

from __future__ import annotations

from dataclasses import dataclass

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
CONTACTS = PageSpec("pages/contactos.py", "Contactos", ":material/group:", "contactos", frozenset(Role))
TABLERO = PageSpec("pages/tablero.py", "Tablero", ":material/monitoring:", "tablero", frozenset(Role))
EXPORT = PageSpec("pages/exportar.py", "Exportar", ":material/download:", "exportar", frozenset(Role))
USERS = PageSpec("pages/usuarios.py", "Usuarios", ":material/manage_accounts:", "usuarios", frozenset({Role.ADMIN}))
PAGES = [TABLERO, AGENDA, CONTACTS, EXPORT, USERS]  # menu order
LANDING = {Role.SELLER: AGENDA, Role.ADMIN: TABLERO, Role.ANALYST: TABLERO}


def pages_for(role: Role) -> list[PageSpec]:
    """The pages ``role`` may open, its landing page first."""
    allowed = [spec for spec in PAGES if role in spec.roles]
    return sorted(allowed, key=lambda spec: spec is not LANDING[role])


def page_user(spec: PageSpec) -> User:
    """The signed-in user, if their role may open this page; otherwise the page stops."""
    user = current_user(get_store())
    if user is None or user.role not in spec.roles:
        st.warning("Inicia sesión con un usuario que tenga acceso a esta página: [ir al inicio](/).")
        st.stop()
    return user
