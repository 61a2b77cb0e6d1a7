"""Single sign-on with the company's identity provider (OIDC), through Streamlit's own ``st.login``.

Off unless Streamlit's secrets have an ``[auth]`` section (README, "Ingreso con la cuenta de
la empresa"). No protocol code of ours; the flow is:

1. The sign-in form links to ``/_escala/empresa?next=…``, which remembers where the person was
   going (an HttpOnly cookie) and opens the page ``/empresa``.
2. That page calls ``st.login()``: Streamlit sends the browser to the provider and back to its
   ``/oauth2callback``, which keeps the verified identity in Streamlit's signed, HttpOnly
   cookie and opens ``/``.
3. Still without an Escala session there, the browser reaches the sign-in route, which reads
   that identity (``identity`` below: Streamlit's cookie, checked with its secret and its own
   helpers), matches the email to an active Escala user (``auth.sign_in_with_company``) and
   answers with Escala's session cookie, or with the Spanish refusal. Either way Streamlit's
   identity cookie is cleared: Escala's session is the only one, so *Cerrar sesión* and an
   administrator switching the user off end it like any other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import streamlit as st
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

LOGIN_PAGE = "empresa"  # the page that calls st.login()
START_PATH = "/_escala/empresa"
NEXT_COOKIE = "escala_siguiente"  # where to land after the provider, kept for the sign-in route only
BUTTON = "Ingresar con tu cuenta de la empresa"


def enabled() -> bool:
    """Whether the company's sign-on is configured (an ``[auth]`` section) and usable (Authlib)."""
    from streamlit.auth_util import get_secrets_auth_section, is_authlib_installed
    try:
        return bool(get_secrets_auth_section()) and is_authlib_installed()
    except Exception:  # noqa: BLE001  an unreadable secrets file means: not configured
        return False


def identity(cookies: Mapping[str, str]) -> dict | None:
    """The identity ``st.login`` stored after the provider's answer: the claims (``email``,
    ``email_verified``…) if Streamlit's cookie is present, signed with its secret and bound to
    this app's origin; None otherwise. Uses the same helpers as Streamlit's websocket
    (pinned Streamlit; ``tests/test_sso.py`` breaks if they change)."""
    from streamlit.auth_util import get_origin_from_redirect_uri
    from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME
    from streamlit.web.server.starlette.starlette_websocket import (
        _get_signed_cookie_with_chunks,
        _parse_decoded_user_cookie,
    )
    if USER_COOKIE_NAME not in cookies or not enabled():
        return None
    try:
        decoded = _get_signed_cookie_with_chunks(dict(cookies), USER_COOKIE_NAME)
        claims = _parse_decoded_user_cookie(decoded, get_origin_from_redirect_uri() or "") if decoded else {}
    except (ValueError, TypeError, json.JSONDecodeError):
        return None
    return claims if claims.get("is_logged_in") else None


def clear_identity(response: Response, cookies: Mapping[str, str]) -> None:
    """Forget Streamlit's identity cookies (and their chunks) on this browser."""
    from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME
    for name in cookies:
        if name.startswith(USER_COOKIE_NAME):
            response.delete_cookie(name, path="/", httponly=True, samesite="lax")


async def start(request: Request) -> Response:
    """``/_escala/empresa?next=…``: remember the destination, then the page that calls ``st.login``."""
    from escala.ui.signin import SIGN_IN_PATH, cookie_secure, safe_next, sign_in_url
    next_path = safe_next(request.query_params.get("next"))
    if not enabled():
        return RedirectResponse(sign_in_url(next_path), status_code=303)
    response = RedirectResponse(f"/{LOGIN_PAGE}", status_code=303)
    response.set_cookie(NEXT_COOKIE, next_path, max_age=900, path=SIGN_IN_PATH, httponly=True, samesite="lax",
                        secure=cookie_secure(request))
    return response


def login_page() -> None:
    """The page ``/empresa``: hands the browser to the company's identity provider."""
    from escala.ui.signin import SIGN_IN_PATH
    st.title("Escala · Actividades y Tareas")
    if not enabled():
        st.info(f"El ingreso con la cuenta de la empresa no está configurado. [Ingresa con tu contraseña]"
                f"({SIGN_IN_PATH}).")
        return
    st.markdown("Te llevamos al ingreso de tu empresa…")
    st.login()
