"""rendering/protocol_fragments.py through the protocol page (views/protocol_page.py): each
thematic section's markup is cached under its own last change, the edition in force and its
marks, the glossary's version and the code version — so that after an edit only the changed
section renders again, a glossary change renders every section, a published edition changes
the marks, a deployment with other templates starts afresh, and a warm page loads no tree.

The sections rendered are seen by a spy on the view's `render_section` (the real function is
called); the page cache (views/page_cache.py) answers anonymous visitors by full URL, so each
request that must reach the view carries a new ignored parameter, and the tests that check
correctness whatever the page cache does request the same URL as before."""

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.enums import Status
from commitments.models import Action, GlossaryTerm, Protocol, ThematicSection
from commitments.rendering import protocol_fragments
from commitments.services.editions import publish_edition
from commitments.services.elements import save_element
from commitments.services.progress_rule import record_update
from commitments.views import protocol_page
from tests.support.templates import copy_of_the_templates

pytestmark = pytest.mark.django_db

URL = "/territoires/grigny/"
WHEN = datetime.date(2021, 3, 1)  # within Grigny's protocol, in the past on any day
_counter = itertools.count()


def fresh(url=URL):
    """The page's address with a new ignored parameter: the page cache never answers it."""
    return f"{url}?_n={next(_counter)}"


@pytest.fixture
def rendered(monkeypatch):
    """The sections rendered by the view since the last `rendered.clear()`, and whether it
    loaded the tree."""
    calls = []
    real_render, real_load = protocol_page.render_section, protocol_page.load_protocol_tree

    def render_section(section, glossary):
        calls.append(section.pk)
        return real_render(section, glossary)

    def load_protocol_tree(*args, **kwargs):
        calls.append("tree")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(protocol_page, "render_section", render_section)
    monkeypatch.setattr(protocol_page, "load_protocol_tree", load_protocol_tree)
    return calls


def grigny_sections():
    return list(
        ThematicSection.objects.filter(protocol__territory__slug="grigny").order_by("position")
    )


def an_action_of(section):
    return Action.objects.filter(operational_objective__strategic_objective__section=section)[0]


def page(client, url=None):
    response = client.get(url or fresh())
    assert response.status_code == 200
    return response.content.decode()


def test_a_warm_page_renders_no_section_and_loads_no_tree(client, rendered):
    sections = grigny_sections()
    assert len(sections) > 2
    cold = page(client)
    assert sorted(pk for pk in rendered if pk != "tree") == sorted(s.pk for s in sections)
    assert "tree" in rendered
    rendered.clear()
    with CaptureQueriesContext(connection) as warm_queries:
        warm = page(client)
    assert rendered == []
    assert warm == cold
    rendered.clear()
    with CaptureQueriesContext(connection) as cold_queries:
        cold_again = page(client, f"{fresh()}&x")  # the same fragments: still no render
    assert cold_again == cold
    assert len(warm_queries) == len(cold_queries) < 10


def test_editing_an_action_renders_its_section_only(client, rendered):
    """The admin's write path (services/elements.save_element): the next view shows the new
    text, whatever the page cache holds, and the other sections come from the cache."""
    first, *others = grigny_sections()
    before = page(client, URL)
    action = an_action_of(first)
    assert "Texte revu pour le test du cache" not in before
    action.text = "Texte revu pour le test du cache"
    save_element(action)
    rendered.clear()
    after = page(client, URL)  # the same address: the page cache's key moved too
    assert "Texte revu pour le test du cache" in after
    assert [pk for pk in rendered if pk != "tree"] == [first.pk]
    # The edit is not in the edition in force: its mark is shown, in that section only.
    assert after.count("Modifié depuis l") == 1
    for section in others:
        assert f'id="{section.anchor}"' in after


def test_a_progress_update_renders_its_section_only(client, rendered):
    sections = grigny_sections()
    target = sections[1]
    action = an_action_of(target)
    before = page(client)
    record_update(action, status=Status.DONE, progress=100, date=WHEN, author=None)
    rendered.clear()
    after = page(client)
    assert [pk for pk in rendered if pk != "tree"] == [target.pk]
    assert after.count("Réalisé · 100 %") == before.count("Réalisé · 100 %") + 1


