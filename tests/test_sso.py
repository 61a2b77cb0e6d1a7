"""Single sign-on: the identity ``st.login`` verified becomes an Escala session only for an active
user with that email; the role and zone stay Escala's; every attempt is audited; an admin can
take a user's password away. The full flow through a real provider is tests/e2e/test_sso.py."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from escala import auth, metrics
from escala.domain import UserDraft, ValidationError
from escala.ui import resources, signin, sso
from tests.conftest import PASSWORD
from tests.test_pages import demo_db  # noqa: F401 (fixture)

ORIGIN = "http://testserver"


# ------------------------------------------------------------------ the core: who may enter

def sso_rows(store) -> list[tuple]:
    return store.db.query("SELECT email, outcome FROM sign_in_attempts WHERE method = 'sso' ORDER BY id")


def test_a_verified_email_of_an_active_user_signs_in_with_escalas_role_and_zone(store, world):
    result = auth.sign_in_with_company(store, "  ANA@Example.COM", True, "10.0.0.9")
    assert result.user == world.ana and result.error is None
    assert result.user.role == world.ana.role and result.user.time_zone == world.ana.time_zone
    assert sso_rows(store) == [("ana@example.com", "success")]


@pytest.mark.parametrize("email, verified", [
    ("nadie@example.com", True),  # unknown
    ("ana@example.com", False),  # the provider says it is not verified
    ("", True), (None, True),  # no email claim at all
])
def test_unknown_unverified_or_missing_emails_are_refused_in_spanish(store, world, email, verified):
    result = auth.sign_in_with_company(store, email, verified)
    assert result.user is None
    assert "no corresponde a ningún usuario activo de Escala" in result.error
    assert [outcome for _, outcome in sso_rows(store)] == ["failure"]


def test_an_inactive_user_is_refused(store, world):
    store.update_user(world.admin, world.ana.id, active=False)
    result = auth.sign_in_with_company(store, "ana@example.com", True)
    assert result.user is None and "Pide a un administrador" in result.error


def test_company_sign_ins_never_count_towards_the_password_limits(store, world, clock):
    for _ in range(auth.MAX_FAILURES + 3):
        auth.sign_in_with_company(store, "ana@example.com", False, "10.0.0.1")
    assert auth.sign_in(store, "ana@example.com", PASSWORD, "10.0.0.1", clock=clock).user == world.ana


def test_company_sign_ins_are_counted_for_the_metrics(store, world):
    before = {outcome: metrics.SIGN_INS.labels("sso", outcome)._value.get() for outcome in ("success", "failure")}
    auth.sign_in_with_company(store, "ana@example.com", True)
    auth.sign_in_with_company(store, "nadie@example.com", True)
    assert metrics.SIGN_INS.labels("sso", "success")._value.get() == before["success"] + 1
    assert metrics.SIGN_INS.labels("sso", "failure")._value.get() == before["failure"] + 1


# ------------------------------------------------------------------ passwords an admin can switch off

def test_without_its_password_a_user_is_told_to_use_the_company_sign_on(store, world, clock):
    store.update_user(world.admin, world.ana.id, password_allowed=False)
    assert auth.sign_in(store, "ana@example.com", PASSWORD, clock=clock).error == auth.PASSWORD_NOT_ALLOWED
    wrong = auth.sign_in(store, "ana@example.com", "otra-contraseña", clock=clock)
    assert wrong.error == "Correo electrónico o contraseña incorrectos."  # told only to who knows the password
    assert auth.sign_in_with_company(store, "ana@example.com", True).user.id == world.ana.id


def test_switching_the_password_off_ends_the_users_sessions_and_is_audited(store, world, clock):
    session = store.create_session(world.ana.id, clock())
    store.update_user(world.admin, world.ana.id, password_allowed=False)
    assert store.session_user(session, clock(), auth.session_idle_limit()) is None
    (changes,) = store.db.query_one("SELECT changes FROM audit_log WHERE entity = 'user' AND entity_id = ? "
                                    "ORDER BY id DESC LIMIT 1", [world.ana.id])
    assert json.loads(changes)["password_allowed"] == [True, False]
    assert store.get_user(world.ana.id).password_allowed is False


def test_a_company_sign_on_user_needs_no_password_but_everyone_else_does(store, world):
    user = store.create_user(world.admin, UserDraft("Sin Clave", "sin.clave@example.com", "seller", None,
                                                    password_allowed=False))
    assert user.password_allowed is False
    assert store.db.query_one("SELECT password_hash FROM users WHERE id = ?", [user.id]) == (None,)
    assert auth.sign_in(store, "sin.clave@example.com", "cualquier-cosa").user is None
    with pytest.raises(ValidationError) as refused:
        store.create_user(world.admin, UserDraft("Con Clave", "con.clave@example.com", "seller", None))
    assert refused.value.errors == {"password": "La contraseña es obligatoria."}


# ------------------------------------------------------------------ Streamlit's identity cookie

def streamlit_identity_cookies(claims: dict, origin: str = ORIGIN) -> dict[str, str]:
    """The cookies Streamlit's own /oauth2callback sets after the provider answers."""
    from streamlit.web.server.starlette.starlette_auth_routes import _set_auth_cookie
    response = Response()
    with ThreadPoolExecutor(1) as pool:  # a loop of its own: the browser tests keep one running in this thread
        pool.submit(asyncio.run, _set_auth_cookie(
            response, dict(claims, origin=origin, is_logged_in=True, provider="default"), {"id_token": "x"})).result()
    cookies = {}
    for header in response.headers.getlist("set-cookie"):
        name, value = header.split(";")[0].split("=", 1)
        cookies[name] = value.strip('"')
    return cookies


