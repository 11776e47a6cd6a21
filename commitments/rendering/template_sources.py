"""The files a template's render reads, found on Django's compiled templates: the template, every
template it includes or extends (and those they include, down the tree), the modules of the tag
libraries they load and the project modules those import (the helpers that shape the tags'
output). The PDFs' cache keys are digests of these files (rendering/pdf.py, campaign_report.py), so
that changing any piece of a document, wherever it lives, makes its stored renders stale.

Invariants:
- read from the templates themselves, not from a list of folders: a template moved or shared
  with the pages is followed where it is;
- a template whose name is computed at render time (`{% include some_variable %}`) cannot be
  followed: it is refused with an error that names it (UnfollowedTemplate), so that it is seen
  by the tests, never silently left out of a key;
- Django's own tags and filters are not listed (the callers digest Django's version);
- no render, no query: compiling is done once per process by the cached loader and shared with
  the renders.
"""

import ast
import importlib
import importlib.util
from pathlib import Path

from django.template import engines
from django.template.base import Lexer, TokenType
from django.template.library import InclusionNode
from django.template.loader_tags import ExtendsNode, IncludeNode

PROJECT_PACKAGES = ("commitments", "perer", "territories")


class UnfollowedTemplate(ValueError):
    """A template includes (or extends) a template whose name is only known at render time."""


def template_files(*names):
    """The files (Paths, sorted) that rendering the templates `names` reads: see the module's
    docstring."""
    engine = engines["django"].engine
    templates, libraries = {}, set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in templates:
            continue
        template = engine.get_template(name)
        templates[name] = Path(template.origin.name)
        pending.extend(_referenced(template))
        libraries.update(_loaded_libraries(template.source))
    modules = {engine.libraries[library] for library in libraries if library in engine.libraries}
    files = set(templates.values())
    for module in modules:
        files.add(_module_file(module))
        files.update(_project_imports(_module_file(module)))
    return sorted(files)


def _referenced(template):
    """The names of the templates `template` includes or extends (inclusion tags' too)."""
    found = []
    for node in template.nodelist.get_nodes_by_type((IncludeNode, ExtendsNode, InclusionNode)):
        if isinstance(node, InclusionNode):
            name = node.filename if isinstance(node.filename, str) else None
        else:
            expression = node.template if isinstance(node, IncludeNode) else node.parent_name
            constant = isinstance(expression.var, str) and not expression.filters
            name = str(expression.var) if constant else None
        if name is None:
            raise UnfollowedTemplate(
                f"{template.origin.template_name} inclut un gabarit dont le nom n'est connu "
                f"qu'au rendu ({node.token.contents if node.token else node!r}) : "
                "écrivez son nom, pour que les clés des PDF le suivent."
            )
        found.append(name)
    return found


def _loaded_libraries(source):
    """The tag libraries `{% load %}` names in a template's source (Django's own lexer)."""
    for token in Lexer(source).tokenize():
        bits = token.split_contents() if token.token_type == TokenType.BLOCK else []
        if bits and bits[0] == "load":
            # {% load a b %}, or {% load name other from library %}
            yield from bits[-1:] if "from" in bits else bits[1:]


def _module_file(module):
    return Path(importlib.import_module(module).__file__)


def _project_imports(path):
    """The files of the project modules a module imports (`from commitments.x import y`)."""
    files = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in PROJECT_PACKAGES:
                spec = importlib.util.find_spec(name)
                if spec is not None and spec.origin:
                    files.add(Path(spec.origin))
    return files
