"""Passwords, sign-in, and the signed session tokens that keep a browser signed in.

Passwords are hashed with scrypt (stdlib), a random salt each, and compared in constant
time; the clear text is never stored or logged.

Guessing is slowed per email and per client (the browser's address). After ``MAX_FAILURES``
failures since an email's last success (or an administrator's *Desbloquear*), each further
attempt must wait a delay doubling from 30 s up to 15 minutes after the latest failure; a
client gets at most ``CLIENT_MAX_FAILURES`` failures per ``CLIENT_WINDOW`` across all emails.
The store reserves each attempt atomically (check and record under the writer lock), so
concurrent guesses cannot overrun the limits; scrypt runs after, outside the lock. An
unknown email costs the same time, delay and message as a wrong password, so it does not
reveal which emails exist. Every success, failure, refusal and unlock is an audited row.

Single sign-on (``sign_in_with_company``): the company's identity provider proves the email;
Escala only matches it to an active user, audits it, and an administrator may switch a
user's password off so that only the company's sign-on opens Escala for them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import secrets
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from escala import metrics, times
from escala.domain import User, normalize_email

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILURES = 5  # per email, since its last success or unlock, before each attempt must wait
FIRST_DELAY = timedelta(seconds=30)  # the wait after the MAX_FAILURES-th failure, doubling after each more
MAX_DELAY = timedelta(minutes=15)
CLIENT_MAX_FAILURES = 20  # per client across all emails, within CLIENT_WINDOW
CLIENT_WINDOW = timedelta(minutes=15)
UNKNOWN_CLIENT = "desconocido"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash``; a fresh random salt unless one is given."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check of ``password`` against a stored hash (False for none or garbage)."""
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt),
                                n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


_DUMMY_HASH = hash_password(secrets.token_hex(8))
PASSWORD_NOT_ALLOWED = ("Tu cuenta ya no ingresa con contraseña: usa «Ingresar con tu cuenta de la empresa».")


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    error: str | None = None


@dataclass(frozen=True)
class SignInHistory:
    """What the limits weigh, read by the store inside the transaction that reserves an attempt."""
    email_failures: int  # since the email's last success or unlock
    last_email_failure: datetime | None
    client_failures: tuple[datetime, ...]  # the client's failures within CLIENT_WINDOW, newest first


def email_delay(failures: int) -> timedelta | None:
    """The wait after the latest of ``failures`` failures in a row: none up to MAX_FAILURES - 1,
    then FIRST_DELAY doubling with each further failure, at most MAX_DELAY."""
    if failures < MAX_FAILURES:
        return None
    doublings = failures - MAX_FAILURES
    return MAX_DELAY if doublings >= 16 else min(FIRST_DELAY * 2**doublings, MAX_DELAY)


def retry_at(history: SignInHistory) -> datetime | None:
    """The earliest instant the next attempt may run (None: no limit applies)."""
    candidates = []
    delay = email_delay(history.email_failures)
    if delay is not None and history.last_email_failure is not None:
        candidates.append(history.last_email_failure + delay)
    if len(history.client_failures) >= CLIENT_MAX_FAILURES:  # wait until one leaves the window
        candidates.append(history.client_failures[CLIENT_MAX_FAILURES - 1] + CLIENT_WINDOW)
    return max(candidates, default=None)


