"""commitments/rendering/template_sources.py: the files a template's render reads, found on the
compiled templates."""

from pathlib import Path

import pytest
from django.conf import settings

from commitments.rendering.template_sources import UnfollowedTemplate, template_files
from tests.support.templates import read_templates_first_from

ROOT = Path(settings.BASE_DIR)


def names(files):
    return {str(path.relative_to(ROOT)) for path in files if path.is_relative_to(ROOT)}


def test_the_protocol_pdf_reads_its_templates_the_shared_includes_and_the_tags():
    found = names(template_files("pdf/document.html"))
    assert {
        "templates/pdf/document.html",
        "templates/pdf/protocol.css",
        "templates/protocol/_action.html",  # included by an included template
        "templates/includes/section_intro.html",
        "templates/includes/preamble.html",
        "commitments/templatetags/node_markup.py",
        "commitments/templatetags/perer_text.py",
        "perer/lib/text.py",  # imported by the tags: shapes their output
    } <= found
    assert "templates/base.html" not in found
    assert not any(name.startswith("templates/portal/") for name in found)


def test_extends_includes_loads_and_inclusion_tags_are_followed(settings, tmp_path):
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "page.html").write_text(
        '{% extends "probe/layout.html" %}{% load perer_text %}'
        '{% block body %}{% include "probe/part.html" %}{% endblock %}'
    )
    (tmp_path / "probe" / "layout.html").write_text("{% block body %}{% endblock %}")
    (tmp_path / "probe" / "part.html").write_text("{% load node_markup %}{% if x %}x{% endif %}")
    read_templates_first_from(settings, tmp_path)
    found = set(template_files("probe/page.html"))
    assert {
        tmp_path / "probe" / name for name in ("page.html", "layout.html", "part.html")
    } <= found
    assert {"perer_text.py", "node_markup.py"} <= {path.name for path in found}


@pytest.mark.parametrize(
    "source",
    ["{% include name %}", '{% if a %}{% include "x"|add:y %}{% endif %}', "{% extends parent %}"],
)
def test_a_name_known_only_at_render_is_refused(source, settings, tmp_path):
    (tmp_path / "probe.html").write_text(source)
    read_templates_first_from(settings, tmp_path)
    with pytest.raises(UnfollowedTemplate, match="probe.html"):
        template_files("probe.html")
