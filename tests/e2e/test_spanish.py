"""Spanish in a Spanish-speaking browser (es-MX): the text a user sees on every page and in the
states where Streamlit adds words of its own (a date picker open, a text box being typed in,
a multiselect open, the file uploader, the skip link) holds no English, except what Streamlit
cannot translate today, each listed in the README with its upstream issue; and none of those
strings comes from our code."""

from __future__ import annotations

import re
import tokenize
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CONTACT_IDS, MENUS, ROOT, new_tab, role_of, sign_in, wait_for_app
from tests.e2e.test_workflow import open_popup

README = ROOT / "README.md"
SECTION = "### Streamlit's own English"
# English words and phrases of user interfaces that Spanish does not share (not "No", "Error"
# or "Total"); a month or a weekday name is English too.
ENGLISH = re.compile(r"\b(" + "|".join([
    "Press", "Enter to", "apply", "submit", "Select all", "Upload", "Drag and drop", "drop", "files?", "Browse",
    "per", "Limit", "Time", "Skip", "main content", "Choose", "an option", "options", "results", "Search",
    "Download", "Fullscreen", "Close", "Clear", "Running", "Stop", "Show", "hide", "columns", "Today", "Previous",
    "Next", "month", "Page", "of", "Loading", "Please", "wait", "Settings", "Rerun", "Print", "Deploy", "Made with",
    "Add", "Delete", "Edit", "Save", "Cancel", "Yes", "Warning", "Connecting", "minutes?", "hours?", "days?",
    "weeks?", "years?", "and", "the", "with", "for", "from", "your", "this", "here", "more", "less",
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December", "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "AM", "PM",
]) + r")\b")
# Text nodes whose element is drawn (not hidden, not clipped to a pixel for screen readers
# only), and the placeholders of the empty boxes shown.
VISIBLE_TEXT = """() => {
  const shown = e => { const r = e.getBoundingClientRect(), cs = getComputedStyle(e);
    return r.width > 1 && r.height > 1 && cs.visibility !== 'hidden' && cs.opacity !== '0'
           && !(cs.position === 'absolute' && cs.clip && cs.clip.startsWith('rect(0')) && cs.clipPath !== 'inset(50%)'; };
  const texts = [], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode())
    if (node.textContent.trim() && node.parentElement && shown(node.parentElement)) texts.push(node.textContent.trim());
  for (const input of document.querySelectorAll('input[placeholder], textarea[placeholder]'))
    if (!input.value && input.getClientRects().length && shown(input)) texts.push(input.placeholder);
  return texts.join('\\n'); }"""


def documented() -> list[str]:
    """The strings the README lists under SECTION: the `quoted` texts that open its items."""
    text = README.read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n#", 1)[0]
    items = [line.split(":", 1)[0] for line in section.splitlines() if line.startswith("- `")]
    return [string for item in items for string in re.findall(r"`([^`]+)`", item)]


def english_in(text: str, allowed: list[str]) -> list[str]:
    """Lines of ``text`` with English left once the README's upstream strings are taken out."""
    found = []
    for line in text.splitlines():
        rest = line
        for string in allowed:
            rest = rest.replace(string, " ")
        if ENGLISH.search(rest):
            found.append(line.strip())
    return found


def seen(page) -> str:
    """What the page shows now, its frames (the calendar) included."""
    return "\n".join(frame.evaluate(VISIBLE_TEXT) for frame in page.frames)


def test_the_readme_lists_streamlits_english_and_none_of_it_is_ours():
    strings = documented()
    assert {"Skip to main content", "Drag and drop files here", "Time"} <= set(strings), strings
    ours = [path for folder in ("escala", "pages") for path in (ROOT / folder).rglob("*.py")
            if path.name != "metrics.py"] + [ROOT / "app.py"]  # metrics: Prometheus' help texts, for operators
    literals = {path.name: _string_literals(path) for path in ours}
    for string in strings:
        assert ENGLISH.search(string), f"{string!r} is not English: why is it listed?"
        word = re.compile(rf"(?<!\w){re.escape(string)}(?!\w)")
        written = [name for name, texts in literals.items() if any(word.search(text) for text in texts)]
        assert not written, f"{string!r} comes from our code: {written}"


def _string_literals(path: Path) -> list[str]:
    """The string literals of a Python file (what it could show), not its names or comments."""
    with path.open("rb") as source:
        return [token.string for token in tokenize.tokenize(source.readline)
                if token.type in (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1))]


@pytest.mark.parametrize("email", list(MENUS), ids=role_of)
def test_every_page_speaks_spanish(browser, app_url, email):
    allowed, texts = documented(), []
    with new_tab(browser) as page:
        page.goto(app_url)
        expect(page.get_by_label("Correo electrónico")).to_be_visible()
        texts.append(seen(page))
        sign_in(page, email)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav).to_be_visible()
        wait_for_app(page)
        page.keyboard.press("Tab")  # the skip link shows while focused
        texts.append(seen(page))
        for title in MENUS[email]:
            nav.get_by_role("link", name=title).click()
            expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
            wait_for_app(page)
            texts.append(seen(page))
            if title == "Contactos":  # typing in a text box: Streamlit's hint below it
                search = page.get_by_role("textbox", name="Buscar")
                search.fill("Contacto")
                texts.append(seen(page))
                search.press("Enter")
                wait_for_app(page)
            if title == "Tablero":  # a multiselect open: no "Select all"
                page.get_by_test_id("stSidebar").get_by_role("combobox", name="Tipo").click()
                page.keyboard.press("ArrowDown")
                expect(page.get_by_role("listbox")).to_be_visible()
                texts.append(seen(page))
                page.keyboard.press("Escape")
    found = english_in("\n".join(texts), allowed)
    assert not found, f"English on screen: {sorted(set(found))}"


def test_the_item_popup_and_its_date_picker_speak_spanish(seller_page, app_url):
    page = seller_page
    page.goto(f"{app_url}/contactos?contacto={CONTACT_IDS['Contacto Actividades']}")
    wait_for_app(page)
    dialog = open_popup(page, "nueva_tarea", "Nueva tarea")
    texts = [seen(page)]
    dialog.get_by_role("button", name="Choose date and time").click()
    calendar = page.get_by_role("grid")
    expect(calendar).to_be_visible()
    texts.append(seen(page))
    days = {day.strip().lower() for day in calendar.locator("th").all_inner_texts()}
    assert {"l", "m", "j", "v", "s", "d"} == days, days  # lunes … domingo, not S M T W T F S
    found = english_in("\n".join(texts), documented())
    assert not found, f"English on screen: {sorted(set(found))}"
