"""`seed_protocols`: idempotence, respect of edits, reset, atomicity, reference data."""

import re
import shutil
from io import StringIO

import pytest
import yaml
from django.apps import apps
from django.core.management import CommandError, call_command

import commitments.services.seed
from commitments import models
from commitments.enums import Status
from perer.lib.text import fold_accents as fold
from territories.models import Territory
from tests.support.progress import report_today
from tests.support.seed import source_text

pytestmark = pytest.mark.django_db

GLOSSARY_TERMS = [
    "ACI", "ANAH", "ANRU", "ASL", "ASVP", "AVEC", "CA GPS", "CAF", "CAPES", "CCAS", "CFP",
    "CHAM", "CHAT", "CL", "CLAR", "CLAS", "CLS", "CLSPD", "CMPP", "COTEC", "CP", "CPO", "DGA",
    "EAJE", "EPN", "EPNG", "GPS", "GUSP", "LLS", "MIPOP", "MOUS", "NPNRU", "NPRU", "NQT", "OIN",
    "OPAH", "ORCOD-IN", "PAD", "PAQTE", "PIC", "PIM", "PLA-I", "PLAI", "PLH", "PLIE", "PLS",
    "POPAC", "PRE", "QPV", "REP", "REP+", "RSE", "SCOT", "TFPB", "TIG", "ZSP",
]  # fmt: skip
# Terms whose expansion the documents do not give and that are not certain: left empty.
GLOSSARY_WITHOUT_EXPANSION = {"AVEC", "CFP", "CL", "EPNG"}


def dump_database():
    """Every row of every table of the two apps (history and m2m tables included)."""
    dump = {}
    for app in ("commitments", "territories"):
        for model in apps.get_app_config(app).get_models(include_auto_created=True):
            dump[model._meta.db_table] = list(model.objects.order_by("pk").values())
    return dump


def seed(*args):
    out = StringIO()
    call_command("seed_protocols", *args, stdout=out)
    return out.getvalue()


def nodes_of(territory_slug):
    """Strategic objectives, operational objectives and actions of a territory."""
    path = "section__protocol__territory__slug"
    return [
        *models.StrategicObjective.objects.filter(**{path: territory_slug}),
        *models.OperationalObjective.objects.filter(
            **{"strategic_objective__" + path: territory_slug}
        ),
        *models.Action.objects.filter(
            **{"operational_objective__strategic_objective__" + path: territory_slug}
        ),
    ]


def territories_linked_to(related_name_prefix, obj):
    """Slugs of the territories whose nodes are linked to a partner or an axis."""
    slugs = set()
    for node in [
        *getattr(obj, f"{related_name_prefix}strategicobjectives").all(),
        *getattr(obj, f"{related_name_prefix}operationalobjectives").all(),
        *getattr(obj, f"{related_name_prefix}actions").all(),
    ]:
        slugs.add(node.territory.slug)
    return slugs


class TestIdempotence:
    def test_second_run_creates_and_changes_nothing(self):
        before = dump_database()
        output = seed()
        assert dump_database() == before
        assert "Rien à faire" in output

    def test_every_protocol_is_reported_as_left_untouched(self):
        output = seed()
        for slug in Territory.objects.values_list("slug", flat=True):
            assert f"{slug} : protocole déjà présent" in output

    def test_an_orm_edit_survives_a_second_run(self):
        action = models.Action.objects.get(text="Mieux outiller les MOUS logement")
        action.text = "Mieux outiller les MOUS logement (texte corrigé)"
        action.save()
        report_today(action, Status.IN_PROGRESS, 40)
        term = models.GlossaryTerm.objects.get(term="QPV")
        term.expansion = "Quartier prioritaire (modifié)"
        term.save()
        seed()
        action.refresh_from_db()
        assert action.text == "Mieux outiller les MOUS logement (texte corrigé)"
        assert action.progress == 40
        assert not models.Action.objects.filter(text="Mieux outiller les MOUS logement").exists()
        assert (
            models.GlossaryTerm.objects.get(term="QPV").expansion
            == "Quartier prioritaire (modifié)"
        )

    def test_a_deleted_item_is_not_recreated(self):
        models.Action.objects.get(text="Mieux outiller les MOUS logement").delete()
        seed()
        assert not models.Action.objects.filter(text="Mieux outiller les MOUS logement").exists()


