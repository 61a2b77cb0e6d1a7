"""The product's vocabulary: roles, item kinds and options, records, and validation.

Option values are the spec's own Spanish words (they are what users read and what the
export writes); identifiers stay English. Validation is pure: it returns *every* field
error at once as ``{field: Spanish message}`` so a form can show each next to its field.
Checks that need the database (does the contact exist, is the user active) live in
``store``, which merges its errors with these before writing anything.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from escala import times

NAME_MAX = 200
DESCRIPTION_MAX = 5000
PASSWORD_MIN = 8

# The one range of instants Escala accepts, on every path (forms, import, CLI, URL filters):
# from 1970-01-01 00:00 UTC up to, not including, 2101-01-01 00:00 UTC. Anything outside is
# a typo or an attack, and some of it (year 10000, "infinity") breaks date arithmetic.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2101, 1, 1, tzinfo=UTC)  # exclusive
EARLIEST_DAY = date(1970, 1, 2)  # calendar days whose whole span is inside the range in every zone
LATEST_DAY = date(2100, 12, 30)
RANGE_MESSAGE = "La fecha debe estar entre 1970 y 2100."

# Characters no text field accepts: C0/C1 controls (tab and line breaks only in long text)
# and the bidirectional overrides, embeddings and isolates that make "factura\u202Efdp.exe"
# read as "factura exe.pdf". The same sets, as RE2 classes, check imported files in SQL.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BIDI = "\u202a-\u202e\u2066-\u2069"
FORBIDDEN_CHARS = re.compile(f"[{_CONTROLS}\t\n\r{_BIDI}]")
FORBIDDEN_CHARS_MULTILINE = re.compile(f"[{_CONTROLS}{_BIDI}]")
FORBIDDEN_SQL = "[\\x00-\\x1f\\x7f-\\x9f\\x{202a}-\\x{202e}\\x{2066}-\\x{2069}]"
FORBIDDEN_SQL_MULTILINE = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\x{202a}-\\x{202e}\\x{2066}-\\x{2069}]"
VISIBLE_SQL = "[^\\p{Z}\\p{C}\\p{M}\\x{115f}\\x{1160}\\x{3164}\\x{ffa0}]"  # a name needs one letter, digit, mark of punctuation or symbol
FORBIDDEN_MESSAGE = "contiene caracteres de control o de dirección de texto no permitidos."


class Role(StrEnum):
    ADMIN = "admin"
    SELLER = "seller"
    ANALYST = "analyst"

    @property
    def label(self) -> str:
        return {"admin": "Administrador", "seller": "Vendedor", "analyst": "Analista"}[self.value]


class Kind(StrEnum):
    ACTIVITY = "Actividad"
    TASK = "Tarea"


class ActivityType(StrEnum):
    WEBINAR = "Webinar"
    EVENT = "Evento"
    CALL = "Llamada"
    MEETING = "Reunión"
    OTHER = "Otro"


class Status(StrEnum):
    PENDING = "Pendiente"
    DONE = "Realizada"


class ResponsibleMode(StrEnum):
    CONTACT_OWNER = "Dueño del contacto"
    USER = "Un usuario específico"
    UNASSIGNED = "No asignar"


class Stage(StrEnum):
    PROSPECT = "Prospecto"
    QUALIFIED = "Calificada"
    PROPOSAL = "Propuesta"
    NEGOTIATION = "Negociación"
    WON = "Ganada"
    LOST = "Perdida"


class ValidationError(Exception):
    """Bad input: ``errors`` maps each field to its Spanish message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = dict(errors)


class PermissionDenied(Exception):
    """The user may not do this write; the message is Spanish and shown as is."""


class NotFound(Exception):
    """The record does not exist *for this user*: forbidden rows look exactly like missing ones."""


SESSION_ENDED = "Tu sesión terminó; vuelve a ingresar."
STALE_MESSAGE = "Otra persona cambió esto mientras lo editabas; revisa y guarda de nuevo."


class SessionEnded(PermissionDenied):
    """The browser session behind a write was signed out, expired or its user switched off."""

    def __init__(self, message: str = SESSION_ENDED):
        super().__init__(message)


