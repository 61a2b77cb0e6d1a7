"""Exportar: the Tablero's filters, a preview of the first 100 rows, and the file."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from escala import times
from escala.domain import User
from escala.export import SIZE_LIMIT, CsvOptions, Exporter
from escala.store import Store
from escala.ui.downloads import export_file
from escala.ui.format import plural
from escala.ui.tablero import sidebar_filters

SEPARATORS = {",": "Coma (,)", ";": "Punto y coma (;) · Excel en español"}
PREPARED = "export_prepared"


def _prepare(store: Store, user: User, filters, fmt: str, options: CsvOptions, gzip: bool) -> None:
    with st.status("Exportando…", expanded=False) as status:
        path, rows = export_file(store, user, filters, fmt, options, gzip)
        status.update(label=f"Listo: {plural(rows, 'fila', 'filas')}", state="complete")
    st.session_state[PREPARED] = {"path": str(path), "rows": rows, "size": path.stat().st_size, "fmt": fmt,
                                  "gzip": gzip, "key": (filters, fmt, options, gzip)}


def exportar(store: Store, user: User) -> None:
    now = store.clock()
    filters = sidebar_filters(store, user, times.to_local(now, user.time_zone).date())
    st.title("Exportar")
    st.caption("Exporta exactamente lo que cuenta el Tablero con los filtros de la barra lateral.")
    exporter = Exporter(store.db)
    fmt = st.radio("Formato", ["csv", "parquet"], horizontal=True, key="x_format",
                   format_func={"csv": "CSV", "parquet": "Parquet (tipos reales, para notebooks)"}.get)
    options = CsvOptions()
    if fmt == "csv":
        separator = st.radio("Separador", list(SEPARATORS), format_func=SEPARATORS.get, horizontal=True, key="x_sep")
        bom = st.checkbox("Incluir BOM UTF-8 (para que Excel reconozca los acentos)", key="x_bom")
        escape = st.checkbox("Neutralizar celdas que una hoja de cálculo ejecutaría como fórmula (recomendado)",
                             value=True, key="x_escape",
                             help="Antepone ' a las celdas que empiezan con =, +, -, @, tabulador o salto de línea.")
        options = CsvOptions(separator, bom, escape)

    total = exporter.count(filters, user, now, user.time_zone)
    st.markdown(f"**{plural(total, 'fila', 'filas')}** con estos filtros.")
    if total == 0:
        st.info("No hay nada que exportar con estos filtros.")
        return
    preview = exporter.preview(filters, user, now, user.time_zone)
    preview = preview.fillna({column: "" for column in preview.select_dtypes(exclude="number")})  # not "None"
    st.dataframe(preview, hide_index=True, width="stretch")
    st.caption("Vista previa: las primeras 100 filas.")

    prepared = st.session_state.get(PREPARED)
    if prepared and prepared["key"][:3] != (filters, fmt, options):
        prepared = None  # the filters or options changed since
    if st.button("Preparar archivo", type="primary", icon=":material/download:"):
        _prepare(store, user, filters, fmt, options, gzip=False)
        prepared = st.session_state[PREPARED]
    if not prepared:
        return
    if prepared["fmt"] == "csv" and not prepared["gzip"] and prepared["size"] > SIZE_LIMIT:
        st.warning(f"El CSV ocupa {prepared['size'] / 2**20:,.0f} MB, más del límite de descarga "
                   f"({SIZE_LIMIT // 2**20} MB). Prepáralo comprimido o en Parquet.")
        gzip_column, parquet_column = st.columns(2)
        if gzip_column.button("Preparar .csv.gz"):
            _prepare(store, user, filters, "csv", options, gzip=True)
            st.rerun()
        if parquet_column.button("Preparar Parquet"):
            _prepare(store, user, filters, "parquet", options, gzip=False)
            st.rerun()
        return
    path = Path(prepared["path"])
    st.download_button(f"Descargar {path.name}", path.read_bytes(), file_name=path.name, type="primary",
                       mime={"parquet": "application/vnd.apache.parquet"}.get(prepared["fmt"], "text/csv"),
                       on_click="ignore", key="x_download", icon=":material/file_download:")


IMPORT_KINDS = {"actividades": "Actividades", "tareas": "Tareas", "todo": "Actividades y tareas",
                "contactos": "Contactos"}
SKIP_HINT = "marca «Cargar solo las líneas válidas» para cargar las demás"


def importar(store: Store, user: User) -> None:
    """Admins: load a CSV with the export's headers (or contacts); every bad line is reported."""
    import logging

    from escala.domain import ValidationError
    from escala.imports import import_contacts, import_items

    st.divider()
    st.header("Importar")
    st.caption("Usa los mismos encabezados de la exportación (así una exportación se vuelve a importar; "
               "en «Actividades y tareas» la columna Clase dice qué es cada fila). "
               "Los contactos se reconocen por correo, las oportunidades por nombre y las personas por nombre. "
               "Si el archivo tiene errores no se importa nada, salvo que elijas cargar solo las líneas válidas.")
    kind = st.radio("Qué importar", list(IMPORT_KINDS), format_func=IMPORT_KINDS.get, horizontal=True, key="i_kind")
    upload = st.file_uploader("Archivo CSV", type=["csv"], key="i_file")
    skip = st.checkbox("Cargar solo las líneas válidas", key="i_skip")
    if not st.button("Importar", type="primary", disabled=upload is None, icon=":material/upload:"):
        return
    path = None
    try:  # the upload's copy is named so that start-up can clear what a killed import left behind
        with tempfile.NamedTemporaryFile(prefix="escala-import-", suffix=".csv", delete=False) as handle:
            path = Path(handle.name)
            handle.write(upload.getvalue())
        with st.spinner("Validando e importando…"):
            report = (import_contacts(store, user, path, skip) if kind == "contactos"
                      else import_items(store, user, kind, path, skip))
    except ValidationError as error:
        st.error(" ".join(error.errors.values()))
        return
    except Exception:  # never a traceback or a server path in the page
        logging.getLogger(__name__).exception("import failed")
        st.error("No se pudo importar el archivo; no se cargó nada.")
        return
    finally:
        if path is not None:
            path.unlink(missing_ok=True)
    (st.success if report.written else st.error)(report.summary(SKIP_HINT))
    if report.rejected:
        st.dataframe([{"Línea": line, "Errores": " ".join(errors.values())} for line, errors in report.rejected],
                     hide_index=True, width="stretch")
