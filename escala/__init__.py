"""Escala · Actividades y Tareas: the product's core, usable without Streamlit."""
