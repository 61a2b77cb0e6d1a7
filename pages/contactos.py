"""Contactos: the contacts the user may see, and a contact's profile at ?contacto=ID."""

import streamlit as st

from escala.domain import Role, parse_id
from escala.ui.contacts import contact_list, contact_profile
from escala.ui.navigation import CONTACTS, page_user
from escala.ui.resources import get_store

store = get_store()
user = page_user(CONTACTS)
can_write = user.role is not Role.ANALYST

requested = st.query_params.get("contacto")
contact_id = parse_id(requested)
if requested is not None and contact_id is None:  # a malformed link: say so and show the list
    del st.query_params["contacto"]
    st.toast("El enlace no indica un contacto válido; te mostramos la lista.", icon=":material/link_off:")
    requested = None
if requested is None:
    contact_list(store, user, can_write)
else:
    contact = store.get_contact(user, contact_id)
    if contact is None:
        st.page_link("pages/contactos.py", label="Contactos", icon=":material/arrow_back:")
        st.error("Contacto no encontrado")
        st.stop()
    st.query_params["contacto"] = str(contact.id)  # keep it in the address bar: reload and share land here
    contact_profile(store, user, contact, can_write)
