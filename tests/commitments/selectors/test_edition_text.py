"""An edition's text read back from its snapshot, and one item's history across editions."""

import copy
import datetime
from types import SimpleNamespace

from commitments.enums import Level
from commitments.selectors.edition_diff import compare
from commitments.selectors.edition_text import (
    TextProtocol,
    count_summary,
    edition_name,
    item_history,
)
from tests.commitments.selectors.test_edition_diff import find, node, snapshot


def edition(number, snap, day=datetime.date(2019, 6, 1)):
    return SimpleNamespace(number=number, snapshot=snap, deliberation_date=day, published_at=None)


def test_the_text_has_the_shape_of_a_loaded_tree():
    snap = snapshot()
    snap["protocol"]["preconditions"] = "Une condition.\n\nUne autre."
    snap["protocol"]["deliberation_date"] = "2019-06-27"
    text = TextProtocol(snap)
    assert text.deliberation_date == datetime.date(2019, 6, 27)
    assert text.precondition_list == ["Une condition.", "Une autre."]
    section = text.sections.all()[0]
    assert (section.anchor, section.thematic_slug, section.heading) == (
        "section-10",
        "emploi",
        "Thématique emploi",
    )
    so = section.strategic_objectives.all()[0]
    assert (so.anchor, so.level, so.number) == ("os-20", Level.STRATEGIC, "1.1")
    oo = so.operational_objectives.all()[0]
    assert [a.anchor for a in oo.actions.all()] == ["action-40", "action-41", "action-42"]
    assert [n.pk for n in text.nodes()] == [10, 20, 30, 40, 41, 42, 31, 11, 21, 32]
    assert (so.subheading, so.partner_names, so.axis_names) == ("", [], [])


def test_history_of_one_item():
    first = snapshot()
    second = copy.deepcopy(first)
    find(second, "action", 41)["fields"]["text"] = "Autre texte."
    find(second, "operational_objective", 30)["children"].append(node("action", 43, "", "Neuve"))
    third = copy.deepcopy(second)
    find(third, "operational_objective", 30)["children"].pop(1)  # 41 deleted
    moved = find(third, "strategic_objective", 20)["children"].pop(1)
    find(third, "strategic_objective", 21)["children"].append(moved)
    editions = [edition(1, first), edition(2, second), edition(3, third)]
    assert [(e.number, what) for e, what in item_history(editions, "action", 41)] == [
        (1, "texte adopté"),
        (2, "modifié"),
        (3, "supprimé"),
    ]
    assert [(e.number, w) for e, w in item_history(editions, "action", 43)] == [(2, "ajouté")]
    assert [(e.number, w) for e, w in item_history(editions, "operational_objective", 31)] == [
        (1, "texte adopté"),
        (3, "déplacé"),
    ]
    assert item_history(editions, "action", 999) == []


def test_wording():
    assert edition_name(edition(1, {}, datetime.date(2019, 6, 1))) == "édition 1 du 1er juin 2019"
    # Never the day it was entered in the portal: the reference, else the publication.
    undated = edition(1, {}, None)
    undated.deliberation_reference = "Del 2019 0128"
    assert edition_name(undated) == "édition 1, délibération « Del 2019 0128 »"
    undated.deliberation_reference = ""
    undated.published_at = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)
    assert edition_name(undated) == "édition 1 publiée le 1er mars 2026"
    old, new = snapshot(), snapshot()
    find(new, "action", 41)["fields"]["text"] = "Autre."
    find(new, "operational_objective", 30)["children"].pop(0)
    assert count_summary(compare(old, new).counts) == "1 suppression, 1 modification"
    assert count_summary(compare(old, old).counts) == "aucun changement"
