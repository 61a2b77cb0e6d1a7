"""Mi agenda: the signed-in user's pending work, grouped by when it is due, and their week."""

from escala.ui.agenda import agenda
from escala.ui.navigation import AGENDA, page_user
from escala.ui.resources import get_store

agenda(get_store(), page_user(AGENDA))
