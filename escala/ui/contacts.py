"""The Contactos list and a contact's profile (general information, Actividades, Tareas)."""

from __future__ import annotations

import streamlit as st

from escala import times
from escala.domain import Contact, Kind, Role, User
from escala.store import Store
from escala.ui import format as fmt
from escala.ui.dialogs import FieldErrors, open_contact_dialog, open_opportunity_dialog, save_or_show
from escala.ui.flash import flash
from escala.ui.items import item_section

PAGE_SIZE = 25
SORTS = {"name": "Nombre", "company": "Empresa", "owner": "Dueño", "pending": "Más pendientes",
         "next_due": "Próximo vencimiento"}


def open_contact(contact_id: int) -> None:
    """Show a contact's profile: the URL carries ?contacto=ID, so it survives a reload."""
    st.query_params["contacto"] = str(contact_id)
    st.rerun()


def contact_list(store: Store, user: User, can_write: bool) -> None:
    st.title("Contactos")
    search_column, sort_column, new_column = st.columns([0.5, 0.3, 0.2], vertical_alignment="bottom")
    search = search_column.text_input("Buscar", placeholder="Nombre, correo o empresa", key="buscar_contacto")
    sort = sort_column.selectbox("Ordenar por", list(SORTS), format_func=SORTS.get, key="orden_contactos")
    if new_column.button("Nuevo contacto", icon=":material/add:", disabled=not can_write, width="stretch"):
        open_contact_dialog(store, user, open_contact)

    page = st.session_state.get("pagina_contactos", 1)
    rows, total = store.contact_summaries(user, search, sort, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    if not rows and total:  # a new search has fewer pages than the one we were on
        st.session_state["pagina_contactos"] = 1
        rows, total = store.contact_summaries(user, search, sort, PAGE_SIZE, 0)
    if total == 0:
        if search.strip():
            st.info(f"Ningún contacto coincide con «{search.strip()}». Prueba con otra parte del nombre, "
                    "el correo o la empresa.")
        elif can_write:
            st.info("Aún no tienes contactos. Crea el primero con **Nuevo contacto**.")
        else:
            st.info("Todavía no hay contactos registrados.")
        return
    st.caption(fmt.plural(total, "contacto", "contactos"))
    show_owner = user.role is not Role.SELLER  # a seller's contacts are all their own
    labels = ["Nombre", "Empresa", *(["Dueño"] if show_owner else []), "Pendientes", "Próximo"]
    widths = [0.28, 0.22, *([0.16] if show_owner else []), 0.14, 0.22]
    for column, label in zip(st.columns(widths), labels):
        column.markdown(f"**{label}**")
    now = store.clock()
    for row in rows:
        cells = iter(st.columns(widths, vertical_alignment="center"))
        next(cells).page_link("pages/contactos.py", label=row.name, query_params={"contacto": row.id})
        next(cells).write(fmt.md(row.company_name or "—"))
        if show_owner:
            next(cells).write(fmt.md(row.owner_name or "Sin dueño"))
        work = f"{row.pending_activities} act. · {row.pending_tasks} tareas"
        if row.overdue:
            work += f" :red-badge[{fmt.plural(row.overdue, 'vencida', 'vencidas')}]"
        next(cells).markdown(work)
        upcoming = next(cells)
        if row.next_due_at is None:
            upcoming.caption("Nada pendiente")
        else:
            late = " :red[(vencida)]" if row.next_due_at < now else ""
            upcoming.caption(f"{times.format_local(row.next_due_at, user.time_zone)} · "
                             f"{fmt.md(fmt.shorten(row.next_due_name, 40))}{late}")
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    if pages > 1:
        st.pagination(pages, key="pagina_contactos")


def contact_profile(store: Store, user: User, contact: Contact, can_write: bool) -> None:
    st.page_link("pages/contactos.py", label="Contactos", icon=":material/arrow_back:")
    st.title(contact.name)
    info = st.columns(4)
    for column, label, value in zip(info, ["Correo electrónico", "Teléfono", "Empresa", "Dueño del contacto"],
                                    [contact.email, contact.phone, contact.company_name, contact.owner_name]):
        column.caption(label)
        column.write(fmt.md(value) if value else "—")
    if user.role is Role.ADMIN:
        _change_owner(store, user, contact)
    _opportunities(store, user, contact, can_write)
    st.divider()
    item_section(store, user, contact, Kind.ACTIVITY, can_write)
    st.divider()
    item_section(store, user, contact, Kind.TASK, can_write)


def _opportunities(store: Store, user: User, contact: Contact, can_write: bool) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        st.subheader("Oportunidades", width="content")
        add = st.button("Nueva oportunidad", icon=":material/add:", disabled=not can_write)
    if add:
        open_opportunity_dialog(store, user, contact)
    opportunities = store.opportunities_for_contact(user, contact.id)
    if not opportunities:
        st.caption("Sin oportunidades todavía. Crea una para vincularle actividades y tareas.")
        return
    st.dataframe([{"Nombre": o.name, "Etapa": str(o.stage), "Monto": o.amount} for o in opportunities],
                 hide_index=True, width="stretch",
                 column_config={"Monto": st.column_config.NumberColumn(format="$%,.2f")})


def _change_owner(store: Store, user: User, contact: Contact) -> None:
    with st.popover("Cambiar dueño"):
        people = {u.id: u.name for u in store.assignable_users()}
        ids = list(people)
        owner = st.selectbox("Nuevo dueño", ids, format_func=people.get, key=f"owner-{contact.id}",
                             index=ids.index(contact.owner_id) if contact.owner_id in people else None)
        errors = FieldErrors()
        errors.slot("owner")
        st.caption("Las actividades y tareas con Responsable «Dueño del contacto» pasan al nuevo dueño.")
        if st.button("Cambiar", key=f"change-owner-{contact.id}", type="primary") and save_or_show(
                lambda: store.reassign_contact(user, contact.id, owner), errors):
            flash("Dueño actualizado")
            st.rerun()
