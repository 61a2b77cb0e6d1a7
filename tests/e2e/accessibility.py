"""axe-core (shipped by axe-playwright-python) run in the browser: the WCAG 2.1 A and AA rules
over the page and its same-origin frames, in the light and the dark theme."""

from __future__ import annotations

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import expect

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The app's background in each theme (.streamlit/config.toml follows the browser's preference).
THEMES = {"light": "rgb(255, 255, 255)", "dark": "rgb(23, 22, 20)"}
RUN = """options => axe.run(document, options).then(results => results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160), why: n.failureSummary}))})))"""


def switch_theme(page, scheme: str) -> None:
    """Tell the browser to prefer ``scheme`` and wait until Streamlit has redrawn in it (the
    server's own sign-in page follows the same preference through CSS)."""
    page.emulate_media(color_scheme=scheme)
    app = page.get_by_test_id("stApp")
    if app.count():
        expect(app).to_have_css("background-color", THEMES[scheme])
    page.wait_for_timeout(300)  # transitions (buttons fade their colours) settle


def violations(page) -> list[dict]:
    """axe's WCAG 2.1 AA violations on the page as it is now, frames included."""
    for frame in page.frames:  # axe reads each frame from inside it (the calendar is one)
        frame.evaluate(f"() => {{ if (!window.axe) {{ {AXE_SCRIPT}\n }} }}")
    return page.evaluate(RUN, {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]})


def report(found: dict[str, list[dict]]) -> str:
    lines = []
    for theme, rules in found.items():
        for rule in rules:
            lines.append(f"[{theme}] {rule['id']} ({rule['impact']}): {rule['help']}")
            lines += [f"    {node['target']}\n      {node['html']}\n      {node['why']}" for node in rule["nodes"][:5]]
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """Zero axe violations in both themes."""
    found = {}
    for scheme in THEMES:
        switch_theme(page, scheme)
        if rules := violations(page):
            found[scheme] = rules
    page.emulate_media(color_scheme="light")
    assert not found, report(found)
