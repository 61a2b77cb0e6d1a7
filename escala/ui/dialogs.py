"""The popups: Nueva/Editar actividad or tarea, Nuevo contacto, Nueva oportunidad.

Each is an ``st.dialog``. The item popup uses plain widgets rather than an ``st.form`` so the
user picker can appear as soon as "Un usuario específico" is chosen and Hasta can follow
Desde; every change reruns only the dialog. Errors from ``store`` (all of them at once)
land under their own field, the typed values stay, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import streamlit as st

from escala import access, recurrence, times
from escala.domain import (
    EARLIEST_DAY, LATEST_DAY, REMINDERS, ActivityType, Contact, ContactDraft, FollowUp, Item, ItemDraft, Kind, NotFound, OpportunityDraft,
    PermissionDenied, ResponsibleMode, Role, SessionEnded, Stage, StaleEdit, Status, User, ValidationError,
    default_activity_window, default_task_time, follow_up,
)
from escala.recurrence import Ending, Frequency, RecurrenceDraft
from escala.store import DuplicateContact, Store
from escala.ui.errors import show_unexpected
from escala.ui.format import md
from escala.ui.flash import flash
from escala.ui.session import end_here

STEP = timedelta(minutes=15)
DATE_FORMAT = "DD/MM/YYYY"
CREATED = {Kind.ACTIVITY: "Actividad creada", Kind.TASK: "Tarea creada"}
SAVED = {Kind.ACTIVITY: "Actividad guardada", Kind.TASK: "Tarea guardada"}
NOUN = {Kind.ACTIVITY: "actividad", Kind.TASK: "tarea"}


class FieldErrors:
    """A slot under each field, filled with that field's message after a failed save."""

    def __init__(self):
        self._slots: dict[str, st.delta_generator.DeltaGenerator] = {}

    def slot(self, field: str) -> None:
        self._slots[field] = st.empty()

    def show(self, errors: dict[str, str]) -> None:
        for field, message in errors.items():
            target = self._slots.get(field)
            (target.error if target is not None else st.error)(md(message))  # may quote what was typed


def _nonce(scope: str) -> int:
    return st.session_state.get(f"nonce-{scope}", 0)


def _forget(scope: str) -> None:
    """New widget keys next time, so a reopened popup starts from its defaults."""
    st.session_state[f"nonce-{scope}"] = _nonce(scope) + 1


def _wall(instant: datetime, zone: str) -> datetime:
    return times.to_local(instant, zone).replace(tzinfo=None)


def _keep_duration(start_key: str, end_key: str, previous_key: str) -> None:
    """When Desde moves, Hasta moves with it (the way calendars behave)."""
    new_start, old_start = st.session_state.get(start_key), st.session_state.get(previous_key)
    end = st.session_state.get(end_key)
    if new_start and old_start and end:
        st.session_state[end_key] = end + (new_start - old_start)
    st.session_state[previous_key] = new_start


def open_item_dialog(store: Store, user: User, kind: Kind, contact_id: int, contact_name: str,
                     item: Item | None = None) -> None:
    """Open "Nueva actividad", "Nueva tarea", or the same popup prefilled for editing."""
    title = f"{'Nueva' if item is None else 'Editar'} {NOUN[kind]}"
    st.dialog(title, width="medium")(_item_form)(store, user, kind, contact_id, contact_name, item)


NEXT_STEP = "siguiente_paso"  # the id of the item just marked Realizada, until its popup opens
NEXT_STEP_TITLE = "¿Y ahora qué sigue?"


def offer_next_step(item_id: int) -> None:
    """After marking ``item_id`` Realizada (a button's callback): the page's next run offers
    to schedule what follows (``show_next_step``)."""
    st.session_state[NEXT_STEP] = item_id


def show_next_step(store: Store, user: User) -> None:
    """The popup "¿Y ahora qué sigue?" for the item just marked Realizada, if any and if the
    user may add items on its contact: the next activity or task there, prefilled (same
    contact, opportunity, type and Responsable, one business day later), or "Omitir"."""
    item_id = st.session_state.pop(NEXT_STEP, None)
    item = store.get_item(user, item_id) if item_id is not None else None
    if item is None or not access.may_create_items_on(user, item.contact_owner_id):
        return
    st.dialog(NEXT_STEP_TITLE, width="medium")(_next_step_form)(store, user, item)