class TestReset:
    def test_reset_with_yes_restores_the_fixtures(self):
        action = models.Action.objects.get(text="Mieux outiller les MOUS logement")
        action.text = "Texte modifié"
        action.save()
        models.GlossaryTerm.objects.filter(term="QPV").update(expansion="modifié")
        counts = {
            m: m.objects.count()
            for m in (models.StrategicObjective, models.OperationalObjective, models.Action)
        }
        output = seed("--reset", "--yes")
        assert models.Action.objects.filter(text="Mieux outiller les MOUS logement").count() == 1
        assert not models.Action.objects.filter(text="Texte modifié").exists()
        assert models.GlossaryTerm.objects.get(term="QPV").expansion == (
            "Quartier prioritaire de la politique de la ville"
        )
        assert {m: m.objects.count() for m in counts} == counts
        assert "protocoles" in output

    def test_reset_then_second_run_changes_nothing(self):
        seed("--reset", "--yes")
        before = dump_database()
        assert "Rien à faire" in seed()
        assert dump_database() == before

    def test_reset_without_yes_and_without_input_aborts(self, monkeypatch):
        def no_input(prompt=""):
            raise EOFError

        monkeypatch.setattr("builtins.input", no_input)
        models.Action.objects.filter(text="Mieux outiller les MOUS logement").update(text="Modifié")
        before = dump_database()
        with pytest.raises(CommandError, match="Abandon : rien n'a été modifié"):
            seed("--reset")
        assert dump_database() == before

    def test_reset_answered_no_aborts(self, monkeypatch):
        monkeypatch.setattr("builtins.input", lambda prompt="": "non")
        before = dump_database()
        with pytest.raises(CommandError, match="Abandon"):
            seed("--reset")
        assert dump_database() == before

    def test_reset_answered_oui_proceeds(self, monkeypatch):
        monkeypatch.setattr("builtins.input", lambda prompt="": "oui")
        models.Action.objects.filter(text="Mieux outiller les MOUS logement").update(text="Modifié")
        seed("--reset")
        assert models.Action.objects.filter(text="Mieux outiller les MOUS logement").exists()


class TestBrokenFixtures:
    """A broken file aborts the whole load: CommandError, and the database as it was."""

    @pytest.fixture
    def fixtures_copy(self, tmp_path, monkeypatch):
        target = tmp_path / "fixtures"
        shutil.copytree(commitments.services.seed.FIXTURES_DIR, target)
        monkeypatch.setattr(commitments.services.seed, "FIXTURES_DIR", target)
        return target

    def test_invalid_yaml(self, fixtures_copy):
        path = fixtures_copy / "grigny.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "\n  - : [\n", encoding="utf-8")
        before = dump_database()
        with pytest.raises(CommandError, match="grigny.yaml"):
            seed("--reset", "--yes")
        assert dump_database() == before

    def test_unknown_thematic_in_the_last_file_rolls_back_the_reset(self, fixtures_copy):
        # The reset deletes every protocol and reloads six of them before it meets the error.
        path = fixtures_copy / "savigny-le-temple.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(
            re.sub(r"thematic: \w+", "thematic: inconnue", text, count=1), encoding="utf-8"
        )
        models.Action.objects.filter(text="Mieux outiller les MOUS logement").update(text="Modifié")
        before = dump_database()
        with pytest.raises(CommandError, match="inconnue"):
            seed("--reset", "--yes")
        assert dump_database() == before
        assert models.Action.objects.filter(text="Modifié").exists()

    def test_missing_text(self, fixtures_copy):
        path = fixtures_copy / "ris-orangis.yaml"
        text = path.read_text(encoding="utf-8")
        # The first action/objective "text:" key renamed: the item has no text any more.
        position = text.index("- text:", text.index("strategic_objectives:"))
        path.write_text(text[:position] + "- texte:" + text[position + 7 :], encoding="utf-8")
        before = dump_database()
        with pytest.raises(CommandError, match="ris-orangis.yaml"):
            seed("--reset", "--yes")
        assert dump_database() == before


