"""Passwords are salted, slow-hashed, never kept in clear; sign-in resists guessing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
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


def fail(store, clock, email="ana@example.com", client="10.0.0.1", count=1):
    """``count`` wrong passwords, one second apart; returns the last result."""
    for _ in range(count):
        result = auth.sign_in(store, email, "mala-clave", client, clock=clock)
        clock.now += timedelta(seconds=1)
    return result


def test_after_five_failures_each_attempt_waits_a_delay_doubling_up_to_fifteen_minutes(store, world, clock):
    fail(store, clock, count=auth.MAX_FAILURES)
    for expected in (30, 60, 120, 240, 480, 900, 900):  # seconds after the latest failure
        waiting = auth.sign_in(store, "ana@example.com", PASSWORD, "10.0.0.1", clock=clock)
        assert waiting.user is None and waiting.error.startswith("Demasiados intentos fallidos. Espera ")
        clock.now += timedelta(seconds=expected - 2)  # fail() stepped 1 s past the failure, this 1 s short
        assert auth.sign_in(store, "ana@example.com", PASSWORD, "10.0.0.1", clock=clock).user is None
        clock.now += timedelta(seconds=1)
        assert fail(store, clock).error == "Correo electrónico o contraseña incorrectos."  # evaluated again
    clock.now += auth.MAX_DELAY
    assert auth.sign_in(store, "ana@example.com", PASSWORD, "10.0.0.1", clock=clock).user == world.ana


@pytest.mark.parametrize("wait, words", [
    (timedelta(seconds=29, milliseconds=400), "Espera 30 segundos"),
    (timedelta(seconds=1), "Espera 1 segundo "),
    (timedelta(seconds=60), "Espera 1 minuto "),
    (timedelta(seconds=61), "Espera 2 minutos"),
    (timedelta(minutes=15), "Espera 15 minutos"),
])
def test_the_delay_message_says_how_long_to_wait_rounded_up(wait, words):
    assert words in auth.delay_message(wait)


def test_the_delay_message_names_the_wait_left(store, world, clock):
    fail(store, clock, count=auth.MAX_FAILURES)
    for delay in (30, 60, 120):
        clock.now += timedelta(seconds=delay)
        fail(store, clock)
    clock.now += timedelta(seconds=59)  # a minute after the eighth failure, whose wait is 4 minutes
    refused = auth.sign_in(store, "ana@example.com", PASSWORD, "10.0.0.1", clock=clock)
    assert refused.error == "Demasiados intentos fallidos. Espera 3 minutos e inténtalo de nuevo."


@pytest.fixture
def verified(monkeypatch) -> list[int]:
    """One entry per password actually checked with scrypt."""
    calls = []
    real_verify = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda *args: calls.append(1) or real_verify(*args))
    return calls


def test_concurrent_wrong_attempts_verify_at_most_the_limit(store, world, clock, verified):
    start = threading.Barrier(12)

    def attempt(_):
        start.wait()
        return auth.sign_in(store, "ana@example.com", "mala-clave", "10.0.0.1", clock=clock)

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(attempt, range(12)))
    assert len(verified) == auth.MAX_FAILURES
    assert sum("Demasiados intentos" in r.error for r in results) == 12 - auth.MAX_FAILURES
    assert outcomes(store) == {"failure": auth.MAX_FAILURES, "delayed": 12 - auth.MAX_FAILURES}


def test_one_client_gets_twenty_failures_across_emails_then_waits(store, world, clock, verified):
    results = [fail(store, clock, email=f"persona{n}@example.com", client="203.0.113.9") for n in range(25)]
    assert len(verified) == auth.CLIENT_MAX_FAILURES
    assert all("Espera 15 minutos" in r.error for r in results[auth.CLIENT_MAX_FAILURES:])
    assert auth.sign_in(store, "ana@example.com", PASSWORD, "203.0.113.9", clock=clock).user is None  # even right
    assert auth.sign_in(store, "ana@example.com", PASSWORD, "198.51.100.7", clock=clock).user == world.ana
    clock.now += auth.CLIENT_WINDOW - timedelta(seconds=25)  # the first failure leaves the window
    assert auth.sign_in(store, "bruno@example.com", PASSWORD, "203.0.113.9", clock=clock).user == world.bruno


def test_successes_from_one_client_never_count_against_it(store, world, clock):
    for _ in range(3 * auth.CLIENT_MAX_FAILURES):
        assert auth.sign_in(store, "ana@example.com", PASSWORD, None, clock=clock).user == world.ana


def test_an_admin_unlock_lets_the_owner_in_at_once(store, world, clock):
    assert auth.email_delay_status(store, "ana@example.com", clock=clock) is None
    fail(store, clock, count=auth.MAX_FAILURES)
    delay = auth.email_delay_status(store, "ana@example.com", clock=clock)
    assert delay.failures == auth.MAX_FAILURES and delay.until > clock.now
    store.unlock_sign_in(world.admin, world.ana.id, "192.0.2.1")
    assert auth.email_delay_status(store, "ana@example.com", clock=clock) is None
    assert auth.sign_in(store, "ana@example.com", PASSWORD, "10.0.0.1", clock=clock).user == world.ana
    (trail,) = [e for e in store.audit_trail(world.admin, "user", world.ana.id) if "sign_in" in e.changes]
    assert trail.actor_id == world.admin.id


def test_only_admins_unlock(store, world):
    from escala.domain import PermissionDenied
    with pytest.raises(PermissionDenied):
        store.unlock_sign_in(world.ana, world.ana.id, None)


def test_every_success_failure_refusal_and_unlock_is_audited_with_its_client(store, world, clock):
    assert auth.sign_in(store, "ana@example.com", PASSWORD, "10.0.0.1", clock=clock).user == world.ana
    fail(store, clock, client="10.0.0.2", count=auth.MAX_FAILURES)
    auth.sign_in(store, "ana@example.com", PASSWORD, None, clock=clock)
    store.unlock_sign_in(world.admin, world.ana.id, "10.0.0.3")
    rows = store.db.query("SELECT occurred_at, email, client, outcome FROM sign_in_attempts ORDER BY id")
    assert [(email, client, outcome) for _, email, client, outcome in rows] == [
        ("ana@example.com", "10.0.0.1", "success"),
        *[("ana@example.com", "10.0.0.2", "failure")] * auth.MAX_FAILURES,
        ("ana@example.com", auth.UNKNOWN_CLIENT, "delayed"),
        ("ana@example.com", "10.0.0.3", "unlocked"),
    ]
    assert rows[0][0] == clock.now.replace(tzinfo=None) - timedelta(seconds=auth.MAX_FAILURES)


def test_an_unknown_email_is_delayed_and_audited_like_a_known_one(store, world, clock, verified):
    known = [fail(store, clock, email="ana@example.com", client="10.0.0.1").error for _ in range(7)]
    known_checks = len(verified)
    unknown = [fail(store, clock, email="nadie@example.com", client="10.0.0.2").error for _ in range(7)]
    assert known == unknown and "Demasiados intentos" in known[-1]
    assert len(verified) == 2 * known_checks  # the same scrypt work, so the same time
    rows = store.db.query("SELECT email, outcome FROM sign_in_attempts ORDER BY id")
    assert [o for e, o in rows if e == "ana@example.com"] == [o for e, o in rows if e == "nadie@example.com"]


def test_the_limits_migration_keeps_older_attempts_in_order(tmp_path, monkeypatch, clock):
    from escala import db as db_module
    from escala.store import Store
    every = db_module.migration_files()
    monkeypatch.setattr(db_module, "migration_files", lambda engine="duckdb": [m for m in every if m[0] <= 2])
    database = db_module.Database(tmp_path / "old.duckdb")
    database.migrate()
    with database.transaction() as cursor:  # the 001 layout: email, occurred_at, succeeded
        cursor.execute("""INSERT INTO sign_in_attempts VALUES ('ana@example.com', TIMESTAMP '2026-03-02 14:00', false),
                          ('ana@example.com', TIMESTAMP '2026-03-02 14:01', true),
                          ('ana@example.com', TIMESTAMP '2026-03-02 14:02', false)""")
    monkeypatch.setattr(db_module, "migration_files", lambda engine="duckdb": every)
    assert "003_sign_in_limits.sql" in database.migrate()
    assert database.query("SELECT id, email, client, outcome FROM sign_in_attempts ORDER BY id") == [
        (1, "ana@example.com", None, "failure"), (2, "ana@example.com", None, "success"),
        (3, "ana@example.com", None, "failure")]
    store = Store(database, clock=clock)
    assert store.sign_in_history("ana@example.com", None, clock.now).email_failures == 1  # the success still resets
    auth.sign_in(store, "ana@example.com", "mala-clave", "10.0.0.1", clock=clock)
    assert database.query_one("SELECT max(id) FROM sign_in_attempts") == (4,)
    database.close()


def outcomes(store) -> dict[str, int]:
    return dict(store.db.query("SELECT outcome, count(*) FROM sign_in_attempts GROUP BY outcome"))


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
