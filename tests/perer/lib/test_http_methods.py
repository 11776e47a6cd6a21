"""Methods (perer/lib/http_methods.py): every address of perer/urls.py — the admin's and the
API's included, found by walking the URL resolver, so that a new page is covered — answers 405
to TRACE, CONNECT and every method it does not serve, and OPTIONS with `Allow`, whether the
anonymous page cache is cold or warm."""

import re

import pytest
from django.test import Client, RequestFactory
from django.urls import Resolver404, URLResolver, get_resolver, resolve

from commitments.models import Edition, Thematic
from perer.lib.http_methods import METHODS, read_or_post, served_methods
from tests.support.admin import client_for, make_user

pytestmark = pytest.mark.django_db

# A value for each parameter of the URL patterns, by name (the `samples` fixture gives a page
# its own where it needs one). A parameter missing here fails the test, naming it.
SAMPLES = {
    "slug": "grigny",
    "kind": "action",
    "pk": "1",
    "format": "json",
    "number": "1",
    "uidb64": "MQ",
    "token": "abc-def",
    "object_id": "1",
    "id": "1",
    "app_label": "commitments",
    "content_type_id": "1",
    "url": "inconnu/",
    "commitment_pk": "1",
}
# A group without a name (django-simple-history's admin pattern) takes this value.
UNNAMED = "1"
GROUP = re.compile(r"\(\?P<(\w+)>|\((?!\?)")
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
# Samples by converter, where its values have a shape of their own (DRF's ".json").
BY_CONVERTER = {"drf_format_suffix": ".json"}


def _fill_regex(regex, samples):
    """A path matched by `regex`: each group replaced by its sample, anchors and escapes
    dropped."""
    out, position = [], 0
    for found in GROUP.finditer(regex):
        if found.start() < position:
            continue  # a group nested in one already replaced
        out.append(regex[position : found.start()])
        depth, end = 1, found.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(regex[end], 0) if regex[end - 1] != "\\" else 0
            end += 1
        name, body = found.group(1), regex[found.end() : end - 1]
        choices = body.split("|") if re.fullmatch(r"[\w|]+", body) else None
        if choices and samples.get(name) not in choices:
            out.append(choices[0])  # a group of words: one of them
        else:
            out.append(samples[name] if name else UNNAMED)
        position = end
    out.append(regex[position:])
    path = "".join(out).lstrip("^").rstrip("$").replace("/?", "/")
    return re.sub(r"\\(.)", r"\1", path)


def _fill(pattern, samples):
    text = str(pattern.pattern)
    try:
        if hasattr(pattern.pattern, "_route"):  # path()
            return CONVERTER.sub(
                lambda found: BY_CONVERTER.get(found.group(1)) or samples[found.group(2)], text
            )
        return _fill_regex(text, samples)
    except KeyError as missing:
        raise AssertionError(f"SAMPLES has no value for {missing} of « {text} »") from None


def _walk(resolvers, prefix=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + _fill(entry, SAMPLES))
        else:
            yield prefix, entry


def every_address(samples):
    """(label, path, pattern) for every pattern of the URL configuration; a pattern whose
    address an earlier one takes (the admin's password change, perer/urls.py) is that one's."""
    found = {}
    for prefix, pattern in _walk(get_resolver().url_patterns):
        label = f"{prefix}{pattern.pattern} ({pattern.name or pattern.lookup_str})"
        own = {**SAMPLES, **samples.get(pattern.name, {})}
        path = "/" + prefix + _fill(pattern, own)
        found.setdefault(path, (label, path, pattern))
    return list(found.values())


@pytest.fixture
def samples():
    """Values that make the cached public pages answer 200 (their cache then warm)."""
    edition = Edition.objects.filter(protocol__territory__slug="grigny").first()
    return {
        "thematic_detail": {"slug": Thematic.objects.order_by("pk").first().slug},
        "edition_detail": {"number": str(edition.number)},
    }


