"""Usuarios (administradores): who can sign in, how (password, company sign-on), with which
role, and in which time zone."""

from __future__ import annotations

import streamlit as st

from escala import auth, times
from escala.domain import GOAL_MAX, GOAL_MEASURES, GOAL_PERIODS, Role, User, UserDraft
from escala.store import Store
from escala.ui import format as fmt
from escala.ui import sso
from escala.ui.dialogs import FieldErrors, save_or_show
from escala.ui.flash import flash
from escala.ui.session import client_address

ROLES = {role.value: role.label for role in Role}
PASSWORD_TOGGLE = "Permitir ingresar con contraseña"


def _password_toggle(value: bool) -> bool:
    """Whether a password opens Escala for this user. Only switchable when the company's
    sign-on is configured: without it, a user with no password could never get in."""
    company = sso.enabled()
    return st.toggle(PASSWORD_TOGGLE, value=value or not company, disabled=not company,
                     help="Apágalo para quien solo debe ingresar con la cuenta de la empresa." if company else
                     "Solo se puede apagar cuando está configurado el ingreso con la cuenta de la empresa.")


def usuarios(store: Store, admin: User) -> None:
    st.title("Usuarios")
    if st.button("Nuevo usuario", icon=":material/person_add:"):
        st.dialog("Nuevo usuario", width="medium")(_new_user)(store, admin)
    people = store.list_users(include_inactive=True)
    st.caption(f"{fmt.plural(len(people), 'usuario', 'usuarios')} · "
               f"{fmt.plural(sum(p.active for p in people), 'activo', 'activos')}")
    st.dataframe([{"Nombre": p.name, "Correo electrónico": p.email, "Rol": p.role.label,
                   "Activo": p.active, "Contraseña": p.password_allowed, "Zona horaria": p.time_zone}
                  for p in people],
                 hide_index=True, width="stretch")
    st.subheader("Cambiar un usuario")
    chosen = st.selectbox("Usuario", [p.id for p in people], key="u_chosen",
                          format_func=lambda i: next(f"{p.name} · {p.email}" for p in people if p.id == i))
    person = next(p for p in people if p.id == chosen)
    with st.form(f"u_edit_{person.id}", border=True):
        errors = FieldErrors()
        roles = list(ROLES)
        role = st.selectbox("Rol", roles, index=roles.index(person.role.value), format_func=ROLES.get)
        errors.slot("role")
        active = st.toggle("Activo", value=person.active)
        zone = st.text_input("Zona horaria", value=person.time_zone)
        errors.slot("time_zone")
        password = st.text_input("Nueva contraseña (opcional)", type="password")
        errors.slot("password")
        password_allowed = _password_toggle(person.password_allowed)
        saved = st.form_submit_button("Guardar", type="primary")
    shown_key = f"u_shown_{person.id}"
    shown = st.session_state.get(shown_key, person)  # the user as this form was last drawn
    st.session_state[shown_key] = person
    if saved:
        def save() -> None:
            store.update_user(admin, person.id, role=role, active=active, time_zone=zone.strip(),
                              password=password or None, password_allowed=password_allowed, expected=shown)

        if save_or_show(save, errors):
            flash(f"{fmt.md(person.name)} actualizado")
            st.rerun()
    _sign_in_delay(store, admin, person)
    _goals(store, admin, [p for p in people if p.active and p.role is not Role.ANALYST])


def _goals(store: Store, admin: User, people: list[User]) -> None:
    """Metas: how many activities (all, or of one type) or tasks each user should complete per
    week or month; progress shows on the Tablero and on the user's Mi agenda."""
    st.subheader("Metas")
    goals = store.goals(admin)
    if goals:
        st.dataframe([{"Usuario": g.user_name, "Periodo": g.period, "Meta": g.measure, "Cantidad": g.target}
                      for g in goals], hide_index=True, width="stretch")
    else:
        st.caption("Aún no hay metas. Fija una abajo; su avance aparece en el Tablero y en Mi agenda de esa persona.")
    if not people:
        return
    with st.form("metas", border=True):
        errors = FieldErrors()
        names = {p.id: p.name for p in people}
        person = st.selectbox("Usuario", list(names), format_func=names.get, key="meta_usuario")
        errors.slot("user")
        period = st.radio("Periodo", GOAL_PERIODS, horizontal=True, key="meta_periodo")
        errors.slot("period")
        measure = st.selectbox("Meta", GOAL_MEASURES, key="meta_medida",
                               help="Actividades cuenta las de cualquier tipo")
        errors.slot("measure")
        target = st.number_input("Cantidad a realizar", min_value=1, max_value=GOAL_MAX, value=10, step=1,
                                 key="meta_cantidad")
        errors.slot("target")
        with st.container(horizontal=True):
            save = st.form_submit_button("Guardar meta", type="primary")
            remove = st.form_submit_button("Quitar meta")
    if (save or remove) and save_or_show(
            lambda: store.set_goal(admin, person, period, measure, None if remove else int(target)), errors):
        flash(f"Meta {'quitada' if remove else 'guardada'}: {fmt.md(names[person])}")
        st.rerun()


def _sign_in_delay(store: Store, admin: User, person: User) -> None:
    """Desbloquear: once a user's failed sign-ins make them wait, an admin can let them in again."""
    delay = auth.email_delay_status(store, person.email)
    if delay is None:
        return
    if delay.until > times.now_utc():
        wait = f"no puede volver a intentarlo hasta {times.format_local(delay.until, admin.time_zone)}"
    else:
        wait = "cada nuevo fallo lo hará esperar más"
    st.warning(f"{fmt.md(person.name)} tiene {delay.failures} intentos de ingreso fallidos seguidos: {wait}.",
               icon=":material/lock_clock:")
    if st.button("Desbloquear", key=f"u_unlock_{person.id}", icon=":material/lock_open:") and save_or_show(
            lambda: store.unlock_sign_in(admin, person.id, client_address()), FieldErrors()):
        flash(f"{fmt.md(person.name)} puede volver a ingresar")
        st.rerun()


def _new_user(store: Store, admin: User) -> None:
    errors = FieldErrors()
    with st.form("nuevo_usuario", border=False):
        name = st.text_input("Nombre", max_chars=200)
        errors.slot("name")
        email = st.text_input("Correo electrónico", max_chars=254)
        errors.slot("email")
        role = st.selectbox("Rol", list(ROLES), index=list(ROLES).index(Role.SELLER.value), format_func=ROLES.get)
        errors.slot("role")
        zone = st.text_input("Zona horaria", value=times.default_zone())
        errors.slot("time_zone")
        password = st.text_input("Contraseña", type="password")
        errors.slot("password")
        password_allowed = _password_toggle(True)
        submitted = st.form_submit_button("Crear", type="primary")
    draft = UserDraft(name, email, role, password or None, zone.strip(), password_allowed)
    if submitted and save_or_show(lambda: store.create_user(admin, draft), errors):
        flash("Usuario creado")
        st.rerun()
