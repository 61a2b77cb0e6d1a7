"""Who is signed in on this browser, and the way to the sign-in and sign-out routes.

Signing in (``escala/ui/signin.py``, a server route) opens a server-side session and sets a
signed, expiring token in an HttpOnly cookie, which every page reads on the server
(``st.context.cookies``): a reload or a new tab stays signed in. Sign-out revokes the
session on the server, so copies of the cookie die too.
"""

from __future__ import annotations

import json

import streamlit as st

from escala import auth
from escala.domain import SESSION_ENDED, User
from escala.ui.signin import ENDED_FLAG, SIGN_IN_PATH, SIGN_OUT_PATH
from escala.store import Store
from escala.ui import resources

USER_KEY = "user_id"
TOKEN_KEY = "session_token"
ENDED_KEY = "session_ended"  # set when a write found the session over: the sign-in page says so


def current_user(store: Store) -> User | None:
    """The signed-in user, re-read on every run so a deactivation takes effect at once.
    A tab without one in its session state may still carry a valid session cookie."""
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        token = st.context.cookies.get(auth.SESSION_COOKIE)
        user = auth.user_from_token(store, token, resources.signing_secret()) if token else None
        if user is not None:
            st.session_state[USER_KEY], st.session_state[TOKEN_KEY] = user.id, token
        return user
    token = st.session_state.get(TOKEN_KEY)
    if token is not None:  # the server-side session may have ended (sign-out elsewhere, idle)
        user = auth.user_from_token(store, token, resources.signing_secret())
        if user is None or user.id != user_id:
            end_here()
            return None
        return user
    user = store.get_user(user_id)
    if user is None or not user.active:
        end_here()
        return None
    return user


def sign_out(store: Store) -> None:
    """End this browser's session on the server, forget it in this tab, and send the browser
    to the sign-out route, the only place (with sign-in) that touches the HttpOnly cookie."""
    auth.revoke_token(store, st.session_state.pop(TOKEN_KEY, None), resources.signing_secret())
    st.session_state.pop(USER_KEY, None)
    _go(SIGN_OUT_PATH)


def end_here() -> None:
    """A write was refused because this tab's session is over (signed out in another tab,
    expired, password changed): forget it here too (the server already has) and show the
    sign-in form with "Tu sesión terminó; vuelve a ingresar.", keeping this page as the way back."""
    st.session_state.pop(TOKEN_KEY, None)
    st.session_state.pop(USER_KEY, None)
    st.session_state[ENDED_KEY] = True


def client_address() -> str:
    """The browser's address (the connection's TCP peer, which headers cannot forge), for the
    sign-in limits and their audit; "desconocido" on localhost, where Streamlit hides it (and
    in AppTest, whose context is a mock)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else auth.UNKNOWN_CLIENT


def _go(path: str, keep_place: bool = False, extra: str = "") -> None:
    """Send the browser to one of the server's own routes (sign-in, sign-out); with
    ``keep_place`` the current address and query ride along as ``next``."""
    script = f"window.location.replace({json.dumps(path)}"
    if keep_place:
        script += " + '?next=' + encodeURIComponent(location.pathname + location.search)"
    script += f" + {json.dumps(extra)})"
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True, width=1)


def sign_in_page(store: Store) -> None:
    """Signed out: the sign-in form lives on the server (``escala/ui/signin.py``); go there,
    bringing this page's address so that signing in lands exactly here."""
    ended = st.session_state.pop(ENDED_KEY, False)
    st.title("Escala · Actividades y Tareas")
    if ended:
        st.warning(SESSION_ENDED, icon=":material/lock_clock:")
    st.markdown(f"Redirigiendo al ingreso… Si no ocurre, [ingresa aquí]({SIGN_IN_PATH}).")
    _go(SIGN_IN_PATH, keep_place=True, extra=f"&{ENDED_FLAG}=1" if ended else "")