def test_editing_the_glossary_renders_every_section(client, rendered):
    term = GlossaryTerm.objects.get(term="LLS")
    before = page(client, URL)
    old = f'<abbr title="{term.expansion}">LLS</abbr>'
    assert old in before
    term.expansion = "Quartiers prioritaires, développé autrement"
    save_element(term)
    rendered.clear()
    after = page(client, URL)
    assert sorted(pk for pk in rendered if pk != "tree") == sorted(s.pk for s in grigny_sections())
    assert '<abbr title="Quartiers prioritaires, développé autrement">LLS</abbr>' in after
    assert old not in after


def test_the_glossary_version_is_part_of_the_key_on_its_own(client, rendered):
    """Even a glossary changed without a recorded change (a raw UPDATE) renders every section
    again: its version is in each key."""
    page(client)
    GlossaryTerm.objects.filter(term="LLS").update(expansion="Développé changé sans service")
    rendered.clear()
    after = page(client)
    assert len([pk for pk in rendered if pk != "tree"]) == len(grigny_sections())
    assert '<abbr title="Développé changé sans service">LLS</abbr>' in after


def test_publishing_an_edition_changes_the_marks(client, rendered):
    first = grigny_sections()[0]
    action = an_action_of(first)
    action.text = "Action réécrite avant la nouvelle édition"
    save_element(action)
    marked = page(client, URL)
    assert marked.count("Modifié depuis l&#x27;édition 1") == 1
    assert "modifications non encore publiées" in marked
    publish_edition(
        Protocol.objects.get(territory__slug="grigny"),
        title="Avenant de test",
        deliberation_reference="Del test",
        deliberation_date=None,
        by=None,
    )
    rendered.clear()
    published = page(client, URL)
    assert "Modifié depuis" not in published
    assert "modifications non encore publiées" not in published
    assert "Avenant de test" in published
    assert "Action réécrite avant la nouvelle édition" in published


def test_a_move_between_sections_renders_both(client, rendered):
    first, second, *_ = grigny_sections()
    action = an_action_of(first)
    destination = an_action_of(second).operational_objective
    page(client)
    action.operational_objective = destination
    save_element(action)
    rendered.clear()
    after = page(client)
    assert sorted(pk for pk in rendered if pk != "tree") == sorted([first.pk, second.pk])
    assert after.count("Déplacé depuis l") == 1


def test_a_logged_in_visitor_gets_the_same_fragments(client, rendered, django_user_model):
    """The fragments hold nothing personal: a visitor with a session (no page cache) is served
    the cached sections, and the same tree."""
    anonymous = page(client)
    user = django_user_model.objects.create_user("lecteur", "l@example.org", "x")
    client.force_login(user)
    rendered.clear()
    logged_in = page(client, URL)
    assert [pk for pk in rendered if pk != "tree"] == []

    def tree(html):
        return html[html.index('<div class="protocol">') : html.index("</main>")]

    assert tree(logged_in) == tree(anonymous)


def test_the_code_version_follows_the_templates_the_sections_load(settings, tmp_path):
    copy = copy_of_the_templates(settings, tmp_path)
    before = protocol_fragments.code_version()
    for name in ("protocol/_action.html", "includes/section_intro.html"):
        path = copy / name
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        protocol_fragments._deployed_code_version.cache_clear()
        after = protocol_fragments.code_version()
        assert after != before, name
        before = after
    # A template the sections do not load leaves it alone.
    glossary = copy / "portal" / "glossary.html"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    protocol_fragments._deployed_code_version.cache_clear()
    assert protocol_fragments.code_version() == before
    protocol_fragments._deployed_code_version.cache_clear()


def test_a_new_code_version_renders_every_section(client, rendered, monkeypatch):
    page(client)
    monkeypatch.setattr(protocol_fragments, "code_version", lambda: "deploiement-suivant")
    rendered.clear()
    page(client)
    assert len([pk for pk in rendered if pk != "tree"]) == len(grigny_sections())
