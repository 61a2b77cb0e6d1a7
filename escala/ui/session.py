"""Who is signed in on this browser, the sign-in form, and sign-out.

A successful sign-in opens a server-side session and leaves a signed, expiring token in a
cookie, so a reload or a new tab stays signed in (Streamlit's session state alone is lost
on reload). Sign-out revokes the session on the server, so copies of the cookie die too.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from escala import auth, demo
from escala.db import default_path
from escala.domain import SESSION_ENDED, User
from escala.store import Store

USER_KEY = "user_id"
TOKEN_KEY = "session_token"
ENDED_KEY = "session_ended"  # set when a write found the session over: the sign-in page says so
COOKIE_KEY = "cookie_to_write"  # set when the browser's cookie must change on the next run


@st.cache_resource(show_spinner=False)
def _secret(data_dir: str) -> bytes:
    return auth.session_secret(Path(data_dir))


def _session_secret() -> bytes:
    """The signing key, kept beside the database (or set in .streamlit/secrets.toml)."""
    return _secret(str(default_path().parent))


def current_user(store: Store) -> User | None:
    """The signed-in user, re-read on every run so a deactivation takes effect at once.
    A tab without one in its session state may still carry a valid session cookie."""
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        token = st.context.cookies.get(auth.SESSION_COOKIE)
        user = auth.user_from_token(store, token, _session_secret()) if token else None
        if user is not None:
            st.session_state[USER_KEY], st.session_state[TOKEN_KEY] = user.id, token
        return user
    token = st.session_state.get(TOKEN_KEY)
    if token is not None:  # the server-side session may have ended (sign-out elsewhere, idle)
        user = auth.user_from_token(store, token, _session_secret())
        if user is None or user.id != user_id:
            sign_out(store)
            return None
        return user
    user = store.get_user(user_id)
    if user is None or not user.active:
        sign_out(store)
        return None
    return user


def sign_out(store: Store) -> None:
    """End this browser's session on the server and clear its cookie."""
    auth.revoke_token(store, st.session_state.pop(TOKEN_KEY, None), _session_secret())
    st.session_state.pop(USER_KEY, None)
    st.session_state[COOKIE_KEY] = ""


def end_here() -> None:
    """A write was refused because this tab's session is over (signed out in another tab,
    expired, password changed): forget it here too (the server already has); the next run
    shows the sign-in form with "Tu sesión terminó; vuelve a ingresar."."""
    st.session_state.pop(TOKEN_KEY, None)
    st.session_state.pop(USER_KEY, None)
    st.session_state[COOKIE_KEY] = ""
    st.session_state[ENDED_KEY] = True


def write_pending_cookie() -> None:
    """Send the browser the cookie change decided on the previous run (sign-in or sign-out)."""
    value = st.session_state.pop(COOKIE_KEY, None)
    if value is None:
        return
    max_age = int(auth.TOKEN_LIFETIME.total_seconds()) if value else 0
    # The value is our own base64url token (or empty): nothing user-typed reaches this script.
    st.html(f"<script>document.cookie = '{auth.SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; "
            "SameSite=Strict';</script>", unsafe_allow_javascript=True, width=1)


def client_address() -> str:
    """The browser's address (the connection's TCP peer, which headers cannot forge), for the
    sign-in limits and their audit; "desconocido" on localhost, where Streamlit hides it (and
    in AppTest, whose context is a mock)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else auth.UNKNOWN_CLIENT


def sign_in_page(store: Store) -> None:
    """The sign-in form: Correo electrónico, Contraseña, Ingresar."""
    write_pending_cookie()
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        _sign_in_form(store)


def _sign_in_form(store: Store) -> None:
    st.title("Escala · Actividades y Tareas")
    if st.session_state.pop(ENDED_KEY, False):
        st.warning(SESSION_ENDED, icon=":material/lock_clock:")
    with st.form("ingresar", enter_to_submit=True):
        email = st.text_input("Correo electrónico", autocomplete="username")
        password = st.text_input("Contraseña", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Ingresar", type="primary")
    if submitted:
        result = auth.sign_in(store, email, password, client_address())
        if result.user is None:
            st.error(result.error)
        else:
            token = auth.issue_token(store, result.user, _session_secret())
            st.session_state[USER_KEY], st.session_state[TOKEN_KEY] = result.user.id, token
            st.session_state[COOKIE_KEY] = token
            st.rerun()
    if store.is_demo():
        st.info(
            "**Datos de demostración.** Cuentas de ejemplo (contraseña "
            f"`{demo.DEMO_PASSWORD}`): `admin@{demo.DEMO_DOMAIN}` (Administrador), "
            f"`analista@{demo.DEMO_DOMAIN}` (Analista), `vendedor1@{demo.DEMO_DOMAIN}` (Vendedor)."
        )
