"""Contactos: the contacts the user may see, and a contact's profile at ?contacto=ID."""

import streamlit as st

from escala.domain import Role
from escala.ui.contacts import contact_list, contact_profile
from escala.ui.navigation import CONTACTS, page_user
from escala.ui.resources import get_store

store = get_store()
user = page_user(CONTACTS)
can_write = user.role is not Role.ANALYST

requested = st.query_params.get("contacto")
if requested is None:
    contact_list(store, user, can_write)
else:
    contact = store.get_contact(user, int(requested)) if requested.isdigit() else None
    if contact is None:
        st.page_link("pages/contactos.py", label="Contactos", icon=":material/arrow_back:")
        st.error("Contacto no encontrado")
        st.stop()
    st.query_params["contacto"] = str(contact.id)  # keep it in the address bar: reload and share land here
    contact_profile(store, user, contact, can_write)