def _next_step_form(store: Store, user: User, done: Item) -> None:
    st.caption(f"«{md(done.name)}» quedó Realizada. Agenda el siguiente paso con {md(done.contact_name)} "
               "o pulsa **Omitir**.")
    offer = follow_up(done, store.clock(), user.time_zone)
    kinds = list(Kind)
    kind = st.radio("Siguiente paso", kinds, index=kinds.index(done.kind), key=f"{NEXT_STEP}-{done.id}-clase",
                    horizontal=True)
    if kind is not offer.kind:  # the other kind: the same time, its own fields
        end = offer.start + timedelta(hours=1) if kind is Kind.ACTIVITY else None
        offer = replace(offer, kind=kind, activity_type=None, end=end)
    _item_form(store, user, kind, done.contact_id, done.contact_name, None, offer=offer,
               scope=f"{kind}-siguiente-{done.id}")


def _item_form(store: Store, user: User, kind: Kind, contact_id: int, contact_name: str | None, item: Item | None,
               offer: FollowUp | None = None, scope: str | None = None) -> None:
    """The item popup's fields and button: editing ``item``, or creating one (from ``offer``'s
    values when given, with "Omitir" beside "Crear"). ``contact_name`` None: the popup has
    its own contact picker above, so no read-only Contacto field here."""
    scope = scope or f"{kind}-{item.id if item else 'nueva'}-{contact_id}"
    prefix = f"{scope}-{_nonce(scope)}"

    def key(field: str) -> str:
        return f"{prefix}-{field}"

    zone, now = user.time_zone, store.clock()
    if item is not None:
        start, end = _wall(item.starts_at, zone), _wall(item.due_at, zone)
    elif offer is not None:
        start, end = offer.start, offer.end
    else:
        start, end = (default_activity_window(now, zone) if kind is Kind.ACTIVITY
                      else (default_task_time(now, zone), None))
    shown = item or offer  # the values the fields start from, if any
    errors = FieldErrors()

    name = st.text_input("Nombre", value=shown.name if shown else "", key=key("name"), max_chars=200,
                         placeholder="Ej.: Llamada de seguimiento" if kind is Kind.ACTIVITY else "Ej.: Enviar propuesta")
    errors.slot("name")
    activity_type = None
    if kind is Kind.ACTIVITY:
        types = list(ActivityType)
        activity_type = st.selectbox("Tipo", types, key=key("type"),
                                     index=types.index(shown.activity_type) if shown and shown.activity_type else None,
                                     placeholder="Elige el tipo")
        errors.slot("activity_type")
        st.session_state.setdefault(key("previous-start"), start)
        start_value = st.datetime_input("Desde", value=start, key=key("start"), format=DATE_FORMAT, step=STEP,
                                        on_change=_keep_duration,
                                        args=(key("start"), key("end"), key("previous-start")))
        errors.slot("start")
        end_value = st.datetime_input("Hasta", value=end, key=key("end"), format=DATE_FORMAT, step=STEP)
        errors.slot("end")
    else:
        start_value = st.datetime_input("Fecha", value=start, key=key("start"), format=DATE_FORMAT, step=STEP)
        end_value = None
        errors.slot("start")
    in_series = item is not None and item.recurrence_rule is not None
    following = in_series and st.radio("Aplicar los cambios a", list(APPLY_TO), key=key("apply-to"),
                                       horizontal=True) == APPLY_TO[1]
    repeat = _repeat_fields(key, item.recurrence_rule if item else None, start_value or start,
                            disabled=in_series and not following)
    errors.slot("recurrence")
    reminders = list(REMINDERS)
    reminder = item.reminder_minutes if item is not None else user.reminder_minutes
    reminder = st.selectbox("Recordatorio", reminders, format_func=REMINDERS.get, key=key("reminder"),
                            index=reminders.index(reminder) if reminder in REMINDERS else 0,
                            help="Un aviso en Escala (y en el archivo de calendario) antes de su hora")
    errors.slot("reminder")

    modes = list(ResponsibleMode)
    mode = st.radio("Responsable", modes, key=key("mode"), horizontal=True,
                    index=modes.index(shown.responsible_mode) if shown else 0)
    responsible_id = None
    if mode is ResponsibleMode.USER:
        people = {u.id: u.name for u in store.assignable_users()}
        if item and item.responsible_id is not None:
            people.setdefault(item.responsible_id, item.responsible_name or "")
        ids = list(people)
        current = shown.responsible_id if shown and shown.responsible_id in people else user.id
        responsible_id = st.selectbox("Usuario", ids, key=key("user"), format_func=people.get,
                                      index=ids.index(current) if current in people else None,
                                      placeholder="Elige el usuario")
    errors.slot("responsible")

    if contact_name is not None:
        st.text_input("Contacto", value=contact_name, disabled=True, key=key("contact"))
    errors.slot("contact")
    opportunities = {o.id: f"{o.name} · {o.stage}" for o in store.opportunities_for_contact(user, contact_id)}
    if item and item.opportunity_id is not None:
        opportunities.setdefault(item.opportunity_id, item.opportunity_name or "")
    choices = [None, *opportunities]
    opportunity_id = st.selectbox("Oportunidad", choices, key=key("opportunity"),
                                  index=choices.index(shown.opportunity_id) if shown and shown.opportunity_id in choices
                                  else 0,
                                  format_func=lambda o: "Sin oportunidad" if o is None else opportunities[o])
    errors.slot("opportunity")
    description = st.text_area("Descripción", value=item.description if item else "", key=key("description"),
                               max_chars=5000, placeholder="Puntos a tratar, acuerdos, detalles que no se deben escapar")
    errors.slot("description")
    statuses = list(Status)
    status = st.radio("Estatus", statuses, key=key("status"), horizontal=True,
                      index=statuses.index(item.status) if item else 0)
    errors.slot("status")

    with st.container(horizontal=True):
        submitted = st.button("Crear" if item is None else "Guardar", type="primary", key=key("submit"))
        if offer is not None and st.button("Omitir", key=key("skip")):
            _forget(scope)
            st.rerun()
    if submitted:
        draft = ItemDraft(kind=kind, name=name or "", contact_id=contact_id, start=start_value, end=end_value,
                          activity_type=activity_type, responsible_mode=mode, responsible_id=responsible_id,
                          opportunity_id=opportunity_id, description=description or "", status=status,
                          time_zone=zone, reminder_minutes=reminder)
        repeat = repeat if following or not in_series else None  # "Solo esta" leaves the series as it is
        save = ((lambda: store.create_item(user, draft, repeat)) if item is None
                else (lambda: store.update_item(user, item.id, draft, expected=item,  # item: as the popup opened
                                                repeat=repeat, following=following)))
        if save_or_show(save, errors):
            flash(CREATED[kind] if item is None else SAVED[kind])
            _forget(scope)
            st.rerun()


