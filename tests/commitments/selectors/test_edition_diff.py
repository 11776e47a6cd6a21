"""compare() on hand-made snapshots in the edition format: what it reports, and what it never
reports (renumbering, siblings shifted by a deletion)."""

import copy

from commitments.selectors.edition_diff import (
    ADDED,
    CHANGED,
    DELETE,
    EQUAL,
    INSERT,
    MOVED,
    REMOVED,
    Piece,
    compare,
    tokens,
    word_diff,
)


def node(kind, pk, number, text, children=(), **fields):
    return {
        "kind": kind,
        "id": pk,
        "number": number,
        "fields": {"text": text, "details": "", "partners": [], "axes": [], **fields},
        "children": list(children),
    }


def section(pk, number, heading, thematic, children=()):
    return {
        "kind": "section",
        "id": pk,
        "number": number,
        "fields": {"heading": heading, "subtitle": "", "intro": "", "thematic": thematic},
        "children": list(children),
    }


def snapshot():
    return {
        "format": "perer-edition",
        "format_version": 1,
        "protocol": {
            "id": 1,
            "territory": "grigny",
            "title": "Protocole de Grigny",
            "preamble": "Un préambule.",
            "preconditions": "",
        },
        "sections": [
            section(
                10,
                "1",
                "Thématique emploi",
                "emploi",
                [
                    node(
                        "strategic_objective",
                        20,
                        "1.1",
                        "Favoriser l'emploi",
                        [
                            node(
                                "operational_objective",
                                30,
                                "1.1.1",
                                "Accompagner les jeunes",
                                [
                                    node("action", 40, "1.1.1.1", "Créer un forum des métiers."),
                                    node("action", 41, "1.1.1.2", "Ouvrir une permanence."),
                                    node("action", 42, "1.1.1.3", "Former les référents."),
                                ],
                            ),
                            node("operational_objective", 31, "1.1.2", "Soutenir les créateurs"),
                        ],
                    )
                ],
            ),
            section(
                11,
                "2",
                "Thématique éducation",
                "education",
                [
                    node(
                        "strategic_objective",
                        21,
                        "2.1",
                        "Réussite éducative",
                        [node("operational_objective", 32, "2.1.1", "Renforcer le PRE")],
                    )
                ],
            ),
        ],
    }


def find(snap, kind, pk):
    def walk(nodes):
        for item in nodes:
            if (item["kind"], item["id"]) == (kind, pk):
                return item
            found = walk(item["children"])
            if found:
                return found
        return None

    return walk(snap["sections"])


def kinds(comparison):
    return [(c.kind, c.item_kind, c.item_id) for c in comparison.changes]


def test_identical_snapshots_have_no_change():
    comparison = compare(snapshot(), snapshot())
    assert not comparison
    assert comparison.counts == {ADDED: 0, REMOVED: 0, MOVED: 0, CHANGED: 0}
    assert comparison.groups == []


def test_the_issue_scenario_gives_exactly_four_changes():
    old, new = snapshot(), snapshot()
    # 1. edit an action's text
    find(new, "action", 41)["fields"]["text"] = "Ouvrir deux permanences."
    # 2. move an operational objective to another strategic objective (another thematic)
    so_emploi, so_education = (
        find(new, "strategic_objective", 20),
        find(new, "strategic_objective", 21),
    )
    moved = so_emploi["children"].pop(1)
    so_education["children"].append(moved)
    # 3. delete an action (its next sibling shifts: not a move)
    oo = find(new, "operational_objective", 30)
    oo["children"] = [child for child in oo["children"] if child["id"] != 40]
    # 4. add one
    oo["children"].append(node("action", 43, "1.1.1.3", "Réunir les employeurs."))
    # renumbering everything is not a change
    for child_rank, child in enumerate(oo["children"], 1):
        child["number"] = f"1.1.1.{child_rank}"

    comparison = compare(old, new)

    assert sorted(kinds(comparison)) == sorted(
        [
            (CHANGED, "action", 41),
            (MOVED, "operational_objective", 31),
            (REMOVED, "action", 40),
            (ADDED, "action", 43),
        ]
    )
    assert comparison.counts == {ADDED: 1, REMOVED: 1, MOVED: 1, CHANGED: 1}
    by_thematic = {group.thematic: group.counts for group in comparison.groups}
    assert by_thematic == {
        "emploi": {ADDED: 1, REMOVED: 1, MOVED: 0, CHANGED: 1},
        "education": {ADDED: 0, REMOVED: 0, MOVED: 1, CHANGED: 0},
    }
    move = comparison.of_kind(MOVED)[0]
    assert (move.old.parent, move.new.parent) == (
        ("strategic_objective", 20),
        ("strategic_objective", 21),
    )
    assert move.old.parent_title == "Favoriser l'emploi"
    assert move.new.parent_number == "2.1"
    edit = comparison.of_kind(CHANGED)[0]
    assert [f.name for f in edit.fields] == ["text"]
    assert edit.fields[0].pieces == (
        Piece(EQUAL, "Ouvrir "),
        Piece(DELETE, "une permanence"),
        Piece(INSERT, "deux permanences"),
        Piece(EQUAL, "."),
    )


