"""An XSS payload stored in every text field staff or city leads can type comes out escaped:
in the public pages, the API, the exports, the feeds, the PDF and the admin.

Each field gets its own marker inside the payload (`alert("territory.name")`), so that a
failure names the field and the test can tell which fields each output really shows.
"""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from commitments import models
from commitments.enums import Status
from territories.enums import Department, TerritoryKind
from territories.models import Territory
from tests import factories
from tests.support.admin import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hasher")]

SLUG = "ville-xss"
THEMATIC_SLUG = "thematique-xss"


def payload(marker):
    """Script, event handler, both quotes and an ampersand; 57 characters plus the marker."""
    return f'<script>alert("{marker}")</script><img src=x onerror=alert(1)>"\'&'


def short_payload(marker):
    """For the fields limited to 40 characters."""
    return f"<i onclick=a()>\"'&{marker}"


# Fields that cannot hold the whole payload (max_length 40).
SHORT_FIELDS = {"partner.acronym", "glossary.term"}


def value(marker):
    return short_payload(marker) if marker in SHORT_FIELDS else payload(marker)


def shows(text, marker):
    """Whether `text` (already decoded from HTML, JSON, CSV, XML or PDF) shows the field."""
    if marker in SHORT_FIELDS:
        return f"<i onclick=a()>\"'&{marker}" in text
    return f'<script>alert("{marker}")</script>' in text


JSON_DATA = "application/json"