class StaleEdit(Exception):
    """The record changed since the form was opened: saving would silently undo that change."""

    def __init__(self, message: str = STALE_MESSAGE):
        super().__init__(message)


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class User:
    id: int
    name: str
    email: str
    role: Role
    active: bool = True
    time_zone: str = field(default_factory=times.default_zone)
    password_allowed: bool = True  # False: only the company's single sign-on opens Escala
    reminder_minutes: int | None = 15  # what a new item's Recordatorio starts from (None: none)
    # The browser session this user object came from (None at the command line): every
    # write re-checks it inside its transaction, so a signed-out tab cannot write.
    session_id: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Contact:
    id: int
    name: str
    email: str | None
    phone: str | None
    company_id: int | None
    company_name: str | None
    owner_id: int | None
    owner_name: str | None
    created_at: datetime
    updated_at: datetime | None = None  # the version an edit form started from


@dataclass(frozen=True)
class ContactSummary:
    """A row of the Contactos list: the contact and its pending work."""

    id: int
    name: str
    email: str | None
    company_name: str | None
    owner_name: str | None
    pending_activities: int
    pending_tasks: int
    overdue: int
    next_due_at: datetime | None
    next_due_name: str | None


@dataclass(frozen=True)
class Opportunity:
    id: int
    name: str
    contact_id: int
    stage: Stage
    amount: float


@dataclass(frozen=True)
class Item:
    """An activity or a task as stored; instants are timezone-aware UTC."""

    id: int
    kind: Kind
    name: str
    activity_type: ActivityType | None
    starts_at: datetime  # Desde, or the task's Fecha
    due_at: datetime  # Hasta, or the task's Fecha
    responsible_mode: ResponsibleMode
    responsible_id: int | None  # resolved: the contact's current owner in that mode
    responsible_name: str | None
    contact_id: int
    contact_name: str
    opportunity_id: int | None
    opportunity_name: str | None
    description: str
    status: Status
    completed_at: datetime | None
    completed_by: int | None
    created_at: datetime
    created_by: int | None
    updated_at: datetime
    contact_owner_id: int | None = None  # who may open the contact (a seller only their own)
    recurrence_rule: str | None = None  # its series' RRULE (escala.recurrence), if it repeats
    reminder_minutes: int | None = None  # Recordatorio: minutes before its time (REMINDERS), None: none

    def is_overdue(self, now: datetime) -> bool:
        """Vencida: still pending after its time (Hasta for an activity, Fecha for a task)."""
        return self.status is Status.PENDING and self.due_at < now

    def days_overdue(self, now: datetime, zone: str) -> int | None:
        """Calendar days late in the viewer's zone (0 = due earlier today); None if not overdue."""
        if not self.is_overdue(now):
            return None
        return times.calendar_days_between(self.due_at, now, zone)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: int | None
    action: str
    entity: str
    entity_id: int
    changes: dict


def next_business_day(day: date) -> date:
    """The first Monday-to-Friday day after ``day``."""
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


FOLLOW_UP_PREFIX = "Seguimiento: "


@dataclass(frozen=True)
class FollowUp:
    """What "¿Y ahora qué sigue?" offers after ``item`` is done: the same contact, opportunity,
    type and Responsable, one business day after today at the item's own time of day (wall
    clock in the user's zone; an activity keeps its length)."""

    kind: Kind
    name: str
    activity_type: ActivityType | None
    start: datetime  # naive, in the user's zone
    end: datetime | None
    responsible_mode: ResponsibleMode
    responsible_id: int | None
    contact_id: int
    opportunity_id: int | None


def follow_up(item: Item, now: datetime, zone: str) -> FollowUp:
    day = next_business_day(times.to_local(now, zone).date())
    start = datetime.combine(day, times.to_local(item.starts_at, zone).time().replace(second=0, microsecond=0))
    end = start + (item.due_at - item.starts_at) if item.kind is Kind.ACTIVITY else None
    name = item.name if item.name.startswith(FOLLOW_UP_PREFIX) else FOLLOW_UP_PREFIX + item.name
    return FollowUp(item.kind, name[:200].rstrip(), item.activity_type, start, end, item.responsible_mode,
                    item.responsible_id, item.contact_id, item.opportunity_id)


SNOOZE_OPTIONS = ("+1 h", "Mañana 9:00", "Próxima semana")


def snooze_start(option: str, starts_at: datetime, now: datetime, zone: str) -> datetime:
    """Where "Posponer" moves an item starting at ``starts_at`` (wall clock in ``zone``):
    an hour after its time or after now, whichever is later; tomorrow at 09:00; or next
    Monday at 09:00."""
    today = times.to_local(now, zone).date()
    if option == SNOOZE_OPTIONS[0]:
        later = max(starts_at, now) + timedelta(hours=1)
        return times.to_local(later, zone).replace(tzinfo=None, second=0, microsecond=0)
    if option == SNOOZE_OPTIONS[1]:
        day = today + timedelta(days=1)
    elif option == SNOOZE_OPTIONS[2]:
        day = today + timedelta(days=7 - today.weekday())
    else:
        raise ValidationError({"start": "Elige cuánto posponer: " + ", ".join(SNOOZE_OPTIONS) + "."})
    return datetime(day.year, day.month, day.day, 9, 0)


