"""Entry point: page config, the sign-in gate, and navigation built from the user's role.

A page's own file runs only for the roles that may open it. Every other page address gets a
hidden stand-in with the same path (a page's identity is its path): signed out, the sign-in
form, which keeps the address and its query, so signing in opens exactly the shared link;
signed in without access, a Spanish explanation instead of Streamlit's "Page not found".
"""

from functools import partial

import streamlit as st

from escala.domain import Role
from escala.ui import sso
from escala.ui.dialogs import open_quick_add
from escala.ui.errors import guard
from escala.ui.flash import show_flashes
from escala.ui.items import offer_undo
from escala.ui.layout import accessible_layout
from escala.ui.format import md
from escala.ui.navigation import PAGES, no_access_page, pages_for
from escala.ui.reminders import preferences, reminders
from escala.ui.resources import get_store
from escala.ui.session import current_user, sign_in_page, sign_out

st.set_page_config(page_title="Escala · Actividades y Tareas", page_icon=":material/task_alt:", layout="wide")
accessible_layout()

store = get_store()
user = current_user(store)
sign_in = st.Page(lambda: sign_in_page(store), title="Ingresar", url_path="ingresar",
                  default=user is None, visibility="hidden")
company_sign_in = st.Page(sso.login_page, title=sso.BUTTON, url_path=sso.LOGIN_PAGE, visibility="hidden")

if user is None:
    stand_ins = [st.Page(lambda: sign_in_page(store), title=spec.title, url_path=spec.url_path, visibility="hidden")
                 for spec in PAGES]
    with guard():
        st.navigation([sign_in, company_sign_in, *stand_ins], position="hidden").run()
    st.stop()

allowed = pages_for(user.role)
pages = [st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path) for spec in allowed]
# The root address is a hidden page of its own that leads to the role's landing page: Streamlit
# serves its default page only at "/", so a landing page made default would answer its own
# address (/tablero for an admin) with "Page not found".
home = st.Page(lambda: None, title="Inicio", url_path="inicio", default=True, visibility="hidden")
closed = [st.Page(partial(no_access_page, spec, user, allowed[0]), title=spec.title, url_path=spec.url_path,
                  visibility="hidden") for spec in PAGES if spec not in allowed]
page = st.navigation([home, *pages, *closed, sign_in, company_sign_in])  # sign-in pages: signed in, they lead home

with st.sidebar:
    quick_add = user.role is not Role.ANALYST and st.button(
        "Nueva", icon=":material/add:", key="nueva_lateral", help="Nueva actividad o tarea en uno de tus contactos")
    if user.role is not Role.ANALYST:  # work is never assigned to an analyst
        reminders(store, user)
    st.markdown(f"**{md(user.name)}**  \n{user.role.label} · {md(user.email)}")
    preferences(store, user)
    if st.button("Cerrar sesión", key="cerrar_sesion"):
        sign_out(store)  # ends the session and sends the browser to the sign-out route
        st.stop()
if page.url_path == home.url_path:  # "/": the landing page, with the link's query (a filtered Tablero)
    st.switch_page(pages[0], query_params=st.query_params.to_dict())
if page.url_path in (sign_in.url_path, company_sign_in.url_path):  # a stale sign-in link
    st.switch_page(pages[0])

show_flashes()
offer_undo(store, user)
if store.is_demo():
    st.caption(":material/science: Estás viendo **datos de demostración**.")
with guard():
    store.advance_recurrences()  # the occurrences whose turn came while nobody was writing
    if quick_add:
        open_quick_add(store, user)
    page.run()
