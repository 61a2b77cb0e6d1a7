"""Lists of activities and tasks with their one-click actions (profile and Mi agenda)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import streamlit as st

from escala import access, recurrence
from escala.calendar import activity_ics, ics_file_name
from escala.domain import (
    SNOOZE_OPTIONS, Contact, Item, Kind, NotFound, PermissionDenied, ResponsibleMode, SessionEnded, Status, User,
    ValidationError, snooze_start,
)
from escala.store import ITEMS_PAGE, UNDO_WINDOW, Store
from escala.ui import format as fmt
from escala.ui.dialogs import offer_next_step, open_item_dialog
from escala.ui.errors import unexpected_message
from escala.ui.history import open_history
from escala.ui.flash import flash
from escala.ui.session import end_here

PAGE_SIZE = ITEMS_PAGE
TITLES = {Kind.ACTIVITY: "Actividades", Kind.TASK: "Tareas"}
ADD_KEYS = {Kind.ACTIVITY: "nueva_actividad", Kind.TASK: "nueva_tarea"}
REMINDERS = {  # spec §3: the difference, in one line each
    Kind.ACTIVITY: "Eventos **con** el contacto: llamadas, reuniones, webinars o eventos en los que participa.",
    Kind.TASK: "Pasos **internos** del proceso de venta; no requieren que el contacto participe.",
}
EMPTY = {
    Kind.ACTIVITY: "Aún no hay actividades con este contacto. Pulsa **+** para agendar una llamada, reunión, "
                   "webinar o evento.",
    Kind.TASK: "Aún no hay tareas para este contacto. Pulsa **+** para anotar el siguiente paso interno "
               "(una propuesta, una cotización, un seguimiento).",
}


def run_action(action: Callable[[], object], message: str) -> bool:
    """A button callback: do the store write, then say what happened (or why not); True if
    it was done. The store re-checks the session inside the write, so a tab signed out
    elsewhere writes nothing."""
    try:
        action()
    except SessionEnded:
        end_here()
    except (PermissionDenied, NotFound, ValidationError) as error:
        flash(str(error), icon=":material/warning:")
    except Exception as error:  # noqa: BLE001  a callback's error would otherwise reach the page raw
        flash(unexpected_message(error), icon=":material/error:")
    else:
        flash(message)
        return True
    return False


def _snooze(store: Store, user: User, item: Item, option: str) -> None:
    """"Posponer": move the item (``domain.snooze_start``) and say to when."""
    start = snooze_start(option, item.starts_at, store.clock(), user.time_zone)
    run_action(lambda: store.reschedule(user, item.id, start, user.time_zone),
               f"«{fmt.md(item.name)}» pospuesta al {start:%d/%m %H:%M}")


UNDO = "deshacer"  # the item just deleted: (id, name, when), while "Deshacer" may bring it back


def _delete(store: Store, user: User, item: Item, following: bool) -> None:
    """"Eliminar": delete it (and, with ``following``, the series from here), then offer
    "Deshacer" for the item itself (``offer_undo``)."""
    message = f"«{fmt.md(item.name)}» {'y las siguientes eliminadas' if following else 'eliminada'}"
    if run_action(lambda: store.delete_item(user, item.id, following=following), message):
        st.session_state[UNDO] = (item.id, item.name, store.clock())


def offer_undo(store: Store, user: User) -> None:
    """Under the page's title while ``UNDO_WINDOW`` lasts: the item just deleted and "Deshacer"."""
    deleted = st.session_state.get(UNDO)
    if deleted is None:
        return
    item_id, name, at = deleted
    if store.clock() - at >= UNDO_WINDOW:
        del st.session_state[UNDO]
        return

    def undo() -> None:
        st.session_state.pop(UNDO, None)
        run_action(lambda: store.restore_item(user, item_id), f"«{fmt.md(name)}» restaurada")

    with st.container(horizontal=True, vertical_alignment="center", key="deshacer-aviso"):
        st.caption(f":material/delete: Eliminaste «{fmt.md(name)}».", width="content")
        st.button("Deshacer", key=f"deshacer-{item_id}", icon=":material/undo:", on_click=undo)


def _complete(store: Store, user: User, item: Item) -> None:
    """"Realizada": mark it done, then offer "¿Y ahora qué sigue?" on the page's run."""
    if run_action(lambda: store.complete_item(user, item.id), f"«{fmt.md(item.name)}» marcada como Realizada"):
        offer_next_step(item.id)


