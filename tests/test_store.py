"""The store: writes validate and audit in one transaction; reads respect each role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from escala.domain import (
    ContactDraft, Kind, NotFound, PermissionDenied, ResponsibleMode, Status, ValidationError,
)
from escala.recurrence import Frequency, RecurrenceDraft
from escala.store import ITEM_COLUMNS
from tests.conftest import activity, make_user, task


def count_items(store) -> int:
    return store.db.query_one("SELECT count(*) FROM items")[0]


# ---------------------------------------------------------------- creating and validating

def test_created_activity_is_read_back_with_names_and_utc_instants(store, world):
    item = store.create_item(world.ana, activity(world.ana_contact, opportunity_id=world.ana_opportunity,
                                                 description="Revisar precios"))
    assert item.kind is Kind.ACTIVITY and item.activity_type == "Llamada"
    assert item.contact_name == "Cliente de Ana" and item.opportunity_name == "Licencias"
    assert item.responsible_name == "Ana Vendedora"
    assert item.starts_at == datetime(2026, 3, 5, 16, 0, tzinfo=UTC)
    assert item.status is Status.PENDING and item.completed_at is None
    assert store.list_items(world.ana, contact_id=world.ana_contact) == [item]


def test_opportunity_of_another_contact_is_refused_on_its_field(store, world):
    with pytest.raises(ValidationError) as raised:
        store.create_item(world.admin, activity(world.ana_contact, opportunity_id=world.bruno_opportunity))
    assert raised.value.errors == {"opportunity": "La oportunidad no pertenece a este contacto."}
    assert count_items(store) == 0


def test_database_checks_and_form_checks_are_reported_together(store, world):
    inactive = make_user(store, "Ex Empleado", "ex@example.com", "seller")
    store.update_user(world.admin, inactive.id, active=False)
    draft = activity(world.ana_contact, name="", opportunity_id=world.bruno_opportunity,
                     responsible_mode=ResponsibleMode.USER, responsible_id=inactive.id)
    with pytest.raises(ValidationError) as raised:
        store.create_item(world.admin, draft)
    assert set(raised.value.errors) == {"name", "opportunity", "responsible"}
    assert count_items(store) == 0


def test_unknown_contact_is_a_field_error(store, world):
    with pytest.raises(ValidationError) as raised:
        store.create_item(world.admin, task(9999))
    assert raised.value.errors == {"contact": "Contacto no encontrado."}


def test_creating_as_realizada_stamps_who_and_when(store, world, clock):
    item = store.create_item(world.ana, task(world.ana_contact, status=Status.DONE))
    assert item.status is Status.DONE and item.completed_by == world.ana.id and item.completed_at == clock.now


# ---------------------------------------------------------------- responsible modes

def test_dueno_del_contacto_follows_the_contacts_current_owner(store, world):
    owner_mode = store.create_item(world.admin, activity(world.ana_contact))
    specific = store.create_item(world.admin, task(world.ana_contact, responsible_mode=ResponsibleMode.USER,
                                                   responsible_id=world.ana.id))
    nobody = store.create_item(world.admin, task(world.ana_contact, responsible_mode=ResponsibleMode.UNASSIGNED))
    assert (owner_mode.responsible_id, specific.responsible_id, nobody.responsible_id) == (world.ana.id, world.ana.id, None)

    store.reassign_contact(world.admin, world.ana_contact, world.bruno.id)

    assert store.get_item(world.admin, owner_mode.id).responsible_id == world.bruno.id
    assert store.get_item(world.admin, specific.id).responsible_id == world.ana.id
    assert store.get_item(world.admin, nobody.id).responsible_id is None
    # Bruno now owns the contact and sees all of its items; Ana keeps only what she is responsible for.
    assert {i.id for i in store.list_items(world.bruno, contact_id=world.ana_contact)} == {owner_mode.id, specific.id, nobody.id}
    assert [i.id for i in store.list_items(world.ana)] == [specific.id]
    assert store.get_contact(world.ana, world.ana_contact) is None
    assert store.integrity_problems() == []


def test_new_items_in_owner_mode_take_the_new_owner(store, world):
    store.reassign_contact(world.admin, world.ana_contact, world.bruno.id)
    assert store.create_item(world.bruno, task(world.ana_contact)).responsible_id == world.bruno.id


def test_specific_user_must_be_active(store, world):
    store.update_user(world.admin, world.bruno.id, active=False)
    with pytest.raises(ValidationError) as raised:
        store.create_item(world.ana, task(world.ana_contact, responsible_mode=ResponsibleMode.USER,
                                          responsible_id=world.bruno.id))
    assert list(raised.value.errors) == ["responsible"]


def test_only_admins_reassign_contacts_and_only_to_active_sellers_or_admins(store, world):
    with pytest.raises(PermissionDenied):
        store.reassign_contact(world.ana, world.ana_contact, world.bruno.id)
    with pytest.raises(ValidationError) as raised:
        store.reassign_contact(world.admin, world.ana_contact, world.carla.id)
    assert list(raised.value.errors) == ["owner"]


# ---------------------------------------------------------------- Vencida

def test_vencida_is_derived_from_status_and_due_time(store, world, clock):
    item = store.create_item(world.ana, task(world.ana_contact))  # due Mar 6 15:00 UTC
    assert not item.is_overdue(clock.now)
    later = datetime(2026, 3, 6, 15, 1, tzinfo=UTC)
    assert item.is_overdue(later) and item.days_overdue(later, "America/Mexico_City") == 0
    done = store.complete_item(world.ana, item.id)
    assert not done.is_overdue(later) and done.days_overdue(later, "America/Mexico_City") is None


def test_an_activity_is_overdue_only_after_hasta(store, world):
    item = store.create_item(world.ana, activity(world.ana_contact))  # 16:00-17:00 UTC on Mar 5
    assert not item.is_overdue(datetime(2026, 3, 5, 16, 30, tzinfo=UTC))
    assert item.is_overdue(datetime(2026, 3, 5, 17, 1, tzinfo=UTC))


def test_days_overdue_depend_on_the_viewers_zone(store, world):
    item = store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 10, 23, 30)))  # 05:30Z Mar 11
    now = datetime(2026, 3, 11, 7, 0, tzinfo=UTC)  # 01:00 in Mexico City, 08:00 in Madrid
    assert item.days_overdue(now, "America/Mexico_City") == 1
    assert item.days_overdue(now, "Europe/Madrid") == 0


def test_days_overdue_count_calendar_days_across_dst(store, world):
    draft = task(world.ana_contact, start=datetime(2026, 3, 7, 12, 0), time_zone="America/New_York")
    item = store.create_item(world.ana, draft)
    assert item.due_at == datetime(2026, 3, 7, 17, 0, tzinfo=UTC)
    assert item.days_overdue(datetime(2026, 3, 9, 4, 30, tzinfo=UTC), "America/New_York") == 2


# ---------------------------------------------------------------- completing, editing, deleting

def test_complete_then_reopen_stamps_and_clears(store, world, clock):
    item = store.create_item(world.ana, task(world.ana_contact))
    done = store.complete_item(world.ana, item.id)
    assert (done.status, done.completed_by, done.completed_at) == (Status.DONE, world.ana.id, clock.now)
    reopened = store.reopen_item(world.ana, item.id)
    assert (reopened.status, reopened.completed_by, reopened.completed_at) == (Status.PENDING, None, None)


def test_editing_keeps_the_original_completion_stamp(store, world, clock):
    item = store.create_item(world.ana, task(world.ana_contact, status=Status.DONE))
    stamp = item.completed_at
    clock.now += timedelta(hours=3)
    edited = store.update_item(world.ana, item.id, task(world.ana_contact, name="Enviar propuesta v2", status=Status.DONE))
    assert edited.name == "Enviar propuesta v2" and edited.completed_at == stamp


def test_update_cannot_turn_an_activity_into_a_task(store, world):
    item = store.create_item(world.ana, activity(world.ana_contact))
    with pytest.raises(ValidationError) as raised:
        store.update_item(world.ana, item.id, task(world.ana_contact))
    assert "kind" in raised.value.errors


def test_bulk_completion_is_all_or_nothing(store, world):
    mine = [store.create_item(world.ana, task(world.ana_contact)).id for _ in range(3)]
    others = store.create_item(world.bruno, task(world.bruno_contact)).id
    with pytest.raises(NotFound):
        store.set_status(world.ana, [*mine, others], Status.DONE)
    assert {i.status for i in store.list_items(world.ana)} == {Status.PENDING}
    assert store.set_status(world.ana, mine, Status.DONE) == sorted(mine)
    assert store.set_status(world.ana, mine, Status.DONE) == []  # already done: nothing changes


def test_delete_removes_the_item(store, world):
    item = store.create_item(world.ana, task(world.ana_contact))
    store.delete_item(world.ana, item.id)
    assert store.get_item(world.admin, item.id) is None
    with pytest.raises(NotFound):
        store.delete_item(world.ana, item.id)


def test_deleting_a_contact_takes_its_items_and_opportunities(store, world):
    store.create_item(world.ana, task(world.ana_contact, opportunity_id=world.ana_opportunity))
    store.delete_contact(world.ana, world.ana_contact)
    assert count_items(store) == 0
    assert store.opportunities_for_contact(world.admin, world.ana_contact) == []
    assert store.integrity_problems() == []


# ---------------------------------------------------------------- roles

def test_seller_cannot_read_edit_or_complete_another_sellers_item_or_contact(store, world):
    theirs = store.create_item(world.bruno, task(world.bruno_contact))
    assert store.get_item(world.ana, theirs.id) is None
    assert store.list_items(world.ana) == []
    assert store.get_contact(world.ana, world.bruno_contact) is None
    assert store.list_contacts(world.ana, "Bruno") == []
    assert store.opportunities_for_contact(world.ana, world.bruno_contact) == []
    for write in (lambda: store.update_item(world.ana, theirs.id, task(world.bruno_contact, name="mío")),
                  lambda: store.complete_item(world.ana, theirs.id),
                  lambda: store.reopen_item(world.ana, theirs.id),
                  lambda: store.delete_item(world.ana, theirs.id),
                  lambda: store.update_contact(world.ana, world.bruno_contact, ContactDraft("mío")),
                  lambda: store.delete_contact(world.ana, world.bruno_contact)):
        with pytest.raises(NotFound):
            write()
    with pytest.raises(ValidationError) as raised:
        store.create_item(world.ana, task(world.bruno_contact))
    assert raised.value.errors == {"contact": "Contacto no encontrado."}
    assert store.get_item(world.admin, theirs.id) == theirs  # untouched


def test_a_seller_made_responsible_sees_and_completes_that_item_but_not_the_contact(store, world):
    shared = store.create_item(world.bruno, task(world.bruno_contact, responsible_mode=ResponsibleMode.USER,
                                                  responsible_id=world.ana.id))
    seen = store.get_item(world.ana, shared.id)
    assert seen is not None and seen.contact_name == "Cliente de Bruno"
    assert store.complete_item(world.ana, shared.id).status is Status.DONE
    assert store.get_contact(world.ana, world.bruno_contact) is None
    with pytest.raises(ValidationError):
        store.create_item(world.ana, task(world.bruno_contact))


def test_analyst_reads_everything_and_writes_nothing(store, world):
    item = store.create_item(world.bruno, task(world.bruno_contact))
    assert store.get_item(world.carla, item.id) is not None
    assert store.get_contact(world.carla, world.ana_contact) is not None
    for write in (lambda: store.create_item(world.carla, task(world.ana_contact)),
                  lambda: store.update_item(world.carla, item.id, task(world.bruno_contact)),
                  lambda: store.complete_item(world.carla, item.id),
                  lambda: store.delete_item(world.carla, item.id),
                  lambda: store.create_contact(world.carla, ContactDraft("Nuevo")),
                  lambda: store.update_user(world.carla, world.ana.id, name="x")):
        with pytest.raises(PermissionDenied):
            write()
    assert store.get_item(world.admin, item.id) == item


def test_admin_sees_and_edits_everything(store, world):
    item = store.create_item(world.bruno, task(world.bruno_contact))
    assert store.update_item(world.admin, item.id, task(world.bruno_contact, name="Revisado")).name == "Revisado"
    assert len(store.list_contacts(world.admin)) == 2


def test_sellers_contacts_are_their_own(store, world):
    with pytest.raises(ValidationError) as raised:
        store.create_contact(world.ana, ContactDraft("Otro", owner_id=world.bruno.id))
    assert list(raised.value.errors) == ["owner"]
    assert store.create_contact(world.ana, ContactDraft("Propio")).owner_id == world.ana.id


def test_known_email_points_to_the_existing_contact_instead_of_duplicating(store, world):
    from escala.store import DuplicateContact
    with pytest.raises(DuplicateContact) as raised:
        store.create_contact(world.admin, ContactDraft("Otra vez", "CLIENTE.ANA@example.com"))
    assert raised.value.contact_id == world.ana_contact
    assert len(store.list_contacts(world.admin)) == 2


def test_deactivated_user_cannot_write(store, world):
    store.update_user(world.admin, world.ana.id, active=False)
    ana = store.get_user(world.ana.id)
    with pytest.raises(PermissionDenied):
        store.create_item(ana, task(world.ana_contact))


def test_admin_cannot_demote_or_deactivate_themselves(store, world):
    with pytest.raises(PermissionDenied):
        store.update_user(world.admin, world.admin.id, role="seller")


# ---------------------------------------------------------------- audit

def test_every_item_write_leaves_an_audit_row(store, world, clock):
    item = store.create_item(world.ana, task(world.ana_contact))
    store.update_item(world.ana, item.id, task(world.ana_contact, name="Nuevo nombre"))
    store.complete_item(world.ana, item.id)
    store.reopen_item(world.admin, item.id)
    store.delete_item(world.admin, item.id)
    trail = store.audit_trail(world.admin, "item", item.id)
    assert [(e.action, e.actor_id) for e in trail] == [
        ("create", world.ana.id), ("update", world.ana.id), ("complete", world.ana.id),
        ("reopen", world.admin.id), ("delete", world.admin.id)]
    assert trail[1].changes == {"name": ["Enviar propuesta", "Nuevo nombre"]}
    assert trail[2].changes == {"status": ["Pendiente", "Realizada"]}
    assert all(e.at == clock.now for e in trail)


def test_contact_writes_are_audited(store, world):
    store.update_contact(world.ana, world.ana_contact, ContactDraft("Cliente de Ana", "cliente.ana@example.com",
                                                                    phone="+52 55 1234 5678", company="Acme"))
    store.reassign_contact(world.admin, world.ana_contact, world.bruno.id)
    store.delete_contact(world.admin, world.ana_contact)
    trail = store.audit_trail(world.admin, "contact", world.ana_contact)
    assert [e.action for e in trail] == ["create", "update", "update", "delete"]
    assert trail[1].changes == {"phone": [None, "+52 55 1234 5678"]}
    assert trail[2].changes["owner_id"] == [world.ana.id, world.bruno.id]


def test_audit_trail_is_hidden_from_those_who_cannot_see_the_item(store, world):
    item = store.create_item(world.bruno, task(world.bruno_contact))
    assert store.audit_trail(world.ana, "item", item.id) == []
    assert store.audit_trail(world.bruno, "item", item.id) != []


def test_failed_write_leaves_no_audit_row_and_no_item(store, world):
    before = store.db.query_one("SELECT count(*) FROM audit_log")[0]
    with pytest.raises(ValidationError):
        store.create_item(world.ana, activity(world.ana_contact, end=datetime(2026, 1, 1)))
    assert store.db.query_one("SELECT count(*) FROM audit_log")[0] == before
    assert count_items(store) == 0


def test_store_version_moves_on_every_committed_write(store, world):
    before = store.version
    store.create_item(world.ana, task(world.ana_contact))
    assert store.version > before
    after = store.version
    with pytest.raises(ValidationError):
        store.create_item(world.ana, task(world.ana_contact, name=""))
    assert store.version == after


# ---------------------------------------------------------------- Contactos list and bulk changes

def test_contact_summaries_count_pending_work_and_the_next_due_item(store, world, clock):
    store.create_item(world.ana, activity(world.ana_contact))  # due Mar 5
    store.create_item(world.ana, task(world.ana_contact, name="Primera", start=datetime(2026, 3, 3, 9, 0)))
    store.create_item(world.ana, task(world.ana_contact, name="Vieja", start=datetime(2026, 3, 1, 9, 0)))  # overdue
    store.create_item(world.ana, task(world.ana_contact, status=Status.DONE))
    rows, total = store.contact_summaries(world.ana)
    assert total == 1
    (row,) = rows
    assert (row.name, row.company_name, row.pending_activities, row.pending_tasks, row.overdue) == \
        ("Cliente de Ana", "Acme", 1, 2, 1)
    assert row.next_due_name == "Vieja" and row.next_due_at == datetime(2026, 3, 1, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("search, expected", [
    ("", ["Cliente de Ana", "Cliente de Bruno"]), ("bruno", ["Cliente de Bruno"]),
    ("ACME", ["Cliente de Ana"]), ("cliente.ana@", ["Cliente de Ana"]), ("nadie", []),
])
def test_contact_search_matches_name_email_and_company(store, world, search, expected):
    rows, total = store.contact_summaries(world.admin, search)
    assert [r.name for r in rows] == expected and total == len(expected)


def test_contact_summaries_sort_and_respect_the_sellers_scope(store, world):
    store.create_item(world.bruno, task(world.bruno_contact))
    assert [r.name for r in store.contact_summaries(world.admin, sort="pending")[0]] == ["Cliente de Bruno", "Cliente de Ana"]
    assert [r.name for r in store.contact_summaries(world.bruno)[0]] == ["Cliente de Bruno"]
    with pytest.raises(KeyError):
        store.contact_summaries(world.admin, sort="id; DROP TABLE items")


def test_bulk_reassign_moves_only_visible_items_all_or_nothing(store, world):
    mine = [store.create_item(world.ana, task(world.ana_contact)).id for _ in range(2)]
    theirs = store.create_item(world.bruno, task(world.bruno_contact)).id
    with pytest.raises(NotFound):
        store.reassign_items(world.ana, [*mine, theirs], ResponsibleMode.USER, world.bruno.id)
    assert {store.get_item(world.admin, i).responsible_id for i in mine} == {world.ana.id}
    assert store.reassign_items(world.ana, mine, ResponsibleMode.USER, world.bruno.id) == mine
    assert {store.get_item(world.admin, i).responsible_id for i in mine} == {world.bruno.id}
    assert store.reassign_items(world.ana, mine, ResponsibleMode.UNASSIGNED) == mine
    assert store.reassign_items(world.ana, mine, ResponsibleMode.CONTACT_OWNER) == mine
    assert {store.get_item(world.admin, i).responsible_id for i in mine} == {world.ana.id}
    assert [e.action for e in store.audit_trail(world.admin, "item", mine[0])] == ["create", "update", "update", "update"]
    assert store.integrity_problems() == []


def test_bulk_reassign_needs_an_active_user(store, world):
    item = store.create_item(world.ana, task(world.ana_contact)).id
    store.update_user(world.admin, world.bruno.id, active=False)
    with pytest.raises(ValidationError):
        store.reassign_items(world.ana, [item], ResponsibleMode.USER, world.bruno.id)


def test_analysts_cannot_be_made_responsible(store, world):
    with pytest.raises(ValidationError) as raised:
        store.create_item(world.ana, task(world.ana_contact, responsible_mode=ResponsibleMode.USER,
                                          responsible_id=world.carla.id))
    assert list(raised.value.errors) == ["responsible"]
    assert world.carla not in store.assignable_users() and world.bruno in store.assignable_users()


# ---------------------------------------------------------------- the profile's pages

def test_the_profile_reads_each_list_a_page_at_a_time_with_its_total(store, world):
    """Pending items soonest first, done ones latest first, 3 to a page; a page past the end is empty."""
    start = datetime(2026, 3, 2, 9, 0)
    made = [store.create_item(world.ana, task(world.ana_contact, name=f"Tarea {n}", start=start + timedelta(days=n),
                                              status=Status.DONE if n % 3 == 0 else Status.PENDING))
            for n in range(10)]
    made.append(store.create_item(world.ana, activity(world.ana_contact)))
    pending = sorted((i for i in made if i.kind is Kind.TASK and i.status is Status.PENDING), key=lambda i: i.due_at)
    done = sorted((i for i in made if i.kind is Kind.TASK and i.status is Status.DONE), key=lambda i: i.due_at,
                  reverse=True)

    every = {(kind, status): 1 for kind in Kind for status in Status}
    first = store.contact_items(world.ana, world.ana_contact, every, size=3)
    assert first[(Kind.TASK, Status.PENDING)] == (pending[:3], 6)
    assert first[(Kind.TASK, Status.DONE)] == (done[:3], 4)
    assert first[(Kind.ACTIVITY, Status.PENDING)] == ([made[-1]], 1)
    assert first[(Kind.ACTIVITY, Status.DONE)] == ([], 0)
    counted = store.contact_items(world.ana, world.ana_contact, {(Kind.TASK, Status.PENDING): 1}, size=3)
    assert counted[(Kind.TASK, Status.PENDING)] == (pending[:3], 6)
    assert counted[(Kind.TASK, Status.DONE)] == ([], 4)  # not asked for: counted, not listed

    later = store.contact_items(world.ana, world.ana_contact,
                                {(Kind.TASK, Status.PENDING): 2, (Kind.TASK, Status.DONE): 2}, size=3)
    assert later[(Kind.TASK, Status.PENDING)] == (pending[3:6], 6)
    assert later[(Kind.TASK, Status.DONE)] == (done[3:], 4)
    past = store.contact_items(world.ana, world.ana_contact, {(Kind.TASK, Status.PENDING): 3}, size=3)
    assert past[(Kind.TASK, Status.PENDING)] == ([], 6)


def test_the_profile_lists_only_what_the_user_may_see(store, world):
    mine = store.create_item(world.admin, task(world.ana_contact, responsible_mode=ResponsibleMode.USER,
                                               responsible_id=world.bruno.id))
    store.create_item(world.admin, task(world.ana_contact))
    pending = {(Kind.TASK, Status.PENDING): 1}
    assert store.contact_items(world.ana, world.ana_contact, pending)[(Kind.TASK, Status.PENDING)][1] == 2  # the owner: all
    store.reassign_contact(world.admin, world.ana_contact, world.admin.id)
    seen = store.contact_items(world.bruno, world.ana_contact, pending)
    assert seen[(Kind.TASK, Status.PENDING)] == ([store.get_item(world.admin, mine.id)], 1)
    assert store.contact_items(world.ana, world.ana_contact, pending)[(Kind.TASK, Status.PENDING)] == ([], 0)


# ---------------------------------------------------------------- Deshacer


def test_undo_restores_exactly_what_was_deleted_with_its_history(store, world, db, clock):
    item = store.create_item(world.ana, activity(world.ana_contact, description="Con la directora",
                                                 opportunity_id=world.ana_opportunity))
    store.complete_item(world.ana, item.id)
    before = db.query(f"SELECT {ITEM_COLUMNS} FROM items i WHERE i.id = ?", [item.id])  # sql-ok: fixed columns
    store.delete_item(world.ana, item.id)
    clock.now += timedelta(seconds=90)
    restored = store.restore_item(world.ana, item.id)
    assert db.query(f"SELECT {ITEM_COLUMNS} FROM items i WHERE i.id = ?", [item.id]) == before  # sql-ok
    assert restored.status is Status.DONE and restored.opportunity_name == "Licencias"
    trail = store.audit_trail(world.ana, "item", item.id)
    assert [e.action for e in trail] == ["create", "complete", "delete", "create"]
    assert trail[-1].changes == {"restored_from": [None, trail[-2].id]}


def test_undo_is_for_a_short_time_once_and_only_for_who_deleted(store, world, clock):
    item = store.create_item(world.ana, task(world.ana_contact))
    store.delete_item(world.ana, item.id)
    with pytest.raises(NotFound):
        store.restore_item(world.admin, item.id)  # not the one who deleted it
    store.restore_item(world.ana, item.id)
    with pytest.raises(NotFound, match="Ya está restaurada"):
        store.restore_item(world.ana, item.id)
    store.delete_item(world.ana, item.id)
    clock.now += timedelta(minutes=2, seconds=1)
    with pytest.raises(NotFound, match="pasaron más de 2 minutos"):
        store.restore_item(world.ana, item.id)
    assert store.get_item(world.ana, item.id) is None


def test_undo_puts_an_occurrence_back_in_its_series(store, world, db):
    repeat = RecurrenceDraft(Frequency.DAILY, count=3)
    first = store.create_item(world.ana, task(world.ana_contact), repeat)
    store.delete_item(world.ana, first.id)  # the second comes in its place
    restored = store.restore_item(world.ana, first.id)
    assert restored.recurrence_rule == "FREQ=DAILY;COUNT=3"
    assert db.query("SELECT number FROM occurrences ORDER BY number") == [(1,), (2,)]


def test_undo_refuses_when_the_contact_is_gone(store, world):
    item = store.create_item(world.ana, task(world.ana_contact))
    store.delete_item(world.ana, item.id)
    store.delete_contact(world.ana, world.ana_contact)
    with pytest.raises(NotFound, match="el contacto ya no existe"):
        store.restore_item(world.ana, item.id)
