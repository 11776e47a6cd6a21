"""A small HTML reader for the portal tests (headings, ids, labels and form fields), and the
structure every public page must have."""

from html.parser import HTMLParser

FIELD_TAGS = {"input", "select", "textarea"}
UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}


class PageStructure(HTMLParser):
    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.headings = []  # (level, text)
        self.ids = []
        self.label_targets = set()
        self.fields = []  # (tag, attrs)
        self.links = []  # (href, text)
        self.html_lang = None
        self._heading = None
        self._link = None
        self._labels_open = 0
        self.wrapped_fields = set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self._heading = [int(tag[1]), ""]
        if tag == "a":
            self._link = [attrs.get("href"), ""]
        if tag == "label":
            self._labels_open += 1
            if attrs.get("for"):
                self.label_targets.add(attrs["for"])
        if tag in FIELD_TAGS and attrs.get("type") not in UNLABELLED_INPUT_TYPES:
            self.fields.append((tag, attrs))
            if self._labels_open:
                self.wrapped_fields.add(attrs.get("id"))

    def handle_endtag(self, tag):
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"} and self._heading:
            self.headings.append((self._heading[0], " ".join(self._heading[1].split())))
            self._heading = None
        if tag == "a" and self._link:
            self.links.append((self._link[0], " ".join(self._link[1].split())))
            self._link = None
        if tag == "label":
            self._labels_open -= 1

    def handle_data(self, data):
        if self._heading:
            self._heading[1] += data
        if self._link:
            self._link[1] += data

    def unlabelled_fields(self):
        return [
            attrs
            for _, attrs in self.fields
            if attrs.get("id") not in self.label_targets
            and attrs.get("id") not in self.wrapped_fields
            and not attrs.get("aria-label")
        ]

    def heading_jumps(self):
        """Headings that go down more than one level from the previous one."""
        jumps = []
        previous = 0
        for level, text in self.headings:
            if level > previous + 1:
                jumps.append((previous, level, text))
            previous = level
        return jumps

    def duplicate_ids(self):
        seen, duplicates = set(), set()
        for value in self.ids:
            (duplicates if value in seen else seen).add(value)
        return duplicates


def html_of(response):
    return response.content.decode()


def assert_accessible_structure(html):
    page = PageStructure(html)
    assert page.html_lang == "fr"
    assert [level for level, _ in page.headings].count(1) == 1, page.headings
    assert page.heading_jumps() == []
    assert page.unlabelled_fields() == []
    assert page.duplicate_ids() == set()
    assert 'href="#contenu"' in html and 'id="contenu"' in html
    return page
