"""Exportar: the Tablero's filters to CSV or Parquet, with a preview."""

from escala.ui.exportar import exportar
from escala.ui.navigation import EXPORT, page_user
from escala.ui.resources import get_store

exportar(get_store(), page_user(EXPORT))
