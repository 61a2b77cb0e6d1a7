"""A CSV of exactly what is on screen, in two clicks (prepare, then download)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from escala.analytics import Filters, Selection
from escala.domain import User
from escala.export import Exporter
from escala.store import Store


def quick_export(store: Store, user: User, filters: Filters, key: str, selection: Selection | None = None,
                 label: str = "Exportar CSV") -> None:
    """The same export as the Exportar page (default options) for these filters and bar."""
    now = store.clock()
    prepared = st.session_state.get(key)
    if prepared and prepared["what"] != (filters, selection):
        prepared = None  # something else is on screen now
    if st.button(label, key=f"{key}-prepare", icon=":material/download:"):
        path = Path(tempfile.mkdtemp(prefix="escala-export-")) / f"escala-{now:%Y%m%d-%H%M}.csv"
        with st.spinner("Exportando…"):
            Exporter(store.db).write(path, filters, user, now, user.time_zone, selection=selection)
        prepared = st.session_state[key] = {"path": str(path), "what": (filters, selection)}
    if prepared:
        path = Path(prepared["path"])
        st.download_button(f"Descargar {path.name}", path.read_bytes(), file_name=path.name, mime="text/csv",
                           key=f"{key}-download", on_click="ignore", icon=":material/file_download:")
