"""What Streamlit does not do by itself for a screen reader, a keyboard or a phone, in one
stylesheet and one script set once per page run: the page's language, a visible focus
everywhere, and the phone layout (a screen narrower than Streamlit's column breakpoint)."""

from __future__ import annotations

import streamlit as st

PHONE_WIDTH = 640  # px: below it Streamlit stacks columns, so a list's rows become cards
MENU_OVERLAY_WIDTH = 768  # px: below it the sidebar (the menu) opens over the page

# Rows of a list are containers keyed "fila-…" and their column titles "encabezado-…": on a
# phone the titles would stack above the first row, so they go and each row is a card.
# Tap targets are at least 44 px high (buttons, links, popover and select boxes).
STYLE = f"""<style>
/* Keyboard focus always shows (Streamlit draws none on some links and icon buttons): the
   primary colour, at >= 3:1 against either theme's background */
:root :focus-visible {{ outline: 2px solid #1a5fcc; outline-offset: 2px; }}
@media (prefers-color-scheme: dark) {{ :root :focus-visible {{ outline-color: #6ea8fe; }} }}
/* Streamlit's "Press Enter to apply" under a text box is English and cannot be set: hidden
   (Enter still applies; the character count stays) */
:root [data-testid="InputInstructions"] > span:first-child {{ display: none; }}
:root [data-testid="InputInstructions"] > span:nth-child(2)::before {{ content: none; }}
/* a table's toolbar shows on hover; reached with Tab it must show too */
:root [data-testid="stElementToolbar"]:focus-within {{ opacity: 1; }}
@media (max-width: {PHONE_WIDTH}px) {{
  [class*="st-key-encabezado-"] {{ display: none; }}
  [class*="st-key-fila-"] {{ border: 1px solid rgba(128, 128, 128, 0.4); border-radius: 0.5rem; padding: 0.75rem; }}
  /* ":root" outranks the single class Streamlit styles each element with */
  :root :is(button, [data-testid="stPageLink"] a, [data-testid="stSidebarNav"] a, input, textarea, [role="combobox"],
            label:has(input[type="checkbox"]), label:has(input[type="radio"])) {{ min-height: 44px; }}
  :root [data-testid="stElementToolbar"] button {{ min-width: 44px; }}
  label:has(input[type="checkbox"]), label:has(input[type="radio"]) {{ align-items: center; }}
}}
</style>"""

LANGUAGE = "es-MX"
# Streamlit serves <html lang="en"> and has no setting for it: Spanish, for screen readers,
# spell-check, hyphenation and translation offers. Streamlit closes the menu after a page is
# chosen only when the browser says it is a phone (its user agent); a narrow window of any
# browser gets the same here.
SCRIPT = f"""<script>
document.documentElement.lang = '{LANGUAGE}';
if (!window.escalaMenuCloses) {{
  window.escalaMenuCloses = true;
  document.addEventListener("click", (event) => {{
    const link = event.target.closest('[data-testid="stSidebar"] a');
    if (!link || window.innerWidth >= {MENU_OVERLAY_WIDTH}) return;
    setTimeout(() => {{
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      const sidebar = document.querySelector('[data-testid="stSidebar"]');
      if (close && sidebar && sidebar.getAttribute("data-collapsed") !== "true") close.click();
    }}, 0);
  }});
}}
</script>"""


def accessible_layout() -> None:
    st.html(STYLE + SCRIPT, unsafe_allow_javascript=True, width=1)