class TestTerritories:
    EXPECTED = {
        # slug: (name, kind, department, parent)
        "grand-paris-sud": ("Grand Paris Sud", "agglomeration", "91/77", None),
        "corbeil-essonnes": ("Corbeil-Essonnes", "commune", "91", "grand-paris-sud"),
        "grigny": ("Grigny", "commune", "91", "grand-paris-sud"),
        "evry-courcouronnes": ("Évry-Courcouronnes", "commune", "91", "grand-paris-sud"),
        "moissy-cramayel": ("Moissy-Cramayel", "commune", "77", "grand-paris-sud"),
        "ris-orangis": ("Ris-Orangis", "commune", "91", "grand-paris-sud"),
        "savigny-le-temple": ("Savigny-le-Temple", "commune", "77", "grand-paris-sud"),
    }

    def test_kind_department_parent_slug(self):
        found = {
            t.slug: (t.name, t.kind, t.department, t.parent.slug if t.parent else None)
            for t in Territory.objects.select_related("parent")
        }
        assert found == self.EXPECTED

    def test_display_order_follows_the_document(self):
        assert list(Territory.objects.in_display_order().values_list("slug", flat=True)) == list(
            self.EXPECTED
        )

    def test_one_protocol_each(self):
        for slug in self.EXPECTED:
            protocol = models.Protocol.objects.get(territory__slug=slug)
            assert protocol.deliberation_reference == "Del 2019 0128"
            assert (protocol.start_year, protocol.end_year) == (2019, 2022)


class TestGlossary:
    def test_every_term(self):
        assert set(models.GlossaryTerm.objects.values_list("term", flat=True)) >= set(
            GLOSSARY_TERMS
        )

    def test_expansions(self):
        without = set(
            models.GlossaryTerm.objects.filter(term__in=GLOSSARY_TERMS, expansion="").values_list(
                "term", flat=True
            )
        )
        assert without == GLOSSARY_WITHOUT_EXPANSION
        expected = {
            "QPV": "Quartier prioritaire de la politique de la ville",
            "TFPB": "Taxe foncière sur les propriétés bâties",
            "PAQTE": "Pacte avec les Quartiers pour Toutes les Entreprises",
            "POPAC": "Programme Opérationnel Préventif d'Accompagnement des Copropriétés",
            "CLAR": "Classe d'accueil et de remédiation",
            "PIM": "Passeport Internet Multimédia",
            "NQT": "Nos Quartiers ont du Talent",
            "REP+": "Réseau d'éducation prioritaire renforcé",
            "ORCOD-IN": (
                "Opération de requalification des copropriétés dégradées d'intérêt national"
            ),
        }
        for term, expansion in expected.items():
            assert models.GlossaryTerm.objects.get(term=term).expansion == expansion

    def test_slugs_are_distinct_for_plus_and_hyphen(self):
        slugs = dict(models.GlossaryTerm.objects.values_list("term", "slug"))
        assert slugs["REP+"] != slugs["REP"]
        assert slugs["PLA-I"] != slugs["PLAI"]

    def test_every_term_occurs_in_the_protocols(self):
        text = source_text()
        for term in GLOSSARY_TERMS:
            pattern = re.escape(term).replace(r"\+", r"\s?\+")  # "REP +" in one protocol
            assert re.search(r"(?<![\w-])" + pattern + r"(?![\w-])", text), term


