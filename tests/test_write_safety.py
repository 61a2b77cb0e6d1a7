"""Writes hold only with a live session, never overwrite someone else's change, and follow
who may write on the contact: the rules live in the store, so every page and callback gets them."""

from __future__ import annotations


import pytest

from escala import auth, rollups
from escala.domain import (
    ContactDraft, ItemDraft, PermissionDenied, ResponsibleMode, SessionEnded, StaleEdit, Status,
)
from tests.conftest import make_user, task

SECRET = b"s" * 32


def signed_in(store, user):
    """The user as a browser tab holds them: through a session token."""
    token = auth.issue_token(store, user, SECRET)
    return auth.user_from_token(store, token, SECRET), token


def test_a_tab_signed_out_elsewhere_cannot_write(store, world):
    """Sign out in tab 2; tab 1 (same session, page not yet re-run) clicks Realizada and Sí, eliminar."""
    ana, token = signed_in(store, world.ana)
    first = store.create_item(ana, task(world.ana_contact, name="Completar"))
    second = store.create_item(ana, task(world.ana_contact, name="Eliminar"))
    auth.revoke_token(store, token, SECRET)
    with pytest.raises(SessionEnded, match="Tu sesión terminó; vuelve a ingresar."):
        store.complete_item(ana, first.id)
    with pytest.raises(SessionEnded):
        store.delete_item(ana, second.id)
    with pytest.raises(SessionEnded):
        store.create_item(ana, task(world.ana_contact))
    with pytest.raises(SessionEnded):
        store.create_contact(ana, ContactDraft("Nadie"))
    assert store.get_item(world.ana, first.id).status is Status.PENDING
    assert store.get_item(world.ana, second.id) is not None


def test_a_password_change_ends_every_session_of_that_user(store, world):
    ana, _ = signed_in(store, world.ana)
    admin, _ = signed_in(store, world.admin)
    store.set_password(admin, world.ana.id, "otra-clave-segura")
    with pytest.raises(SessionEnded):
        store.create_item(ana, task(world.ana_contact))
    store.create_item(admin, task(world.ana_contact))  # the admin's own session is untouched


def test_changing_your_own_password_keeps_this_session_and_ends_the_others(store, world):
    here, token_here = signed_in(store, world.ana)
    there, token_there = signed_in(store, world.ana)
    store.set_password(here, world.ana.id, "otra-clave-segura")
    store.create_item(here, task(world.ana_contact))
    assert auth.user_from_token(store, token_there, SECRET) is None
    with pytest.raises(SessionEnded):
        store.create_item(there, task(world.ana_contact))


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(store, world):
    ana, token = signed_in(store, world.ana)
    store.update_user(world.admin, world.ana.id, active=False)
    assert auth.user_from_token(store, token, SECRET) is None
    store.update_user(world.admin, world.ana.id, active=True)
    assert auth.user_from_token(store, token, SECRET) is None
    with pytest.raises(SessionEnded):
        store.create_item(ana, task(world.ana_contact))
    fresh, _ = signed_in(store, store.get_user(world.ana.id))  # signing in again works
    store.create_item(fresh, task(world.ana_contact))


def test_a_tab_built_for_an_old_role_cannot_write_with_it(store, world):
    ana, _ = signed_in(store, world.ana)
    store.update_user(world.admin, world.ana.id, role="analyst")
    with pytest.raises(PermissionDenied, match="Tu rol cambió"):
        store.create_item(ana, task(world.ana_contact))


def test_an_admin_password_and_role_change_is_one_write(store, world):
    """Usuarios saves role and password together: a bad password leaves the role as it was."""
    from escala.domain import ValidationError
    with pytest.raises(ValidationError):
        store.update_user(world.admin, world.ana.id, role="admin", password="corta")
    assert store.get_user(world.ana.id).role == "seller"
    store.update_user(world.admin, world.ana.id, role="admin", password="nueva-clave-larga")
    assert store.get_user(world.ana.id).role == "admin"
    assert auth.sign_in(store, world.ana.email, "nueva-clave-larga").user is not None


# ---------------------------------------------------------------- lost updates

