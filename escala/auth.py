"""Passwords and sign-in.

Passwords are hashed with scrypt (stdlib), a random salt each, and compared in constant
time; the clear text is never stored or logged. Repeated failures for one email lock
sign-in for that email for a while, and an unknown email costs the same time as a wrong
password so it does not reveal which emails exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

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