QUICK_ADD = "Nueva actividad o tarea"
PICKER_LIMIT = 500  # contacts the picker lists at once; past that, "Buscar contacto" narrows them first


def open_quick_add(store: Store, user: User) -> None:
    """"+ Nueva" (Mi agenda, the sidebar): the item popup with a contact picker listing only
    the contacts the user may add work to."""
    _forget("rapida")  # each time it opens, it starts from its defaults
    st.dialog(QUICK_ADD, width="medium")(_quick_add_form)(store, user, f"rapida-{_nonce('rapida')}")


def _quick_add_form(store: Store, user: User, prefix: str) -> None:
    kind = Kind(st.radio("Clase", list(Kind), key=f"{prefix}-clase", horizontal=True))
    search = ""
    if store.count_contacts(user) > PICKER_LIMIT:
        search = st.text_input("Buscar contacto", placeholder="Nombre, correo o empresa", key=f"{prefix}-buscar")
    writable = {c.id: c for c in store.list_contacts(user, search, limit=PICKER_LIMIT)
                if access.may_create_items_on(user, c.owner_id)}
    contact_id = st.selectbox("Contacto", list(writable), index=None, key=f"{prefix}-contacto",
                              placeholder="Escribe para buscar el contacto",
                              format_func=lambda c: writable[c].name + (f" · {writable[c].company_name}"
                                                                        if writable[c].company_name else ""))
    if not writable:
        st.caption("Ningún contacto coincide." if search.strip() else "Aún no tienes contactos: crea uno en Contactos.")
    if contact_id is None:
        return
    _item_form(store, user, kind, contact_id, None, None, scope=f"{prefix}-{kind}-{contact_id}")


APPLY_TO = ("Solo esta", "Esta y las siguientes")


def _repeat_fields(key: Callable[[str], str], rule: str | None, start: datetime, disabled: bool) -> RecurrenceDraft:
    """"Repetir" and, for the frequency chosen, its days, its interval and when it ends
    (starting from the series' ``rule``, if the item repeats; ``start``: the item's time)."""
    shown = recurrence.draft_of(rule)
    frequencies = list(Frequency)
    frequency = st.selectbox("Repetir", frequencies, key=key("repeat"), index=frequencies.index(shown.frequency),
                             disabled=disabled)
    if frequency is Frequency.NONE:
        return RecurrenceDraft()
    weekdays, month_day, interval, count, until = (), None, None, None, None
    if frequency is Frequency.WEEKLY:
        weekdays = st.pills("Los días", range(7), selection_mode="multi", key=key("weekdays"), disabled=disabled,
                            format_func=lambda day: recurrence.WEEKDAYS[day].capitalize(),
                            default=list(shown.weekdays) or [start.weekday()])
    elif frequency is Frequency.MONTHLY:
        month_day = st.number_input("El día del mes", min_value=1, max_value=31, step=1, key=key("month-day"),
                                    value=shown.month_day or start.day, disabled=disabled)
    elif frequency is Frequency.EVERY_N_DAYS:
        interval = st.number_input("Cada cuántos días", min_value=1, max_value=recurrence.MAX_INTERVAL, step=1,
                                   value=shown.interval or 2, key=key("interval"), disabled=disabled)
    endings = list(Ending)
    ending = st.radio("Termina", endings, key=key("ending"), horizontal=True, index=endings.index(shown.ending),
                      disabled=disabled)
    if ending is Ending.COUNT:
        count = st.number_input("Cuántas veces (contando esta)", min_value=2, max_value=recurrence.MAX_COUNT, step=1,
                                value=shown.count or 10, key=key("count"), disabled=disabled)
    elif ending is Ending.UNTIL:
        until = st.date_input("Hasta el día", value=shown.until or start.date() + timedelta(days=30),
                              format=DATE_FORMAT, min_value=EARLIEST_DAY, max_value=LATEST_DAY, key=key("until"),
                              disabled=disabled)
    return RecurrenceDraft(frequency, tuple(weekdays or ()), month_day, interval, ending, count, until)


