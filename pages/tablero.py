"""Tablero: pending vs done by responsible, type and opportunity, over time, and overdue ageing."""

from escala.ui.navigation import TABLERO, page_user
from escala.ui.resources import get_store
from escala.ui.tablero import tablero

tablero(get_store(), page_user(TABLERO))
