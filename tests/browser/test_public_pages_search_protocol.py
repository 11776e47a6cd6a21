"""The search page on a phone and the protocol page's links, in Debian's Chromium (the `browser`
fixture), as issue 16 found them: on /engagements/ at 375 px the results started 1,205 px down
after the filters and the focus went back to the top after filtering; on /territoires/grigny/,
49 "Suivi de cet objectif opérationnel" and 49 "#" links shared their names, with 20×22 px
targets."""

import re

import pytest

from tests.browser.chromium import WCAG, axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 375, "height": 800}, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def top(page, selector):
    return page.locator(selector).first.evaluate("e => e.getBoundingClientRect().top + scrollY")


def test_search_on_a_phone_results_first_and_focus_on_them(live_server, seeded, phone):
    from playwright.sync_api import expect

    phone.goto(live_server.url + "/engagements/?q=emploi")
    # The count and the results come before the filters, one link away.
    assert top(phone, "#titre-resultats") < 400
    assert top(phone, ".result-list") < top(phone, "#filtres")
    count = phone.locator("#titre-resultats").inner_text()
    assert re.match(r"\d+ engagements? trouvés?", count)
    assert re.match(r"(Page \d+ — )?\d+ résultats? — ", phone.title())
    # The "Filtres" link leads to the filters, by keyboard.
    link = phone.get_by_role("link", name="Filtres", exact=True)
    link.focus()
    phone.keyboard.press("Enter")
    expect(phone).to_have_url(re.compile(r"#filtres$"))
    # After filtering, the focus is on the results' heading.
    phone.get_by_label("Grigny", exact=True).check()
    phone.get_by_role("button", name="Appliquer les filtres").click()
    expect(phone).to_have_url(re.compile(r"territoire=grigny"))
    expect(phone.locator("#titre-resultats")).to_be_focused()
    assert phone.evaluate("document.documentElement.scrollWidth") == 375
    assert axe_violations(phone, tags=WCAG) == []


def test_search_title_says_zero(live_server, seeded, phone):
    from playwright.sync_api import expect

    phone.goto(live_server.url + "/engagements/?q=zzzzqqqq")
    assert phone.title().startswith("0 résultat — ")
    expect(phone.locator("#titre-resultats")).to_be_focused()
    expect(phone.locator("#titre-resultats")).to_have_text("0 engagement trouvé")


def test_protocol_page_links_have_distinct_names_and_24px_targets(live_server, seeded, phone):
    phone.goto(live_server.url + "/territoires/grigny/")
    links = phone.locator("main a.permalink, main a.detail-link")
    measured = links.evaluate_all(
        """links => links.map(link => {
            const box = link.getBoundingClientRect();
            return {name: link.textContent.replace(/\\s+/g, " ").trim(),
                    width: box.width, height: box.height};
        })"""
    )
    assert len(measured) >= 98
    names = [link["name"] for link in measured]
    assert len(set(names)) == len(names), "two links share a name"
    small = [link for link in measured if link["width"] < 24 or link["height"] < 24]
    assert small == []
    # Accessible names as a screen reader gets them (the hidden text included).
    first_detail = " ".join(phone.locator("main a.detail-link").first.text_content().split())
    assert re.match(r"Suivi de l'(objectif opérationnel|action) [\d.]+ : ", first_detail)
    assert axe_violations(phone, tags=WCAG) == []


def test_pdf_links_are_accessible(live_server, seeded, phone):
    """The PDF links (with and without tracking) of the territory list and of a protocol page:
    their format in their text, and no axe violation."""
    for path in ("/territoires/", "/territoires/grigny/"):
        phone.goto(live_server.url + path)
        links = phone.locator("main a[href*='.pdf']")
        texts = [" ".join(text.split()) for text in links.all_inner_texts()]
        assert len(texts) == 2, texts
        assert all(text.endswith("(PDF)") for text in texts), texts
        assert links.nth(1).get_attribute("href").endswith(".pdf?suivi=1")
        assert phone.evaluate("document.documentElement.scrollWidth") == 375
        assert axe_violations(phone, tags=WCAG) == [], path
