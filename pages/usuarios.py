"""Usuarios: administrators manage who can sign in."""

from escala.ui.navigation import USERS, page_user
from escala.ui.resources import get_store
from escala.ui.usuarios import usuarios

usuarios(get_store(), page_user(USERS))