def item_row(store: Store, user: User, item: Item, now: datetime, *, selectable: bool = False,
             in_agenda: bool = False, can_write: bool = True) -> None:
    """One item: what, when, who, its state, and Realizada / Reabrir / Editar / Eliminar."""
    with st.container(border=True):
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            if selectable:
                st.checkbox("Seleccionar", key=f"sel-{item.id}", label_visibility="collapsed", width="content")
            kind_label = item.activity_type or item.kind
            st.markdown(f"**{fmt.md(item.name)}** · {kind_label} {fmt.overdue_badge(item, now, user.time_zone)}")
        details = [fmt.when(item, user.time_zone), f"Responsable: {fmt.md(fmt.responsible(item))}"]
        if item.opportunity_name:
            details.append(f"Oportunidad: {fmt.md(item.opportunity_name)}")
        if item.recurrence_rule:
            details.append(f":material/repeat: {recurrence.describe(item.recurrence_rule)}")
        st.caption(" · ".join(details))
        if item.description:
            st.caption(fmt.md(fmt.shorten(item.description, 160)))
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            if in_agenda and access.may_open_contact(user, item.contact_owner_id):
                st.page_link("pages/contactos.py", label=fmt.md(item.contact_name), icon=":material/person:",
                             query_params={"contacto": item.contact_id})
            elif in_agenda:  # assigned to them on another seller's contact: named, not a link to a refusal
                st.caption(f":material/person: {fmt.md(item.contact_name)} (contacto de otro vendedor)",
                           width="content")
            _actions(store, user, item, in_agenda, can_write)


def _actions(store: Store, user: User, item: Item, in_agenda: bool, can_write: bool) -> None:
    if item.status is Status.PENDING:
        st.button("Realizada", key=f"done-{item.id}", disabled=not can_write, type="primary",
                  icon=":material/check:", on_click=_complete, args=(store, user, item))
        with st.popover("Posponer", disabled=not can_write, icon=":material/snooze:"):
            for number, option in enumerate(SNOOZE_OPTIONS):
                st.button(option, key=f"snooze-{number}-{item.id}", on_click=_snooze, args=(store, user, item, option))
    else:
        st.button("Reabrir", key=f"reopen-{item.id}", disabled=not can_write, icon=":material/undo:",
                  on_click=run_action, args=(lambda: store.reopen_item(user, item.id), f"«{fmt.md(item.name)}» reabierta"))
    if st.button("Editar", key=f"edit-{item.id}", disabled=not can_write, icon=":material/edit:"):
        open_item_dialog(store, user, item.kind, item.contact_id, item.contact_name, item)
    if st.button("Historial", key=f"history-{item.id}", icon=":material/history:"):
        open_history(store, user, "item", item.id, item.name)
    with st.popover("Eliminar", disabled=not can_write, icon=":material/delete:"):
        st.write(f"¿Eliminar «{fmt.md(item.name)}»? Podrás deshacerlo durante "
                 f"{UNDO_WINDOW.seconds // 60} minutos.")
        if item.recurrence_rule is None:
            st.button("Sí, eliminar", key=f"delete-{item.id}", type="primary", on_click=_delete,
                      args=(store, user, item, False))
        else:  # one of a series: the series goes on without it, or ends here
            st.button("Eliminar solo esta", key=f"delete-{item.id}", type="primary", on_click=_delete,
                      args=(store, user, item, False))
            st.button("Eliminar esta y las siguientes", key=f"delete-following-{item.id}", on_click=_delete,
                      args=(store, user, item, True))
    if item.kind is Kind.ACTIVITY and in_agenda:
        st.download_button("Agregar al calendario", activity_ics(item, store.clock()), icon=":material/event:",
                           file_name=ics_file_name(item), mime="text/calendar", key=f"ics-{item.id}",
                           on_click="ignore")


def page_count(total: int) -> int:
    return (total + PAGE_SIZE - 1) // PAGE_SIZE


def pager(total: int, key: str) -> int:
    """The pagination widget for ``total`` items, when they need more than one page; the
    chosen page."""
    return st.pagination(page_count(total), key=key) if total > PAGE_SIZE else 1


def _page_key(contact: Contact, kind: Kind, status: Status) -> str:
    return f"page-{'pending' if status is Status.PENDING else 'done'}-{kind}-{contact.id}"


Listed = dict[tuple[Kind, Status], tuple[list[Item], int]]


