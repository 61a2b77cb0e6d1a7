"""axe-core (shipped by axe-playwright-python) run in the browser: the WCAG 2.1 A and AA rules
over the page and its same-origin frames, in the light and the dark theme."""

from __future__ import annotations

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import expect

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The app's background in each theme (.streamlit/config.toml follows the browser's preference).
# What a popup is drawn in: dialogs (Streamlit's, and the date picker's), open lists, popovers.
POPUP_PARTS = ["[role=dialog]", "[role=listbox]", "[role=grid]", "[data-testid=stPopoverBody]"]
THEMES = {"light": "rgb(255, 255, 255)", "dark": "rgb(23, 22, 20)"}
RUN = """([context, options]) => axe.run(context || document, options).then(results => results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160), why: n.failureSummary}))})))"""


def switch_theme(page, scheme: str) -> None:
    """Tell the browser to prefer ``scheme`` and wait until Streamlit has redrawn in it (the
    server's own sign-in page follows the same preference through CSS)."""
    if page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark"):
        return  # already so
    page.emulate_media(color_scheme=scheme)
    app = page.get_by_test_id("stApp")
    if app.count():
        expect(app).to_have_css("background-color", THEMES[scheme])
    page.wait_for_timeout(300)  # transitions (buttons fade their colours) settle


def violations(page, within: list[str] | None = None) -> list[dict]:
    """axe's WCAG 2.1 AA violations on the page as it is now, frames included; or only in the
    elements matching the CSS selectors ``within`` (a popup over a page already checked)."""
    for frame in page.frames:  # axe reads each frame from inside it (the calendar is one)
        if not frame.evaluate("() => !!window.axe"):
            frame.evaluate(AXE_SCRIPT)
    present = [selector for selector in within or () if page.locator(selector).count()]
    context = {"include": [[selector] for selector in present]} if present else None
    return page.evaluate(RUN, [context, {"runOnly": {"type": "tag", "values": WCAG_21_AA},
                                         "resultTypes": ["violations"]}])


def report(found: dict[str, list[dict]]) -> str:
    lines = []
    for theme, rules in found.items():
        for rule in rules:
            lines.append(f"[{theme}] {rule['id']} ({rule['impact']}): {rule['help']}")
            lines += [f"    {node['target']}\n      {node['html']}\n      {node['why']}" for node in rule["nodes"][:5]]
    return "\n".join(lines)


def assert_accessible(page, within: list[str] | None = None) -> None:
    """Zero axe violations in both themes (in the whole page, or ``within`` those elements)."""
    found = {}
    for scheme in THEMES:
        switch_theme(page, scheme)
        if rules := violations(page, within):
            found[scheme] = rules
    page.emulate_media(color_scheme="light")
    assert not found, report(found)
