"""Who may see and do what. The store builds every query with these, so a rule holds on
every path (pages, CLI, import) and a forbidden row is simply absent from the result.

- admin: sees and edits everything; manages users.
- seller: sees the contacts they own with all their items, plus any item they are
  responsible for; creates items only on contacts they own; edits what they can see.
- analyst: reads everything, writes nothing.
"""

from __future__ import annotations

from escala.domain import PermissionDenied, Role, User

READ_ONLY_MESSAGE = "Tu rol (Analista) solo puede consultar y exportar; no puede modificar datos."


def item_scope(user: User, alias: str = "i") -> tuple[str, list]:
    """SQL predicate (over the items table ``alias``) and its parameters: items ``user`` may see."""
    if user.role is Role.SELLER:
        return f"({alias}.contact_owner_id = ? OR {alias}.responsible_id = ?)", [user.id, user.id]
    return "TRUE", []


def contact_item_scope(user: User, owner_id: int | None, alias: str = "i") -> tuple[str, list]:
    """``item_scope`` for the items of one contact whose owner is ``owner_id``: its owner sees
    them all (each item holds its contact's owner), so the predicate needs no column of theirs."""
    if user.role is Role.SELLER and owner_id == user.id:
        return "TRUE", []
    return item_scope(user, alias)


def contact_scope(user: User, alias: str = "c") -> tuple[str, list]:
    """SQL predicate over contacts ``alias``: contacts ``user`` may open."""
    if user.role is Role.SELLER:
        return f"{alias}.owner_id = ?", [user.id]
    return "TRUE", []


def may_open_contact(user: User, contact_owner_id: int | None) -> bool:
    """``contact_scope`` for one contact: sellers open only the contacts they own."""
    return user.role is not Role.SELLER or contact_owner_id == user.id


def require_writer(user: User) -> None:
    """Analysts (and deactivated users) write nothing."""
    if not user.active:
        raise PermissionDenied("Tu usuario está desactivado.")
    if user.role is Role.ANALYST:
        raise PermissionDenied(READ_ONLY_MESSAGE)


def require_admin(user: User, action: str = "gestionar usuarios") -> None:
    if user.role is not Role.ADMIN or not user.active:
        raise PermissionDenied(f"Solo un administrador puede {action}.")


def may_create_items_on(user: User, contact_owner_id: int | None) -> bool:
    """Admins on any contact; sellers only on contacts they own."""
    return user.role is Role.ADMIN or (user.role is Role.SELLER and contact_owner_id == user.id)


def may_change_owner(user: User) -> bool:
    return user.role is Role.ADMIN