def delay_message(wait: timedelta) -> str:
    """Spanish, rounded up: "… Espera 2 minutos …" or "… Espera 30 segundos …"."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds >= 60:
        minutes = math.ceil(seconds / 60)
        amount = "1 minuto" if minutes == 1 else f"{minutes} minutos"
    else:
        amount = "1 segundo" if seconds == 1 else f"{seconds} segundos"
    return f"Demasiados intentos fallidos. Espera {amount} e inténtalo de nuevo."


def sign_in(store, email: str, password: str, client: str | None = None, *,
            clock: Callable[[], datetime] | None = None) -> SignInResult:
    """Check credentials from ``client`` (the browser's address; None: unknown) within the limits.

    The attempt is reserved first, atomically, as a provisional failure (or refused with how
    long to wait); only then is the password verified, outside the writer lock, and a right
    one turns the reservation into a success. The error is Spanish and names no detail that
    would tell an attacker whether the email exists."""
    email = normalize_email(email)
    if not email or not password:
        return SignInResult(None, "Escribe tu correo electrónico y tu contraseña.")
    now = (clock or times.now_utc)()

    def refuse_until(history: SignInHistory) -> datetime | None:
        until = retry_at(history)
        return until if until is not None and until > now else None

    attempt_id, wait_until = store.reserve_sign_in(email, client or UNKNOWN_CLIENT, now,
                                                   client_since=now - CLIENT_WINDOW, refuse_until=refuse_until)
    if attempt_id is None:
        metrics.SIGN_INS.labels("password", "delayed").inc()
        return SignInResult(None, delay_message(wait_until - now))
    user, stored_hash = store.credentials(email)
    ok = verify_password(password, stored_hash or _DUMMY_HASH) and user is not None and user.active
    if not ok:
        metrics.SIGN_INS.labels("password", "failure").inc()
        return SignInResult(None, "Correo electrónico o contraseña incorrectos.")
    if not user.password_allowed:  # told only to whoever knows the password; the attempt stays a failure
        metrics.SIGN_INS.labels("password", "failure").inc()
        return SignInResult(None, PASSWORD_NOT_ALLOWED)
    store.sign_in_succeeded(attempt_id)
    metrics.SIGN_INS.labels("password", "success").inc()
    return SignInResult(user)


def sign_in_with_company(store, email: str | None, email_verified: object, client: str | None = None, *,
                         clock: Callable[[], datetime] | None = None) -> SignInResult:
    """Single sign-on: the identity provider has verified who this is (``st.login``); Escala
    decides whether they may enter. The email must not be marked unverified by the provider
    and must belong to an **active** Escala user (case-insensitive); the role and time zone
    are Escala's. Audited as a sign-in with ``method = 'sso'``; the password limits do not
    apply (the provider has its own)."""
    address = normalize_email(email or "")
    user = store.credentials(address)[0] if address and email_verified is not False else None
    succeeded = user is not None and user.active
    store.record_company_sign_in(address or "(sin correo)", client or UNKNOWN_CLIENT, (clock or times.now_utc)(),
                                 succeeded)
    metrics.SIGN_INS.labels("sso", "success" if succeeded else "failure").inc()
    if not succeeded:
        shown = address or "sin correo electrónico"
        return SignInResult(None, f"Tu cuenta de la empresa ({shown}) no corresponde a ningún usuario activo de "
                                  "Escala con correo verificado. Pide a un administrador que te dé acceso.")
    return SignInResult(user)


@dataclass(frozen=True)
class EmailDelay:
    failures: int  # in a row, since the last success or unlock
    until: datetime  # when the next attempt may run (may be past: the next failure waits longer)


def email_delay_status(store, email: str, *, clock: Callable[[], datetime] | None = None) -> EmailDelay | None:
    """For Usuarios' *Desbloquear*: the email's growing delay, if it has reached one."""
    history = store.sign_in_history(normalize_email(email), None, (clock or times.now_utc)())
    delay = email_delay(history.email_failures)
    if delay is None or history.last_email_failure is None:
        return None
    return EmailDelay(history.email_failures, history.last_email_failure + delay)


# ---------------------------------------------------------------- browser sessions

SESSION_COOKIE = "escala_sesion"
TOKEN_LIFETIME = timedelta(days=30)  # absolute; inactivity ends a session much sooner


def session_idle_limit() -> timedelta:
    """Inactivity after which a browser must sign in again: ``ESCALA_SESSION_HOURS`` (8)."""
    try:
        hours = float(os.environ.get("ESCALA_SESSION_HOURS", "8"))
    except ValueError:
        hours = 8.0
    return timedelta(hours=hours if hours > 0 else 8.0)


class MissingSecret(RuntimeError):
    """Server mode without a configured session secret; the message says how to set one."""


def session_secret(data_dir: Path, secrets_file: Path | None = None, required: bool = False) -> bytes:
    """The key that signs session tokens: ``ESCALA_SESSION_SECRET``, else ``[escala]
    session_secret`` in Streamlit's secrets file (``ESCALA_SECRETS``, or
    ``.streamlit/secrets.toml``), else a random key generated once into ``data_dir`` (never
    committed). ``required`` (server mode: every process must sign alike) refuses to generate
    one: ``MissingSecret``."""
    if os.environ.get("ESCALA_SESSION_SECRET", "").strip():
        return os.environ["ESCALA_SESSION_SECRET"].strip().encode("utf-8")
    secrets_file = secrets_file or Path(os.environ.get("ESCALA_SECRETS") or ".streamlit/secrets.toml")
    if secrets_file.exists():
        configured = tomllib.loads(secrets_file.read_text(encoding="utf-8")).get("escala", {}).get("session_secret")
        if configured:
            return str(configured).encode("utf-8")
    if required:
        raise MissingSecret("En modo servidor (ESCALA_DATABASE_URL) todos los procesos deben firmar las sesiones "
                            "con la misma clave: define ESCALA_SESSION_SECRET o [escala] session_secret en "
                            f"{secrets_file}.")
    key_file = data_dir / ".session_secret"
    if not key_file.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return key_file.read_text().strip().encode("utf-8")


def _signature(secret: bytes, payload: str) -> str:
    return base64.urlsafe_b64encode(hmac.new(secret, payload.encode(), hashlib.sha256).digest()).decode().rstrip("=")


def issue_token(store, user: User, secret: bytes) -> str:
    """Open a session for ``user`` and return the signed, expiring token naming it."""
    now = times.now_utc()
    session_id = store.create_session(user.id, now)
    payload = base64.urlsafe_b64encode(json.dumps(
        {"sid": session_id, "exp": int((now + TOKEN_LIFETIME).timestamp())}).encode()).decode().rstrip("=")
    return f"{payload}.{_signature(secret, payload)}"


def _session_id(token: str | None, secret: bytes) -> str | None:
    """The session id in a token whose signature and expiry hold; None otherwise."""
    try:
        payload, signature = (token or "").split(".")
        if not hmac.compare_digest(signature, _signature(secret, payload)):
            return None
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        if claims["exp"] < times.now_utc().timestamp():
            return None
        return str(claims["sid"])
    except (ValueError, KeyError, TypeError):
        return None


def user_from_token(store, token: str | None, secret: bytes) -> User | None:
    """The signed-in user for a browser's token, if the token and its session are still good."""
    session_id = _session_id(token, secret)
    if session_id is None:
        return None
    return store.session_user(session_id, times.now_utc(), session_idle_limit())


def revoke_token(store, token: str | None, secret: bytes) -> None:
    """Sign-out: the token's session ends on the server, whatever copies of it exist."""
    session_id = _session_id(token, secret)
    if session_id is not None:
        store.revoke_session(session_id, times.now_utc())