GOAL_PERIODS = ("Semana", "Mes")
# each goal measure and the types it counts (an activity's Tipo, or "Tarea"): Actividades, any type
GOAL_TYPES = {"Actividades": tuple(t.value for t in ActivityType), **{t.value: (t.value,) for t in ActivityType},
              "Tareas": ("Tarea",)}
GOAL_MEASURES = tuple(GOAL_TYPES)
GOAL_MAX = 100_000


@dataclass(frozen=True)
class Goal:
    """What a user should complete per week or month: ``target`` items of ``measure``."""

    user_id: int
    user_name: str
    period: str
    measure: str
    target: int


# ---------------------------------------------------------------- drafts and validation


@dataclass(frozen=True)
class ItemDraft:
    """What a form (or the CLI, or an import) submits for an activity or a task.

    ``start``/``end`` are wall-clock times in ``time_zone`` (naive) or aware instants.
    Tasks use ``start`` alone (their Fecha).
    """

    kind: Kind
    name: str
    contact_id: int | None
    start: datetime | None
    end: datetime | None = None
    activity_type: str | None = None
    responsible_mode: str = ResponsibleMode.CONTACT_OWNER
    responsible_id: int | None = None
    opportunity_id: int | None = None
    description: str = ""
    status: str = Status.PENDING
    time_zone: str = field(default_factory=times.default_zone)
    reminder_minutes: int | None = None  # Recordatorio: minutes before its time (REMINDERS), None: none


@dataclass(frozen=True)
class CleanItem:
    """A draft that passed the pure rules: trimmed text, enums, UTC instants."""

    kind: Kind
    name: str
    contact_id: int
    starts_at: datetime
    due_at: datetime
    activity_type: ActivityType | None
    responsible_mode: ResponsibleMode
    responsible_id: int | None
    opportunity_id: int | None
    description: str
    status: Status
    reminder_minutes: int | None = None


# Recordatorio: minutes before the item's time (Desde, or the task's Fecha), as the form says them
REMINDERS = {None: "Sin recordatorio", 0: "A la hora", 15: "15 minutos antes", 60: "1 hora antes",
             1440: "1 día antes"}


def reminder_error(minutes) -> str | None:
    """The Spanish message when ``minutes`` is not one of the Recordatorio choices, else None."""
    if isinstance(minutes, bool) or minutes not in REMINDERS:
        return "Recordatorio no válido: " + ", ".join(REMINDERS.values()) + "."
    return None


_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")  # Hangul fillers: letters that draw nothing


def has_visible_character(value: str) -> bool:
    """True if ``value`` shows something: a letter, digit, punctuation or symbol (not only
    spaces, zero-width or other invisible characters)."""
    return any(unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK_LETTERS for ch in value)


def text_error(value: str, label: str, maximum: int, required: bool, multiline: bool = False) -> str | None:
    """The one rule for user text: length, no control or bidi-override characters (tab and
    line breaks allowed in ``multiline`` text), and a required value must show something."""
    if len(value) > maximum:
        return f"{label} admite como máximo {format_int(maximum)} caracteres (tiene {format_int(len(value))})."
    if (FORBIDDEN_CHARS_MULTILINE if multiline else FORBIDDEN_CHARS).search(value):
        return f"{label} {FORBIDDEN_MESSAGE}"
    if required and not has_visible_character(value):
        return f"{label} es obligatorio."
    return None



def format_int(value: int) -> str:
    """Whole numbers as in es-MX: 2,670."""
    return f"{value:,}"


def plural(count: int, one: str, many: str) -> str:
    """"1 tarea", "2 tareas", "1,204 tareas"."""
    return f"{format_int(count)} {one if count == 1 else many}"


ID_MAX = 2**31 - 1  # users, contacts and opportunities are INTEGER; items share the bound in links


