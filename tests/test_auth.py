"""Passwords are salted, slow-hashed, never kept in clear; sign-in resists guessing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from escala import auth
from escala.domain import UserDraft
from tests.conftest import PASSWORD


def test_hashes_are_salted_and_never_contain_the_password():
    first, second = auth.hash_password("s3creta-larga"), auth.hash_password("s3creta-larga")
    assert first != second and "s3creta" not in first and first.startswith("scrypt$")
    assert auth.verify_password("s3creta-larga", first) and auth.verify_password("s3creta-larga", second)
    assert not auth.verify_password("s3creta-largA", first)


def test_production_cost_is_the_slow_one(monkeypatch):
    monkeypatch.undo()  # the autouse fixture lowered it for speed
    assert auth.SCRYPT_N >= 2**14 and auth.hash_password("x" * 8).split("$")[1] == str(2**14)


def test_garbage_or_missing_hashes_never_verify():
    for stored in (None, "", "plain", "md5$a$b$c$d$e", "scrypt$x$8$1$AA==$AA=="):
        assert not auth.verify_password("anything", stored)


def test_the_database_keeps_only_the_hash(store, world):
    (stored,) = store.db.query_one("SELECT password_hash FROM users WHERE id = ?", [world.ana.id])
    assert PASSWORD not in stored and auth.verify_password(PASSWORD, stored)


def test_sign_in_accepts_the_right_password_in_any_email_case(store, world):
    result = auth.sign_in(store, "ANA@Example.com ", PASSWORD)
    assert result.user == world.ana and result.error is None


def test_wrong_password_and_unknown_email_get_the_same_message(store, world):
    wrong = auth.sign_in(store, "ana@example.com", "otra-cosa")
    unknown = auth.sign_in(store, "nadie@example.com", PASSWORD)
    assert wrong.user is None and unknown.user is None
    assert wrong.error == unknown.error == "Correo electrónico o contraseña incorrectos."


def test_deactivated_users_cannot_sign_in(store, world):
    store.update_user(world.admin, world.ana.id, active=False)
    assert auth.sign_in(store, "ana@example.com", PASSWORD).user is None


def test_five_failures_lock_the_email_for_fifteen_minutes(store, world, monkeypatch, clock):
    monkeypatch.setattr(auth.times, "now_utc", lambda: clock.now)
    for _ in range(auth.MAX_FAILURES):
        auth.sign_in(store, "ana@example.com", "mala-clave")
    locked = auth.sign_in(store, "ana@example.com", PASSWORD)
    assert locked.user is None and "Demasiados intentos" in locked.error
    clock.now += auth.LOCKOUT + timedelta(seconds=1)
    assert auth.sign_in(store, "ana@example.com", PASSWORD).user == world.ana


def test_a_success_resets_the_failure_count(store, world, monkeypatch, clock):
    monkeypatch.setattr(auth.times, "now_utc", lambda: clock.now)
    for _ in range(auth.MAX_FAILURES - 1):
        auth.sign_in(store, "ana@example.com", "mala-clave")
        clock.now += timedelta(seconds=1)
    assert auth.sign_in(store, "ana@example.com", PASSWORD).user == world.ana
    clock.now += timedelta(seconds=1)
    auth.sign_in(store, "ana@example.com", "mala-clave")
    clock.now += timedelta(seconds=1)
    assert auth.sign_in(store, "ana@example.com", PASSWORD).user == world.ana


def test_users_change_their_own_password_and_admins_anyones(store, world):
    store.set_password(world.ana, world.ana.id, "nueva-clave-1")
    assert auth.sign_in(store, "ana@example.com", "nueva-clave-1").user == world.ana
    store.set_password(world.admin, world.bruno.id, "nueva-clave-2")
    assert auth.sign_in(store, "bruno@example.com", "nueva-clave-2").user == world.bruno


def test_duplicate_user_email_is_refused_case_insensitively(store, world):

    from escala.domain import ValidationError
    with pytest.raises(ValidationError) as raised:
        store.create_user(world.admin, UserDraft("Otra Ana", "ANA@example.com", "seller", "12345678"))
    assert list(raised.value.errors) == ["email"]


# ---------------------------------------------------------------- browser session tokens

SECRET = b"k" * 32


@pytest.fixture
def now(monkeypatch, clock):
    """Drive the token code's clock from the test's."""
    monkeypatch.setattr(auth.times, "now_utc", lambda: clock.now)
    return clock


def test_a_token_signs_its_user_back_in(store, world, now):
    token = auth.issue_token(store, world.ana, SECRET)
    assert auth.user_from_token(store, token, SECRET) == world.ana


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
    lambda t: "e30" + t[3:],  # payload changed
    lambda t: t.split(".")[0],  # no signature
    lambda t: "",
])
def test_a_tampered_token_signs_nobody_in(store, world, now, mangle):
    token = auth.issue_token(store, world.ana, SECRET)
    assert auth.user_from_token(store, mangle(token), SECRET) is None


def test_a_token_signed_with_another_secret_is_refused(store, world, now):
    token = auth.issue_token(store, world.ana, SECRET)
    assert auth.user_from_token(store, token, b"otra" * 8) is None


def test_inactivity_ends_the_session_but_activity_keeps_it(store, world, now, monkeypatch):
    monkeypatch.setenv("ESCALA_SESSION_HOURS", "8")
    token = auth.issue_token(store, world.ana, SECRET)
    for _ in range(3):  # active every 7 hours: still signed in after 21 hours
        now.now += timedelta(hours=7)
        assert auth.user_from_token(store, token, SECRET) == world.ana
    now.now += timedelta(hours=8, minutes=1)
    assert auth.user_from_token(store, token, SECRET) is None


def test_the_token_itself_expires(store, world, now, monkeypatch):
    monkeypatch.setenv("ESCALA_SESSION_HOURS", str(24 * 365))  # only the token's own expiry can end it
    token = auth.issue_token(store, world.ana, SECRET)
    now.now += auth.TOKEN_LIFETIME - timedelta(minutes=1)
    assert auth.user_from_token(store, token, SECRET) == world.ana
    now.now += timedelta(minutes=2)
    assert auth.user_from_token(store, token, SECRET) is None


def test_sign_out_revokes_every_copy_of_the_token(store, world, now):
    token = auth.issue_token(store, world.ana, SECRET)
    auth.revoke_token(store, token, SECRET)
    assert auth.user_from_token(store, token, SECRET) is None


def test_a_deactivated_user_loses_their_sessions(store, world, now):
    token = auth.issue_token(store, world.ana, SECRET)
    store.update_user(world.admin, world.ana.id, active=False)
    assert auth.user_from_token(store, token, SECRET) is None


def test_the_secret_is_generated_once_and_private(tmp_path):
    first = auth.session_secret(tmp_path / "data", tmp_path / "none.toml")
    assert first == auth.session_secret(tmp_path / "data", tmp_path / "none.toml") and len(first) == 64
    assert (tmp_path / "data" / ".session_secret").stat().st_mode & 0o077 == 0


def test_a_configured_secret_wins(tmp_path):
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text('[escala]\nsession_secret = "configurada"\n')
    assert auth.session_secret(tmp_path / "data", secrets_file) == b"configurada"
