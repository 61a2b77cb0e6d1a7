"""Placeholder landing page until the real pages land (Contactos, Mi agenda, Tablero)."""

import streamlit as st

from escala.ui.navigation import page_user

user = page_user("inicio")

st.title("Inicio")
st.write(f"Hola, {user.name}. Tu rol es **{user.role.label}**.")
st.write("Las páginas de Contactos, Mi agenda y Tablero llegan en las próximas entregas.")