def parse_id(text) -> int | None:
    """A record id from a URL or a form: ASCII digits only ("²" and "١" are digits to
    ``str.isdigit``), 1 to ID_MAX; anything else is None."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{1,10}", text.strip()):
        return None
    value = int(text.strip())
    return value if 1 <= value <= ID_MAX else None


def parse_day(text) -> date | None:
    """An ISO day (AAAA-MM-DD) inside Escala's range, or None."""
    try:
        day = date.fromisoformat(text) if isinstance(text, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None
    return day if day is not None and day_in_range(day) else None


def instant_error(instant: datetime | None) -> str | None:
    """``RANGE_MESSAGE`` when an aware instant is outside Escala's range, else None."""
    if instant is not None and not EARLIEST <= instant < LATEST:
        return RANGE_MESSAGE
    return None


def day_in_range(day: date | None) -> bool:
    return day is None or EARLIEST_DAY <= day <= LATEST_DAY


def _enum_or_none(enum: type[StrEnum], value) -> StrEnum | None:
    try:
        return enum(value)
    except ValueError:
        return None


def form_instant(moment, zone: str, field_name: str, errors: dict[str, str]) -> datetime | None:
    """A form's wall-clock time (or an aware instant) as UTC, or its error under ``field_name``."""
    if not isinstance(moment, datetime):
        errors[field_name] = "Fecha y hora no válidas."
        return None
    if moment.tzinfo is None and not times.is_valid_zone(zone):
        errors[field_name] = "Zona horaria desconocida para interpretar la hora (ejemplo: America/Mexico_City)."
        return None
    if moment.tzinfo is None and not (EARLIEST_DAY <= moment.date() <= LATEST_DAY):
        errors[field_name] = RANGE_MESSAGE  # before the zone arithmetic, which overflows near year 1 and 9999
        return None
    try:
        instant = times.to_utc(moment, zone)
    except times.NonexistentTime as gap:
        errors[field_name] = str(gap)
        return None
    except (OverflowError, ValueError):
        errors[field_name] = RANGE_MESSAGE
        return None
    if problem := instant_error(instant):
        errors[field_name] = problem
        return None
    return instant


def validate_item(draft: ItemDraft) -> tuple[CleanItem | None, dict[str, str]]:
    """Apply every rule that needs no database; return the clean item or all field errors."""
    errors: dict[str, str] = {}
    kind = _enum_or_none(Kind, draft.kind)
    if kind is None:
        return None, {"kind": "Clase no válida: Actividad o Tarea."}

    name = (draft.name or "").strip()
    if problem := text_error(name, "El nombre", NAME_MAX, required=True):
        errors["name"] = problem

    activity_type = None
    if kind is Kind.ACTIVITY:
        if not draft.activity_type:
            errors["activity_type"] = "Elige el tipo de actividad."
        elif (activity_type := _enum_or_none(ActivityType, draft.activity_type)) is None:
            errors["activity_type"] = "Tipo no válido: elige Webinar, Evento, Llamada, Reunión u Otro."
    elif draft.activity_type:
        errors["activity_type"] = "Las tareas no tienen tipo."

    starts_at = due_at = None
    if draft.start is None:
        errors["start"] = ("Indica desde cuándo (fecha y hora)." if kind is Kind.ACTIVITY
                           else "Indica la fecha y la hora.")
    else:
        starts_at = form_instant(draft.start, draft.time_zone, "start", errors)
    if kind is Kind.ACTIVITY:
        if draft.end is None:
            errors["end"] = "Indica hasta cuándo (fecha y hora)."
        else:
            due_at = form_instant(draft.end, draft.time_zone, "end", errors)
        if starts_at and due_at and due_at < starts_at:
            errors["end"] = "Hasta no puede ser anterior a Desde."
    else:
        due_at = starts_at

    mode = _enum_or_none(ResponsibleMode, draft.responsible_mode)
    responsible_id = None
    if mode is None:
        errors["responsible"] = "Responsable no válido: Dueño del contacto, Un usuario específico o No asignar."
    elif mode is ResponsibleMode.USER:
        if draft.responsible_id is None:
            errors["responsible"] = "Elige el usuario responsable."
        responsible_id = draft.responsible_id

    if draft.contact_id is None:
        errors["contact"] = "El contacto es obligatorio."

    description = (draft.description or "").strip()
    if problem := text_error(description, "La descripción", DESCRIPTION_MAX, required=False, multiline=True):
        errors["description"] = problem

    status = _enum_or_none(Status, draft.status)
    if status is None:
        errors["status"] = "Estatus no válido: elige Pendiente o Realizada."

    reminder = draft.reminder_minutes
    if problem := reminder_error(reminder):
        errors["reminder"] = problem

    if errors:
        return None, errors
    return CleanItem(kind, name, draft.contact_id, starts_at, due_at, activity_type, mode,
                     responsible_id, draft.opportunity_id, description, status, reminder), {}


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 ()\-.]{6,25}$")