@pytest.fixture
def configured(monkeypatch):
    """As if ``[auth]`` were in the secrets, with this origin in its redirect URI."""
    import streamlit.auth_util
    monkeypatch.setattr(sso, "enabled", lambda: True)
    monkeypatch.setattr(streamlit.auth_util, "get_origin_from_redirect_uri", lambda: ORIGIN)


def test_the_identity_is_read_from_streamlits_own_signed_cookie(configured):
    cookies = streamlit_identity_cookies({"email": "ana@example.com", "email_verified": True})
    claims = sso.identity(cookies)
    assert claims["email"] == "ana@example.com" and claims["email_verified"] is True


def test_a_forged_or_foreign_identity_cookie_is_no_identity(configured):
    cookies = streamlit_identity_cookies({"email": "ana@example.com"})
    name = next(iter(cookies))
    assert sso.identity({name: cookies[name][:-2] + "xx"}) is None  # the signature no longer holds
    assert sso.identity({name: json.dumps({"email": "admin@escala.demo", "is_logged_in": True})}) is None
    assert sso.identity(streamlit_identity_cookies({"email": "ana@example.com"}, "http://otro.sitio")) is None
    assert sso.identity({}) is None


def test_without_an_auth_section_there_is_no_company_sign_on():
    assert sso.enabled() is False
    assert sso.identity({"_streamlit_user": "anything"}) is None


# ------------------------------------------------------------------ the routes

@pytest.fixture
def client(demo_db):
    routes = [Route(signin.SIGN_IN_PATH, signin.sign_in_form, methods=["GET"]),
              Route(sso.START_PATH, sso.start, methods=["GET"])]
    with TestClient(Starlette(routes=routes), base_url=ORIGIN) as test_client:
        yield test_client
    resources.close_store(resources.open_store(demo_db))


def test_the_form_offers_the_company_sign_on_only_when_configured(client, monkeypatch):
    assert sso.BUTTON not in client.get(signin.sign_in_url("/tablero")).text
    assert client.get(sso.START_PATH + "?next=/tablero", follow_redirects=False).headers["location"] \
        == signin.sign_in_url("/tablero")
    monkeypatch.setattr(sso, "enabled", lambda: True)
    page = client.get(signin.sign_in_url("/tablero")).text
    assert f'<a class="company" href="{sso.START_PATH}?next=%2Ftablero">{sso.BUTTON}</a>' in page


def company_round_trip(client, email: str, next_path: str = "/contactos?contacto=2"):
    """Start the company sign-on from a link, come back with Streamlit's identity cookie."""
    started = client.get(f"{sso.START_PATH}?next={next_path.replace('?', '%3F').replace('=', '%3D')}",
                         follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"] == f"/{sso.LOGIN_PAGE}"
    for name, value in streamlit_identity_cookies({"email": email, "email_verified": True}).items():
        client.cookies.set(name, value)
    return client.get(signin.sign_in_url("/"), follow_redirects=False)


def test_a_known_user_comes_back_signed_in_on_the_page_they_were_opening(client, configured):
    answer = company_round_trip(client, "Vendedor1@Escala.Demo")
    assert answer.status_code == 303 and answer.headers["location"] == "/contactos?contacto=2"
    set_cookies = answer.headers.get_list("set-cookie")
    session = next(c for c in set_cookies if c.startswith(f"{auth.SESSION_COOKIE}="))
    assert {"httponly", "path=/", "samesite=lax"} <= {part.strip().lower() for part in session.split(";")[1:]}
    token = session.split(";")[0].split("=", 1)[1]
    user = auth.user_from_token(resources.default_store(), token, resources.signing_secret())
    assert user.email == "vendedor1@escala.demo" and user.role.value == "seller"
    assert any(c.startswith(('_streamlit_user=""', "_streamlit_user=;")) for c in set_cookies)


def test_an_unknown_email_is_refused_with_the_form_and_no_session(client, configured):
    answer = company_round_trip(client, "intruso@otra.empresa")
    assert answer.status_code == 403
    assert "Tu cuenta de la empresa (intruso@otra.empresa) no corresponde" in answer.text
    set_cookies = answer.headers.get_list("set-cookie")
    assert not any(c.startswith(f"{auth.SESSION_COOKIE}=") for c in set_cookies)
    assert any(c.startswith("_streamlit_user=") and "max-age=0" in c.lower() for c in set_cookies)
    assert 'name="next" value="/contactos?contacto=2"' in answer.text  # trying again still lands there
