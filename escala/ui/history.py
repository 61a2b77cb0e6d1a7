""""Historial": an item's or a contact's audit rows in Spanish, newest first: who, when, and
what changed from what to what."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from escala import times
from escala.domain import AuditEntry, Kind, User
from escala.store import Store
from escala.ui import format as fmt

SHOWN = 50  # entries listed; older ones are counted
ACTIONS = {"create": "Creó", "update": "Cambió", "complete": "Marcó como Realizada", "reopen": "Reabrió",
           "delete": "Eliminó"}
FIELDS = {  # what a change is called; fields left out here are stamps the list does not show
    "name": "Nombre", "activity_type": "Tipo", "starts_at": "Desde", "due_at": "Hasta",
    "responsible_mode": "Responsable", "responsible_id": "Usuario responsable", "contact_id": "Contacto",
    "opportunity_id": "Oportunidad", "description": "Descripción", "status": "Estatus",
    "completed_at": "Realizada el", "completed_by": "Realizada por", "occurrence": "Repetición número",
    "email": "Correo electrónico", "phone": "Teléfono", "company_id": "Empresa", "owner_id": "Dueño del contacto",
}
NAMED = {"responsible_id": "users", "completed_by": "users", "owner_id": "users", "contact_id": "contacts",
         "opportunity_id": "opportunities", "company_id": "companies"}
INSTANTS = {"starts_at", "due_at", "completed_at"}
SYSTEM = "Escala (automático)"  # an occurrence of a series, made by the store itself


def names_in(store: Store, entries: list[AuditEntry]) -> dict[tuple[str, int], str]:
    wanted: dict[str, set[int]] = {"users": {e.actor_id for e in entries if e.actor_id is not None}}
    for entry in entries:
        for field, (old, new) in entry.changes.items():
            if field in NAMED:
                wanted.setdefault(NAMED[field], set()).update(v for v in (old, new) if isinstance(v, int))
    return store.names_of(wanted)


def _value(field: str, value, names: dict, zone: str) -> str:
    if value is None or value == "":
        return "—"
    if field in NAMED:
        return fmt.md(names.get((NAMED[field], value), f"#{value}"))
    if field in INSTANTS and isinstance(value, str):
        return times.format_local(datetime.fromisoformat(value).replace(tzinfo=UTC), zone)
    if isinstance(value, int | float):
        return fmt.integer(value) if isinstance(value, int) else str(value)
    return f"«{fmt.md(fmt.shorten(str(value), 80))}»"


def describe(entry: AuditEntry, names: dict, zone: str, task: bool = False) -> list[str]:
    """One entry as Markdown lines: who, when and what, then one line per field changed
    (``task``: the item is a Tarea, whose one time is its Fecha)."""
    who = names.get(("users", entry.actor_id), SYSTEM if entry.actor_id is None else f"#{entry.actor_id}")
    action = "Restauró lo eliminado" if "restored_from" in entry.changes else ACTIONS.get(entry.action, entry.action)
    lines = [f"**{fmt.md(who)}** · {times.format_local(entry.at, zone)} · {action}"]
    if entry.action == "delete" or "restored_from" in entry.changes:
        return lines
    for field, (old, new) in entry.changes.items():
        label = FIELDS.get(field)
        if label is None or (task and field == "due_at"):  # a task's Fecha is both instants
            continue
        label = "Fecha" if task and field == "starts_at" else label
        change = _value(field, new, names, zone) if entry.action == "create" else \
            f"{_value(field, old, names, zone)} → {_value(field, new, names, zone)}"
        lines.append(f"- {label}: {change}")
    return lines


def open_history(store: Store, user: User, entity: str, entity_id: int, title: str) -> None:
    """The "Historial" popup of one item or contact."""
    st.dialog(f"Historial de «{fmt.shorten(title, 40)}»", width="medium")(_history)(store, user, entity, entity_id)


def _history(store: Store, user: User, entity: str, entity_id: int) -> None:
    entries = store.audit_trail(user, entity, entity_id)[::-1]
    if not entries:
        st.caption("Sin cambios registrados.")
        return
    shown = entries[:SHOWN]
    names = names_in(store, shown)
    item = store.get_item(user, entity_id) if entity == "item" else None
    for entry in shown:
        st.markdown("\n".join(describe(entry, names, user.time_zone, item is not None and item.kind is Kind.TASK)))
    if len(entries) > SHOWN:
        st.caption(f"Y {fmt.plural(len(entries) - SHOWN, 'cambio anterior', 'cambios anteriores')}.")
