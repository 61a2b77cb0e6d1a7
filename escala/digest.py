"""The e-mail digest of each user's day (optional, off by default): today's pending work and
what is overdue, sent through SMTP to every active user who has any. `python -m escala digest`
sends it (run it each morning from cron or a systemd timer); it is on once the secrets file
has an ``[smtp]`` section:

    [smtp]
    host = "smtp.example.com"
    port = 587                  # 465: SMTP over TLS
    user = "escala@example.com"  # optional, with password
    password = "…"
    sender = "Escala <escala@example.com>"
    starttls = true             # upgrade port 587's connection (the default)
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tomllib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path

from escala import times
from escala.domain import Role, User, plural
from escala.store import AgendaFilter, Store

LISTED = 50  # of today's items in one message; more are counted


class DigestError(ValueError):
    """The ``[smtp]`` settings cannot be used; the message says why, in Spanish."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    sender: str
    port: int = 587
    user: str | None = None
    password: str | None = None
    starttls: bool = True


def smtp_settings(secrets_file: Path | None = None) -> SmtpSettings | None:
    """The ``[smtp]`` section of the secrets file (``ESCALA_SECRETS`` or
    ``.streamlit/secrets.toml``); None when there is none: the digest is off."""
    secrets_file = secrets_file or Path(os.environ.get("ESCALA_SECRETS") or ".streamlit/secrets.toml")
    if not secrets_file.exists():
        return None
    try:
        section = tomllib.loads(secrets_file.read_text(encoding="utf-8")).get("smtp")
    except tomllib.TOMLDecodeError as error:
        raise DigestError(f"{secrets_file} no es TOML válido: {error}.") from None
    if section is None:
        return None
    if not section.get("host") or not section.get("sender"):
        raise DigestError(f"[smtp] en {secrets_file} necesita host y sender.")
    port = section.get("port", 587)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise DigestError("[smtp] port debe ser un número de puerto (587, 465, 25…).")
    return SmtpSettings(str(section["host"]), str(section["sender"]), port, section.get("user"),
                        section.get("password"), bool(section.get("starttls", port != 465)))


def digest_for(store: Store, user: User, now: datetime, sender: str) -> EmailMessage | None:
    """``user``'s message for the day that ``now`` is in their zone: today's pending items
    and the overdue ones, or None when they have neither."""
    groups = store.agenda(user, now, user.time_zone, {"Hoy": 1, "Vencidas": 1}, LISTED, AgendaFilter())
    today, today_total = groups["Hoy"]
    overdue, overdue_total = groups["Vencidas"]
    if not today_total and not overdue_total:
        return None
    day = times.format_local(now, user.time_zone).rsplit(",", 1)[0]
    lines = [f"Hola, {user.name}:", "", f"Tu agenda de hoy ({day}):"]
    lines += [f"- {times.to_local(i.starts_at, user.time_zone):%H:%M} · {i.activity_type or i.kind}: {i.name} "
              f"({i.contact_name})" for i in today] or ["- Nada para hoy."]
    if today_total > len(today):
        lines.append(f"  …y {plural(today_total - len(today), 'otra', 'otras')} en Mi agenda.")
    if overdue_total:
        lines += ["", f"Tienes {plural(overdue_total, 'pendiente vencida', 'pendientes vencidas')}; la más antigua:",
                  f"- {times.format_local(overdue[0].due_at, user.time_zone)} · {overdue[0].name} "
                  f"({overdue[0].contact_name})"]
    lines += ["", "— Escala · Actividades y Tareas"]
    message = EmailMessage()
    message["Subject"] = (f"Tu agenda de hoy: {plural(today_total, 'pendiente', 'pendientes')}"
                          + (f", {plural(overdue_total, 'vencida', 'vencidas')}" if overdue_total else ""))
    message["From"] = sender
    message["To"] = formataddr((user.name, user.email))
    message.set_content("\n".join(lines))
    return message


def send_digests(store: Store, settings: SmtpSettings, now: datetime) -> int:
    """Send every active seller's and administrator's digest over one SMTP connection;
    returns how many were sent."""
    messages = [message for user in store.list_users() if user.active and user.role is not Role.ANALYST
                if (message := digest_for(store, user, now, settings.sender)) is not None]
    if not messages:
        return 0
    try:
        connect = smtplib.SMTP_SSL if settings.port == 465 else smtplib.SMTP
        with connect(settings.host, settings.port, timeout=30) as smtp:
            if settings.starttls and settings.port != 465:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            for message in messages:
                smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise DigestError(f"No se pudo enviar por {settings.host}:{settings.port}: {error}") from None
    return len(messages)