def save_or_show(write: Callable[[], object], errors: FieldErrors) -> bool:
    """Run a store write; show its refusal in Spanish where it belongs. True if it was saved.
    A session that ended elsewhere sends the tab to the sign-in form."""
    try:
        write()
    except ValidationError as error:
        errors.show(error.errors)
    except SessionEnded:
        end_here()
        st.rerun()
    except (PermissionDenied, NotFound, StaleEdit) as error:
        st.error(md(str(error)))
    except Exception as error:  # noqa: BLE001  never a traceback in a popup
        show_unexpected(error)
    else:
        return True
    return False


# ---------------------------------------------------------------- contacts and opportunities


def open_contact_dialog(store: Store, user: User, on_existing: Callable[[int], None]) -> None:
    """"Nuevo contacto". A known email opens that contact instead of making a duplicate."""
    st.dialog("Nuevo contacto", width="medium")(_contact_form)(store, user, on_existing)


def _contact_form(store: Store, user: User, on_existing: Callable[[int], None]) -> None:
    errors = FieldErrors()
    with st.form("nuevo_contacto", border=False):
        name = st.text_input("Nombre", max_chars=200)
        errors.slot("name")
        email = st.text_input("Correo electrónico", max_chars=254)
        errors.slot("email")
        phone = st.text_input("Teléfono", max_chars=25)
        errors.slot("phone")
        company = st.text_input("Empresa", max_chars=200)
        errors.slot("company")
        owner_id = user.id
        if user.role is Role.ADMIN:
            people = {u.id: u.name for u in store.assignable_users()}
            ids = list(people)
            owner_id = st.selectbox("Dueño del contacto", ids, format_func=people.get,
                                    index=ids.index(user.id) if user.id in people else 0)
        else:
            st.text_input("Dueño del contacto", value=user.name, disabled=True)
        errors.slot("owner")
        submitted = st.form_submit_button("Crear", type="primary")
    if not submitted:
        return
    outcome: dict[str, int] = {}

    def create() -> None:
        try:
            outcome["created"] = store.create_contact(user, ContactDraft(name, email, phone, company, owner_id)).id
        except DuplicateContact as duplicate:
            if store.get_contact(user, duplicate.contact_id) is None:
                raise ValidationError({"email": "Ese correo ya pertenece a un contacto de otro vendedor; "
                                                "pide a un administrador que te lo asigne."}) from None
            outcome["existing"] = duplicate.contact_id

    if save_or_show(create, errors):
        if "existing" in outcome:
            flash("Ese correo ya estaba registrado: abrimos su contacto.", icon=":material/info:")
            on_existing(outcome["existing"])
        else:
            flash("Contacto creado")
            on_existing(outcome["created"])


def open_opportunity_dialog(store: Store, user: User, contact: Contact) -> None:
    st.dialog("Nueva oportunidad")(_opportunity_form)(store, user, contact)


def _opportunity_form(store: Store, user: User, contact: Contact) -> None:
    errors = FieldErrors()
    with st.form("nueva_oportunidad", border=False):
        name = st.text_input("Nombre", max_chars=200)
        errors.slot("name")
        stage = st.selectbox("Etapa", list(Stage))
        errors.slot("stage")
        amount = st.number_input("Monto", min_value=0.0, step=1000.0, format="%.2f")
        errors.slot("amount")
        submitted = st.form_submit_button("Crear", type="primary")
    if submitted and save_or_show(lambda: store.create_opportunity(user, OpportunityDraft(name, contact.id, stage, amount)),
                           errors):
        flash("Oportunidad creada")
        st.rerun()
