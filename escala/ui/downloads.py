"""A CSV of exactly what is on screen, in two clicks (prepare, then download).

Each prepared file lives in its own ``escala-export-*`` temp folder. A tab keeps at most one:
preparing another deletes the previous folder, and ``Database`` start-up deletes the folders
of tabs that went away over an hour ago (``escala.db.cleanup_stale_temp_files``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import streamlit as st

from escala.analytics import Filters, Selection
from escala.domain import User
from escala.export import CsvOptions, Exporter
from escala.store import Store

LATEST_EXPORT = "escala_latest_export_folder"  # session key: this tab's prepared file's folder


def export_file(store: Store, user: User, filters: Filters, fmt: str = "csv", options: CsvOptions = CsvOptions(),
                gzip: bool = False, selection: Selection | None = None) -> tuple[Path, int]:
    """Write the export into a fresh temporary folder, which replaces (deletes) the one this
    tab prepared before; returns the file and its row count."""
    now = store.clock()
    suffix = ".parquet" if fmt == "parquet" else ".csv.gz" if gzip else ".csv"
    folder = Path(tempfile.mkdtemp(prefix="escala-export-"))
    path = folder / f"escala-{now:%Y%m%d-%H%M}{suffix}"
    try:
        rows = Exporter(store.db).write(path, filters, user, now, user.time_zone, fmt, options, gzip=gzip,
                                        selection=selection)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _replace_latest_export(folder)
    return path, rows


def _replace_latest_export(folder: Path) -> None:
    """Remember ``folder`` as this tab's prepared export; delete the previous one and forget
    every prepared-download record (``{"path": ...}`` in session state) that pointed into it."""
    previous = st.session_state.get(LATEST_EXPORT)
    st.session_state[LATEST_EXPORT] = str(folder)
    if not previous or previous == str(folder):
        return
    shutil.rmtree(previous, ignore_errors=True)
    for key, value in list(st.session_state.items()):
        if isinstance(value, dict) and Path(str(value.get("path", ""))).parent == Path(previous):
            del st.session_state[key]


def quick_export(store: Store, user: User, filters: Filters, key: str, selection: Selection | None = None,
                 label: str = "Exportar CSV") -> None:
    """The same export as the Exportar page (default options) for these filters and bar."""
    prepared = st.session_state.get(key)
    if prepared and (prepared["what"] != (filters, selection) or not Path(prepared["path"]).is_file()):
        prepared = None  # something else is on screen now, or the file was cleaned up
    if st.button(label, key=f"{key}-prepare", icon=":material/download:"):
        with st.spinner("Exportando…"):
            path, _ = export_file(store, user, filters, selection=selection)
        prepared = st.session_state[key] = {"path": str(path), "what": (filters, selection)}
    if prepared:
        path = Path(prepared["path"])
        st.download_button(f"Descargar {path.name}", path.read_bytes(), file_name=path.name, mime="text/csv",
                           key=f"{key}-download", on_click="ignore", icon=":material/file_download:")
