"""Passwords, sign-in, and the signed session tokens that keep a browser signed in.

Passwords are hashed with scrypt (stdlib), a random salt each, and compared in constant
time; the clear text is never stored or logged. Repeated failures for one email lock
sign-in for that email for a while, and an unknown email costs the same time as a wrong
password so it does not reveal which emails exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from escala import times
from escala.domain import User, normalize_email

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


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


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    error: str | None = None


def sign_in(store, email: str, password: str) -> SignInResult:
    """Check credentials and record the attempt; the error is Spanish and names no detail
    that would tell an attacker whether the email exists."""
    email = normalize_email(email)
    now = times.now_utc()
    if not email or not password:
        return SignInResult(None, "Escribe tu correo electrónico y tu contraseña.")
    if store.recent_sign_in_failures(email, since=now - LOCKOUT) >= MAX_FAILURES:
        return SignInResult(None, "Demasiados intentos fallidos. Espera 15 minutos e inténtalo de nuevo.")
    user, stored_hash = store.credentials(email)
    ok = verify_password(password, stored_hash if user else _DUMMY_HASH) and user is not None and user.active
    store.record_sign_in_attempt(email, now, ok)
    if not ok:
        return SignInResult(None, "Correo electrónico o contraseña incorrectos.")
    return SignInResult(user)


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


def session_secret(data_dir: Path, secrets_file: Path = Path(".streamlit/secrets.toml")) -> bytes:
    """The key that signs session tokens: ``[escala] session_secret`` in Streamlit's secrets
    file if set, otherwise a random key generated once into ``data_dir`` (never committed)."""
    if secrets_file.exists():
        configured = tomllib.loads(secrets_file.read_text(encoding="utf-8")).get("escala", {}).get("session_secret")
        if configured:
            return str(configured).encode("utf-8")
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
