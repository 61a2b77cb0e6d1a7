"""A CSV of exactly what is on screen, in two clicks (prepare, then download)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from escala.analytics import Filters, Selection
from escala.domain import User
from escala.export import CsvOptions, Exporter
from escala.store import Store


def export_file(store: Store, user: User, filters: Filters, fmt: str = "csv", options: CsvOptions = CsvOptions(),
                gzip: bool = False, selection: Selection | None = None) -> tuple[Path, int]:
    """Write the export into a fresh temporary folder; returns the file and its row count."""
    now = store.clock()
    suffix = ".parquet" if fmt == "parquet" else ".csv.gz" if gzip else ".csv"
    path = Path(tempfile.mkdtemp(prefix="escala-export-")) / f"escala-{now:%Y%m%d-%H%M}{suffix}"
    rows = Exporter(store.db).write(path, filters, user, now, user.time_zone, fmt, options, gzip=gzip,
                                    selection=selection)
    return path, rows


def quick_export(store: Store, user: User, filters: Filters, key: str, selection: Selection | None = None,
                 label: str = "Exportar CSV") -> None:
    """The same export as the Exportar page (default options) for these filters and bar."""
    prepared = st.session_state.get(key)
    if prepared and prepared["what"] != (filters, selection):
        prepared = None  # something else is on screen now
    if st.button(label, key=f"{key}-prepare", icon=":material/download:"):
        with st.spinner("Exportando…"):
            path, _ = export_file(store, user, filters, selection=selection)
        prepared = st.session_state[key] = {"path": str(path), "what": (filters, selection)}
    if prepared:
        path = Path(prepared["path"])
        st.download_button(f"Descargar {path.name}", path.read_bytes(), file_name=path.name, mime="text/csv",
                           key=f"{key}-download", on_click="ignore", icon=":material/file_download:")
