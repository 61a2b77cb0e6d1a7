"""Streamlit helpers shared by the pages. The only part of ``escala`` that imports Streamlit."""
