"""Calendario: the signed-in user's activities and tasks by day, week or month."""

from escala.ui.calendario import calendario
from escala.ui.navigation import CALENDAR, page_user
from escala.ui.resources import get_store

calendario(get_store(), page_user(CALENDAR))
