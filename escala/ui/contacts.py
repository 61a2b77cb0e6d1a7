"""The Contactos list and a contact's profile (general information, Actividades, Tareas)."""

from __future__ import annotations

import streamlit as st

from escala import times
from escala.domain import Contact, Kind, Role, User
from escala.store import Store
from escala.ui import format as fmt
from escala.ui.dialogs import (
    FieldErrors, open_contact_dialog, open_opportunity_dialog, save_or_show, show_next_step,
)
from escala.ui.flash import flash
from escala.ui.history import open_history
from escala.ui.items import contact_items, item_section

PAGE_SIZE = 25
SORTS = {"name": "Nombre", "company": "Empresa", "owner": "Dueño", "pending": "Más pendientes",
         "next_due": "Próximo vencimiento"}
PROFILE_SHOWN = "perfil_mostrado"


def open_contact(contact_id: int) -> None:
    """Show a contact's profile: the URL carries ?contacto=ID, so it survives a reload."""
    st.query_params["contacto"] = str(contact_id)
    st.rerun()


def contact_list(store: Store, user: User, can_write: bool) -> None:
    if st.session_state.pop(PROFILE_SHOWN, False):
        # Back from a profile through a link to this same page: Streamlit ran the list without
        # the query but left ?contacto=ID in the address bar (and sends it with the next rerun).
        st.query_params.clear()
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
            st.info(f"Ningún contacto coincide con «{fmt.md(search.strip())}». Prueba con otra parte del nombre, "
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
    with st.container(key="encabezado-contactos"):  # layout.py: not on a phone, where rows are cards
        for column, label in zip(st.columns(widths), labels):
            column.markdown(f"**{label}**")
    now = store.clock()
    for row in rows:
        cells = iter(st.container(key=f"fila-contacto-{row.id}").columns(widths, vertical_alignment="center"))
        next(cells).page_link("pages/contactos.py", label=fmt.md(row.name), query_params={"contacto": row.id})
        next(cells).write(fmt.md(row.company_name or "—"))
        if show_owner:
            next(cells).write(fmt.md(row.owner_name or "Sin dueño"))
        work = f"{fmt.integer(row.pending_activities)} act. · {fmt.plural(row.pending_tasks, 'tarea', 'tareas')}"
        if row.overdue:
            work += f" :red-badge[{fmt.plural(row.overdue, 'vencida', 'vencidas')}]"
        next(cells).markdown(work)
        upcoming = next(cells)
        if row.next_due_at is None:
            upcoming.caption("Nada pendiente")
        else:
            upcoming.caption(f"{times.format_local(row.next_due_at, user.time_zone)} · "
                             f"{fmt.md(fmt.shorten(row.next_due_name, 40))}")
            if row.next_due_at < now:  # a badge, not coloured caption text: captions are faded
                upcoming.markdown(":red-badge[Vencida]")
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    if pages > 1:
        st.pagination(pages, key="pagina_contactos")


# Streamlit reruns the current page with its query string kept when that page's own link in the
# navigation is clicked, so on a profile (/contactos?contacto=ID) the menu's "Contactos" would
# just redraw the profile, and the server cannot tell that click from any other rerun (the
# page's widget states are the only difference, and Streamlit keeps them server-side). The
# profile's own back link is an st.page_link without query params, which Streamlit sends with
# an empty query string: this script makes a click on the current page's menu entry click the
# back link instead. It is inert on every other page (there is no back link there).
MENU_OPENS_THE_LIST = """<script>
if (!window.escalaMenuOpensTheList) {
  window.escalaMenuOpensTheList = true;
  document.addEventListener("click", (event) => {
    const menu = event.target.closest('[data-testid="stSidebarNav"] a[aria-current="page"]');
    const back = document.querySelector(".st-key-volver-a-contactos a");
    if (menu && back) {
      event.preventDefault();
      event.stopPropagation();
      back.click();
    }
  }, true);
}
</script>"""


def contact_profile(store: Store, user: User, contact: Contact, can_write: bool) -> None:
    with st.container(key="volver-a-contactos"):
        st.page_link("pages/contactos.py", label="Contactos", icon=":material/arrow_back:")
    st.sidebar.html(MENU_OPENS_THE_LIST, unsafe_allow_javascript=True, width=1)
    st.session_state[PROFILE_SHOWN] = True
    st.title(fmt.md(contact.name))
    info = st.columns(4)
    for column, label, value in zip(info, ["Correo electrónico", "Teléfono", "Empresa", "Dueño del contacto"],
                                    [contact.email, contact.phone, contact.company_name, contact.owner_name]):
        column.caption(label)
        column.write(fmt.md(value) if value else "—")
    with st.container(horizontal=True):
        if user.role is Role.ADMIN:
            _change_owner(store, user, contact)
        if st.button("Historial", key=f"historial-contacto-{contact.id}", icon=":material/history:"):
            open_history(store, user, "contact", contact.id, contact.name)
    _opportunities(store, user, contact, can_write)
    show_next_step(store, user)
    listed = contact_items(store, user, contact)
    st.divider()
    item_section(store, user, contact, Kind.ACTIVITY, can_write, listed)
    st.divider()
    item_section(store, user, contact, Kind.TASK, can_write, listed)


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
