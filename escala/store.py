"""Reads and writes. Every query is already limited to what the acting user may see
(``access``), every value is a bound parameter, and every write is one transaction that
validates, checks permission, writes and records an audit row, or does nothing at all.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from escala import access, metrics, recurrence, rollups, times
from escala.auth import SignInHistory, hash_password, session_idle_limit
from escala.db import Database, one_of
from escala.recurrence import RecurrenceDraft
from escala.engines import operations_of
from escala.domain import (
    EARLIEST_DAY, GOAL_MAX, GOAL_MEASURES, GOAL_PERIODS, REMINDERS, ActivityType, AuditEntry, CleanItem, Contact,
    ContactDraft, ContactSummary, Goal, Item, ItemDraft, Kind,
    NotFound, Opportunity, OpportunityDraft, PermissionDenied, ResponsibleMode, Role, SessionEnded, Stage,
    StaleEdit, Status, User, UserDraft, ValidationError, form_instant, instant_error, normalize_email,
    validate_contact, validate_item, validate_opportunity, validate_user, format_int, reminder_error,
)

# An item's own columns, in _item's order; the names it shows come after, from point lookups
# (``_named``): joining would scan every contact and opportunity for a page of items.
ITEM_COLUMN_NAMES = ("id", "kind", "name", "activity_type", "starts_at", "due_at", "responsible_mode",
                     "responsible_id", "contact_id", "opportunity_id", "description", "status", "completed_at",
                     "completed_by", "created_at", "created_by", "updated_at", "contact_owner_id")
ITEM_COLUMNS = ", ".join(f"i.{name}" for name in ITEM_COLUMN_NAMES)
NAMED = (("users", 7), ("contacts", 8), ("opportunities", 9))  # whose name each id column holds
ITEMS_PAGE = 20  # items per page of a list
UNDO_WINDOW = timedelta(minutes=2)  # how long "Deshacer" can bring back a deleted item
LATE_REMINDER = timedelta(hours=1)  # a reminder not yet announced still fires this long after the item's time
LONGEST_REMINDER = timedelta(minutes=max(m for m in REMINDERS if m is not None))  # the most ahead one comes
FEW_IDS = 64  # more ids than this are looked up through one list parameter (binding each costs)
CONTACT_SELECT = """
    SELECT c.id, c.name, c.email, c.phone, c.company_id, co.name, c.owner_id, u.name, c.created_at, c.updated_at
    FROM contacts c
    LEFT JOIN companies co ON co.id = c.company_id
    LEFT JOIN users u ON u.id = c.owner_id
