"""Unexpected errors: the person sees a Spanish message with a short reference; the server
log gets the full traceback under that reference. No file path or source line reaches a page."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

log = logging.getLogger("escala")


def unexpected_message(error: BaseException) -> str:
    """Log ``error`` in full and return what the person reads."""
    reference = secrets.token_hex(4)
    log.error("Unexpected error %s", reference, exc_info=error)
    return (f"Algo salió mal (referencia {reference}). No se guardó nada a medias; inténtalo de nuevo y, "
            "si se repite, comparte la referencia con un administrador.")


def show_unexpected(error: BaseException) -> None:
    st.error(unexpected_message(error), icon=":material/error:")


@contextmanager
def guard() -> Iterator[None]:
    """Run a page: an unexpected exception becomes ``show_unexpected`` (st.stop and st.rerun
    are BaseExceptions, not Exceptions, so they pass through untouched)."""
    try:
        yield
    except Exception as error:  # noqa: BLE001  the point: nothing unexpected reaches the page raw
        show_unexpected(error)
