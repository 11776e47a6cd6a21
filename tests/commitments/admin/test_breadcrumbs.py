"""commitments/admin/breadcrumbs.py: the trail through the protocol's hierarchy on the change
forms of its elements, read from the object as the admin loads it (no query per level)."""

import re

import pytest

from commitments.admin.breadcrumbs import CRUMB_LENGTH, ancestors, trail
from commitments.models import Action, OperationalObjective, StrategicObjective, ThematicSection
from tests.support.admin import admin_url, build_tree, grigny

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return build_tree(grigny())


def test_the_ancestors_of_each_level_top_first(tree):
    protocol, section, so, oo = tree["protocol"], tree["section"], tree["so"], tree["oo"]
    assert ancestors(tree["action"]) == [protocol, section, so, oo]
    assert ancestors(oo) == [protocol, section, so]
    assert ancestors(so) == [protocol, section]
    assert ancestors(section) == [protocol]
    assert ancestors(protocol) == []


@pytest.mark.parametrize(
    ("model", "depth"), [(Action, 4), (OperationalObjective, 3), (StrategicObjective, 2)]
)
def test_no_query_once_the_object_is_loaded_as_the_admin_loads_it(
    tree, model, depth, django_assert_num_queries
):
    obj = model.objects.with_tree().get(pk=tree[{4: "action", 3: "oo", 2: "so"}[depth]].pk)
    with django_assert_num_queries(0):
        crumbs = trail(obj)
    assert len(crumbs) == depth


def test_a_section_loaded_with_its_protocol(tree, django_assert_num_queries):
    section = ThematicSection.objects.select_related("protocol").get(pk=tree["section"].pk)
    with django_assert_num_queries(0):
        assert [crumb.kind for crumb in trail(section)] == ["Protocole"]


def test_each_crumb_links_to_the_element_s_form(tree):
    crumbs = trail(tree["action"])
    assert [crumb.kind for crumb in crumbs] == [
        "Protocole",
        "Section thématique",
        "Objectif stratégique",
        "Objectif opérationnel",
    ]
    assert [crumb.url for crumb in crumbs] == [
        admin_url(type(node), "change", node.pk)
        for node in (tree["protocol"], tree["section"], tree["so"], tree["oo"])
    ]


def test_long_texts_are_shortened(tree):
    so = tree["so"]
    so.text = "Favoriser " * 30
    so.save()
    crumb = trail(tree["oo"])[-1]
    assert len(crumb.text) == CRUMB_LENGTH and crumb.text.endswith("…")


class TestOnTheChangeForm:
    def test_the_action_form_shows_the_hierarchy(self, tree, agglo_client):
        tree["so"].text = "Objectif <b>gras</b> « cité »"
        tree["so"].save()
        html = agglo_client.get(admin_url(Action, "change", tree["action"].pk)).content.decode()
        start = html.index('<div class="breadcrumbs">')
        crumbs = html[start : html.index("</div>", start)]
        links = [
            admin_url(type(node), "change", node.pk)
            for node in (tree["protocol"], tree["section"], tree["so"], tree["oo"])
        ]
        positions = [crumbs.index(f'href="{link}"') for link in links]
        assert positions == sorted(positions)
        assert "Objectif &lt;b&gt;gras&lt;/b&gt; « cité »" in crumbs
        assert 'aria-current="page"' in crumbs

    def test_no_query_per_level(self, tree, agglo_client, django_assert_max_num_queries):
        """The ancestors come with the action's own query (select_related): no page query
        reads a protocol, a section or a strategic objective; the operational objective is
        read once, by its autocomplete box (the selected option)."""
        url = admin_url(Action, "change", tree["action"].pk)
        with django_assert_max_num_queries(40) as captured:
            assert agglo_client.get(url).status_code == 200
        tables = [
            re.search(r'FROM "(\w+)"', query["sql"]).group(1)
            for query in captured.captured_queries
            if query["sql"].startswith("SELECT")
        ]
        for table in ("protocol", "thematicsection", "strategicobjective"):
            assert f"commitments_{table}" not in tables
        assert tables.count("commitments_operationalobjective") == 1

    def test_the_add_form_keeps_django_s_breadcrumbs(self, agglo_client):
        html = agglo_client.get(admin_url(Action, "add")).content.decode()
        assert 'href="/admin/commitments/action/"' in html