def test_removed_items_stay_where_they_were_in_document_order():
    old, new = snapshot(), snapshot()
    oo = find(new, "operational_objective", 30)
    oo["children"] = [child for child in oo["children"] if child["id"] != 41]
    oo["children"].insert(0, node("action", 50, "1.1.1.1", "Nouvelle."))
    assert kinds(compare(old, new)) == [(ADDED, "action", 50), (REMOVED, "action", 41)]


def test_reordering_siblings_moves_only_the_one_taken_out_of_order():
    old, new = snapshot(), snapshot()
    oo = find(new, "operational_objective", 30)
    oo["children"] = [oo["children"][2], oo["children"][0], oo["children"][1]]
    comparison = compare(old, new)
    assert kinds(comparison) == [(MOVED, "action", 42)]
    assert (comparison.changes[0].old.rank, comparison.changes[0].new.rank) == (2, 0)


def test_a_moved_and_edited_item_is_reported_both_ways():
    old, new = snapshot(), snapshot()
    moved = find(new, "strategic_objective", 20)["children"].pop(1)
    moved["fields"]["text"] = "Soutenir les créatrices et créateurs"
    find(new, "strategic_objective", 21)["children"].insert(0, moved)
    comparison = compare(old, new)
    assert kinds(comparison) == [
        (MOVED, "operational_objective", 31),
        (CHANGED, "operational_objective", 31),
    ]
    assert comparison.counts[MOVED] == comparison.counts[CHANGED] == 1
    assert comparison.marks() == {("operational_objective", 31): comparison.changes[0].anchor}


def test_descendants_of_a_removed_branch_are_removed_with_it():
    old, new = snapshot(), snapshot()
    new["sections"][0]["children"][0]["children"].pop(0)
    assert kinds(compare(old, new)) == [
        (REMOVED, "operational_objective", 30),
        (REMOVED, "action", 40),
        (REMOVED, "action", 41),
        (REMOVED, "action", 42),
    ]


def test_partners_axes_thematic_and_protocol_fields_are_compared():
    old, new = snapshot(), snapshot()
    find(old, "action", 40)["fields"]["partners"] = ["CAF", "État"]
    find(new, "action", 40)["fields"]["partners"] = ["CAF", "Mission locale"]
    new["sections"][1]["fields"]["thematic"] = "lien-social"
    new["protocol"]["preamble"] = "Un préambule revu."
    new["protocol"]["territory"] = "autre"  # not text
    comparison = compare(old, new)
    assert kinds(comparison) == [
        (CHANGED, "protocol", None),
        (CHANGED, "action", 40),
        (CHANGED, "section", 11),
    ]
    protocol_change = comparison.changes[0]
    assert [f.name for f in protocol_change.fields] == ["preamble"]
    assert comparison.groups[0].thematic is None
    partners = comparison.changes[1].fields[0]
    assert partners.is_list and partners.label == "partenaires"
    assert partners.pieces == (
        Piece(EQUAL, "CAF"),
        Piece(DELETE, "État"),
        Piece(INSERT, "Mission locale"),
    )
    # The section's items now belong to its new thematic.
    assert comparison.changes[2].thematic == "lien-social"


def test_anchors_are_unique_and_plain():
    old, new = snapshot(), snapshot()
    moved = find(new, "strategic_objective", 20)["children"].pop(1)
    moved["fields"]["text"] = "Autre"
    find(new, "strategic_objective", 21)["children"].append(moved)
    anchors = [change.anchor for change in compare(old, new).changes]
    assert anchors == ["deplace-operational_objective-31", "modifie-operational_objective-31"]


def test_word_diff_keeps_spaces_punctuation_and_accents():
    assert tokens("L’école, « ouverte » !") == [
        "L", "’", "école", ",", " ", "«", " ", "ouverte", " ", "»", " ", "!"
    ]  # fmt: skip
    pieces = word_diff("Créer un forum.", "Créer deux forums, vite.")
    assert "".join(p.text for p in pieces if p.op != INSERT) == "Créer un forum."
    assert "".join(p.text for p in pieces if p.op != DELETE) == "Créer deux forums, vite."
    assert word_diff("", "Nouveau") == (Piece(INSERT, "Nouveau"),)


def test_inputs_are_not_modified():
    old, new = snapshot(), snapshot()
    find(new, "action", 41)["fields"]["text"] = "Autre."
    before = copy.deepcopy((old, new))
    compare(old, new)
    assert (old, new) == before
