"""The stylesheet as Chromium reads it: a selector the browser cannot parse drops its whole
rule without a word (the home page's search box, the queue's overdue rows and the money
table's quiet days once lost their styles to a mangled `.q` that still looked like CSS)."""
import re

from tests.browser.support import HERE

CSS = HERE.parents[1] / "static" / "css" / "app.css"


def selectors(text):
    """Each rule's selector list, in order (comments and @-rules' own preludes left out)."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return [found.strip() for found in re.findall(r"([^{};]+)\{", text)
            if not found.strip().startswith("@")]


def test_every_selector_parses_in_chromium(browser):
    page = browser.new_page()
    try:
        listed = selectors(CSS.read_text())
        assert len(listed) > 100  # the file's rules, not an empty read
        refused = page.evaluate("""(all) => all.filter((s) => {
            try { document.querySelector(s); return false; } catch (e) { return true; } })""",
                                listed)
    finally:
        page.close()
    assert refused == []
