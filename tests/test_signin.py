"""Sign-in and sign-out routes: the server alone sets the session cookie (HttpOnly, SameSite=Lax,
Path=/, Secure over HTTPS), the form's CSRF token is checked, links survive sign-in, and
nothing secret goes into a URL."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from escala import auth, demo
from escala.ui import resources, signin
from tests.test_pages import demo_db  # noqa: F401 (fixture)

ROUTES = [Route(signin.SIGN_IN_PATH, signin.sign_in_form, methods=["GET"]),
          Route(signin.SIGN_IN_PATH, signin.sign_in_submit, methods=["POST"]),
          Route(signin.SIGN_OUT_PATH, signin.sign_out, methods=["GET", "POST"])]


@pytest.fixture
def client(demo_db):
    with TestClient(Starlette(routes=ROUTES), base_url="http://testserver") as test_client:
        yield test_client
    resources.close_store(resources.open_store(demo_db))


def form_token(answer) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', answer.text).group(1)


def submit(client, email="admin@escala.demo", password=demo.DEMO_PASSWORD, next_path="/contactos?contacto=2",
           token: str | None = None, site: str = "http://testserver"):
    page = client.get(site + signin.sign_in_url(next_path))
    data = {"csrf": form_token(page) if token is None else token, "next": next_path, "email": email,
            "password": password}
    return client.post(site + signin.SIGN_IN_PATH, data=data, follow_redirects=False)


def test_the_form_speaks_the_spec_words_and_shows_the_demo_accounts(client):
    page = client.get(signin.sign_in_url("/"))
    assert page.status_code == 200 and 'lang="es-MX"' in page.text
    for words in ('<label for="email">Correo electrónico</label>', '<label for="password">Contraseña</label>',
                  '<button type="submit">Ingresar</button>', "Datos de demostración."):
        assert words in page.text


def test_a_right_password_sets_an_httponly_lax_cookie_and_goes_to_the_link(client):
    answer = submit(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/contactos?contacto=2"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{auth.SESSION_COOKIE}="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path=/", "samesite=lax"} <= flags and "secure" not in flags
    token = cookie.split(";")[0].split("=", 1)[1]
    assert auth.user_from_token(resources.default_store(), token, resources.signing_secret()).email == "admin@escala.demo"


@pytest.mark.parametrize("site, setting", [("https://testserver", ""), ("https://testserver", "1")])
def test_over_https_the_cookie_is_secure(client, monkeypatch, site, setting):
    """Served over HTTPS (or behind a TLS proxy, ESCALA_COOKIE_SECURE=1), the cookies are Secure."""
    monkeypatch.setenv("ESCALA_COOKIE_SECURE", setting)
    answer = submit(client, site=site)
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{auth.SESSION_COOKIE}="))
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


def test_a_post_without_the_forms_token_is_refused(client):
    answer = submit(client, token="")
    assert answer.status_code == 400 and "El formulario caducó" in answer.text
    assert auth.SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    forged = submit(client, token="a" * 32)
    assert forged.status_code == 400


def test_a_wrong_password_is_refused_in_spanish_and_keeps_the_email(client):
    answer = submit(client, password="no-es-esta")
    assert answer.status_code == 401
    assert "Correo electrónico o contraseña incorrectos." in answer.text
    assert 'value="admin@escala.demo"' in answer.text and "no-es-esta" not in answer.text


@pytest.mark.parametrize("next_path, landing", [
    ("https://evil.example/", "/"), ("//evil.example/x", "/"), ("/\\evil.example", "/"), ("javascript:alert(1)", "/"),
    ("/tablero?kind=tareas&states=Vencida", "/tablero?kind=tareas&states=Vencida"), (signin.SIGN_OUT_PATH, "/"),
])
def test_after_sign_in_only_pages_of_this_site(client, next_path, landing):
    assert submit(client, next_path=next_path).headers["location"] == landing


def test_sign_out_ends_the_session_and_clears_the_cookie(client):
    answer = submit(client)
    token = client.cookies.get(auth.SESSION_COOKIE)
    assert token
    out = client.get(signin.SIGN_OUT_PATH, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"].startswith(signin.SIGN_IN_PATH)
    assert any(c.startswith(f'{auth.SESSION_COOKIE}=""') or "max-age=0" in c.lower()
               for c in out.headers.get_list("set-cookie"))
    assert auth.user_from_token(resources.default_store(), token, resources.signing_secret()) is None
    assert answer.status_code == 303


def test_the_ended_flag_shows_the_spanish_notice(client):
    page = client.get(signin.sign_in_url("/agenda", ended=True))
    assert "Tu sesión terminó; vuelve a ingresar." in page.text


def test_delays_still_apply_through_the_route(client):
    for _ in range(5):
        submit(client, password="mala-clave")
    answer = submit(client)  # even the right password waits now
    assert answer.status_code == 401 and "Demasiados intentos fallidos" in answer.text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(email=st.text(max_size=300), password=st.text(max_size=300), next_path=st.text(max_size=300),
       token=st.one_of(st.none(), st.text(max_size=60)))
def test_hostile_form_fields_never_break_the_route(client, email, password, next_path, token):
    """Whatever the form carries: a Spanish page (400/401) or a redirect to a page of this site;
    never a server error, never another site, and the password never echoed back."""
    answer = submit(client, email=email, password=password, next_path=next_path, token=token)
    assert answer.status_code in (303, 400, 401)
    if answer.status_code == 303:
        location = answer.headers["location"]
        assert location.startswith("/") and not location.startswith("//") and "\\" not in location
    else:
        assert 'lang="es-MX"' in answer.text
        echoed = re.findall(r'value="([^"]*)"', answer.text)
        if password.strip() and password not in (email, "/", next_path):
            assert html.escape(password) not in echoed[2:]  # [csrf, next, email]: never the password
