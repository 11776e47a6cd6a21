"""commitments/templatetags/node_markup.py: the pieces printed beside every node, as the
templates call them; everything typed in the admin comes out escaped."""

from types import SimpleNamespace

import pytest
from django.template import Context, Template

from commitments.rendering.glossary_markup import Glossary
from commitments.selectors.protocol_tree import load_protocol_tree
from tests import factories


def render(source, **context):
    return Template("{% load node_markup %}" + source).render(Context(context))


def node(**fields):
    values = {
        "pk": 7,
        "anchor": "action-7",
        "number": "1.2.3",
        "text": "Créer <b>vingt</b> places en crèche à horaires décalés : ",
        "details": "",
        "status": "en_cours",
        "progress": 40,
    }
    return SimpleNamespace(**{**values, **fields})


class TestStatusBadge:
    def test_status_and_progress(self):
        assert render("{% status_badge n %}", n=node()) == (
            '<span class="badge badge--en_cours"><span class="visually-hidden">Statut : </span>'
            "En cours · 40 %</span>"
        )

    def test_no_progress_when_not_reported_or_zero(self):
        assert "%" not in render("{% status_badge n %}", n=node(status="non_renseigne"))
        assert render("{% status_badge n %}", n=node(status="prevu", progress=0)).endswith(
            "Prévu</span>"
        )


class TestProgress:
    def test_rounded_percent_and_label(self):
        html = render('{% progress value "Avancement <moyen>" %}', value=42.6)
        assert '<span class="progress-rollup__label">Avancement <moyen> : ' in html  # literal
        assert "<strong>43 %</strong>" in html
        assert '<progress max="100" value="43" aria-hidden="true">43 %</progress>' in html

    def test_a_label_from_a_variable_is_escaped(self):
        html = render("{% progress value label %}", value=10, label="<i>x</i>")
        assert "&lt;i&gt;x&lt;/i&gt; : <strong>10 %</strong>" in html

    @pytest.mark.parametrize("context", [{"value": None}, {}])
    def test_nothing_to_average_prints_nothing(self, context):
        assert render("{% progress value %}", **context) == ""


class TestNodeDetails:
    def test_one_paragraph_per_block_escaped_with_acronyms(self):
        glossary = Glossary([SimpleNamespace(term="QPV", expansion="quartier <prioritaire>")])
        html = render(
            "{% node_details n glossary %}",
            n=node(details="Dans les QPV.\n\nAvec <script>x</script>"),
            glossary=glossary,
        )
        assert html == (
            '<p class="details">Dans les <abbr title="quartier &lt;prioritaire&gt;">QPV</abbr>.'
            '</p><p class="details">Avec &lt;script&gt;x&lt;/script&gt;</p>'
        )

    def test_without_glossary_only_escaped(self):
        assert render("{% node_details n %}", n=node(details="QPV & <b>")) == (
            '<p class="details">QPV &amp; &lt;b&gt;</p>'
        )


class TestLinks:
    def test_permalink_names_the_node_by_its_number_and_first_words(self):
        html = render('{% permalink n "l\'action" %}', n=node())
        assert html == (
            '<a class="permalink" href="#action-7"><span aria-hidden="true">#</span>'
            '<span class="visually-hidden">Lien permanent vers l\'action 1.2.3 : '
            "Créer &lt;b&gt;vingt&lt;/b&gt; places en crèche à horaires décalés</span></a>"
        )

    def test_tracking_link(self, db):
        action = factories.ActionFactory(text="Un deux trois quatre cinq six sept huit neuf")
        action.number = "1.1.1"
        html = render('{% tracking_link a "de l\'action" %}', a=action)
        assert html == (
            f'<a class="detail-link" href="{action.get_public_url()}">Suivi<span '
            'class="visually-hidden"> de l\'action 1.1.1 : Un deux trois quatre cinq six sept '
            "huit …</span></a>"
        )

    def test_public_url_is_the_commitment_s_page(self, db):
        action = factories.ActionFactory()
        objective = action.operational_objective
        assert render("{{ a|public_url }}", a=action) == action.get_public_url()
        assert render("{{ o|public_url }}", o=objective) == objective.get_public_url()
        assert render("{{ s|public_url }}", s=objective.strategic_objective) == ""

    def test_edition_mark(self):
        marked = node(edition_mark=("Modifié depuis l'édition 1", "/x/?a=1&b=2#action-7"))
        assert render("{% edition_mark n %}", n=marked) == (
            '<p class="edition-mark"><a href="/x/?a=1&amp;b=2#action-7">Modifié depuis '
            'l&#x27;édition 1<span class="visually-hidden"> : voir la modification</span>'
            "</a></p>"
        )
        assert render("{% edition_mark n %}", n=node()) == ""


@pytest.mark.django_db
class TestNodeMeta:
    @pytest.fixture
    def loaded(self):
        action = factories.ActionFactory(
            lead=factories.PartnerFactory(name="CAF <91>"), start_year=2020, end_year=2022
        )
        action.partners.set(
            [factories.PartnerFactory(name="B & co"), factories.PartnerFactory(name="A")]
        )
        action.axes.set([factories.AxisFactory(name="Numérique", slug="numérique")])
        protocol = action.operational_objective.strategic_objective.section.protocol
        tree = load_protocol_tree(protocol.pk)
        so = tree.sections.all()[0].strategic_objectives.all()[0]
        return so.operational_objectives.all()[0].actions.all()[0]

    def test_with_tracking_and_links_pilot_partners_years_and_axes_escaped(self, loaded):
        html = render("{% node_meta a True True %}", a=loaded)
        assert "Pilote :</span> CAF &lt;91&gt;</li>" in html
        assert "Partenaires :</span> A, B &amp; co</li>" in html
        assert "Calendrier :</span> 2020–2022</li>" in html
        assert (
            'Axes :</span> <a class="tag" href="/engagements/?axe=num%C3%A9rique">Numérique</a>'
            in html
        )

    def test_without_tracking_nor_links_the_text_s_partners_and_axes(self, loaded):
        html = render("{% node_meta a %}", a=loaded)
        assert "Pilote" not in html
        assert "Calendrier" not in html
        assert "Partenaires :</span> A, B &amp; co</li>" in html
        assert 'Axes :</span> <span class="tag">Numérique</span></li>' in html

    def test_an_edition_s_names(self):
        text_node = node(partner_names=["CAF", "État <x>"], axis_names=["Jeunesse", "Emploi"])
        html = render("{% node_meta n True %}", n=text_node)
        assert "Partenaires :</span> CAF, État &lt;x&gt;</li>" in html
        assert '<span class="tag">Jeunesse</span> <span class="tag">Emploi</span>' in html

    def test_one_year_and_a_strategic_objective_without_pilot(self):
        action = factories.ActionFactory(end_year=2024)
        assert "Calendrier :</span> 2024</li>" in render("{% node_meta a True %}", a=action)
        objective = action.operational_objective.strategic_objective
        assert render("{% node_meta s True True %}", s=objective) == ""
