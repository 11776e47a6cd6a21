"""The indicators' public pages in Debian's Chromium: no axe-core violation (WCAG 2.1 A and
AA) at 1,280 px and at 375 px, no sideways scrolling, and the chart's text at least 12 px on
the phone (its viewBox is drawn for a phone's width, never scaled up)."""

import pytest

from commitments.models import Indicator
from commitments.services.indicator_writes import record_indicator_value
from tests.browser.chromium import no_violations_wide_and_narrow

pytestmark = pytest.mark.browser

SMALLEST_CHART_TEXT = """() => Math.min(...[...document.querySelectorAll("svg.chart text")].map(
    t => t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize)))"""


@pytest.fixture
def page(browser):
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 800}, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_the_indicator_pages_are_accessible(live_server, seeded, page):
    housing = Indicator.objects.get(definition__code="logements-livres")
    record_indicator_value(housing, year=2019, value=300, source="Ville")
    record_indicator_value(housing, year=2021, value=700, comment="Livraisons de la tranche 2")
    schooling = Indicator.objects.get(definition__code="scolarisation-moins-3-ans")
    paths = [
        "/indicateurs/",
        "/indicateurs/?territoire=grigny&trajectoire=en-retard",
        "/indicateurs/?territoire=nulle-part",
        "/territoires/grigny/indicateurs/",
        f"/indicateurs/{housing.pk}/",
        f"/indicateurs/{schooling.pk}/",
        "/indicateurs/comparer/?code=scolarisation-moins-3-ans",
        # The commitment's page, with its indicators' table.
        schooling.commitment.get_public_url(),
    ]
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status in (200, 400), path
        no_violations_wide_and_narrow(page)
        if page.locator("svg.chart").count():
            page.set_viewport_size({"width": 375, "height": 800})
            assert page.evaluate(SMALLEST_CHART_TEXT) >= 12, path
            page.set_viewport_size({"width": 1280, "height": 800})
