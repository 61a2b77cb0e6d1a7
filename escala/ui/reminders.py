"""Reminders inside the app: the sidebar's bell (reminders due and overdue work assigned to
you) and a toast for each reminder the moment it falls due, checked on every run and by a
timer while the page stays open."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from escala.domain import REMINDERS, Item, Role, Status, User
from escala.store import Store
from escala.ui import format as fmt
from escala.ui.dialogs import FieldErrors, save_or_show
from escala.ui.flash import flash

CHECK_EVERY = timedelta(seconds=30)  # how often an open page looks for reminders falling due
LISTED = 5  # of each kind, in the bell


def _line(item: Item, zone: str) -> str:
    return f"**{fmt.md(fmt.shorten(item.name, 50))}** · {fmt.when(item, zone)} · {fmt.md(item.contact_name or '')}"


@st.fragment(run_every=CHECK_EVERY)
def reminders(store: Store, user: User) -> None:
    """The bell and the toasts; a fragment, so its timer reruns only this."""
    now = store.clock()
    reminded = store.reminders_due(user, now)
    for item in store.take_reminders(user, now, reminded):
        st.toast(f"Recordatorio: {_line(item, user.time_zone)}", icon=":material/notifications_active:",
                 duration="long")
    due = [item for item, _ in reminded if not item.is_overdue(now)]  # late ones: under Vencidas
    overdue = store.list_items(user, responsible_id=user.id, status=Status.PENDING, due_before=now, order="due",
                               limit=LISTED)
    late = store.count_overdue(user, now) if len(overdue) == LISTED else len(overdue)
    count = len(due) + late
    with st.popover(f"Avisos ({fmt.integer(count)})", icon=":material/notifications:",
                    type="primary" if count else "secondary", help="Recordatorios y vencidas asignadas a ti",
                    key="campana"):
        if not count:
            st.caption("Nada por ahora: ni recordatorios ni vencidas.")
        if due:
            st.markdown("**Recordatorios**")
            for item in due[:LISTED]:
                st.markdown(_line(item, user.time_zone))
        if late:
            st.markdown(f"**Vencidas** ({fmt.integer(late)})")
            for item in overdue:
                st.markdown(_line(item, user.time_zone))
        if count:
            st.page_link("pages/agenda.py", label="Ir a Mi agenda", icon=":material/event:")


def preferences(store: Store, user: User) -> None:
    """"Preferencias": what a new item's Recordatorio starts from."""
    if user.role is Role.ANALYST:
        return
    with st.popover("Preferencias", icon=":material/settings:"):
        choices = list(REMINDERS)
        chosen = st.selectbox("Recordatorio predeterminado", choices, format_func=REMINDERS.get,
                              index=choices.index(user.reminder_minutes) if user.reminder_minutes in REMINDERS else 0,
                              key="preferencia-recordatorio")
        if chosen != user.reminder_minutes and save_or_show(lambda: store.set_reminder_default(user, chosen),
                                                            FieldErrors()):
            flash(f"Recordatorio predeterminado: {REMINDERS[chosen]}")
            st.rerun()
