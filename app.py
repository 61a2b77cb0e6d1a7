"""Entry point: page config, the sign-in gate, and navigation built from the user's role.

A page left out of ``st.navigation`` cannot be opened by URL, so each role gets only its own.
"""

import streamlit as st

from escala.ui.flash import show_flashes
from escala.ui.format import document_language, md
from escala.ui.navigation import pages_for
from escala.ui.resources import get_store
from escala.ui.session import current_user, sign_in_page, sign_out, write_pending_cookie

st.set_page_config(page_title="Escala · Actividades y Tareas", page_icon=":material/task_alt:", layout="wide")
document_language()

store = get_store()
user = current_user(store)
sign_in = st.Page(lambda: sign_in_page(store), title="Ingresar", url_path="ingresar",
                  default=user is None, visibility="hidden")

if user is None:
    st.navigation([sign_in], position="hidden").run()
    st.stop()

pages = [st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=(index == 0))
         for index, spec in enumerate(pages_for(user.role))]
page = st.navigation([*pages, sign_in])  # sign-in stays reachable so sign-out can switch to it

with st.sidebar:
    st.markdown(f"**{md(user.name)}**  \n{user.role.label} · {md(user.email)}")
    if st.button("Cerrar sesión", key="cerrar_sesion"):
        sign_out(store)
        st.switch_page(sign_in)
if page.url_path == sign_in.url_path:  # just signed in (or a stale /ingresar link): go to the landing page
    st.switch_page(pages[0])

write_pending_cookie()
show_flashes()
if store.is_demo():
    st.caption(":material/science: Estás viendo **datos de demostración**.")
page.run()