"""
USER_COLUMNS = "id, name, email, role, active, time_zone, password_allowed, reminder_minutes"  # _user()'s, in order
USER_SELECT = f"SELECT {USER_COLUMNS} FROM users"  # sql-ok: a fixed column list
ITEM_ORDERS = {  # allow-list for list_items(order=...)
    "due": "i.due_at, i.id",
    "due_desc": "i.due_at DESC, i.id DESC",
    "pending_first": "i.status = 'Realizada', i.due_at, i.id",
}
AGENDA_GROUPS = ("Vencidas", "Hoy", "Próximos 7 días", "Más adelante")


@dataclass(frozen=True)
class AgendaFilter:
    """What Mi agenda narrows to: types (an activity's Tipo, or "Tarea"), one contact, one
    opportunity, and text found in the item's name or description or its contact's name
    (ignoring case and accents, literally)."""

    types: tuple[str, ...] = ()
    contact_id: int | None = None
    opportunity_id: int | None = None
    text: str = ""

    def sql(self) -> tuple[str, list]:
        """A predicate over items ``i`` and its values."""
        where, params = ["TRUE"], []
        types = [t for t in self.types if t in ActivityType._value2member_map_]
        if self.types:
            where.append(f"(i.activity_type IN ({', '.join('?' * len(types)) or 'NULL'})"  # sql-ok: placeholders
                         + (" OR i.kind = 'Tarea')" if Kind.TASK in self.types else ")"))
            params.extend(types)
        for column, value in (("i.contact_id", self.contact_id), ("i.opportunity_id", self.opportunity_id)):
            if value is not None:
                where.append(f"{column} = ?")  # sql-ok: a column from the fixed tuple
                params.append(value)
        text = self.text.strip()
        if text:
            found = "strpos(strip_accents(lower({})), strip_accents(lower(?))) > 0"
            where.append(f"({found.format('i.name')} OR {found.format('i.description')} OR i.contact_id IN "  # sql-ok
                         f"(SELECT c.id FROM contacts c WHERE {found.format('c.name')}))")  # sql-ok: fixed text
            params.extend([text] * 3)
        return " AND ".join(where), params


# Names sort the way a Spanish reader expects: ICU's Spanish collation (built into DuckDB)
# ignores case and accents ("Óscar" before "Ricardo") and puts "ñ" after "n".
CONTACT_ORDERS = {  # allow-list for contact_summaries(sort=...)
    "name": "v.name COLLATE es, v.id",
    "company": "v.company COLLATE es NULLS LAST, v.name COLLATE es, v.id",
    "owner": "v.owner COLLATE es NULLS LAST, v.name COLLATE es, v.id",
    "pending": "coalesce(p.activities, 0) + coalesce(p.tasks, 0) DESC, v.name COLLATE es, v.id",
    "next_due": "p.next_due_at NULLS LAST, v.name COLLATE es, v.id",
}
# A contact matches a search when its name, email or company contains the text, ignoring case
# and accents ("garcia" finds "García"); the text is literal (no LIKE wildcards).
CONTACT_SEARCH = " OR ".join(f"strpos(strip_accents(lower(coalesce({column}, ''))), strip_accents(lower(?))) > 0"
                             for column in ("c.name", "c.email", "co.name"))


def _contact_search(search: str) -> tuple[str, list[str]]:
    """The search condition over contacts ``c`` and companies ``co``, and its parameters."""
    text = search.strip()
    return (f"({CONTACT_SEARCH})", [text] * 3) if text else ("TRUE", [])
RESPONSIBLE_ERROR = "Elige un vendedor o administrador activo."
NOT_FOUND_ITEM = "Actividad o tarea no encontrada."
NOT_FOUND_CONTACT = "Contacto no encontrado."
DELETE_DENIED = "Solo el dueño del contacto o un administrador puede eliminar sus actividades y tareas."
MOVE_DENIED = "Solo el dueño del contacto o un administrador puede pasar sus actividades y tareas a otro contacto."


class DuplicateContact(ValidationError):
    """A contact with this email exists already; ``contact_id`` is it (the spec's rule:
    a known email updates/opens the existing contact instead of creating another)."""

    def __init__(self, contact_id: int):
        super().__init__({"email": "Ya existe un contacto con este correo electrónico."})
        self.contact_id = contact_id


def _user(row) -> User:
    return User(row[0], row[1], row[2], Role(row[3]), bool(row[4]), row[5], bool(row[6]), row[7])


def _contact(row) -> Contact:
    return Contact(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], times.from_db(row[8]),
                   times.from_db(row[9]))


def _item(row, names: dict[tuple[str, int], str]) -> Item:
    """An ITEM_COLUMNS row; ``names`` by (table, id), as ``_named`` reads them."""
    return Item(
        id=row[0], kind=Kind(row[1]), name=row[2],
        activity_type=ActivityType(row[3]) if row[3] else None,
        starts_at=times.from_db(row[4]), due_at=times.from_db(row[5]),
        responsible_mode=ResponsibleMode(row[6]), responsible_id=row[7], responsible_name=names.get(("users", row[7])),
        contact_id=row[8], contact_name=names.get(("contacts", row[8])), opportunity_id=row[9],
        opportunity_name=names.get(("opportunities", row[9])),
        description=row[10], status=Status(row[11]), completed_at=times.from_db(row[12]),
        completed_by=row[13], created_at=times.from_db(row[14]), created_by=row[15],
        updated_at=times.from_db(row[16]), contact_owner_id=row[17], recurrence_rule=names.get(("series", row[0])),
        reminder_minutes=int(names[("reminder", row[0])]) if ("reminder", row[0]) in names else None,
    )


def _by_ids(select: str, column: str, ids: list[int], kind: str = "BIGINT") -> tuple[str, list]:
    """``select`` (our own SQL) narrowed to ``column`` in ``ids``, and its values: a few ids
    bound one by one, more as one list (binding each costs)."""
    if len(ids) <= FEW_IDS:
        return f"{select} WHERE {one_of(column, ids)}", list(ids)  # sql-ok: our SQL, placeholders
    return f"{select} WHERE {column} IN (SELECT unnest(?::{kind}[]))", [list(ids)]  # sql-ok: our SQL and type


def _labelled(cursor, reads: list[tuple[str, list]]) -> dict[tuple[str, int], str]:
    """The (label, id) -> text rows of ``reads`` (each ``_by_ids``), in one statement."""
    if not reads:
        return {}
    sql = " UNION ALL ".join(select for select, _ in reads)
    return {(label, key): text for label, key, text in
            cursor.execute(sql, [value for _, values in reads for value in values]).fetchall()}


def _named(cursor, rows: list[tuple]) -> list[Item]:
    """Items from ITEM_COLUMNS rows, with the names of their responsible, contact and
    opportunity, their series' rule and their reminder, read by id in one statement."""
    reads = [_by_ids(f"SELECT '{table}', id, name FROM {table}", "id", ids, "INTEGER")  # sql-ok: names from NAMED
             for table, column in NAMED if (ids := sorted({row[column] for row in rows if row[column] is not None}))]
    if rows:
        ids = [row[0] for row in rows]
        reads += [_by_ids("SELECT 'series', o.item_id, r.rule FROM occurrences o "
                          "JOIN recurrences r ON r.id = o.recurrence_id", "o.item_id", ids),
                  _by_ids("SELECT 'reminder', item_id, CAST(minutes_before AS VARCHAR) FROM reminders", "item_id", ids)]
    names = _labelled(cursor, reads)
    return [_item(row, names) for row in rows]


def _item_version(item: Item) -> tuple:
    """What an edit form must not silently undo: the item's own columns (the stamp alone is
    not enough: two writes can share a clock tick)."""
    return (item.name, item.activity_type, item.starts_at, item.due_at, item.responsible_mode, item.responsible_id,
            item.contact_id, item.opportunity_id, item.description, item.status, item.completed_at, item.updated_at)


def _contact_version(contact: Contact) -> tuple:
    return (contact.name, contact.email, contact.phone, contact.company_id, contact.owner_id, contact.updated_at)


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class _StoredItem:
    """The columns an item write sets, as stored (naive UTC instants)."""

    kind: str
    name: str
    activity_type: str | None
    starts_at: datetime
    due_at: datetime
    responsible_mode: str
    responsible_id: int | None
    contact_id: int
    contact_owner_id: int | None
    opportunity_id: int | None
    description: str
    status: str
    completed_at: datetime | None
    completed_by: int | None


STORED_ITEM_FIELDS = tuple(_StoredItem.__dataclass_fields__)


class Store:
    """The product's data, seen through one user's rights at a time."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = times.now_utc):
        self.db = db
        self.clock = clock
        rollups.ensure(db)  # built once, on a database from before them
        rollups.refresh_soon_if_stale(db, clock())  # the pending items due around today
        self._zone: str | None = None

    @property
    def version(self) -> int:
        """Changes after every committed write, in any process: cache keys include it."""
        return self.db.data_version()

    def rollup_zone(self, cursor) -> str:
        """The rollups' zone, read once: only ``rollups --rebuild --zone`` changes it, with
        the app stopped (it holds the database file)."""
        if self._zone is None:
            self._zone = rollups.zone_of(cursor)
        return self._zone

    def _record(self, cursor, selector: str, params: list, sign: int, count: int = 1) -> None:
        """``rollups.record`` for (about) ``count`` items."""
        rollups.record(cursor, selector, params, sign, many=count > rollups.BY_HAND, zone=self.rollup_zone(cursor))

    def _committed(self) -> None:
        metrics.WRITES.inc()

    def _now(self) -> datetime:
        return times.to_db(self.clock())

    @contextmanager
    def writing(self, actor: User | None) -> Iterator:
        """One write transaction on behalf of ``actor`` (None: the operator at the command
        line), who is re-checked inside it before anything is written: see ``check_actor``."""
        with self.db.transaction() as cursor:
            if actor is not None:
                self.check_actor(cursor, actor)
            yield cursor

    def check_actor(self, cursor, actor: User) -> None:
        """Inside a write transaction: the actor still exists, is active and has the role the
        page was built with, and the browser session they act through (if any) is live.
        Button callbacks run before a page re-checks anything, so this is where it holds."""
        row = cursor.execute("SELECT active, role FROM users WHERE id = ?", [actor.id]).fetchone()
        if actor.session_id is not None:
            live = cursor.execute(
                "SELECT 1 FROM sessions WHERE id = ? AND user_id = ? AND revoked_at IS NULL AND last_seen_at > ?",
                [actor.session_id, actor.id, times.to_db(times.now_utc() - session_idle_limit())]).fetchone()
            if live is None or row is None or not row[0]:
                raise SessionEnded()
        if row is None or not row[0]:
            raise PermissionDenied("Tu usuario está desactivado.")
        if Role(row[1]) is not actor.role:
            raise PermissionDenied("Tu rol cambió; vuelve a cargar la página.")

    def _end_sessions(self, cursor, user_id: int, keep: str | None = None) -> None:
        """Sign ``user_id`` out everywhere (but the session ``keep``), in the caller's transaction."""
        cursor.execute("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL "
                       "AND id IS DISTINCT FROM ?", [times.to_db(times.now_utc()), user_id, keep])

    def _audit(self, cursor, actor: User | None, action: str, entity: str, entity_id: int, changes: dict) -> None:
        self._audit_each(cursor, actor, action, entity, [entity_id], changes)

    def _audit_each(self, cursor, actor: User | None, action: str, entity: str, entity_ids: list[int],
                    changes: dict, first: int | None = None) -> None:
        """One audit row per id, all with the same change, in one statement (bulk actions);
        ``first``: the audit ids, if already reserved."""
        if not entity_ids:
            return
        if first is None:
            first = self.db.next_ids(cursor, "audit_log", len(entity_ids))
        values = [self._now(), actor.id if actor else None, action, entity,
                  json.dumps({k: [_jsonable(a), _jsonable(b)] for k, (a, b) in changes.items()}, ensure_ascii=False)]
        if len(entity_ids) == 1:  # a form's write: the plain statement binds in a fraction of the time
            cursor.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [first, *values[:4], entity_ids[0], values[4]])
            return
        cursor.execute(
            """INSERT INTO audit_log SELECT ? + ordinality - 1, ?, ?, ?, ?, id, ?
               FROM unnest(?::BIGINT[]) WITH ORDINALITY AS t(id, ordinality)""",
            [first, *values, list(entity_ids)])

    # ------------------------------------------------------------ users

    def create_user(self, actor: User | None, draft: UserDraft) -> User:
        """Add a user. ``actor=None`` is the operator at the command line (bootstrap)."""
        if actor is not None:
            access.require_admin(actor)
        clean, errors = validate_user(draft)
        if errors:
            raise ValidationError(errors)
        password_hash = hash_password(clean.password) if clean.password else None  # slow on purpose: outside the lock
        with self.writing(actor) as cursor:
            if cursor.execute("SELECT 1 FROM users WHERE email = ?", [clean.email]).fetchone():
                raise ValidationError({"email": "Ya existe un usuario con este correo electrónico."})
            user_id = self.db.next_ids(cursor, "users")
            cursor.execute("INSERT INTO users (id, name, email, role, active, time_zone, password_hash, created_at, "
                           "password_allowed) VALUES (?, ?, ?, ?, true, ?, ?, ?, ?)",
                           [user_id, clean.name, clean.email, clean.role, clean.time_zone, password_hash, self._now(),
                            clean.password_allowed])
            self._audit(cursor, actor, "create", "user", user_id,
                        {"name": (None, clean.name), "email": (None, clean.email), "role": (None, clean.role),
                         "password_allowed": (None, clean.password_allowed)})
        self._committed()
        return self.get_user(user_id)

    def get_user(self, user_id: int) -> User | None:
        row = self.db.query_one(f"{USER_SELECT} WHERE id = ?", [user_id])  # sql-ok: fixed text
        return _user(row) if row else None

    def assignable_users(self) -> list[User]:
        """Who can be made responsible for work: active sellers and admins, by name."""
        return [u for u in self.list_users() if u.role is not Role.ANALYST]

    def list_users(self, include_inactive: bool = False) -> list[User]:
        """Users by name (names and roles are visible to everyone who can sign in)."""
        rows = self.db.query(f"{USER_SELECT} WHERE active OR ? ORDER BY name, id", [include_inactive])  # sql-ok
        return [_user(row) for row in rows]

    def update_user(self, actor: User, user_id: int, *, name: str | None = None, role: str | None = None,
                    active: bool | None = None, time_zone: str | None = None, password: str | None = None,
                    password_allowed: bool | None = None, expected: User | None = None) -> User:
        """Admins change a user's name, role, zone or password, whether a password may open
        Escala (or only the company's sign-on), or switch them off (never delete: history keeps
        them), all in one transaction. ``expected`` is the user as the form showed it: if someone
        changed them since, nothing is saved (``StaleEdit``). Switching a user off, changing their
        password or taking the password away ends every session they have."""
        access.require_admin(actor)
        current = self.get_user(user_id)
        if current is None:
            raise NotFound("Usuario no encontrado.")
        wanted = UserDraft(name if name is not None else current.name, current.email,
                           role if role is not None else current.role, password,
                           time_zone if time_zone is not None else current.time_zone,
                           current.password_allowed if password_allowed is None else bool(password_allowed))
        clean, errors = validate_user(wanted, password_required=False)
        if errors:
            raise ValidationError(errors)
        new_active = current.active if active is None else bool(active)
        if actor.id == user_id and (clean.role != Role.ADMIN or not new_active):
            raise PermissionDenied("No puedes quitarte el rol de administrador ni desactivarte a ti mismo.")
        changes = {key: (old, new) for key, old, new in (
            ("name", current.name, clean.name), ("role", str(current.role), str(clean.role)),
            ("active", current.active, new_active), ("time_zone", current.time_zone, clean.time_zone),
            ("password_allowed", current.password_allowed, clean.password_allowed)) if old != new}
        password_hash = hash_password(password) if password else None  # slow on purpose: outside the lock
        if password_hash:
            changes["password"] = ("***", "***")
        if changes:
            with self.writing(actor) as cursor:
                if expected is not None and self._user_row(cursor, user_id) != expected:
                    raise StaleEdit()
                cursor.execute("UPDATE users SET name = ?, role = ?, active = ?, time_zone = ?, "
                               "password_hash = coalesce(?, password_hash), password_allowed = ? WHERE id = ?",
                               [clean.name, clean.role, new_active, clean.time_zone, password_hash,
                                clean.password_allowed, user_id])
                if password_hash or not new_active or (current.password_allowed and not clean.password_allowed):
                    self._end_sessions(cursor, user_id, keep=actor.session_id if actor.id == user_id else None)
                self._audit(cursor, actor, "update", "user", user_id, changes)
            self._committed()
        return self.get_user(user_id)

    def _user_row(self, cursor, user_id: int) -> User | None:
        row = cursor.execute(f"{USER_SELECT} WHERE id = ?", [user_id]).fetchone()  # sql-ok: fixed text
        return _user(row) if row else None

    def set_password(self, actor: User | None, user_id: int, password: str) -> None:
        """A user changes their own password; an admin (or the operator, actor=None) anyone's.
        Every other session of that user ends at once."""
        if actor is not None and actor.id != user_id:
            access.require_admin(actor, "cambiar la contraseña de otro usuario")
        _, errors = validate_user(UserDraft("x", "x@x.xx", "admin", password), password_required=True)
        if "password" in errors:
            raise ValidationError({"password": errors["password"]})
        password_hash = hash_password(password)
        with self.writing(actor) as cursor:
            if not cursor.execute("UPDATE users SET password_hash = ? WHERE id = ? RETURNING id",
                                  [password_hash, user_id]).fetchone():
                raise NotFound("Usuario no encontrado.")
            self._end_sessions(cursor, user_id, keep=actor.session_id if actor is not None and actor.id == user_id
                               else None)
            self._audit(cursor, actor, "update", "user", user_id, {"password": ("***", "***")})
        self._committed()

    def credentials(self, email: str) -> tuple[User | None, str | None]:
        """For sign-in only: the user with this email and their password hash."""
        row = self.db.query_one(f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = ?",  # sql-ok
                                [normalize_email(email)])
        return (_user(row), row[-1]) if row else (None, None)

    def _record_sign_in(self, cursor, email: str, client: str | None, at: datetime, outcome: str,
                        method: str = "password") -> int:
        attempt_id = self.db.next_ids(cursor, "sign_in_attempts")
        cursor.execute("INSERT INTO sign_in_attempts (id, occurred_at, email, client, outcome, method) "
                       "VALUES (?, ?, ?, ?, ?, ?)", [attempt_id, times.to_db(at), email, client, outcome, method])
        return attempt_id

    def record_company_sign_in(self, email: str, client: str, at: datetime, succeeded: bool) -> None:
        """Audit a sign-in through the company's identity provider, beside password ones
        (``method = 'sso'``: the password limits never count it)."""
        with self.db.transaction() as cursor:
            self._record_sign_in(cursor, email, client, at, "success" if succeeded else "failure", "sso")

    def _sign_in_history(self, cursor, email: str, client: str | None, client_since: datetime) -> SignInHistory:
        failures, last_failure = cursor.execute(
            """SELECT count(*), max(occurred_at) FROM sign_in_attempts
               WHERE email = ? AND outcome = 'failure' AND method = 'password'
                 AND id > coalesce((SELECT max(id) FROM sign_in_attempts
                                    WHERE email = ? AND outcome IN ('success', 'unlocked') AND method = 'password'), 0)""",
            [email, email]).fetchone()
        client_failures = cursor.execute(
            """SELECT occurred_at FROM sign_in_attempts
               WHERE client = ? AND outcome = 'failure' AND method = 'password' AND occurred_at > ?
               ORDER BY occurred_at DESC""",
            [client, times.to_db(client_since)]).fetchall()
        return SignInHistory(failures, times.from_db(last_failure),
                             tuple(times.from_db(at) for (at,) in client_failures))

    def sign_in_history(self, email: str, client: str | None, client_since: datetime) -> SignInHistory:
        """The email's failures since its last success or unlock, and ``client``'s since ``client_since``."""
        return self._sign_in_history(self.db.cursor(), email, client, client_since)

    def reserve_sign_in(self, email: str, client: str, at: datetime, *, client_since: datetime,
                        refuse_until: Callable[[SignInHistory], datetime | None]) -> tuple[int | None, datetime | None]:
        """Check and record a sign-in attempt in one write transaction, so concurrent attempts
        see each other. ``refuse_until`` (the policy, in ``auth``) weighs the history: an instant
        means refuse until then (recorded as 'delayed'); None lets the attempt go on, recorded
        as a provisional 'failure' until ``sign_in_succeeded``. Returns (attempt id, None) or
        (None, the instant to wait for)."""
        with self.db.transaction() as cursor:
            until = refuse_until(self._sign_in_history(cursor, email, client, client_since))
            if until is not None:
                self._record_sign_in(cursor, email, client, at, "delayed")
                return None, until
            return self._record_sign_in(cursor, email, client, at, "failure"), None

    def sign_in_succeeded(self, attempt_id: int) -> None:
        """The reserved attempt's password was right: it counts as a success (and resets the email)."""
        with self.db.transaction() as cursor:
            cursor.execute("UPDATE sign_in_attempts SET outcome = 'success' WHERE id = ?", [attempt_id])

    def unlock_sign_in(self, actor: User, user_id: int, client: str | None) -> None:
        """Desbloquear: an admin clears a user's sign-in delay. History stays: an 'unlocked' row
        ends the run of failures, and the user's audit trail names the admin."""
        access.require_admin(actor)
        with self.writing(actor) as cursor:
            row = cursor.execute("SELECT email FROM users WHERE id = ?", [user_id]).fetchone()
            if row is None:
                raise NotFound("Usuario no encontrado.")
            self._record_sign_in(cursor, row[0], client, self.clock(), "unlocked")
            self._audit(cursor, actor, "update", "user", user_id, {"sign_in": ("en espera", "desbloqueado")})
        self._committed()

    def create_session(self, user_id: int, at: datetime) -> str:
        """A new browser session for ``user_id``; returns its random id."""
        session_id = secrets.token_urlsafe(24)
        with self.db.transaction() as cursor:
            cursor.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, NULL)",
                           [session_id, user_id, times.to_db(at), times.to_db(at)])
        return session_id

    def active_sessions(self, now: datetime, idle: timedelta) -> int:
        """Browser sessions neither signed out nor idle longer than ``idle`` (for the metrics)."""
        (count,) = self.db.query_one("SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND last_seen_at > ?",
                                     [times.to_db(now - idle)])
        return count

    def session_user(self, session_id: str, now: datetime, idle: timedelta) -> User | None:
        """The active user of a live session (not revoked, not idle longer than ``idle``);
        marks it seen, at most once a minute, so activity keeps it alive."""
        row = self.db.query_one(
            """SELECT u.id, u.name, u.email, u.role, u.active, u.time_zone, u.password_allowed, u.reminder_minutes,
                      s.last_seen_at
                FROM sessions s JOIN users u ON u.id = s.user_id
                WHERE s.id = ? AND s.revoked_at IS NULL AND s.last_seen_at > ? AND u.active""",
            [session_id, times.to_db(now - idle)])
        if row is None:
            return None
        if times.to_db(now) - row[8] > timedelta(minutes=1):
            with self.db.transaction() as cursor:
                cursor.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", [times.to_db(now), session_id])
        return replace(_user(row), session_id=session_id)

    def revoke_session(self, session_id: str, at: datetime) -> None:
        with self.db.transaction() as cursor:
            cursor.execute("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                           [times.to_db(at), session_id])

    # ------------------------------------------------------------ contacts

    def _company_id(self, cursor, name: str) -> int | None:
        if not name:
            return None
        row = cursor.execute("SELECT id FROM companies WHERE name_key = ?", [name.lower()]).fetchone()
        if row:
            return row[0]
        company_id = self.db.next_ids(cursor, "companies")
        cursor.execute("INSERT INTO companies VALUES (?, ?, ?)", [company_id, name, name.lower()])
        return company_id

    def _check_owner(self, cursor, owner_id: int | None) -> str | None:
        if owner_id is None:
            return None
        row = cursor.execute("SELECT active, role FROM users WHERE id = ?", [owner_id]).fetchone()
        if not row or not row[0] or row[1] == Role.ANALYST:
            return "El dueño debe ser un vendedor o administrador activo."
        return None

    def create_contact(self, actor: User, draft: ContactDraft) -> Contact:
        """A new contact; a seller's contacts are always their own. A known email raises
        ``DuplicateContact`` carrying the existing contact's id."""
        access.require_writer(actor)
        clean, errors = validate_contact(draft)
        owner_id = draft.owner_id
        if actor.role is Role.SELLER:
            if owner_id not in (None, actor.id):
                errors["owner"] = "Solo puedes crear contactos a tu nombre."
            owner_id = actor.id
        with self.writing(actor) as cursor:
            if problem := self._check_owner(cursor, owner_id):
                errors["owner"] = problem
            if errors:
                raise ValidationError(errors)
            if clean.email:
                existing = cursor.execute("SELECT id FROM contacts WHERE email = ? ORDER BY id LIMIT 1",
                                          [clean.email]).fetchone()
                if existing:
                    raise DuplicateContact(existing[0])
            contact_id = self.db.next_ids(cursor, "contacts")
            now = self._now()
            cursor.execute("INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [contact_id, clean.name, clean.email or None, clean.phone or None,
                            self._company_id(cursor, clean.company), owner_id, now, actor.id, now])
            self._audit(cursor, actor, "create", "contact", contact_id,
                        {k: (None, v) for k, v in asdict(replace(clean, owner_id=owner_id)).items() if v})
        self._committed()
        return self.get_contact(actor, contact_id)

    def get_contact(self, user: User, contact_id: int) -> Contact | None:
        """The contact if ``user`` may open it; None exactly as if it did not exist."""
        scope, params = access.contact_scope(user)
        row = self.db.query_one(f"{CONTACT_SELECT} WHERE c.id = ? AND {scope}", [contact_id, *params])  # sql-ok
        return _contact(row) if row else None

    def _contact_row(self, cursor, contact_id: int) -> Contact:
        return _contact(cursor.execute(f"{CONTACT_SELECT} WHERE c.id = ?", [contact_id]).fetchone())  # sql-ok

    def find_contact_by_email(self, user: User, email: str) -> Contact | None:
        scope, params = access.contact_scope(user)
        row = self.db.query_one(f"{CONTACT_SELECT} WHERE c.email = ? AND {scope} ORDER BY c.id LIMIT 1",  # sql-ok
                                [normalize_email(email), *params])
        return _contact(row) if row else None

    def list_contacts(self, user: User, search: str = "", limit: int = 500) -> list[Contact]:
        """Contacts ``user`` may open, by name; ``search`` matches name, email or company."""
        scope, params = access.contact_scope(user)
        matches, search_params = _contact_search(search)
        rows = self.db.query(
            f"""{CONTACT_SELECT} WHERE {scope} AND {matches}
                ORDER BY c.name COLLATE es, c.id LIMIT ?""",  # sql-ok: scope from access, search fixed
            [*params, *search_params, limit])
        return [_contact(row) for row in rows]

    def count_contacts(self, user: User) -> int:
        """How many contacts ``user`` may open."""
        scope, params = access.contact_scope(user)
        return self.db.query_one(f"SELECT count(*) FROM contacts c WHERE {scope}", params)[0]  # sql-ok: access

    def contact_summaries(self, user: User, search: str = "", sort: str = "name", limit: int = 200,
                          offset: int = 0) -> tuple[list[ContactSummary], int]:
        """The Contactos list: contacts ``user`` may open that match ``search`` (name, email or
        company), with their pending activities and tasks, overdue count and next due item;
        the first ``limit`` in ``sort`` order, and how many match in all."""
        scope, params = access.contact_scope(user)
        matches, search_params = _contact_search(search)
        now = self._now()
        rows = self.db.query(
            f"""WITH visible AS (
                    SELECT c.id, c.name, c.email, co.name AS company, u.name AS owner
                    FROM contacts c
                    LEFT JOIN companies co ON co.id = c.company_id
                    LEFT JOIN users u ON u.id = c.owner_id
                    WHERE {scope} AND {matches}
                ), pending AS (
                    SELECT i.contact_id,
                           count(*) FILTER (WHERE i.kind = 'Actividad') AS activities,
                           count(*) FILTER (WHERE i.kind = 'Tarea') AS tasks,
                           count(*) FILTER (WHERE i.due_at < ?) AS overdue,
                           min(i.due_at) AS next_due_at, {self.db.operations.first_by('i.name', 'i.due_at', 'i.id')} AS next_due_name
                    FROM items i
                    WHERE i.status = 'Pendiente' AND i.contact_id IN (SELECT id FROM visible)
                    GROUP BY i.contact_id
                )
                SELECT v.id, v.name, v.email, v.company, v.owner,
                       coalesce(p.activities, 0), coalesce(p.tasks, 0), coalesce(p.overdue, 0),
                       p.next_due_at, p.next_due_name, count(*) OVER () AS total
                FROM visible v LEFT JOIN pending p ON p.contact_id = v.id
                ORDER BY {CONTACT_ORDERS[sort]}
                LIMIT ? OFFSET ?""",  # sql-ok: scope from access, search fixed, order from the allow-list
            [*params, *search_params, now, limit, offset])
        summaries = [ContactSummary(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], times.from_db(r[8]), r[9])
                     for r in rows]
        if rows or offset == 0:
            return summaries, (rows[0][10] if rows else 0)
        return summaries, self.contact_summaries(user, search, sort, 1, 0)[1]  # past the last page

    def update_contact(self, actor: User, contact_id: int, draft: ContactDraft,
                       expected: Contact | None = None) -> Contact:
        """Edit name, email, phone, company and (admins) the owner, in one transaction: all
        or nothing. ``expected`` is the contact as the form showed it; if it changed since,
        nothing is saved (``StaleEdit``)."""
        access.require_writer(actor)
        current = self.get_contact(actor, contact_id)
        if current is None:
            raise NotFound(NOT_FOUND_CONTACT)
        clean, errors = validate_contact(draft)
        if errors:
            raise ValidationError(errors)
        owner_changes = draft.owner_id is not None and draft.owner_id != current.owner_id
        if owner_changes:
            access.require_admin(actor, "cambiar el dueño de un contacto")
        with self.writing(actor) as cursor:
            if expected is not None and _contact_version(self._contact_row(cursor, contact_id)) != _contact_version(expected):
                raise StaleEdit()
            if clean.email and clean.email != (current.email or ""):
                other = cursor.execute("SELECT id FROM contacts WHERE email = ? AND id <> ? LIMIT 1",
                                       [clean.email, contact_id]).fetchone()
                if other:
                    raise DuplicateContact(other[0])
            company_id = self._company_id(cursor, clean.company)
            changes = {key: (old, new) for key, old, new in (
                ("name", current.name, clean.name), ("email", current.email, clean.email or None),
                ("phone", current.phone, clean.phone or None),
                ("company", current.company_name, clean.company or None)) if old != new}
            if changes:
                cursor.execute("UPDATE contacts SET name = ?, email = ?, phone = ?, company_id = ?, updated_at = ? "
                               "WHERE id = ?", [clean.name, clean.email or None, clean.phone or None, company_id,
                                                self._now(), contact_id])
                self._audit(cursor, actor, "update", "contact", contact_id, changes)
            if owner_changes:
                self._reassign(cursor, actor, contact_id, draft.owner_id)
        self._committed()
        return self.get_contact(actor, contact_id)

    def reassign_contact(self, actor: User, contact_id: int, new_owner_id: int | None) -> Contact:
        """Give a contact a new owner (admins). Items in the mode "Dueño del contacto" follow
        the new owner in the same transaction."""
        access.require_admin(actor, "cambiar el dueño de un contacto")
        with self.writing(actor) as cursor:
            self._reassign(cursor, actor, contact_id, new_owner_id)
        self._committed()
        return self.get_contact(actor, contact_id)

    def _reassign(self, cursor, actor: User, contact_id: int, new_owner_id: int | None) -> None:
        row = cursor.execute("SELECT owner_id FROM contacts WHERE id = ?", [contact_id]).fetchone()
        if row is None:
            raise NotFound(NOT_FOUND_CONTACT)
        if problem := self._check_owner(cursor, new_owner_id):
            raise ValidationError({"owner": problem})
        if row[0] != new_owner_id:
            cursor.execute("UPDATE contacts SET owner_id = ?, updated_at = ? WHERE id = ?",
                           [new_owner_id, self._now(), contact_id])
            self._record(cursor, "i.contact_id = ?", [contact_id], -1)
            (moved,) = cursor.execute(
                """UPDATE items SET contact_owner_id = ?,
                       responsible_id = CASE WHEN responsible_mode = 'Dueño del contacto' THEN ? ELSE responsible_id END
                   WHERE contact_id = ?""",
                [new_owner_id, new_owner_id, contact_id]).fetchone()
            self._record(cursor, "i.contact_id = ?", [contact_id], +1)
            self._audit(cursor, actor, "update", "contact", contact_id,
                        {"owner_id": (row[0], new_owner_id), "items_following_owner": (None, moved)})

    def delete_contact(self, actor: User, contact_id: int) -> None:
        """Delete a contact with its opportunities and items (admins, or the owning seller)."""
        access.require_writer(actor)
        current = self.get_contact(actor, contact_id)
        if current is None:
            raise NotFound(NOT_FOUND_CONTACT)
        if not access.may_create_items_on(actor, current.owner_id):
            raise PermissionDenied("Solo el dueño del contacto o un administrador puede eliminarlo.")
        with self.writing(actor) as cursor:
            doomed = [row[0] for row in cursor.execute("SELECT id FROM items WHERE contact_id = ? ORDER BY id",
                                                       [contact_id]).fetchall()]
            self._audit_each(cursor, actor, "delete", "item", doomed, {"contact_id": (contact_id, None)})
            self._record(cursor, "i.contact_id = ?", [contact_id], -1)
            for links in ("recurrence_id IN (SELECT id FROM recurrences WHERE contact_id = ?)",  # its series
                          "item_id IN (SELECT id FROM items WHERE contact_id = ?)"):  # its items in others'
                cursor.execute(f"DELETE FROM occurrences WHERE {links}", [contact_id])  # sql-ok: fixed text
            cursor.execute("DELETE FROM recurrences WHERE contact_id = ?", [contact_id])
            cursor.execute("DELETE FROM reminders WHERE item_id IN (SELECT id FROM items WHERE contact_id = ?)",
                           [contact_id])
            cursor.execute("DELETE FROM items WHERE contact_id = ?", [contact_id])
            cursor.execute("DELETE FROM opportunities WHERE contact_id = ?", [contact_id])
            cursor.execute("DELETE FROM contacts WHERE id = ?", [contact_id])
            self._audit(cursor, actor, "delete", "contact", contact_id,
                        {"name": (current.name, None), "email": (current.email, None), "owner_id": (current.owner_id, None)})
        self._committed()

    # ------------------------------------------------------------ opportunities

    def create_opportunity(self, actor: User, draft: OpportunityDraft) -> Opportunity:
        """An opportunity on a contact the actor may create work on."""
        access.require_writer(actor)
        clean, errors = validate_opportunity(draft)
        contact = self.get_contact(actor, draft.contact_id) if draft.contact_id is not None else None
        if draft.contact_id is not None and contact is None:
            errors["contact"] = NOT_FOUND_CONTACT
        if errors:
            raise ValidationError(errors)
        with self.writing(actor) as cursor:
            opportunity_id = self.db.next_ids(cursor, "opportunities")
            cursor.execute("INSERT INTO opportunities VALUES (?, ?, ?, ?, ?, ?)",
                           [opportunity_id, clean.name, clean.contact_id, clean.stage, clean.amount, self._now()])
            self._audit(cursor, actor, "create", "opportunity", opportunity_id,
                        {"name": (None, clean.name), "contact_id": (None, clean.contact_id),
                         "stage": (None, str(clean.stage)), "amount": (None, clean.amount)})
        self._committed()
        return Opportunity(opportunity_id, clean.name, clean.contact_id, Stage(clean.stage), clean.amount)

    def opportunities_for_contact(self, user: User, contact_id: int) -> list[Opportunity]:
        """The contact's opportunities, if ``user`` may open the contact."""
        scope, params = access.contact_scope(user)
        rows = self.db.query(
            f"""SELECT o.id, o.name, o.contact_id, o.stage, o.amount FROM opportunities o
                JOIN contacts c ON c.id = o.contact_id WHERE o.contact_id = ? AND {scope} ORDER BY o.id""",  # sql-ok
            [contact_id, *params])
        return [Opportunity(r[0], r[1], r[2], Stage(r[3]), float(r[4])) for r in rows]

    # ------------------------------------------------------------ items

    def get_item(self, user: User, item_id: int) -> Item | None:
        """The item if ``user`` may see it; None exactly as if it did not exist."""
        scope, params = access.item_scope(user)
        cursor = self.db.cursor()
        rows = cursor.execute(f"SELECT {ITEM_COLUMNS} FROM items i WHERE i.id = ? AND {scope}",  # sql-ok
                              [item_id, *params]).fetchall()
        return _named(cursor, rows)[0] if rows else None

    def _item_row(self, cursor, item_id: int) -> Item:
        return _named(cursor, cursor.execute(f"SELECT {ITEM_COLUMNS} FROM items i WHERE i.id = ?",  # sql-ok
                                             [item_id]).fetchall())[0]

    def list_items(self, user: User, *, contact_id: int | None = None, responsible_id: int | None = None,
                   kind: Kind | None = None, status: Status | None = None, due_from: datetime | None = None,
                   due_before: datetime | None = None, order: str = "pending_first",
                   limit: int | None = None) -> list[Item]:
        """Items ``user`` may see, narrowed by the given filters (all optional)."""
        scope, params = access.item_scope(user)
        where = [scope]
        for column, value in (("i.contact_id", contact_id), ("i.responsible_id", responsible_id),
                              ("i.kind", kind), ("i.status", status)):
            if value is not None:
                where.append(f"{column} = ?")  # column names from the fixed tuple above
                params.append(str(value) if isinstance(value, str) else value)
        for condition, instant in (("i.due_at >= ?", due_from), ("i.due_at < ?", due_before)):
            if instant is not None:
                where.append(condition)
                params.append(times.to_db(instant))
        sql = f"SELECT {ITEM_COLUMNS} FROM items i WHERE {' AND '.join(where)} ORDER BY {ITEM_ORDERS[order]}"  # sql-ok
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        cursor = self.db.cursor()
        return _named(cursor, cursor.execute(sql, params).fetchall())

    def contact_items(self, user: User, contact_id: int, pages: dict[tuple[Kind, Status], int],
                      size: int = ITEMS_PAGE) -> dict[tuple[Kind, Status], tuple[list[Item], int]]:
        """A contact's items ``user`` may see, by (kind, Estatus): how many there are in all
        and, for each group in ``pages``, the ``size`` items of the page asked for (1 = first;
        past the end: none); other groups list none. Pending ones soonest first; done ones
        latest first (what the profile lists)."""
        cursor = self.db.cursor()
        owner = cursor.execute("SELECT owner_id FROM contacts WHERE id = ?", [contact_id]).fetchone()
        scope, params = access.contact_item_scope(user, owner[0] if owner else None)
        # the columns the scope reads, and no more: each is a random read per item
        columns = "id, kind, status, due_at" + ("" if not params else ", responsible_id, contact_owner_id")
        groups = [(kind, status) for kind in Kind for status in Status]
        first = " ".join("WHEN i.kind = ? AND i.status = ? THEN ?" for _ in groups)
        unread = 2**62  # a first row past every group: counted, not listed
        firsts = [value for kind, status in groups for value in (
            str(kind), str(status), (max(pages[kind, status], 1) - 1) * size if (kind, status) in pages else unread)]
        # which items: a window over the few columns that choose them (every column of a
        # thousand items costs more than the rest of the page)
        epoch_due = operations_of(cursor).epoch_us("i.due_at")
        chosen = cursor.execute(f"""
            SELECT i.id, i.kind, i.status, i.total, i.n > i.first AND i.n <= i.first + ? AS shown FROM (
                SELECT i.id, i.kind, i.status, CASE {first} END AS first,
                       row_number() OVER (PARTITION BY i.kind, i.status ORDER BY CASE WHEN i.status = 'Realizada'
                           THEN -{epoch_due} ELSE {epoch_due} END, i.id) AS n,
                       count(*) OVER (PARTITION BY i.kind, i.status) AS total
                -- the LIMIT keeps the window above the index lookup by contact
                FROM (SELECT {columns} FROM items WHERE contact_id = ? LIMIT {2**62}) i WHERE {scope}) i
            -- the first item of each group carries its total, shown or not
            WHERE (i.n > i.first AND i.n <= i.first + ?) OR i.n = 1
            ORDER BY i.n""", [size, *firsts, contact_id, *params, size]).fetchall()  # sql-ok: fixed fragments
        shown = [row[0] for row in chosen if row[4]]
        items = {item.id: item for item in self._items_by_id(cursor, shown)}
        found = {group: ([], 0) for group in groups}
        for item_id, kind, status, total, visible in chosen:
            page, _ = found[(Kind(kind), Status(status))]
            found[(Kind(kind), Status(status))] = ([*page, items[item_id]] if visible else page, total)
        return found

    def agenda(self, user: User, now: datetime, zone: str, pages: dict[str, int], size: int = ITEMS_PAGE,
               narrow: AgendaFilter = AgendaFilter()) -> dict[str, tuple[list[Item], int]]:
        """Mi agenda: ``user``'s pending items (as responsible) that ``narrow`` keeps, in the
        groups of ``AGENDA_GROUPS`` by the user's calendar in ``zone``, soonest first: for each
        group the page asked for in ``pages`` (1 = first; ``size`` items) and how many it has
        in all. Counted and paged in SQL: a rep with a hundred thousand items reads forty."""
        today = times.to_local(now, zone).date()
        bounds = [times.to_db(now), times.to_db(times.start_of_day(today + timedelta(days=1), zone)),
                  times.to_db(times.start_of_day(today + timedelta(days=8), zone))]
        scope, params = access.item_scope(user)
        where, narrowing = narrow.sql()
        firsts = [(max(pages.get(name, 1), 1) - 1) * size for name in AGENDA_GROUPS]
        cursor = self.db.cursor()
        chosen = cursor.execute(f"""
            SELECT g.id, g.grp, g.total, g.n > g.first AND g.n <= g.first + ? AS shown FROM (
                SELECT g.id, g.grp, CASE g.grp WHEN 0 THEN ? WHEN 1 THEN ? WHEN 2 THEN ? ELSE ? END AS first,
                       row_number() OVER (PARTITION BY g.grp ORDER BY g.due_at, g.id) AS n,
                       count(*) OVER (PARTITION BY g.grp) AS total
                FROM (SELECT i.id, i.due_at, CASE WHEN i.due_at < ? THEN 0 WHEN i.due_at < ? THEN 1
                                                  WHEN i.due_at < ? THEN 2 ELSE 3 END AS grp
                      FROM items i WHERE i.responsible_id = ? AND i.status = 'Pendiente' AND {scope} AND {where}) g) g
            WHERE (g.n > g.first AND g.n <= g.first + ?) OR g.n = 1
            ORDER BY g.grp, g.n""",  # sql-ok: scope from access, filters from AgendaFilter
            [size, *firsts, *bounds, user.id, *params, *narrowing, size]).fetchall()
        items = {item.id: item for item in self._items_by_id(cursor, [row[0] for row in chosen if row[3]])}
        found: dict[str, tuple[list[Item], int]] = {name: ([], 0) for name in AGENDA_GROUPS}
        for item_id, group, total, shown in chosen:
            name = AGENDA_GROUPS[group]
            found[name] = ([*found[name][0], items[item_id]] if shown else found[name][0], total)
        return found

    def reminders_due(self, user: User, now: datetime) -> list[tuple[Item, bool]]:
        """The pending items ``user`` is responsible for whose reminder time has come, soonest
        first, each with whether its toast was shown: those whose own time has not passed, and
        those not announced yet whose time passed less than ``LATE_REMINDER`` ago (a reminder
        "A la hora" is due at the very time the item becomes overdue)."""
        moment = times.to_db(now)
        rows = self.db.query(
            """SELECT i.id, r.notified_at IS NOT NULL FROM items i JOIN reminders r ON r.item_id = i.id
               WHERE i.responsible_id = ? AND i.status = 'Pendiente' AND i.due_at >= ? AND i.starts_at <= ?
                 AND i.starts_at - r.minutes_before * INTERVAL '1 minute' <= ?
                 AND (i.due_at >= ? OR r.notified_at IS NULL)
               ORDER BY i.starts_at, i.id""",
            [user.id, moment - LATE_REMINDER, moment + LONGEST_REMINDER, moment, moment])
        items = {item.id: item for item in self._items_by_id(self.db.cursor(), [row[0] for row in rows])}
        return [(items[item_id], bool(shown)) for item_id, shown in rows]

    def take_reminders(self, user: User, now: datetime, due: list[tuple[Item, bool]] | None = None) -> list[Item]:
        """The reminders of ``reminders_due`` (``due``, if already read) not announced yet,
        marked announced: each fires once, in whichever of the user's tabs asks first."""
        due = self.reminders_due(user, now) if due is None else due
        fresh = [item.id for item, shown in due if not shown]
        if not fresh:
            return []
        with self.writing(None) as cursor:  # no audit: nothing about the item changes
            taken = {row[0] for row in cursor.execute(
                f"UPDATE reminders SET notified_at = ? WHERE {one_of('item_id', fresh)} AND notified_at IS NULL "  # sql-ok
                "RETURNING item_id", [times.to_db(now), *fresh]).fetchall()}
        return [item for item, _ in due if item.id in taken]

    def count_overdue(self, user: User, now: datetime) -> int:
        """How many pending items ``user`` is responsible for are past their time."""
        return self.db.query_one("SELECT count(*) FROM items WHERE responsible_id = ? AND status = 'Pendiente' "
                                 "AND due_at < ?", [user.id, times.to_db(now)])[0]

    def set_reminder_default(self, actor: User, minutes: int | None) -> User:
        """The Recordatorio a user's new items start from (their own preference)."""
        if problem := reminder_error(minutes):
            raise ValidationError({"reminder": problem})
        with self.writing(actor) as cursor:
            (old,) = cursor.execute("SELECT reminder_minutes FROM users WHERE id = ?", [actor.id]).fetchone()
            if old != minutes:
                cursor.execute("UPDATE users SET reminder_minutes = ? WHERE id = ?", [minutes, actor.id])
                self._audit(cursor, actor, "update", "user", actor.id, {"reminder_minutes": (old, minutes)})
        self._committed()
        return replace(actor, reminder_minutes=minutes)

    def calendar_items(self, user: User, start: datetime, end: datetime, limit: int = 1000) -> list[Item]:
        """``user``'s items (as responsible) that overlap [``start``, ``end``), by time: what the
        Calendario shows (at most ``limit``)."""
        scope, params = access.item_scope(user)
        cursor = self.db.cursor()
        rows = cursor.execute(
            f"""SELECT {ITEM_COLUMNS} FROM items i WHERE i.responsible_id = ? AND i.due_at >= ? AND i.starts_at < ?
                AND {scope} ORDER BY i.starts_at, i.id LIMIT ?""",  # sql-ok: scope from access
            [user.id, times.to_db(start), times.to_db(end), *params, limit]).fetchall()
        return _named(cursor, rows)

    def agenda_choices(self, user: User) -> tuple[dict[int, str], dict[int, str]]:
        """The contacts and the opportunities of ``user``'s pending work (by name): what Mi
        agenda's filters offer."""
        scope, params = access.item_scope(user)
        rows = self.db.query(f"""SELECT * FROM (
            SELECT 'contact' AS kind, c.id, c.name FROM contacts c WHERE c.id IN (
                SELECT i.contact_id FROM items i WHERE i.responsible_id = ? AND i.status = 'Pendiente' AND {scope})
            UNION ALL
            SELECT 'opportunity', o.id, o.name FROM opportunities o WHERE o.id IN (
                SELECT i.opportunity_id FROM items i WHERE i.responsible_id = ? AND i.status = 'Pendiente' AND {scope})
            ) t ORDER BY t.name COLLATE es, t.id""", [user.id, *params, user.id, *params])  # sql-ok: scope from access
        contacts = {key: name for kind, key, name in rows if kind == "contact"}
        return contacts, {key: name for kind, key, name in rows if kind == "opportunity"}

    def _items_by_id(self, cursor, ids: list[int]) -> list[Item]:
        if not ids:
            return []
        return _named(cursor, cursor.execute(f"SELECT {ITEM_COLUMNS} FROM items i WHERE {one_of('i.id', ids)}",  # sql-ok
                                             ids).fetchall())

    def _stored_row(self, cursor, user: User, item_id: int) -> _StoredItem | None:
        scope, params = access.item_scope(user)
        row = cursor.execute(f"SELECT {', '.join(STORED_ITEM_FIELDS)} FROM items i WHERE i.id = ? AND {scope}",  # sql-ok
                             [item_id, *params]).fetchone()
        return _StoredItem(*row) if row else None

    def _resolve(self, cursor, user: User, clean: CleanItem, current: _StoredItem | None,
                 errors: dict[str, str]) -> int | None:
        """Check the item's references in the open transaction; return the contact's owner."""
        owner_id = None
        if clean.contact_id is not None:
            unchanged = current is not None and current.contact_id == clean.contact_id
            scope, params = ("TRUE", []) if unchanged else access.contact_scope(user)
            row = cursor.execute(f"SELECT c.owner_id FROM contacts c WHERE c.id = ? AND {scope}",  # sql-ok
                                 [clean.contact_id, *params]).fetchone()
            if row is None:
                errors["contact"] = NOT_FOUND_CONTACT
            else:
                owner_id = row[0]
                if not unchanged and not access.may_create_items_on(user, owner_id):
                    raise PermissionDenied("Solo puedes crear actividades y tareas en contactos de los que eres dueño.")
                if not unchanged and current is not None and not access.may_create_items_on(user, current.contact_owner_id):
                    raise PermissionDenied(MOVE_DENIED)
        if clean.opportunity_id is not None:
            row = cursor.execute("SELECT contact_id FROM opportunities WHERE id = ?", [clean.opportunity_id]).fetchone()
            if row is None or row[0] != clean.contact_id:
                errors["opportunity"] = "La oportunidad no pertenece a este contacto."
        if clean.responsible_mode is ResponsibleMode.USER and clean.responsible_id is not None:
            unchanged = current is not None and current.responsible_id == clean.responsible_id \
                and current.responsible_mode == ResponsibleMode.USER
            row = cursor.execute("SELECT active, role FROM users WHERE id = ?", [clean.responsible_id]).fetchone()
            if row is None or (not unchanged and (not row[0] or row[1] == Role.ANALYST)):
                errors["responsible"] = RESPONSIBLE_ERROR
        return owner_id

    def _to_store(self, clean: CleanItem, owner_id: int | None, current: _StoredItem | None, actor: User) -> _StoredItem:
        responsible_id = {ResponsibleMode.CONTACT_OWNER: owner_id, ResponsibleMode.USER: clean.responsible_id,
                          ResponsibleMode.UNASSIGNED: None}[clean.responsible_mode]
        if clean.status is Status.DONE:
            was_done = current is not None and current.status == Status.DONE
            completed_at, completed_by = ((current.completed_at, current.completed_by) if was_done
                                          else (self._now(), actor.id))
        else:
            completed_at = completed_by = None
        return _StoredItem(
            str(clean.kind), clean.name, str(clean.activity_type) if clean.activity_type else None,
            times.to_db(clean.starts_at), times.to_db(clean.due_at), str(clean.responsible_mode), responsible_id,
            clean.contact_id, owner_id, clean.opportunity_id, clean.description, str(clean.status),
            completed_at, completed_by)

    def create_item(self, actor: User, draft: ItemDraft, repeat: RecurrenceDraft | None = None) -> Item:
        """Create an activity or a task, repeating by ``repeat`` if given (it is occurrence 1
        of the series); raises ValidationError with every field's message."""
        access.require_writer(actor)
        clean, errors = validate_item(draft)
        rule = self._rule(clean, draft, repeat, errors)
        with self.writing(actor) as cursor:
            probe = clean or _partial(draft)
            owner_id = self._resolve(cursor, actor, probe, None, errors)
            if errors:
                raise ValidationError(errors)
            stored = self._to_store(clean, owner_id, None, actor)
            values = self._insert_item(cursor, stored, actor, actor.id, reminder=clean.reminder_minutes)
            if rule is not None:
                self._start_series(cursor, values["id"], stored, rule, draft.time_zone, actor.id,
                                   clean.reminder_minutes)
        self._committed()
        return _named(self.db.cursor(), [tuple(values[name] for name in ITEM_COLUMN_NAMES)])[0]  # as written

    def _insert_item(self, cursor, stored: _StoredItem, actor: User | None, created_by: int | None,
                     audit: dict | None = None, reminder: int | None = None) -> dict:
        """Insert an item with its reminder, its rollups and its audit row ("create", by
        ``actor``; None: the store itself, e.g. a series' next occurrence); returns the row as
        written."""
        ids = self.db.reserve_ids(cursor, {"items": 1, "audit_log": 1})
        if reminder is not None:
            cursor.execute("INSERT INTO reminders VALUES (?, ?, NULL)", [ids["items"], reminder])
            audit = {**(audit or {}), "reminder_minutes": (None, reminder)}
        now = self._now()
        values = {**asdict(stored), "id": ids["items"], "created_at": now, "created_by": created_by, "updated_at": now}
        cursor.execute(f"INSERT INTO items ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",  # sql-ok
                       list(values.values()))
        rollups.add(cursor, {+1: [tuple(values[name] for name in rollups.ITEM_FACT_COLUMNS)]},  # as written
                    self.rollup_zone(cursor))
        self._audit_each(cursor, actor, "create", "item", [ids["items"]],
                         {**{k: (None, v) for k, v in asdict(stored).items() if v not in (None, "")}, **(audit or {})},
                         first=ids["audit_log"])
        return values

    # ------------------------------------------------------------ repeating items

    def _rule(self, clean: CleanItem | None, draft: ItemDraft, repeat: RecurrenceDraft | None,
              errors: dict[str, str]) -> str | None:
        """``repeat``'s RRULE for the item (None: it does not repeat); its error joins ``errors``."""
        if repeat is None:
            return None
        if clean is not None:
            first = times.to_local(clean.starts_at, draft.time_zone).date()
        else:
            first = draft.start.date() if isinstance(draft.start, datetime) else EARLIEST_DAY
        rule, problems = recurrence.validate_recurrence(repeat, first)
        errors.update(problems)
        return rule

    def _start_series(self, cursor, item_id: int, stored: _StoredItem, rule: str, zone: str,
                      created_by: int | None, reminder: int | None) -> None:
        """Make item ``item_id`` (as ``stored``) occurrence 1 of a new series repeating by ``rule``
        in ``zone``; if it is already done, its successor comes at once."""
        series_id = self.db.next_ids(cursor, "recurrences")
        template = {"kind": stored.kind, "name": stored.name, "activity_type": stored.activity_type,
                    "seconds": int((stored.due_at - stored.starts_at).total_seconds()),
                    "responsible_mode": stored.responsible_mode, "responsible_id": stored.responsible_id,
                    "opportunity_id": stored.opportunity_id, "description": stored.description,
                    "reminder_minutes": reminder}
        first = times.to_local(stored.starts_at, zone).replace(tzinfo=None)
        cursor.execute("INSERT INTO recurrences VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                       [series_id, rule, first, zone, stored.contact_id, json.dumps(template, ensure_ascii=False),
                        stored.due_at, self._now(), created_by])
        cursor.execute("INSERT INTO occurrences VALUES (?, ?, 1)", [item_id, series_id])
        if stored.status == Status.DONE:
            self._next_occurrence(cursor, series_id, 1)

    def _next_occurrence(self, cursor, series_id: int, after: int) -> int | None:
        """Create occurrence ``after`` + 1 of a live series whose newest is ``after`` (else
        nothing: another write made it first); the series ends when its rule does, or when its
        contact is gone. Its Responsable is the template's, resolved now (a user who can no
        longer take work gives it to the contact's owner); an opportunity no longer the
        contact's is left out. Returns the new item's id."""
        row = cursor.execute("SELECT rule, first_at, time_zone, contact_id, template, last_number, created_by "
                             "FROM recurrences WHERE id = ? AND due_check_at IS NOT NULL", [series_id]).fetchone()
        if row is None or row[5] != after:
            return None
        rule, first, zone, contact_id, template, _, created_by = row
        template = json.loads(template) if isinstance(template, str) else template
        wall = recurrence.occurrence_time(rule, first, after + 1)
        owner = cursor.execute("SELECT owner_id FROM contacts WHERE id = ?", [contact_id]).fetchone()
        if wall is None or owner is None:
            cursor.execute("UPDATE recurrences SET due_check_at = NULL WHERE id = ?", [series_id])
            return None
        mode, responsible_id = template["responsible_mode"], template["responsible_id"]
        if mode == ResponsibleMode.USER:
            user = cursor.execute("SELECT active, role FROM users WHERE id = ?", [responsible_id]).fetchone()
            if user is None or not user[0] or user[1] == Role.ANALYST:
                mode = ResponsibleMode.CONTACT_OWNER
        responsible_id = {ResponsibleMode.CONTACT_OWNER: owner[0], ResponsibleMode.UNASSIGNED: None}.get(
            mode, responsible_id)
        opportunity_id = _still_the_contacts(cursor, template["opportunity_id"], contact_id)
        starts_at = times.to_db(recurrence.instant(wall, zone))
        due_at = starts_at + timedelta(seconds=template["seconds"])
        stored = _StoredItem(template["kind"], template["name"], template["activity_type"], starts_at, due_at, mode,
                             responsible_id, contact_id, owner[0], opportunity_id, template["description"],
                             str(Status.PENDING), None, None)
        item_id = self._insert_item(cursor, stored, None, created_by,
                                    {"recurrence_id": (None, series_id), "occurrence": (None, after + 1)},
                                    reminder=template.get("reminder_minutes"))["id"]
        cursor.execute("INSERT INTO occurrences VALUES (?, ?, ?)", [item_id, series_id, after + 1])
        cursor.execute("UPDATE recurrences SET last_number = ?, due_check_at = ? WHERE id = ?",
                       [after + 1, due_at, series_id])
        return item_id

    def _continue_series(self, cursor, item_ids: list[int]) -> None:
        """The items ``item_ids`` were just done or deleted: each that was the newest of a live
        series has its successor created now."""
        if not item_ids:
            return
        rows = cursor.execute(f"""SELECT o.recurrence_id, o.number FROM occurrences o
                                  JOIN recurrences r ON r.id = o.recurrence_id
                                  WHERE {one_of('o.item_id', item_ids)} AND o.number = r.last_number
                                  AND r.due_check_at IS NOT NULL ORDER BY o.recurrence_id""",  # sql-ok: placeholders
                              item_ids).fetchall()
        for series_id, number in rows:
            self._next_occurrence(cursor, series_id, number)

    def _set_reminder(self, cursor, item_id: int, minutes: int | None, moved: bool) -> tuple | None:
        """Give the item the reminder ``minutes`` before its time (None: none); one that
        fired already fires again if the item ``moved``. Returns (old, new) if it changed."""
        row = cursor.execute("SELECT minutes_before FROM reminders WHERE item_id = ?", [item_id]).fetchone()
        old = row[0] if row else None
        if minutes is None:
            cursor.execute("DELETE FROM reminders WHERE item_id = ?", [item_id])
        elif row is None:
            cursor.execute("INSERT INTO reminders VALUES (?, ?, NULL)", [item_id, minutes])
        elif old != minutes or moved:
            cursor.execute("UPDATE reminders SET minutes_before = ?, notified_at = NULL WHERE item_id = ?",
                           [minutes, item_id])
        return (old, minutes) if old != minutes else None

    def _follow_newest(self, cursor, item_id: int, due_at: datetime) -> None:
        """Item ``item_id`` moved to ``due_at``: if it is the newest of a live series, the next
        occurrence waits for its new time."""
        cursor.execute("""UPDATE recurrences SET due_check_at = ? WHERE due_check_at IS NOT NULL AND id IN (
                              SELECT o.recurrence_id FROM occurrences o
                              WHERE o.item_id = ? AND o.number = recurrences.last_number)""", [due_at, item_id])

    def _end_series_at(self, cursor, actor: User, item_id: int) -> None:
        """"This and the following": the series of ``item_id`` (if any) ends before it (its
        later pending occurrences are deleted; done ones stay as history) and the item leaves it."""
        link = cursor.execute("SELECT recurrence_id, number FROM occurrences WHERE item_id = ?", [item_id]).fetchone()
        if link is None:
            return
        series_id, number = link
        later = [row[0] for row in cursor.execute(
            """SELECT i.id FROM occurrences o JOIN items i ON i.id = o.item_id
               WHERE o.recurrence_id = ? AND o.number > ? AND i.status = 'Pendiente' ORDER BY i.id""",
            [series_id, number]).fetchall()]
        if later:
            self._record(cursor, one_of("i.id", later), later, -1, len(later))
            self._audit_each(cursor, actor, "delete", "item", later, {"recurrence_id": (series_id, None)})
            cursor.execute(f"DELETE FROM items WHERE {one_of('id', later)}", later)  # sql-ok: placeholders
            cursor.execute(f"DELETE FROM reminders WHERE {one_of('item_id', later)}", later)  # sql-ok
            cursor.execute(f"DELETE FROM occurrences WHERE {one_of('item_id', later)}", later)  # sql-ok
        cursor.execute("DELETE FROM occurrences WHERE item_id = ?", [item_id])
        cursor.execute("UPDATE recurrences SET due_check_at = NULL WHERE id = ?", [series_id])

    def advance_recurrences(self, limit: int = 1000) -> int:
        """Create the occurrences whose turn came because the time of the one before passed
        (at most ``limit``; each page run calls this, and it only reads when none is due).
        Returns how many were created."""
        now = self._now()
        (due,) = self.db.query_one("SELECT count(*) FROM recurrences WHERE due_check_at <= ?", [now])
        if not due:
            return 0
        created = 0
        with self.writing(None) as cursor:
            while created < limit:
                rows = cursor.execute("SELECT id, last_number FROM recurrences WHERE due_check_at <= ? ORDER BY id "
                                      "LIMIT 100", [now]).fetchall()
                if not rows:
                    break
                created += sum(self._next_occurrence(cursor, series_id, number) is not None
                               for series_id, number in rows)
        self._committed()
        return created

    def update_item(self, actor: User, item_id: int, draft: ItemDraft, expected: Item | None = None,
                    repeat: RecurrenceDraft | None = None, following: bool = False) -> Item:
        """Edit an item the actor can see (the "Editar" popup); status changes stamp or clear
        completion. ``expected`` is the item as the form showed it: if it changed since,
        nothing is saved (``StaleEdit``) rather than silently undoing that change.
        Only who may write on the item's contact may move it to another contact.

        Repeating: an item in no series starts one by ``repeat``. In a series, the edit is
        this occurrence's alone, or with ``following`` this one's and the following ones':
        the series ends before it and a new one (``repeat``, or none) starts from it."""
        access.require_writer(actor)
        clean, errors = validate_item(draft)
        rule = self._rule(clean, draft, repeat, errors)
        with self.writing(actor) as cursor:
            current = self._stored_row(cursor, actor, item_id)
            if current is None:
                raise NotFound(NOT_FOUND_ITEM)
            if expected is not None and _item_version(self._item_row(cursor, item_id)) != _item_version(expected):
                raise StaleEdit()
            if str(draft.kind) != current.kind:
                errors["kind"] = "No se puede convertir una actividad en tarea ni al revés."
            owner_id = self._resolve(cursor, actor, clean or _partial(draft), current, errors)
            if errors:
                raise ValidationError(errors)
            stored = self._to_store(clean, owner_id, current, actor)
            changes = {k: (getattr(current, k), v) for k, v in asdict(stored).items() if getattr(current, k) != v}
            reminder = self._set_reminder(cursor, item_id, clean.reminder_minutes, moved="starts_at" in changes)
            if reminder is not None:
                changes["reminder_minutes"] = reminder
            if changes:
                assignments = ", ".join(f"{name} = ?" for name in STORED_ITEM_FIELDS)
                self._record(cursor, "i.id = ?", [item_id], -1)
                cursor.execute(f"UPDATE items SET {assignments}, updated_at = ? WHERE id = ?",  # sql-ok
                               [*asdict(stored).values(), self._now(), item_id])
                self._record(cursor, "i.id = ?", [item_id], +1)
                action = "update"
                if "status" in changes:
                    action = "complete" if stored.status == Status.DONE else "reopen"
                self._audit(cursor, actor, action, "item", item_id, changes)
                if action == "complete":
                    self._continue_series(cursor, [item_id])
                elif "due_at" in changes:
                    self._follow_newest(cursor, item_id, stored.due_at)
            if following:
                self._end_series_at(cursor, actor, item_id)
            if rule is not None and (following or cursor.execute(
                    "SELECT 1 FROM occurrences WHERE item_id = ?", [item_id]).fetchone() is None):
                self._start_series(cursor, item_id, stored, rule, draft.time_zone, actor.id, clean.reminder_minutes)
        self._committed()
        return self.get_item(actor, item_id)

    def set_status(self, actor: User, item_ids: Iterable[int], status: Status) -> list[int]:
        """Mark items Realizada (stamping who and when) or reopen them, in one transaction.
        Every id must be visible to the actor; returns the ids whose status changed."""
        access.require_writer(actor)
        ids = list(dict.fromkeys(item_ids))
        scope, params = access.item_scope(actor)
        done = Status(status) is Status.DONE
        with self.writing(actor) as cursor:
            before = cursor.execute(f"SELECT i.id, {rollups.ITEM_FACTS} FROM items i WHERE {one_of('i.id', ids)} "  # sql-ok
                                    f"AND {scope}", [*ids, *params]).fetchall()  # sql-ok
            if len(before) != len(ids):
                raise NotFound(NOT_FOUND_ITEM)
            now = self._now()
            after = cursor.execute(
                f"""UPDATE items AS i SET status = ?, completed_at = ?, completed_by = ?, updated_at = ?
                    WHERE i.id IN (SELECT unnest(?::BIGINT[])) AND i.status <> ? RETURNING i.id, {rollups.ITEM_FACTS}""",  # sql-ok
                [str(status), now if done else None, actor.id if done else None, now, ids, str(status)]).fetchall()
            changed = {row[0] for row in after}
            zone = self.rollup_zone(cursor)  # out goes what they counted for, in what they count for
            rollups.add(cursor, {-1: [row[1:] for row in before if row[0] in changed], +1: [row[1:] for row in after]}, zone)
            changed = sorted(changed)
            self._audit_each(cursor, actor, "complete" if done else "reopen", "item", changed,
                             {"status": (str(Status.PENDING if done else Status.DONE), str(status))})
            if done:
                self._continue_series(cursor, changed)
        self._committed()
        return changed

    def reassign_items(self, actor: User, item_ids: Iterable[int], mode: str,
                       responsible_id: int | None = None) -> list[int]:
        """Give several items a new Responsable at once (all visible to the actor, or none
        changes); returns the ids whose responsible changed."""
        access.require_writer(actor)
        ids = list(dict.fromkeys(item_ids))
        try:
            mode = ResponsibleMode(mode)
        except ValueError:
            raise ValidationError({"responsible": "Responsable no válido."}) from None
        if mode is ResponsibleMode.USER:
            user = self.get_user(responsible_id) if responsible_id is not None else None
            if user is None or not user.active or user.role is Role.ANALYST:
                raise ValidationError({"responsible": RESPONSIBLE_ERROR})
        scope, params = access.item_scope(actor)
        with self.writing(actor) as cursor:
            rows = cursor.execute(
                f"""SELECT i.id, i.responsible_mode, i.responsible_id, i.contact_owner_id FROM items i
                    WHERE {one_of('i.id', ids)} AND {scope}""",  # sql-ok
                [*ids, *params]).fetchall()
            if len(rows) != len(ids):
                raise NotFound(NOT_FOUND_ITEM)
            now = self._now()
            planned = []
            for item_id, old_mode, old_responsible, owner_id in sorted(rows):
                new_responsible = {ResponsibleMode.CONTACT_OWNER: owner_id, ResponsibleMode.USER: responsible_id,
                                   ResponsibleMode.UNASSIGNED: None}[mode]
                if (old_mode, old_responsible) != (mode, new_responsible):
                    planned.append((item_id, old_mode, old_responsible, new_responsible))
            changed = [item_id for item_id, *_ in planned]
            self._record(cursor, one_of("i.id", changed), changed, -1, len(changed))
            for item_id, old_mode, old_responsible, new_responsible in planned:
                cursor.execute("UPDATE items SET responsible_mode = ?, responsible_id = ?, updated_at = ? WHERE id = ?",
                               [str(mode), new_responsible, now, item_id])
                self._audit(cursor, actor, "update", "item", item_id,
                            {"responsible_mode": (old_mode, str(mode)), "responsible_id": (old_responsible, new_responsible)})
            self._record(cursor, one_of("i.id", changed), changed, +1, len(changed))
        self._committed()
        return changed

    def reschedule(self, actor: User, item_id: int, start: datetime, zone: str) -> Item:
        """Move an item to ``start`` (wall clock in ``zone``, or an instant), an activity keeping
        its length: "Posponer" and the calendar's drag. Who may edit the item may move it."""
        access.require_writer(actor)
        errors: dict[str, str] = {}
        starts_at = form_instant(start, zone, "start", errors)
        if errors:
            raise ValidationError(errors)
        with self.writing(actor) as cursor:
            current = self._stored_row(cursor, actor, item_id)
            if current is None:
                raise NotFound(NOT_FOUND_ITEM)
            starts_at = times.to_db(starts_at)
            due_at = starts_at + (current.due_at - current.starts_at)
            if problem := instant_error(times.from_db(due_at)):
                raise ValidationError({"start": problem})
            if (starts_at, due_at) != (current.starts_at, current.due_at):
                self._record(cursor, "i.id = ?", [item_id], -1)
                cursor.execute("UPDATE items SET starts_at = ?, due_at = ?, updated_at = ? WHERE id = ?",
                               [starts_at, due_at, self._now(), item_id])
                self._record(cursor, "i.id = ?", [item_id], +1)
                self._audit(cursor, actor, "update", "item", item_id,
                            {"starts_at": (current.starts_at, starts_at), "due_at": (current.due_at, due_at)})
                self._follow_newest(cursor, item_id, due_at)
                cursor.execute("UPDATE reminders SET notified_at = NULL WHERE item_id = ?", [item_id])
        self._committed()
        return self.get_item(actor, item_id)

    def complete_item(self, actor: User, item_id: int) -> Item:
        self.set_status(actor, [item_id], Status.DONE)
        return self.get_item(actor, item_id)

    def reopen_item(self, actor: User, item_id: int) -> Item:
        self.set_status(actor, [item_id], Status.PENDING)
        return self.get_item(actor, item_id)

    def delete_item(self, actor: User, item_id: int, following: bool = False) -> None:
        """Delete an item: only who may write on its contact (a seller who is merely its
        responsible on someone else's contact may complete or edit it, not delete it). In a
        series, the series goes on without it, or with ``following`` ends here (its later
        pending occurrences go too)."""
        access.require_writer(actor)
        scope, params = access.item_scope(actor)
        with self.writing(actor) as cursor:
            # the whole row and its place in a series: what "Deshacer" puts back (restore_item)
            row = cursor.execute(f"SELECT {ITEM_COLUMNS} FROM items i WHERE i.id = ? AND {scope}",  # sql-ok: access
                                 [item_id, *params]).fetchone()
            if row is None:
                raise NotFound(NOT_FOUND_ITEM)
            if not access.may_create_items_on(actor, row[ITEM_COLUMN_NAMES.index("contact_owner_id")]):
                raise PermissionDenied(DELETE_DENIED)
            link = cursor.execute("SELECT recurrence_id, number FROM occurrences WHERE item_id = ?", [item_id]).fetchone()
            reminder = cursor.execute("SELECT minutes_before FROM reminders WHERE item_id = ?", [item_id]).fetchone()
            cursor.execute("DELETE FROM reminders WHERE item_id = ?", [item_id])
            if following:
                self._end_series_at(cursor, actor, item_id)
            else:
                self._continue_series(cursor, [item_id])
                cursor.execute("DELETE FROM occurrences WHERE item_id = ?", [item_id])
            self._record(cursor, "i.id = ?", [item_id], -1)
            cursor.execute("DELETE FROM items WHERE id = ?", [item_id])
            kept = dict(zip(ITEM_COLUMN_NAMES, row)) | (dict(zip(("recurrence_id", "occurrence"), link)) if link else {})
            kept["reminder_minutes"] = reminder[0] if reminder else None
            self._audit(cursor, actor, "delete", "item", item_id,
                        {k: (v, None) for k, v in kept.items() if v not in (None, "") and k != "id"})
        self._committed()

    def restore_item(self, actor: User, item_id: int) -> Item:
        """"Deshacer": put back the item ``actor`` deleted less than ``UNDO_WINDOW`` ago, as it
        was (same id, stamps and place in its series, its history kept, plus a "create" row
        saying it was restored), if its contact is still there and theirs to write on."""
        access.require_writer(actor)
        with self.writing(actor) as cursor:
            found = cursor.execute("""SELECT id, occurred_at, changes FROM audit_log WHERE entity = 'item' AND entity_id = ?
                                      AND action = 'delete' AND actor_id = ? ORDER BY id DESC LIMIT 1""",
                                   [item_id, actor.id]).fetchone()
            if found is None or found[1] < self._now() - UNDO_WINDOW:
                raise NotFound(f"Ya no se puede deshacer: pasaron más de {UNDO_WINDOW.seconds // 60} minutos.")
            if cursor.execute("SELECT 1 FROM items WHERE id = ?", [item_id]).fetchone() is not None:
                raise NotFound("Ya está restaurada.")
            changes = found[2] if isinstance(found[2], dict) else json.loads(found[2])
            values = {name: changes.get(name, [None])[0] for name in ITEM_COLUMN_NAMES}
            values.update(id=item_id, description=values["description"] or "")
            for name in ("starts_at", "due_at", "completed_at", "created_at", "updated_at"):
                values[name] = datetime.fromisoformat(values[name]) if values[name] else None
            owner = cursor.execute("SELECT owner_id FROM contacts WHERE id = ?", [values["contact_id"]]).fetchone()
            if owner is None:
                raise NotFound("No se puede deshacer: el contacto ya no existe.")
            if not access.may_create_items_on(actor, owner[0]):
                raise PermissionDenied(DELETE_DENIED)
            values["contact_owner_id"] = owner[0]  # the contact's owner now, and so its responsible in that mode
            if values["responsible_mode"] == ResponsibleMode.CONTACT_OWNER:
                values["responsible_id"] = owner[0]
            values["opportunity_id"] = _still_the_contacts(cursor, values["opportunity_id"], values["contact_id"])
            cursor.execute(f"INSERT INTO items ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",  # sql-ok
                           list(values.values()))
            self._record(cursor, "i.id = ?", [item_id], +1)
            series, number = changes.get("recurrence_id", [None])[0], changes.get("occurrence", [None])[0]
            if series is not None and cursor.execute(
                    "SELECT 1 FROM recurrences r WHERE r.id = ? AND NOT EXISTS (SELECT 1 FROM occurrences o "
                    "WHERE o.recurrence_id = r.id AND o.number = ?)", [series, number]).fetchone() is not None:
                cursor.execute("INSERT INTO occurrences VALUES (?, ?, ?)", [item_id, series, number])
            if (minutes := changes.get("reminder_minutes", [None])[0]) is not None:
                cursor.execute("INSERT INTO reminders VALUES (?, ?, NULL)", [item_id, minutes])
            self._audit(cursor, actor, "create", "item", item_id, {"restored_from": (None, found[0])})
        self._committed()
        return self.get_item(actor, item_id)

    # ------------------------------------------------------------ goals

    def goals(self, viewer: User) -> list[Goal]:
        """The goals ``viewer`` may see (a seller: their own), by user name, period, measure."""
        mine = viewer.role is Role.SELLER
        rows = self.db.query(
            f"""SELECT g.user_id, u.name, g.period, g.measure, g.target FROM goals g JOIN users u ON u.id = g.user_id
                WHERE {'g.user_id = ?' if mine else 'TRUE'} AND u.active
                ORDER BY u.name COLLATE es, g.user_id""",  # sql-ok: fixed fragments
            [viewer.id] if mine else [])
        goals = [Goal(*row) for row in rows]
        people: dict[int, int] = {}  # each user's place in the name order
        for goal in goals:
            people.setdefault(goal.user_id, len(people))
        return sorted(goals, key=lambda g: (people[g.user_id], GOAL_PERIODS.index(g.period),
                                            GOAL_MEASURES.index(g.measure)))

    def set_goal(self, actor: User, user_id: int, period: str, measure: str, target: int | None) -> None:
        """An administrator sets (or, with ``target`` None, removes) a user's goal; audited on
        that user."""
        access.require_admin(actor, "fijar metas")
        errors = {}
        if period not in GOAL_PERIODS:
            errors["period"] = "Periodo no válido: Semana o Mes."
        if measure not in GOAL_MEASURES:
            errors["measure"] = "Meta no válida: " + ", ".join(GOAL_MEASURES) + "."
        if target is not None and (isinstance(target, bool) or not isinstance(target, int)
                                   or not 1 <= target <= GOAL_MAX):
            errors["target"] = f"La meta es un número entero del 1 al {format_int(GOAL_MAX)}."
        if errors:
            raise ValidationError(errors)
        with self.writing(actor) as cursor:
            person = cursor.execute("SELECT active, role FROM users WHERE id = ?", [user_id]).fetchone()
            if person is None or not person[0] or person[1] == Role.ANALYST:
                raise ValidationError({"user": "Elige un usuario activo que pueda tener actividades y tareas."})
            row = cursor.execute("SELECT target FROM goals WHERE user_id = ? AND period = ? AND measure = ?",
                                 [user_id, period, measure]).fetchone()
            old = row[0] if row else None
            if old == target:
                return
            cursor.execute("DELETE FROM goals WHERE user_id = ? AND period = ? AND measure = ?", [user_id, period, measure])
            if target is not None:
                cursor.execute("INSERT INTO goals VALUES (?, ?, ?, ?, ?, ?)",
                               [user_id, period, measure, target, self._now(), actor.id])
            self._audit(cursor, actor, "update", "user", user_id, {f"meta {measure} por {period.lower()}": (old, target)})
        self._committed()

    # ------------------------------------------------------------ audit and integrity

    def audit_trail(self, user: User, entity: str, entity_id: int) -> list[AuditEntry]:
        """The history of one item or contact, oldest first, if ``user`` may see it."""
        visible = {"item": self.get_item, "contact": self.get_contact}.get(entity)
        if user.role is not Role.ADMIN and (visible is None or visible(user, entity_id) is None):
            return []
        rows = self.db.query("SELECT id, occurred_at, actor_id, action, entity, entity_id, changes FROM audit_log "
                             "WHERE entity = ? AND entity_id = ? ORDER BY id", [entity, entity_id])
        return [AuditEntry(r[0], times.from_db(r[1]), r[2], r[3], r[4], r[5], json.loads(r[6])) for r in rows]

    def names_of(self, ids: dict[str, Iterable[int]]) -> dict[tuple[str, int], str]:
        """Names by (table, id) of the ``ids`` per table (users, contacts, companies,
        opportunities), as a history shows them; ids gone are left out."""
        reads = [_by_ids(f"SELECT '{table}', id, name FROM {table}", "id", wanted)  # sql-ok: our names
                 for table in ("users", "contacts", "companies", "opportunities")
                 if (wanted := sorted({key for key in ids.get(table, ()) if isinstance(key, int)}))]
        return _labelled(self.db.cursor(), reads)

    def integrity_problems(self) -> list[str]:
        """References the schema cannot enforce (see migrations/001): each broken one, described."""
        checks = {
            "items without their contact": """SELECT count(*) FROM items i
                WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = i.contact_id)""",
            "items whose contact owner is stale": """SELECT count(*) FROM items i JOIN contacts c ON c.id = i.contact_id
                WHERE i.contact_owner_id IS DISTINCT FROM c.owner_id""",
            "items whose opportunity is another contact's": """SELECT count(*) FROM items i
                LEFT JOIN opportunities o ON o.id = i.opportunity_id
                WHERE i.opportunity_id IS NOT NULL AND o.contact_id IS DISTINCT FROM i.contact_id""",
            "items with an unknown responsible": """SELECT count(*) FROM items i
                WHERE i.responsible_id IS NOT NULL AND i.responsible_id NOT IN (SELECT id FROM users)""",
            "occurrences without their item": """SELECT count(*) FROM occurrences o
                WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = o.item_id)""",
            "reminders without their item": """SELECT count(*) FROM reminders r
                WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = r.item_id)""",
            "occurrences without their series": """SELECT count(*) FROM occurrences o
                WHERE NOT EXISTS (SELECT 1 FROM recurrences r WHERE r.id = o.recurrence_id)""",
            "opportunities without their contact": """SELECT count(*) FROM opportunities o
                WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = o.contact_id)""",
            "contacts with an unknown owner": """SELECT count(*) FROM contacts c
                WHERE c.owner_id IS NOT NULL AND c.owner_id NOT IN (SELECT id FROM users)""",
            # only an import from before the 1970-2100 rule could have stored these
            "items dated outside 1970-2100": """SELECT count(*) FROM items i
                WHERE i.starts_at < TIMESTAMP '1970-01-01' OR i.due_at >= TIMESTAMP '2101-01-01'""",
        }
        problems = []
        for description, sql in checks.items():
            (count,) = self.db.query_one(sql)
            if count:
                problems.append(f"{count} {description}")
        return problems

    def is_demo(self) -> bool:
        row = self.db.query_one("SELECT value FROM meta WHERE key = 'demo'")
        return bool(row and row[0] == "true")

    def is_empty(self) -> bool:
        (count,) = self.db.query_one("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM contacts)")
        return count == 0


def _still_the_contacts(cursor, opportunity_id: int | None, contact_id: int) -> int | None:
    """``opportunity_id`` if it still exists on ``contact_id``, else None (it is left out)."""
    if opportunity_id is None:
        return None
    found = cursor.execute("SELECT 1 FROM opportunities WHERE id = ? AND contact_id = ?", [opportunity_id, contact_id])
    return opportunity_id if found.fetchone() is not None else None


def _partial(draft: ItemDraft) -> CleanItem:
    """The references of a draft that failed the pure rules, so the database checks can
    still report their own errors in the same response."""
    mode = draft.responsible_mode if draft.responsible_mode in ResponsibleMode._value2member_map_ else None
    return CleanItem(Kind.ACTIVITY, "", draft.contact_id, None, None, None,
                     ResponsibleMode(mode) if mode else ResponsibleMode.UNASSIGNED,
                     draft.responsible_id, draft.opportunity_id, "", Status.PENDING)
