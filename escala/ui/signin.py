"""Sign-in and sign-out as server routes: the only code that sets or clears the session cookie.

The form is a plain HTML page served by the app server (`/_escala/ingresar`), so the answer to
a right password is the server's own response: it sets the session cookie ``HttpOnly``,
``SameSite=Lax``, ``Path=/`` (and ``Secure`` over HTTPS) and redirects to the page the person
was opening, with its query. No page script ever sees the cookie, and a navigation right after
signing in already carries it.

With the company's single sign-on configured (escala/ui/sso.py), the form also offers
"Ingresar con tu cuenta de la empresa", and this route is where its verified identity becomes
an Escala session, with the same cookie.

CSRF: besides SameSite, the form carries a random token that must equal the one in a
short-lived ``SameSite=Strict`` cookie set with the form (double submit), compared in constant
time. The password and the session token never appear in a URL or a log.
"""

from __future__ import annotations

import hmac
import html
import os
import secrets
from urllib.parse import quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from escala import auth, demo
from escala.ui import resources, sso

SIGN_IN_PATH = "/_escala/ingresar"
SIGN_OUT_PATH = "/_escala/salir"
CSRF_COOKIE = "escala_csrf"
CSRF_FIELD = "csrf"
ENDED_FLAG = "terminada"  # ?terminada=1: the page says "Tu sesión terminó; vuelve a ingresar."
FORM_LIMIT = 4096  # characters per field: more is not an email or a password


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this site (with its query), never another site."""
    value = (value or "").strip()
    parts = urlsplit(value)
    if (not value.startswith("/") or value.startswith("//") or "\\" in value or parts.scheme or parts.netloc
            or value.startswith(SIGN_IN_PATH) or value.startswith(SIGN_OUT_PATH) or len(value) > 2000
            or any(ord(ch) < 32 for ch in value)):
        return "/"
    return value


def sign_in_url(next_path: str = "/", ended: bool = False) -> str:
    """The sign-in page's address, remembering where to go afterwards."""
    url = f"{SIGN_IN_PATH}?next={quote(safe_next(next_path), safe='')}"
    return url + (f"&{ENDED_FLAG}=1" if ended else "")


def cookie_secure(request: Request) -> bool:
    """``Secure`` whenever the app is served over HTTPS: the request's own scheme, or
    ``ESCALA_COOKIE_SECURE=1`` behind a proxy that terminates TLS (``0`` forces it off)."""
    setting = os.environ.get("ESCALA_COOKIE_SECURE", "").strip().lower()
    if setting in ("1", "true", "sí", "si", "yes"):
        return True
    if setting in ("0", "false", "no"):
        return False
    return request.url.scheme == "https"


def _page(next_path: str, csrf: str, email: str = "", error: str | None = None, notice: str | None = None,
          demo_accounts: bool = False, company: bool = False) -> str:
    e = html.escape
    company_link = (f'<p class="or">o</p><a class="company" href="{e(sso.START_PATH)}?next={e(quote(next_path, safe=""))}">'
                    f'{e(sso.BUTTON)}</a>') if company else ""
    alerts = "".join(f'<p class="{kind}" role="alert">{e(text)}</p>' for kind, text in
                     (("notice", notice), ("error", error)) if text)
    accounts = ""
    if demo_accounts:
        accounts = (f'<p class="info"><strong>Datos de demostración.</strong> Cuentas de ejemplo (contraseña '
                    f'<code>{e(demo.DEMO_PASSWORD)}</code>): <code>admin@{e(demo.DEMO_DOMAIN)}</code> (Administrador), '
                    f'<code>analista@{e(demo.DEMO_DOMAIN)}</code> (Analista), '
                    f'<code>vendedor1@{e(demo.DEMO_DOMAIN)}</code> (Vendedor).</p>')
    return f"""<!doctype html>
<html lang="es-MX"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ingresar · Escala · Actividades y Tareas</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f7f7f8;color:#1f2328;margin:0}}
main{{max-width:26rem;margin:8vh auto;padding:2rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 4px #0002}}
h1{{font-size:1.5rem;margin:0 0 1.5rem}} label{{display:block;font-weight:600;margin:1rem 0 .3rem}}
input{{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #8c959f;border-radius:.4rem}}
input:focus,button:focus{{outline:3px solid #1f6feb;outline-offset:2px}}
button{{margin-top:1.5rem;width:100%;padding:.7rem;font-size:1rem;font-weight:600;color:#fff;background:#1f6feb;
border:0;border-radius:.4rem;cursor:pointer}}
.error{{background:#ffebe9;color:#82071e;padding:.7rem;border-radius:.4rem}}
.notice{{background:#fff8c5;color:#4d2d00;padding:.7rem;border-radius:.4rem}}
.info{{background:#ddf4ff;color:#0a3069;padding:.7rem;border-radius:.4rem;margin-top:1.5rem;font-size:.9rem}}
.or{{text-align:center;color:#59636e;margin:1rem 0 0}}
.company{{display:block;box-sizing:border-box;margin-top:1rem;padding:.7rem;text-align:center;font-weight:600;
color:#0a3069;border:1px solid #1f6feb;border-radius:.4rem;text-decoration:none}}
.company:focus{{outline:3px solid #1f6feb;outline-offset:2px}}
@media (prefers-color-scheme:dark){{ /* the app's dark theme (.streamlit/config.toml) */
body{{background:#171614;color:#ededed}} main{{background:#21201d;box-shadow:0 1px 4px #0008}}
input{{background:#2d2b27;color:#ededed;border-color:#8c959f}} button{{background:#1a5fcc}}
.error{{background:#412023;color:#ffc1c6}} .notice{{background:#302917;color:#fbe38e}}
.info{{background:#1e2a3d;color:#cfe3ff}} .or{{color:#b1aca5}} .company{{color:#cfe3ff;border-color:#6ea8fe}}
}}
</style></head>
<body><main>
<h1>Escala · Actividades y Tareas</h1>
{alerts}
<form method="post" action="{SIGN_IN_PATH}">
<input type="hidden" name="{CSRF_FIELD}" value="{e(csrf)}">
<input type="hidden" name="next" value="{e(next_path)}">
<label for="email">Correo electrónico</label>
<input id="email" name="email" type="email" autocomplete="username" value="{e(email)}" required autofocus>
<label for="password">Contraseña</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Ingresar</button>
</form>
{company_link}
{accounts}
</main></body></html>"""