def test_every_pattern_gets_an_address_that_resolves_to_it(samples):
    found = every_address(samples)
    assert len(found) > 150  # the site, the API and the admin
    for label, path, pattern in found:
        try:
            match = resolve(path)
        except Resolver404:
            pytest.fail(f"{path}, made for {label}, matches no pattern")
        assert match.func is pattern.callback, (label, path, match)


def allow(response):
    return [method.strip() for method in response["Allow"].split(",")]


def check_methods(client, label, path, served):
    """The answers that never reach the page: 405 with Allow, OPTIONS with Allow."""
    listed = [*served, "OPTIONS"]
    options = client.options(path)
    assert (options.status_code, allow(options), options.content) == (200, listed, b""), label
    for method in ("TRACE", "CONNECT", *(m for m in METHODS if m not in served)):
        response = client.generic(method, path)
        assert response.status_code == 405, (label, method)
        assert allow(response) == listed, (label, method)
        if method != "HEAD":  # a HEAD answer has no body
            assert f"La méthode {method} n'est pas acceptée" in response.content.decode()


def test_every_address_refuses_what_it_does_not_serve_cache_cold_then_warm(samples):
    client = Client(enforce_csrf_checks=True)  # a POST refused for its method, not its token
    cached = []
    for label, path, pattern in every_address(samples):
        served = served_methods(resolve(path))
        assert "TRACE" not in served and served, label
        check_methods(client, label, path, served)
        if getattr(pattern.callback, "cached_public_page", False):
            cached.append((label, path, served))
    assert len(cached) >= 12
    for label, path, served in cached:
        assert client.get(path).status_code == 200, label  # now in the cache
        check_methods(client, label, path, served)
        # The page itself still comes from the cache.
        assert client.get(path).status_code == 200, label


def test_a_logged_in_user_gets_the_same_answers():
    client = client_for(make_user("agglomeration"))
    for path in ("/admin/", "/suivi/", "/territoires/grigny/", "/compte/mot-de-passe/"):
        check_methods(client, path, path, served_methods(resolve(path)))


@pytest.mark.parametrize(
    ("path", "served"),
    [
        ("/", ("GET", "HEAD")),
        ("/territoires/grigny/", ("GET", "HEAD")),
        ("/flux/editions.atom", ("GET", "HEAD")),
        ("/compte/connexion/", ("GET", "HEAD", "POST")),
        ("/compte/deconnexion/", ("POST",)),
        ("/compte/mot-de-passe-oublie/", ("GET", "HEAD", "POST")),
        ("/suivi/", ("GET", "HEAD")),
        ("/suivi/engagements/action/1/", ("GET", "HEAD", "POST")),
        ("/suivi/campagnes/1/cloturer/", ("POST",)),
        ("/api/v1/actions/", ("GET", "HEAD")),
        ("/api/v1/actions/1/", ("GET", "HEAD")),
        ("/api/schema/", ("GET", "HEAD")),
        ("/admin/commitments/action/1/change/", ("GET", "HEAD", "POST")),
    ],
)
def test_what_each_kind_of_page_serves(path, served):
    assert served_methods(resolve(path)) == served


def test_the_decorator_refuses_by_itself():
    """A declared view called without the middleware refuses the other methods too."""
    view = read_or_post(lambda request: None)
    response = view(RequestFactory().generic("PUT", "/"))
    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD, POST, OPTIONS")


def test_no_view_uses_djangos_method_decorators():
    """They do not tell the middleware what a view serves: a view declared with them would be
    taken as serving GET and HEAD only."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent.parent
    offenders = [
        str(path.relative_to(root))
        for package in ("commitments", "territories", "perer")
        for path in (root / package).rglob("*.py")
        if re.search(
            r"django\.views\.decorators\.http import[^\n]*\brequire_",
            path.read_text(encoding="utf-8"),
        )
    ]
    assert offenders == []
