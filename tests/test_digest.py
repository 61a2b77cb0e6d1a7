"""The e-mail digest: off without [smtp]; with it, each user gets their day (today's pending
work and what is overdue) from a real SMTP conversation with a local server."""

from __future__ import annotations

import email
import subprocess
import sys
from datetime import datetime, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller

from escala import times
from escala.db import open_database
from escala.digest import DigestError, SmtpSettings, send_digests, smtp_settings
from escala.domain import ContactDraft, ResponsibleMode
from escala.store import Store
from tests.conftest import app_env, make_user, task
from tests.servers import ROOT, free_port


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    """A local SMTP server (aiosmtpd) on a free port; yields its inbox and settings."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, SmtpSettings("127.0.0.1", "Escala <escala@example.com>", port, starttls=False)
    finally:
        controller.stop()


def test_each_user_gets_their_day_and_nobody_without_work_gets_mail(store, world, clock, smtp):
    inbox, settings = smtp
    store.create_item(world.ana, task(world.ana_contact, name="Enviar propuesta", start=datetime(2026, 3, 2, 11, 0)))
    store.create_item(world.ana, task(world.ana_contact, name="Atrasada", start=datetime(2026, 2, 20, 9, 0)))
    store.create_item(world.ana, task(world.ana_contact, name="Mañana", start=datetime(2026, 3, 3, 9, 0)))
    store.create_item(world.admin, task(world.ana_contact, name="Sin dueño", responsible_mode=ResponsibleMode.UNASSIGNED,
                                        start=datetime(2026, 3, 2, 12, 0)))
    assert send_digests(store, settings, clock()) == 1  # Ana only: Bruno, the admin and the analyst have nothing
    (message,) = inbox.messages
    assert message["To"] == "Ana Vendedora <ana@example.com>"
    assert message["From"] == "Escala <escala@example.com>"
    assert message["Subject"] == "Tu agenda de hoy: 1 pendiente, 1 vencida"
    body = message.get_content()
    assert "- 11:00 · Tarea: Enviar propuesta (Cliente de Ana)" in body
    assert "Tienes 1 pendiente vencida" in body and "Atrasada" in body
    assert "Mañana" not in body and "Sin dueño" not in body


def test_inactive_users_get_no_digest(store, world, clock, smtp):
    inbox, settings = smtp
    store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 2, 11, 0)))
    store.update_user(world.admin, world.ana.id, active=False)
    assert send_digests(store, settings, clock()) == 0 and inbox.messages == []


def test_without_an_smtp_section_the_digest_is_off(tmp_path):
    assert smtp_settings(tmp_path / "missing.toml") is None
    (tmp_path / "secrets.toml").write_text('[escala]\nsession_secret = "x"\n')
    assert smtp_settings(tmp_path / "secrets.toml") is None


@pytest.mark.parametrize("section, words", [
    ('[smtp]\nsender = "a@b.c"\n', "necesita host y sender"),
    ('[smtp]\nhost = "h"\nsender = "a@b.c"\nport = "587"\n', "número de puerto"),
    ('[smtp\nhost = "h"\n', "no es TOML válido"),
])
def test_bad_smtp_settings_are_one_spanish_line(tmp_path, section, words):
    (tmp_path / "secrets.toml").write_text(section)
    with pytest.raises(DigestError, match=words):
        smtp_settings(tmp_path / "secrets.toml")


def test_an_unreachable_server_is_a_spanish_error(store, world, clock):
    store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 2, 11, 0)))
    with pytest.raises(DigestError, match="No se pudo enviar"):
        send_digests(store, SmtpSettings("127.0.0.1", "a@b.c", free_port(), starttls=False), clock())


def test_the_digest_command_sends_through_the_configured_server(database_location, tmp_path, smtp):
    inbox, settings = smtp
    db = open_database(database_location)
    db.migrate()
    store = Store(db)
    seller = make_user(store, "Lía Gómez", "lia@example.com", "seller")
    contact = store.create_contact(seller, ContactDraft("Cliente"))
    yesterday = times.to_local(times.now_utc() - timedelta(days=1), seller.time_zone).replace(tzinfo=None)
    store.create_item(seller, task(contact.id, name="Llamar de vuelta", start=yesterday))
    db.close()
    secrets = tmp_path / "secrets.toml"
    off = subprocess.run([sys.executable, "-m", "escala", "digest"], cwd=ROOT, capture_output=True, text=True,
                         env={**app_env(database_location), "ESCALA_SECRETS": str(secrets)})
    assert off.returncode == 0 and "desactivado" in off.stdout and inbox.messages == []
    secrets.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {settings.port}\nsender = "escala@example.com"\n'
                       "starttls = false\n")
    sent = subprocess.run([sys.executable, "-m", "escala", "digest"], cwd=ROOT, capture_output=True, text=True,
                          env={**app_env(database_location), "ESCALA_SECRETS": str(secrets)})
    assert sent.returncode == 0, sent.stderr
    assert "Resúmenes enviados: 1." in sent.stdout
    assert [m["To"] for m in inbox.messages] == ["Lía Gómez <lia@example.com>"]
    assert "Llamar de vuelta" in inbox.messages[0].get_content()
