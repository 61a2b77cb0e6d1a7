"""Who is signed in on this browser tab, the sign-in form, and sign-out."""

from __future__ import annotations

import streamlit as st

from escala import auth, demo
from escala.domain import User
from escala.store import Store

USER_KEY = "user_id"


def current_user(store: Store) -> User | None:
    """The signed-in user, re-read on every run so a deactivation takes effect at once."""
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        return None
    user = store.get_user(user_id)
    if user is None or not user.active:
        sign_out()
        return None
    return user


def sign_out() -> None:
    st.session_state.pop(USER_KEY, None)


def sign_in_page(store: Store) -> None:
    """The sign-in form: Correo electrónico, Contraseña, Ingresar."""
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        _sign_in_form(store)


def _sign_in_form(store: Store) -> None:
    st.title("Escala · Actividades y Tareas")
    with st.form("ingresar", enter_to_submit=True):
        email = st.text_input("Correo electrónico", autocomplete="username")
        password = st.text_input("Contraseña", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Ingresar", type="primary")
    if submitted:
        result = auth.sign_in(store, email, password)
        if result.user is None:
            st.error(result.error)
        else:
            st.session_state[USER_KEY] = result.user.id
            st.rerun()
    if store.is_demo():
        st.info(
            "**Datos de demostración.** Cuentas de ejemplo (contraseña "
            f"`{demo.DEMO_PASSWORD}`): `admin@{demo.DEMO_DOMAIN}` (Administrador), "
            f"`analista@{demo.DEMO_DOMAIN}` (Analista), `vendedor1@{demo.DEMO_DOMAIN}` (Vendedor)."
        )
