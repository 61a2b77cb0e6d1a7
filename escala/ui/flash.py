"""Messages that must survive the rerun that closes a dialog (shown as toasts)."""

from __future__ import annotations

import streamlit as st

KEY = "flash_messages"


def flash(message: str, icon: str = ":material/check_circle:") -> None:
    """Queue a toast for the next run. ``message`` is Markdown: pass user text through ``format.md``."""
    st.session_state.setdefault(KEY, []).append((message, icon))


def show_flashes() -> None:
    for message, icon in st.session_state.pop(KEY, []):
        st.toast(message, icon=icon)