class TestPartners:
    def partner(self, slug):
        return models.Partner.objects.get(slug=slug)

    def test_every_alias_is_a_wording_of_the_texts(self):
        text = re.sub(r"<[^>]*>|\*", " ", source_text())
        for partner in models.Partner.objects.all():
            for wording in [partner.acronym, *partner.alias_list]:
                if wording:
                    pattern = r"(?<![\w-])" + re.escape(wording) + r"(?![\w-])"
                    assert re.search(pattern, text), (partner.name, wording)

    def test_oser(self):
        assert territories_linked_to("", self.partner("club-de-prevention-oser")) == {
            "corbeil-essonnes",
            "ris-orangis",
        }

    def test_essonne_habitat(self):
        assert territories_linked_to("", self.partner("essonne-habitat")) == {"ris-orangis"}
        assert territories_linked_to("", self.partner("habitat-77")) == {"moissy-cramayel"}

    def test_etat_but_not_etat_des_lieux(self):
        etat = self.partner("etat")
        assert territories_linked_to("", etat) == {
            "grand-paris-sud",
            "evry-courcouronnes",
            "ris-orangis",
        }
        lieux = models.OperationalObjective.objects.get(text__startswith="Etude et état des lieux")
        assert etat not in lieux.partners.all()

    def test_others(self):
        expected = {
            "caf": {"grigny", "ris-orangis"},
            "education-nationale": {
                "grand-paris-sud",
                "evry-courcouronnes",
                "moissy-cramayel",
                "savigny-le-temple",
            },
            "mission-locale": {"grand-paris-sud", "grigny"},
            "cfp": {"grand-paris-sud", "grigny"},
            "nos-quartiers-ont-du-talent": {"grand-paris-sud"},
            "universite-evry": {"grand-paris-sud"},
            "police-nationale": {"corbeil-essonnes", "ris-orangis"},
            "police-municipale": {"grigny", "ris-orangis"},
            "musee-du-quai-branly": {"ris-orangis"},
            "orchestre-de-massy": {"grigny"},
            "ris-emploi": {"ris-orangis"},
        }
        found = {slug: territories_linked_to("", self.partner(slug)) for slug in expected}
        assert found == expected

    def test_every_partner_names_something(self):
        unlinked = [
            p.name for p in models.Partner.objects.all() if not territories_linked_to("", p)
        ]
        # Named only in Ris-Orangis' preconditions, which are not commitments.
        assert sorted(unlinked) == [
            "Conseil Départemental de l'Essonne",
            "Maison Départementale des Solidarités",
        ]


class TestAxes:
    def axis(self, slug):
        return models.TransversalAxis.objects.get(slug=slug)

    def test_every_keyword_occurs_in_the_texts(self):
        text = fold(" ".join(re.sub(r"<[^>]*>|\*", " ", source_text()).split()))
        for axis in yaml.safe_load(
            (commitments.services.seed.FIXTURES_DIR / "axes.yaml").read_text(encoding="utf-8")
        ):
            for keyword in axis["keywords"]:
                assert re.search(r"\b" + re.escape(fold(keyword)), text), (axis["slug"], keyword)

    def test_numerique(self):
        numerique = self.axis("numerique")
        assert len(territories_linked_to("", numerique)) >= 4
        for model in (models.StrategicObjective, models.OperationalObjective, models.Action):
            for node in model.objects.filter(text__icontains="illectronisme"):
                assert numerique in node.axes.all(), node.text

    def test_every_axis_is_used(self):
        for axis in models.TransversalAxis.objects.all():
            assert territories_linked_to("", axis), axis.slug

    def test_egalite_femmes_hommes(self):
        assert territories_linked_to("", self.axis("egalite-femmes-hommes")) >= {
            "grigny",
            "evry-courcouronnes",
            "moissy-cramayel",
            "ris-orangis",
        }

    def test_langue_francaise(self):
        langue = self.axis("langue-francaise")
        assert len(territories_linked_to("", langue)) == 7
        node = models.OperationalObjective.objects.get(
            text="Favoriser la maîtrise de la langue française",
            strategic_objective__section__thematic__slug="emploi",
        )
        assert langue in node.axes.all()

    def test_no_false_positives(self):
        # "écouter de la musique" is not culture, "jeunes enfants" not youth,
        # "mobilités" of a residential path not mobility, "la culture de l'emploi" not culture.
        music = models.OperationalObjective.objects.filter(text__contains="écouter de la musique")
        assert music.exists()
        assert not music.filter(axes__slug="culture").exists()
        kids = models.OperationalObjective.objects.get(text__contains="des jeunes enfants")
        assert not kids.axes.filter(slug="jeunesse").exists()
        residential = models.OperationalObjective.objects.get(
            text__contains="coordination sur les mobilités"
        )
        assert not residential.axes.filter(slug="mobilite").exists()
        employment = models.OperationalObjective.objects.get(
            text__startswith="Développer la culture de l'emploi"
        )
        assert not employment.axes.filter(slug="culture").exists()

    def test_culture_and_sante(self):
        assert territories_linked_to("", self.axis("culture")) >= {
            "grigny",
            "moissy-cramayel",
            "ris-orangis",
            "savigny-le-temple",
        }
        assert territories_linked_to("", self.axis("sante")) >= {
            "grigny",
            "evry-courcouronnes",
            "ris-orangis",
        }