def test_saving_a_stale_edit_form_is_refused_and_overwrites_nothing(store, world):
    """Tabs A and B open Editar; A renames; B then changes only the description and saves."""
    item = store.create_item(world.ana, task(world.ana_contact, name="Original"))
    opened = store.get_item(world.ana, item.id)  # what both forms were filled from
    store.update_item(world.ana, item.id, task(world.ana_contact, name="Renombrada"),
                      expected=opened)
    with pytest.raises(StaleEdit, match="Otra persona cambió esto mientras lo editabas"):
        store.update_item(world.ana, item.id, task(world.ana_contact, name="Original", description="Nueva"),
                          expected=opened)
    after = store.get_item(world.ana, item.id)
    assert (after.name, after.description) == ("Renombrada", "")


def test_a_completion_since_the_form_opened_also_makes_it_stale(store, world):
    item = store.create_item(world.ana, task(world.ana_contact))
    store.complete_item(world.admin, item.id)
    with pytest.raises(StaleEdit):
        store.update_item(world.ana, item.id, task(world.ana_contact, name="Otro"), expected=item)
    assert store.get_item(world.ana, item.id).status is Status.DONE


def test_a_stale_contact_edit_is_refused(store, world):
    contact = store.get_contact(world.ana, world.ana_contact)
    store.update_contact(world.admin, contact.id, ContactDraft("Nombre nuevo", contact.email or ""),
                         expected=contact)
    with pytest.raises(StaleEdit):
        store.update_contact(world.ana, contact.id, ContactDraft(contact.name, contact.email or "", phone="5555 5555"),
                             expected=contact)
    assert store.get_contact(world.ana, contact.id).name == "Nombre nuevo"


def test_a_stale_user_edit_is_refused(store, world):
    shown = store.get_user(world.ana.id)
    other_admin = make_user(store, "Otra Admin", "otra@example.com", "admin")
    store.update_user(other_admin, world.ana.id, time_zone="Europe/Madrid", expected=shown)
    with pytest.raises(StaleEdit):
        store.update_user(world.admin, world.ana.id, role="admin", expected=shown)
    assert store.get_user(world.ana.id).role == "seller"


# ---------------------------------------------------------------- what a responsible-only seller may do

def _bruno_responsible_on_anas_contact(store, world):
    return store.create_item(world.ana, task(world.ana_contact, responsible_mode=ResponsibleMode.USER,
                                             responsible_id=world.bruno.id))


def test_a_responsible_only_seller_completes_but_cannot_delete(store, world):
    item = _bruno_responsible_on_anas_contact(store, world)
    store.complete_item(world.bruno, item.id)
    with pytest.raises(PermissionDenied, match="eliminar"):
        store.delete_item(world.bruno, item.id)
    assert store.get_item(world.ana, item.id) is not None


def test_a_responsible_only_seller_cannot_move_the_item_to_their_own_contact(store, world):
    item = _bruno_responsible_on_anas_contact(store, world)
    moved = ItemDraft(**{**task(world.bruno_contact).__dict__, "responsible_mode": ResponsibleMode.USER,
                         "responsible_id": world.bruno.id})
    with pytest.raises(PermissionDenied):
        store.update_item(world.bruno, item.id, moved)
    assert store.get_item(world.ana, item.id).contact_id == world.ana_contact


def test_a_contact_edit_with_a_forbidden_owner_change_saves_nothing(store, world):
    contact = store.get_contact(world.ana, world.ana_contact)
    with pytest.raises(PermissionDenied):
        store.update_contact(world.ana, contact.id, ContactDraft("Nombre nuevo", contact.email or "",
                                                                 owner_id=world.bruno.id))
    assert store.get_contact(world.ana, contact.id).name == contact.name


def test_a_contact_edit_with_an_invalid_owner_saves_nothing(store, world):
    from escala.domain import ValidationError
    contact = store.get_contact(world.admin, world.ana_contact)
    with pytest.raises(ValidationError):
        store.update_contact(world.admin, contact.id, ContactDraft("Nombre nuevo", contact.email or "",
                                                                   owner_id=world.carla.id))
    assert store.get_contact(world.admin, contact.id).name == contact.name
    assert store.integrity_problems() == []


def test_items_stored_outside_the_allowed_range_are_reported(store, world, db):
    """Only an import from before the 1970-2100 rule could have stored one: the audit names it."""
    item = store.create_item(world.ana, task(world.ana_contact))
    with db.transaction() as cursor:
        cursor.execute("UPDATE items SET starts_at = TIMESTAMP '2500-01-01', due_at = TIMESTAMP '2500-01-01' "
                       "WHERE id = ?", [item.id])
        rollups.rebuild(cursor)  # as the rollups of such an old database would have been built
    assert store.integrity_problems() == ["1 items dated outside 1970-2100"]
