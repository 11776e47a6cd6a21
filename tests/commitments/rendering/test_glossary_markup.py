"""Acronyms of the glossary marked up as <abbr> in escaped text (rendering/glossary_markup.py)."""


class TestGlossaryMarkup:
    def test_acronym_wrapped_and_text_escaped(self):
        from commitments.models import GlossaryTerm
        from commitments.rendering.glossary_markup import Glossary

        glossary = Glossary([GlossaryTerm(term="QPV", expansion="Quartier « prioritaire »")])
        html = glossary.abbreviate('<b>QPV</b> & "QPVX"')
        assert html == (
            '&lt;b&gt;<abbr title="Quartier « prioritaire »">QPV</abbr>&lt;/b&gt; '
            "&amp; &quot;QPVX&quot;"
        )

    def test_term_spelled_like_an_entity_never_breaks_escaping(self):
        from commitments.models import GlossaryTerm
        from commitments.rendering.glossary_markup import Glossary

        glossary = Glossary([GlossaryTerm(term="quot", expansion="x")])
        assert glossary.abbreviate('a "b"') == "a &quot;b&quot;"
