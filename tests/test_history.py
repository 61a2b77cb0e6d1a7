""""Historial" in Spanish: who, when and what changed, with names rather than ids."""

from __future__ import annotations

from datetime import datetime

from escala.domain import Kind, ResponsibleMode
from escala.ui.format import md
from escala.ui.history import SYSTEM, describe, names_in
from escala.recurrence import Frequency, RecurrenceDraft
from tests.conftest import task

ZONE = "America/Mexico_City"


def lines_of(store, user, item_id: int) -> list[list[str]]:
    entries = store.audit_trail(user, "item", item_id)[::-1]
    names = names_in(store, entries)
    task = store.get_item(user, item_id).kind is Kind.TASK
    return [describe(entry, names, ZONE, task) for entry in entries]


def test_each_change_reads_from_to_with_names_newest_first(store, world):
    item = store.create_item(world.ana, task(world.ana_contact, name="Enviar propuesta",
                                             start=datetime(2026, 3, 6, 9, 0)))
    store.update_item(world.ana, item.id, task(world.ana_contact, name="Enviar propuesta firmada",
                                               start=datetime(2026, 3, 9, 10, 30),
                                               responsible_mode=ResponsibleMode.USER, responsible_id=world.bruno.id,
                                               opportunity_id=world.ana_opportunity), expected=item)
    store.complete_item(world.bruno, item.id)
    complete, update, create = lines_of(store, world.ana, item.id)
    assert complete[0].startswith("**Bruno Vendedor** · ") and complete[0].endswith(" · Marcó como Realizada")
    assert update[0].startswith("**Ana Vendedora** · ") and update[0].endswith(" · Cambió")
    assert "- Nombre: «Enviar propuesta» → «Enviar propuesta firmada»" in update
    assert "- Fecha: vie 6 mar, 09:00 → lun 9 mar, 10:30" in update  # a task's one time, in the reader's zone
    assert "- Usuario responsable: Ana Vendedora → Bruno Vendedor" in update
    assert "- Oportunidad: — → Licencias" in update
    assert create[0].endswith(" · Creó") and "- Nombre: «Enviar propuesta»" in create
    assert not any("created_at" in line or "updated_at" in line for line in create)


def test_an_occurrence_made_by_the_store_is_signed_by_escala(store, world):
    first = store.create_item(world.ana, task(world.ana_contact), RecurrenceDraft(Frequency.DAILY, count=2))
    store.complete_item(world.ana, first.id)
    second = store.list_items(world.ana, contact_id=world.ana_contact, order="due")[-1]
    ((header, *changes),) = lines_of(store, world.ana, second.id)
    assert header.startswith(f"**{md(SYSTEM)}**") and "- Repetición número: 2" in changes


def test_user_text_in_a_history_is_literal(store, world):
    item = store.create_item(world.ana, task(world.ana_contact, name="**negrita** <b>x</b>"))
    ((_, *changes),) = lines_of(store, world.ana, item.id)
    assert "**negrita**" not in "\n".join(changes)
