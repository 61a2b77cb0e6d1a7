"""The product's vocabulary: roles, item kinds and options, records, and validation.

Option values are the spec's own Spanish words (they are what users read and what the
export writes); identifiers stay English. Validation is pure: it returns *every* field
error at once as ``{field: Spanish message}`` so a form can show each next to its field.
Checks that need the database (does the contact exist, is the user active) live in
``store``, which merges its errors with these before writing anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from escala import times

NAME_MAX = 200
DESCRIPTION_MAX = 5000
PASSWORD_MIN = 8


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


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class User:
    id: int
    name: str
    email: str
    role: Role
    active: bool = True
    time_zone: str = field(default_factory=times.default_zone)


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


def _text_error(value: str, label: str, maximum: int, required: bool) -> str | None:
    if required and not value:
        return f"{label} es obligatorio."
    if len(value) > maximum:
        return f"{label} admite como máximo {maximum:,} caracteres (tiene {len(value):,}).".replace(",", ".")
    return None


def _enum_or_none(enum: type[StrEnum], value) -> StrEnum | None:
    try:
        return enum(value)
    except ValueError:
        return None


def validate_item(draft: ItemDraft) -> tuple[CleanItem | None, dict[str, str]]:
    """Apply every rule that needs no database; return the clean item or all field errors."""
    errors: dict[str, str] = {}
    kind = _enum_or_none(Kind, draft.kind)
    if kind is None:
        return None, {"kind": "Clase no válida: Actividad o Tarea."}

    name = (draft.name or "").strip()
    if problem := _text_error(name, "El nombre", NAME_MAX, required=True):
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
        try:
            starts_at = times.to_utc(draft.start, draft.time_zone)
        except times.NonexistentTime as gap:
            errors["start"] = str(gap)
    if kind is Kind.ACTIVITY:
        if draft.end is None:
            errors["end"] = "Indica hasta cuándo (fecha y hora)."
        else:
            try:
                due_at = times.to_utc(draft.end, draft.time_zone)
            except times.NonexistentTime as gap:
                errors["end"] = str(gap)
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
    if problem := _text_error(description, "La descripción", DESCRIPTION_MAX, required=False):
        errors["description"] = problem

    status = _enum_or_none(Status, draft.status)
    if status is None:
        errors["status"] = "Estatus no válido: elige Pendiente o Realizada."

    if errors:
        return None, errors
    return CleanItem(kind, name, draft.contact_id, starts_at, due_at, activity_type, mode,
                     responsible_id, draft.opportunity_id, description, status), {}


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 ()\-.]{6,25}$")


def normalize_email(email: str | None) -> str:
    """Emails compare case-insensitively: we keep them trimmed and lower-case."""
    return (email or "").strip().lower()


def email_error(email: str, required: bool) -> str | None:
    if not email:
        return "El correo electrónico es obligatorio." if required else None
    if len(email) > 254 or not EMAIL_RE.match(email):
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
    if problem := _text_error(name, "El nombre", NAME_MAX, required=True):
        errors["name"] = problem
    if problem := email_error(email, required=False):
        errors["email"] = problem
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = "Teléfono no válido: usa dígitos, espacios, +, -, ( )."
    if problem := _text_error(company, "La empresa", NAME_MAX, required=False):
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
    if problem := _text_error(name, "El nombre", NAME_MAX, required=True):
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


def validate_user(draft: UserDraft, password_required: bool = True) -> tuple[UserDraft | None, dict[str, str]]:
    errors: dict[str, str] = {}
    name = (draft.name or "").strip()
    email = normalize_email(draft.email)
    if problem := _text_error(name, "El nombre", NAME_MAX, required=True):
        errors["name"] = problem
    if problem := email_error(email, required=True):
        errors["email"] = problem
    role = _enum_or_none(Role, draft.role)
    if role is None:
        errors["role"] = "Rol no válido: admin (Administrador), seller (Vendedor) o analyst (Analista)."
    if draft.password is None:
        if password_required:
            errors["password"] = "La contraseña es obligatoria."
    elif len(draft.password) < PASSWORD_MIN:
        errors["password"] = f"La contraseña debe tener al menos {PASSWORD_MIN} caracteres."
    if not times.is_valid_zone(draft.time_zone):
        errors["time_zone"] = f"Zona horaria desconocida: {draft.time_zone!r} (ejemplo: America/Mexico_City)."
    if errors:
        return None, errors
    return UserDraft(name, email, role, draft.password, draft.time_zone), {}


def default_activity_window(now: datetime, zone: str) -> tuple[datetime, datetime]:
    """Form defaults: Desde = the next full hour in the user's zone, Hasta = one hour later."""
    local = times.to_local(now, zone).replace(tzinfo=None)
    start = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return start, start + timedelta(hours=1)


def default_task_time(now: datetime, zone: str) -> datetime:
    """Form default: Fecha = tomorrow at 09:00 in the user's zone."""
    tomorrow: date = times.to_local(now, zone).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 0)
