"""Single sign-on for real: `oidc-provider-mock` (an OpenID Connect provider) on a free port, the app
configured against it through an ``[auth]`` secrets section, and Chromium signing in through the
provider's own page. Nothing of ``st.login`` is mocked."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from escala import auth
from escala.db import open_database
from escala.domain import UserDraft
from escala.store import Store
from tests.conftest import seed_demo_file
from tests.e2e.conftest import (
    free_port,
    new_tab,
    screenshot,
    serve,
    session_cookie,
    sign_in,
    wait_until_answers,
)

# The provider's predefined accounts (one button each on its page): sub -> claims.
ACCOUNTS = {
    "vendedora": {"email": "VENDEDOR1@Escala.Demo", "email_verified": True},  # another case than Escala's
    "administradora": {"email": "admin@escala.demo", "email_verified": True},
    "desconocida": {"email": "desconocida@otra.empresa", "email_verified": True},
    "inactiva": {"email": "inactiva@escala.demo", "email_verified": True},
    "sin-verificar": {"email": "vendedor2@escala.demo", "email_verified": False},
    "solo-empresa": {"email": "solo.empresa@escala.demo", "email_verified": True},
}
REFUSED = "no corresponde a ningún usuario activo de Escala"


@pytest.fixture(scope="module")
def sso_url(tmp_path_factory, shared_location):
    folder = tmp_path_factory.mktemp("sso")
    location = shared_location("sso")
    seed_demo_file(location, users=5, contacts=20, activities=30, tasks=30, seed=4)
    db = open_database(location)
    store = Store(db)
    admin = store.get_user(1)
    inactive = store.create_user(admin, UserDraft("Inactiva", "inactiva@escala.demo", "seller", "clave-larga-1"))
    store.update_user(admin, inactive.id, active=False)
    store.create_user(admin, UserDraft("Solo Empresa", "solo.empresa@escala.demo", "seller", "clave-larga-1",
                                       password_allowed=False))
    db.close()

    provider_port = free_port()
    claims = [arg for sub, account in ACCOUNTS.items() for arg in ("--user-claims", json.dumps({"sub": sub, **account}))]
    provider_log = open(folder / "provider.log", "w")
    provider = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--port", str(provider_port), *claims],
                                stdout=provider_log, stderr=subprocess.STDOUT)
    metadata = f"http://127.0.0.1:{provider_port}/.well-known/openid-configuration"
    try:
        wait_until_answers(metadata, provider, provider_log.name, expected=b"authorization_endpoint")
        secrets = folder / "secrets.toml"
        secrets.write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{{port}}/oauth2callback"
cookie_secret = "secreto-de-prueba-para-las-cookies-de-streamlit-0123456789"
client_id = "escala"
client_secret = "secreto-del-cliente"
server_metadata_url = "{metadata}"
""", encoding="utf-8")
        with serve(location, folder / "server.log", "--secrets", str(secrets)) as url:
            yield url
    finally:
        provider.terminate()
        provider.wait(timeout=20)
        provider_log.close()


@pytest.fixture
def tab(browser, sso_url):
    with new_tab(browser) as page:
        yield page


def through_the_provider(page, account: str) -> None:
    """From Escala's sign-in form: the company link, then the account's button on the provider's page."""
    page.get_by_role("link", name="Ingresar con tu cuenta de la empresa").click()
    page.get_by_role("heading", name="Authorize Client").wait_for()  # the provider's own page
    page.get_by_role("button", name=account, exact=True).click()


def test_a_known_active_user_lands_on_their_home_page_with_their_role(tab, sso_url):
    tab.goto(sso_url)
    through_the_provider(tab, "vendedora")
    expect(tab.get_by_role("heading", name="Mi agenda")).to_be_visible()
    expect(tab.get_by_test_id("stSidebar")).to_contain_text("Vendedor · vendedor1@")
    cookie = session_cookie(tab)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert not [c["name"] for c in tab.context.cookies() if c["name"].startswith("_streamlit_user")]
    screenshot(tab, "sso-vendedora")


def test_a_signed_out_deep_link_lands_there_after_the_provider(tab, sso_url):
    tab.goto(f"{sso_url}/usuarios")
    tab.wait_for_url("**/_escala/ingresar**")
    through_the_provider(tab, "administradora")
    expect(tab.get_by_role("heading", name="Usuarios")).to_be_visible()
    assert tab.url == f"{sso_url}/usuarios"


@pytest.mark.parametrize("account", ["desconocida", "inactiva", "sin-verificar"])
def test_unknown_inactive_or_unverified_emails_are_refused_in_spanish(tab, sso_url, account):
    tab.goto(sso_url)
    through_the_provider(tab, account)
    expect(tab.get_by_role("alert")).to_contain_text(REFUSED)
    assert session_cookie(tab) is None
    screenshot(tab, f"sso-rechazada-{account}")
    tab.goto(f"{sso_url}/tablero")  # still nobody: the sign-in form again
    tab.wait_for_url("**/_escala/ingresar**")
    expect(tab.get_by_label("Contraseña")).to_be_visible()


def test_a_user_without_password_is_sent_to_the_company_sign_on_and_gets_in_through_it(tab, sso_url):
    tab.goto(sso_url)
    sign_in(tab, "solo.empresa@escala.demo", "clave-larga-1")
    expect(tab.get_by_role("alert")).to_have_text(auth.PASSWORD_NOT_ALLOWED)
    assert session_cookie(tab) is None
    through_the_provider(tab, "solo-empresa")
    expect(tab.get_by_role("heading", name="Mi agenda")).to_be_visible()
    expect(tab.get_by_test_id("stSidebar")).to_contain_text("Vendedor · solo.empresa@")


def test_sign_out_after_a_company_sign_in_ends_the_session(tab, sso_url):
    tab.goto(sso_url)
    through_the_provider(tab, "vendedora")
    expect(tab.get_by_role("heading", name="Mi agenda")).to_be_visible()
    tab.get_by_role("button", name="Cerrar sesión").click()
    tab.wait_for_url("**/_escala/ingresar**")
    assert session_cookie(tab) is None
    tab.goto(f"{sso_url}/contactos")
    tab.wait_for_url("**/_escala/ingresar**")