class Page(HTMLParser):
    """Every element and attribute of an HTML page, and its text as a reader sees it."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements = []  # (tag, {attr: value})
        self.text_parts = []
        self.script_bodies = []
        self._in_script = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        self.text_parts.extend(v for v in attrs.values() if v)
        if tag == "script":
            self._in_script = True
            self.script_bodies.append("")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_bodies[-1] += data
        self.text_parts.append(data)

    @property
    def text(self):
        return "\n".join(self.text_parts)

    def injected(self):
        """What the payload would have added to the page had it not been escaped."""
        problems = []
        for tag, attrs in self.elements:
            handlers = sorted(name for name in attrs if name.startswith("on"))
            if handlers:
                problems.append(f"<{tag}> with {handlers}")
            if tag == "img" and attrs.get("src") == "x":
                problems.append("<img src=x>")
            # A JSON data block (a configuration read by a script) is never run.
            if tag == "script" and not attrs.get("src") and attrs.get("type") != JSON_DATA:
                problems.append("<script> without src")
        problems.extend(f"script body {body!r}" for body in self.script_bodies if "alert" in body)
        return problems


def assert_escaped(html, where):
    assert "<script>alert" not in html, where
    page = Page(html)
    assert page.injected() == [], where
    return page


@pytest.fixture
def xss():
    """One territory whose every text field, and every related text, carries the payload."""
    agglomeration = Territory.objects.agglomerations().first() or Territory.objects.create(
        name="Agglomération",
        slug="agglo",
        kind=TerritoryKind.AGGLOMERATION,
        department=Department.ESSONNE_SEINE_ET_MARNE,
    )
    territory = Territory.objects.create(
        name=payload("territory.name"),
        slug=SLUG,
        subtitle=payload("territory.subtitle"),
        kind=TerritoryKind.COMMUNE,
        department=Department.ESSONNE,
        parent=agglomeration,
        position=99,
    )
    thematic = models.Thematic.objects.create(
        slug=THEMATIC_SLUG,
        name=payload("thematic.name"),
        short_name=payload("thematic.short"),
        description=payload("thematic.description"),
        position=99,
    )
    partner = models.Partner.objects.create(
        slug="partenaire-xss",
        name=payload("partner.name"),
        acronym=short_payload("partner.acronym"),
        aliases=payload("partner.aliases"),
    )
    axis = models.TransversalAxis.objects.create(
        slug="axe-xss", name=payload("axis.name"), description=payload("axis.description")
    )
    models.GlossaryTerm.objects.create(
        term="XSSQ",
        slug="xssq",
        expansion=payload("glossary.expansion"),
        definition=payload("glossary.definition"),
    )
    models.GlossaryTerm.objects.create(
        term=short_payload("glossary.term"),
        slug="xss-term",
        expansion=payload("glossary.term_expansion"),
    )
    protocol = models.Protocol.objects.create(
        territory=territory,
        title=payload("protocol.title"),
        deliberation_reference=payload("protocol.ref"),
        start_year=2019,
        end_year=2022,
        preamble=payload("protocol.preamble") + "\n\n" + payload("protocol.preamble2"),
        preconditions_heading=payload("protocol.pre_heading"),
        preconditions=payload("protocol.preconditions"),
    )
    section = models.ThematicSection.objects.create(
        protocol=protocol,
        thematic=thematic,
        position=1,
        heading=payload("section.heading"),
        subtitle=payload("section.subtitle"),
        objective=payload("section.objective"),
        priorities_heading=payload("section.prio_heading"),
        priorities=payload("section.priorities"),
        intro=payload("section.intro"),
    )
    so = models.StrategicObjective.objects.create(
        section=section,
        position=1,
        text="XSSQ " + payload("so.text"),
        details=payload("so.details"),
        subheading=payload("so.subheading"),
        operational_heading=payload("so.op_heading"),
    )
    oo = models.OperationalObjective.objects.create(
        strategic_objective=so,
        position=1,
        text="XSSQ " + payload("oo.text"),
        details=payload("oo.details"),
        pilot=partner,
        start_year=2020,
        end_year=2022,
    )
    leaf_oo = models.OperationalObjective.objects.create(
        strategic_objective=so,
        position=2,
        text=payload("leaf_oo.text") + " " + short_payload("glossary.term"),
        details=payload("leaf_oo.details"),
        pilot=partner,
    )
    action = models.Action.objects.create(
        operational_objective=oo,
        position=1,
        text="XSSQ " + payload("action.text"),
        details=payload("action.details"),
        pilot=partner,
        start_year=2020,
        end_year=2021,
    )
    for node in (so, oo, leaf_oo, action):
        node.partners.add(partner)
        node.axes.add(axis)
    author = factories.UserFactory(
        username="auteur-xss",
        first_name=payload("user.first_name"),
        last_name=payload("user.last_name"),
    )
    models.ProgressUpdate.objects.create(
        action=action,
        status=Status.DONE,
        progress=100,
        comment=payload("update.comment") + "\n\n" + payload("update.comment2"),
        link='https://example.org/?q="><script>alert("update.link")</script>',
        author=author,
    )
    models.ProgressUpdate.objects.create(
        operational_objective=leaf_oo,
        status=Status.PLANNED,
        progress=0,
        comment=payload("leaf_update.comment"),
        author=author,
    )
    # The objective's own status (its actions stand for it in the roll-ups).
    models.ProgressUpdate.objects.create(
        operational_objective=oo, status=Status.IN_PROGRESS, progress=40, author=author
    )
    return {
        "territory": territory,
        "thematic": thematic,
        "partner": partner,
        "axis": axis,
        "protocol": protocol,
        "section": section,
        "so": so,
        "oo": oo,
        "leaf_oo": leaf_oo,
        "action": action,
    }


def public_pages(xss):
    filters = {"territoire": SLUG, "partenaire": "partenaire-xss", "axe": "axe-xss"}
    return [
        "/",
        "/territoires/",
        f"/territoires/{SLUG}/",
        f"/thematiques/{THEMATIC_SLUG}/",
        "/engagements/?q=XSSQ",
        "/engagements/?" + urlencode(filters),
        f"/engagements/?territoire={SLUG}&statut=realise",
        "/glossaire/",
        "/tableau-de-bord/",
        f"/tableau-de-bord/{SLUG}/",
        xss["action"].get_public_url(),
        xss["oo"].get_public_url(),
        xss["leaf_oo"].get_public_url(),
    ]


# Fields the public pages must show (the others are for staff, or shown elsewhere).
SHOWN_IN_PAGES = {
    "territory.name",
    "territory.subtitle",
    "thematic.name",
    "protocol.title",
    "protocol.preamble",
    "protocol.preamble2",
    "protocol.preconditions",
    "protocol.pre_heading",
    "section.heading",
    "section.subtitle",
    "section.objective",
    "section.prio_heading",
    "section.priorities",
    "section.intro",
    "so.text",
    "so.details",
    "so.subheading",
    "so.op_heading",
    "oo.text",
    "oo.details",
    "leaf_oo.text",
    "leaf_oo.details",
    "action.text",
    "action.details",
    "partner.name",
    "axis.name",
    "glossary.expansion",
    "glossary.definition",
    "glossary.term",
    "glossary.term_expansion",
    "update.comment",
    "update.comment2",
    "leaf_update.comment",
}


class TestPublicPages:
    def test_every_page_escapes_every_field(self, client, xss):
        shown = set()
        for url in public_pages(xss):
            response = client.get(url)
            assert response.status_code == 200, url
            assert response["Content-Type"].startswith("text/html"), url
            page = assert_escaped(response.content.decode(), url)
            shown |= {marker for marker in SHOWN_IN_PAGES if shows(page.text, marker)}
        # The payload was really displayed (escaped), not merely left out of the pages.
        assert sorted(SHOWN_IN_PAGES - shown) == []

    def test_glossary_abbreviation_escapes_the_expansion(self, client, xss):
        html = client.get(f"/territoires/{SLUG}/").content.decode()
        page = assert_escaped(html, "territory page")
        titles = [attrs.get("title", "") for tag, attrs in page.elements if tag == "abbr"]
        assert any(shows(title, "glossary.expansion") for title in titles)
        assert any(shows(title, "glossary.term_expansion") for title in titles)

    def test_reflected_query_values_are_escaped(self, client, xss):
        bad = payload("query")
        for params in (
            {"q": bad},
            {"territoire": bad},
            {"thematique": bad, "statut": bad},
            {"partenaire": bad, "axe": bad, "niveau": bad, "page": bad},
        ):
            response = client.get("/engagements/", params)
            assert response.status_code in {200, 400}, params
            assert_escaped(response.content.decode(), params)


API_DETAILS = {
    "territory": "/api/v1/territoires/{slug}/",
    "thematic": "/api/v1/thematiques/{thematic}/",
    "partner": "/api/v1/partenaires/partenaire-xss/",
    "axis": "/api/v1/axes/axe-xss/",
    "glossary": "/api/v1/glossaire/xssq/",
    "glossary_term": "/api/v1/glossaire/xss-term/",
    "protocol": "/api/v1/protocoles/{protocol}/",
    "so": "/api/v1/objectifs-strategiques/{so}/",
    "oo": "/api/v1/objectifs-operationnels/{oo}/",
    "action": "/api/v1/actions/{action}/",
    "actions": "/api/v1/actions/?territoire={slug}",
    "operational": "/api/v1/objectifs-operationnels/?territoire={slug}&q=XSSQ",
}


def strings(data):
    """Every string value of decoded JSON."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for item in data.values():
            yield from strings(item)
    elif isinstance(data, list):
        for item in data:
            yield from strings(item)