def normalize_email(email: str | None) -> str:
    """Emails compare case-insensitively: we keep them trimmed and lower-case."""
    return (email or "").strip().lower()


def email_error(email: str, required: bool) -> str | None:
    if not email:
        return "El correo electrónico es obligatorio." if required else None
    if len(email) > 254 or not EMAIL_RE.match(email) or FORBIDDEN_CHARS.search(email):
        return "Correo electrónico no válido (ejemplo: nombre@empresa.com)."
    return None


@dataclass(frozen=True)
class ContactDraft:
    name: str
    email: str = ""
    phone: str = ""
    company: str = ""
    owner_id: int | None = None


def validate_contact(draft: ContactDraft) -> tuple[ContactDraft | None, dict[str, str]]:
    errors: dict[str, str] = {}
    name = (draft.name or "").strip()
    email = normalize_email(draft.email)
    phone = (draft.phone or "").strip()
    company = (draft.company or "").strip()
    if problem := text_error(name, "El nombre", NAME_MAX, required=True):
        errors["name"] = problem
    if problem := email_error(email, required=False):
        errors["email"] = problem
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = "Teléfono no válido: usa dígitos, espacios, +, -, ( )."
    if problem := text_error(company, "El nombre de la empresa", NAME_MAX, required=bool(company)):
        errors["company"] = problem
    if errors:
        return None, errors
    return ContactDraft(name, email, phone, company, draft.owner_id), {}


@dataclass(frozen=True)
class OpportunityDraft:
    name: str
    contact_id: int | None
    stage: str = Stage.PROSPECT
    amount: float | str | None = 0


def validate_opportunity(draft: OpportunityDraft) -> tuple[OpportunityDraft | None, dict[str, str]]:
    errors: dict[str, str] = {}
    name = (draft.name or "").strip()
    if problem := text_error(name, "El nombre", NAME_MAX, required=True):
        errors["name"] = problem
    if draft.contact_id is None:
        errors["contact"] = "El contacto es obligatorio."
    stage = _enum_or_none(Stage, draft.stage)
    if stage is None:
        errors["stage"] = "Etapa no válida: " + ", ".join(Stage) + "."
    amount = None
    try:
        amount = round(float(draft.amount or 0), 2)
        if not 0 <= amount < 1e12:
            raise ValueError
    except (TypeError, ValueError):
        errors["amount"] = "El monto debe ser un número entre 0 y 999.999.999.999."
    if errors:
        return None, errors
    return OpportunityDraft(name, draft.contact_id, stage, amount), {}


@dataclass(frozen=True)
class UserDraft:
    name: str
    email: str
    role: str
    password: str | None = None
    time_zone: str = field(default_factory=times.default_zone)
    password_allowed: bool = True


def validate_user(draft: UserDraft, password_required: bool = True) -> tuple[UserDraft | None, dict[str, str]]:
    errors: dict[str, str] = {}
    name = (draft.name or "").strip()
    email = normalize_email(draft.email)
    if problem := text_error(name, "El nombre", NAME_MAX, required=True):
        errors["name"] = problem
    if problem := email_error(email, required=True):
        errors["email"] = problem
    role = _enum_or_none(Role, draft.role)
    if role is None:
        errors["role"] = "Rol no válido: admin (Administrador), seller (Vendedor) o analyst (Analista)."
    if draft.password is None:
        if password_required and draft.password_allowed:  # a company-sign-on-only user needs none
            errors["password"] = "La contraseña es obligatoria."
    elif len(draft.password) < PASSWORD_MIN:
        errors["password"] = f"La contraseña debe tener al menos {PASSWORD_MIN} caracteres."
    if not times.is_valid_zone(draft.time_zone):
        errors["time_zone"] = f"Zona horaria desconocida: {draft.time_zone!r} (ejemplo: America/Mexico_City)."
    if errors:
        return None, errors
    return UserDraft(name, email, role, draft.password, draft.time_zone, bool(draft.password_allowed)), {}


def default_activity_window(now: datetime, zone: str) -> tuple[datetime, datetime]:
    """Form defaults: Desde = the next full hour in the user's zone, Hasta = one hour later."""
    local = times.to_local(now, zone).replace(tzinfo=None)
    start = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return start, start + timedelta(hours=1)


def default_task_time(now: datetime, zone: str) -> datetime:
    """Form default: Fecha = tomorrow at 09:00 in the user's zone."""
    tomorrow: date = times.to_local(now, zone).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 0)
