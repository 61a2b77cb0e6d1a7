"""Exportar: the Tablero's filters to CSV or Parquet, with a preview."""

from escala.domain import Role
from escala.ui.exportar import exportar, importar
from escala.ui.navigation import EXPORT, page_user
from escala.ui.resources import get_store

store, user = get_store(), page_user(EXPORT)
exportar(store, user)
if user.role is Role.ADMIN:
    importar(store, user)