def _form_response(request: Request, next_path: str, status: int = 200, email: str = "", error: str | None = None,
                   notice: str | None = None) -> Response:
    csrf = secrets.token_urlsafe(24)
    demo_accounts = resources.default_store().is_demo()
    response = HTMLResponse(_page(next_path, csrf, email, error, notice, demo_accounts, sso.enabled()),
                            status_code=status)
    response.set_cookie(CSRF_COOKIE, csrf, max_age=3600, path=SIGN_IN_PATH, httponly=True, samesite="strict",
                        secure=cookie_secure(request))
    return response


async def sign_in_form(request: Request) -> Response:
    """GET: the form. (Always the form, even with a live cookie: the pages decide who is signed
    in, and a second opinion here could only disagree with them and loop.) Coming back from the
    company's identity provider, the verified identity is turned into a session instead."""
    claims = await run_in_threadpool(sso.identity, request.cookies)
    if claims is not None:
        return await run_in_threadpool(_company_sign_in, request, claims)
    next_path = safe_next(request.query_params.get("next"))
    notice = auth_notice(request.query_params.get(ENDED_FLAG))
    return await run_in_threadpool(_form_response, request, next_path, 200, "", None, notice)


def _company_sign_in(request: Request, claims: dict) -> Response:
    """The identity ``st.login`` verified: an active Escala user with that email gets a session;
    anyone else the form with the Spanish refusal. Streamlit's identity cookie goes either way."""
    next_path = safe_next(request.cookies.get(sso.NEXT_COOKIE))
    client = request.client.host if request.client else None
    store = resources.default_store()
    result = auth.sign_in_with_company(store, claims.get("email"), claims.get("email_verified"), client)
    if result.user is None:
        response = _form_response(request, next_path, 403, "", result.error)
    else:
        response = _signed_in(request, store, result.user, next_path)
    sso.clear_identity(response, request.cookies)
    response.delete_cookie(sso.NEXT_COOKIE, path=SIGN_IN_PATH)
    return response


def _signed_in(request: Request, store, user, next_path: str) -> Response:
    """The answer that signs a browser in: a new server-side session in the HttpOnly cookie,
    and on to where the person was going."""
    token = auth.issue_token(store, user, resources.signing_secret())
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(auth.SESSION_COOKIE, token, max_age=int(auth.TOKEN_LIFETIME.total_seconds()), path="/",
                        httponly=True, samesite="lax", secure=cookie_secure(request))
    response.delete_cookie(CSRF_COOKIE, path=SIGN_IN_PATH)
    return response


def auth_notice(flag: str | None) -> str | None:
    from escala.domain import SESSION_ENDED
    return SESSION_ENDED if flag == "1" else None


async def sign_in_submit(request: Request) -> Response:
    """POST: check the form's token, then the credentials (with the sign-in limits); a right
    password gets the session cookie from this very response and goes where the link pointed."""
    form = await request.form(max_files=0, max_fields=10)
    field = {name: str(form.get(name) or "")[:FORM_LIMIT] for name in (CSRF_FIELD, "next", "email", "password")}
    next_path = safe_next(field["next"])
    expected = request.cookies.get(CSRF_COOKIE) or ""
    if not expected or not hmac.compare_digest(expected.encode(), field[CSRF_FIELD].encode()):
        return await run_in_threadpool(_form_response, request, next_path, 400, field["email"],
                                       "El formulario caducó o no vino de esta página; vuelve a intentarlo.")
    client = request.client.host if request.client else None
    store = resources.default_store()
    result = await run_in_threadpool(auth.sign_in, store, field["email"], field["password"], client)
    if result.user is None:
        return await run_in_threadpool(_form_response, request, next_path, 401, field["email"], result.error)
    return await run_in_threadpool(_signed_in, request, store, result.user, next_path)


async def sign_out(request: Request) -> Response:
    """End this browser's session on the server and clear its cookie; then the form. (A GET
    is enough: it can only sign the browser out, and the server-side session is what counts.)"""
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        await run_in_threadpool(auth.revoke_token, resources.default_store(), token, resources.signing_secret())
    response = RedirectResponse(sign_in_url(safe_next(request.query_params.get("next"))), status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=cookie_secure(request))
    sso.clear_identity(response, request.cookies)
    return response