def _done_key(contact: Contact, kind: Kind) -> str:
    return f"realizadas-{kind}-{contact.id}"


def contact_items(store: Store, user: User, contact: Contact) -> Listed:
    """The profile's pages of activities and tasks (each as its pager stands), read at once:
    the pending ones, and the done ones only while their "Realizadas" fold is open; a page
    that no longer exists (items went) falls back to the last."""
    keys = {(kind, status): _page_key(contact, kind, status) for kind in Kind for status in Status
            if status is Status.PENDING or st.session_state.get(_done_key(contact, kind))}
    return read_pages(lambda pages: store.contact_items(user, contact.id, pages, PAGE_SIZE), keys)


def read_pages(read: Callable[[dict], dict], keys: dict) -> dict:
    """``read(pages)`` with each group's page as its pager (session key ``keys[group]``)
    stands; a page that no longer exists (items went) falls back to the group's last."""
    def pages() -> dict:
        return {group: st.session_state.get(key, 1) for group, key in keys.items()}

    listed = read(pages())
    gone = {group: page_count(listed[group][1]) for group, key in keys.items()
            if not listed[group][0] and listed[group][1] and st.session_state.get(key, 1) > 1}
    if gone:
        for group, last in gone.items():
            st.session_state[keys[group]] = last
        listed = read(pages())
    return listed


def item_section(store: Store, user: User, contact: Contact, kind: Kind, can_write: bool, listed: Listed) -> None:
    """A profile section: title with its + button, the reminder, pending items (overdue
    marked), bulk actions on the selected ones, and the done ones folded below (``listed``:
    ``contact_items``)."""
    with st.container(horizontal=True, vertical_alignment="center"):
        st.subheader(TITLES[kind], width="content")
        if st.button("+", key=ADD_KEYS[kind], help=f"Nueva {'actividad' if kind is Kind.ACTIVITY else 'tarea'}",
                     disabled=not can_write, type="primary"):
            open_item_dialog(store, user, kind, contact.id, contact.name)
    st.caption(REMINDERS[kind])
    (pending, pending_total), (done, done_total) = listed[(kind, Status.PENDING)], listed[(kind, Status.DONE)]
    if not pending_total and not done_total:
        st.info(EMPTY[kind])
        return
    now = store.clock()
    if not pending_total:
        st.caption("No hay pendientes. 🎉")
    pager(pending_total, _page_key(contact, kind, Status.PENDING))
    for item in pending:
        item_row(store, user, item, now, selectable=can_write, can_write=can_write)
    if can_write:
        _bulk_actions(store, user, kind, pending)
    if done_total:  # read only while open: the fold reruns the page when it opens
        with st.expander(f"Realizadas ({done_total})", key=_done_key(contact, kind), on_change="rerun") as fold:
            if fold.open:
                pager(done_total, _page_key(contact, kind, Status.DONE))
                for item in done:
                    item_row(store, user, item, now, can_write=can_write)


def _bulk_actions(store: Store, user: User, kind: Kind, pending: list[Item]) -> None:
    selected = [i.id for i in pending if st.session_state.get(f"sel-{i.id}")]
    if not selected:
        return
    noun = fmt.plural(len(selected), "seleccionada", "seleccionadas")
    info, complete, reassign = st.columns([0.4, 0.3, 0.3], vertical_alignment="center")
    info.write(f"**{noun}**")

    def clear_selection() -> None:
        for item_id in selected:
            st.session_state.pop(f"sel-{item_id}", None)

    def complete_selected() -> None:
        run_action(lambda: store.set_status(user, selected, Status.DONE), f"{noun} marcadas como Realizada")
        clear_selection()

    complete.button("Marcar como Realizada", key=f"bulk-done-{kind}", on_click=complete_selected)
    with reassign.popover("Reasignar"):
        mode = st.radio("Responsable", list(ResponsibleMode), key=f"bulk-mode-{kind}")
        people = {u.id: u.name for u in store.assignable_users()}
        person = st.selectbox("Usuario", list(people), format_func=people.get, key=f"bulk-user-{kind}",
                              disabled=mode is not ResponsibleMode.USER)

        def reassign_selected() -> None:
            run_action(lambda: store.reassign_items(user, selected, mode, person), f"{noun} reasignadas")
            clear_selection()

        st.button("Aplicar", key=f"bulk-apply-{kind}", type="primary", on_click=reassign_selected)