class TestAPI:
    def urls(self, xss):
        ids = {
            "slug": SLUG,
            "thematic": THEMATIC_SLUG,
            "protocol": xss["protocol"].pk,
            "so": xss["so"].pk,
            "oo": xss["oo"].pk,
            "action": xss["action"].pk,
        }
        return [url.format(**ids) for url in API_DETAILS.values()]

    @pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
    def test_json_carries_the_text_as_text(self, client, xss, accept):
        headers = {"HTTP_ACCEPT": accept} if accept else {}
        seen = ""
        for url in self.urls(xss):
            response = client.get(url, **headers)
            assert response.status_code == 200, url
            assert response["Content-Type"] == "application/json", url
            assert response["X-Content-Type-Options"] == "nosniff"
            seen += "\n".join(strings(response.json()))
        for marker in ("territory.name", "protocol.preamble", "section.intro", "action.details"):
            assert shows(seen, marker), marker
        for marker in ("partner.acronym", "glossary.term", "axis.description", "oo.text"):
            assert shows(seen, marker), marker

    def test_errors_are_json(self, client, xss):
        bad = payload("api.query")
        response = client.get("/api/v1/actions/", {"statut": bad, "territoire": bad})
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        response = client.get("/api/v1/territoires/%3Cscript%3E/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"

    def test_html_rendering_of_the_api_is_escaped_when_enabled(self, client, xss):
        """Production serves JSON only; with DEBUG=1 the browsable API answers a browser."""
        response = client.get(f"/api/v1/actions/{xss['action'].pk}/", HTTP_ACCEPT="text/html")
        assert response.status_code in {200, 406}
        if response["Content-Type"].startswith("text/html"):
            html = response.content.decode()
            assert "<script>alert" not in html
            assert not [p for p in Page(html).injected() if "without src" not in p]


class TestExports:
    def test_csv_has_the_text_literally(self, client, xss):
        response = client.get(f"/territoires/{SLUG}/engagements.csv")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert response["Content-Disposition"].startswith("attachment")
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == 4
        cells = "\n".join(value for row in rows for value in row.values())
        for marker in ("territory.name", "protocol.title", "section.heading", "so.text"):
            assert shows(cells, marker), marker
        for marker in ("oo.details", "action.text", "partner.name", "axis.name"):
            assert shows(cells, marker), marker

    def test_json_export_has_the_text_literally(self, client, xss):
        response = client.get(f"/territoires/{SLUG}/engagements.json")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        rows = json.loads(b"".join(response.streaming_content))
        assert {row["niveau"] for row in rows} == {"strategique", "operationnel", "action"}
        dumped = "\n".join(strings(rows))
        for marker in ("territory.name", "protocol.title", "action.details", "partner.name"):
            assert shows(dumped, marker), marker

    def test_csv_neutralises_formulas(self, client, xss):
        """CSV/formula injection (OWASP): a cell a spreadsheet would evaluate starts with '."""
        formulas = [
            '=HYPERLINK("http://example.org/x","clic")',
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(1+1)",
            "\t=1+1",
        ]
        action, partner = xss["action"], xss["partner"]
        for formula in formulas:
            action.text = action.details = formula
            action.save()
            partner.name = formula
            partner.save()
            response = client.get(f"/territoires/{SLUG}/engagements.csv")
            text = b"".join(response.streaming_content).decode("utf-8-sig")
            row = next(
                row for row in csv.DictReader(io.StringIO(text)) if row["niveau"] == "action"
            )
            for column in ("intitule", "precisions", "pilote", "partenaires"):
                assert row[column] == "'" + formula, (formula, column)
            # The JSON keeps the exact text: no spreadsheet opens it.
            response = client.get(f"/territoires/{SLUG}/engagements.json")
            rows = json.loads(b"".join(response.streaming_content))
            assert next(row for row in rows if row["niveau"] == "action")["intitule"] == formula


ATOM = "{http://www.w3.org/2005/Atom}"


class TestFeeds:
    @pytest.mark.parametrize("url", ["/flux/mises-a-jour.atom", f"/flux/{SLUG}/mises-a-jour.atom"])
    def test_feed_is_valid_xml_with_escaped_html(self, client, xss, url):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/atom+xml")
        root = ET.fromstring(response.content)  # raises on invalid XML
        entries = [
            entry
            for entry in root.iter(f"{ATOM}entry")
            if shows(entry.findtext(f"{ATOM}title", ""), "action.text")
            or shows(entry.findtext(f"{ATOM}title", ""), "leaf_oo.text")
        ]
        assert len(entries) == 2
        for entry in entries:
            assert shows(entry.findtext(f"{ATOM}title"), "territory.name")
            summary = entry.find(f"{ATOM}summary")
            assert summary.get("type") == "html"
            # A feed reader renders the summary as HTML: it must hold the comment as text.
            page = assert_escaped(summary.text, url)
            assert shows(page.text, "update.comment") or shows(page.text, "leaf_update.comment")
            # Categories are plain text attributes: the XML parser decoded them back.
            terms = {category.get("term") for category in entry.iter(f"{ATOM}category")}
            assert payload("territory.name") in terms


def test_pdf_prints_the_text_literally(client, xss):
    """One PDF only (rendering is slow): the payload is printed as text, never interpreted."""
    from pypdf import PdfReader

    response = client.get(f"/territoires/{SLUG}/protocole.pdf", {"suivi": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", "", text)
    for marker in ("protocol.title", "section.heading", "so.text", "action.text", "oo.details"):
        # Text extraction may break lines anywhere: compare without whitespace.
        assert re.sub(r"\s+", "", payload(marker)) in flat, marker
    assert flat.count("<imgsrc=xonerror=alert(1)>") >= 10


ADMIN_OBJECTS = [
    ("territories", "territory", "territory"),
    ("commitments", "thematic", "thematic"),
    ("commitments", "partner", "partner"),
    ("commitments", "transversalaxis", "axis"),
    ("commitments", "protocol", "protocol"),
    ("commitments", "thematicsection", "section"),
    ("commitments", "strategicobjective", "so"),
    ("commitments", "operationalobjective", "oo"),
    ("commitments", "operationalobjective", "leaf_oo"),
    ("commitments", "action", "action"),
]


class TestAdmin:
    @pytest.fixture
    def admin_client(self, client):
        client.force_login(make_user("superuser", "admin-xss"))
        return client

    def test_change_pages_escape_every_field(self, admin_client, xss):
        update = models.ProgressUpdate.objects.get(action=xss["action"])
        glossary = models.GlossaryTerm.objects.get(slug="xssq")
        urls = [
            reverse(f"admin:{app}_{model}_change", args=[xss[key].pk])
            for app, model, key in ADMIN_OBJECTS
        ]
        urls += [
            reverse("admin:commitments_progressupdate_change", args=[update.pk]),
            reverse("admin:commitments_glossaryterm_change", args=[glossary.pk]),
            reverse("admin:commitments_action_history", args=[xss["action"].pk]),
            reverse("admin:territories_territory_delete", args=[xss["territory"].pk]),
        ]
        shown = set()
        for url in urls:
            response = admin_client.get(url)
            assert response.status_code == 200, url
            page = assert_escaped(response.content.decode(), url)
            shown |= {
                m for m in ("action.text", "update.comment", "section.intro") if shows(page.text, m)
            }
        assert shown == {"action.text", "update.comment", "section.intro"}

    def test_change_lists_escape_every_field(self, admin_client, xss):
        admin_models = sorted({(app, model) for app, model, _ in ADMIN_OBJECTS}) + [
            ("commitments", "progressupdate"),
            ("commitments", "glossaryterm"),
        ]
        for app, model in admin_models:
            url = reverse(f"admin:{app}_{model}_changelist")
            response = admin_client.get(url, {"q": "alert"})
            assert response.status_code == 200, url
            assert_escaped(response.content.decode(), url)
