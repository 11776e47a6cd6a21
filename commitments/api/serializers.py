"""Read-only representations of the public API (v1).

Field names are English (the code's language); relations are given by slug for the reference
lists (territories, thematics, partners, axes) and by id for the tree nodes.
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commitments import models
from commitments.enums import Level, Status, Unit
from territories.models import Territory

PROTOCOL_FIELDS = [
    "id",
    "territory",
    "title",
    "deliberation_reference",
    "deliberation_date",
    "start_year",
    "end_year",
    "last_changed_at",
    "page_url",
]


def lines(source):
    """A text stored one item per line, given as a list of strings."""
    return serializers.ListField(source=source, child=serializers.CharField(), read_only=True)


class TerritorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    protocols = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    page_url = serializers.SerializerMethodField(help_text="Page du protocole sur le portail.")

    class Meta:
        model = Territory
        fields = [
            "slug",
            "name",
            "subtitle",
            "kind",
            "department",
            "parent",
            "insee_code",
            "siren",
            "protocols",
            "page_url",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, obj):
        return _absolute(self, obj.get_absolute_url())


class ThematicSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Thematic
        fields = ["slug", "name", "short_name", "description", "position"]


class PartnerSerializer(serializers.ModelSerializer):
    aliases = lines("alias_list")

    class Meta:
        model = models.Partner
        fields = ["slug", "name", "acronym", "kind", "aliases", "website"]


class GlossaryTermSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.GlossaryTerm
        fields = ["slug", "term", "expansion", "definition"]


class TransversalAxisSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.TransversalAxis
        fields = ["slug", "name", "description", "position"]


def _absolute(serializer, path):
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request else path


class NodeSerializer(serializers.ModelSerializer):
    """Fields of every level. `path` comes from the view (context["paths"])."""

    level = serializers.SerializerMethodField()
    path = serializers.SerializerMethodField(
        help_text="Place dans la hiérarchie du protocole : section.objectif stratégique"
        ".objectif opérationnel.action, par ex. « 2.1.3 »."
    )
    partners = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    axes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    page_url = serializers.SerializerMethodField(help_text="Ancre de l'engagement sur le portail.")

    node_fields = ["id", "level", "path", "position", "text", "details", "partners", "axes"]

    @extend_schema_field(serializers.ChoiceField(choices=Level.choices))
    def get_level(self, obj):
        return str(obj.level)

    @extend_schema_field(OpenApiTypes.STR)
    def get_path(self, obj):
        return self.context.get("paths", {}).get((obj.level, obj.pk), "")

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, obj):
        # The nested tree passes its territory: no walk up the tree per node.
        slug = self.context.get("territory_slug") or obj.territory.slug
        page = reverse("territory_detail", kwargs={"slug": slug})
        return _absolute(self, f"{page}#{obj.anchor}")


class TrackedNodeSerializer(NodeSerializer):
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    lead = serializers.SlugRelatedField(
        source="pilot", slug_field="slug", read_only=True, allow_null=True
    )

    tracking_fields = ["status", "status_label", "progress", "lead", "start_year", "end_year"]


class PlacedMixin(serializers.Serializer):
    """Where a node of a flat list sits: territory, protocol, thematic."""

    territory = serializers.SerializerMethodField()
    protocol = serializers.SerializerMethodField()
    thematic = serializers.SerializerMethodField()

    placed_fields = ["territory", "protocol", "thematic"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_territory(self, obj):
        return obj.territory.slug

    @extend_schema_field(OpenApiTypes.INT)
    def get_protocol(self, obj):
        return obj.section.protocol_id

    @extend_schema_field(OpenApiTypes.STR)
    def get_thematic(self, obj):
        return obj.section.thematic.slug


NODE = NodeSerializer.node_fields
TRACKING = TrackedNodeSerializer.tracking_fields
PLACED = PlacedMixin.placed_fields
HEADINGS = ["subheading", "operational_heading"]


class StrategicObjectiveSerializer(PlacedMixin, NodeSerializer):
    class Meta:
        model = models.StrategicObjective
        fields = [*NODE, *HEADINGS, "section", *PLACED, "page_url"]


class OperationalObjectiveSerializer(PlacedMixin, TrackedNodeSerializer):
    class Meta:
        model = models.OperationalObjective
        fields = [*NODE, *TRACKING, "strategic_objective", *PLACED, "page_url"]


class ActionSerializer(PlacedMixin, TrackedNodeSerializer):
    class Meta:
        model = models.Action
        fields = [*NODE, *TRACKING, "operational_objective", *PLACED, "page_url"]


# The nested tree of one protocol --------------------------------------------------------------


class TreeActionSerializer(TrackedNodeSerializer):
    class Meta:
        model = models.Action
        fields = [*NODE, *TRACKING, "page_url"]


class TreeOperationalObjectiveSerializer(TrackedNodeSerializer):
    actions = TreeActionSerializer(many=True, read_only=True)

    class Meta:
        model = models.OperationalObjective
        fields = [*NODE, *TRACKING, "page_url", "actions"]


class TreeStrategicObjectiveSerializer(NodeSerializer):
    operational_objectives = TreeOperationalObjectiveSerializer(many=True, read_only=True)

    class Meta:
        model = models.StrategicObjective
        fields = [*NODE, *HEADINGS, "page_url", "operational_objectives"]


class TreeSectionSerializer(serializers.ModelSerializer):
    thematic = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    path = serializers.SerializerMethodField()
    priorities = lines("priority_list")
    strategic_objectives = TreeStrategicObjectiveSerializer(many=True, read_only=True)

    class Meta:
        model = models.ThematicSection
        fields = [
            "id",
            "path",
            "position",
            "thematic",
            "heading",
            "subtitle",
            "objective",
            "priorities_heading",
            "priorities",
            "intro",
            "strategic_objectives",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_path(self, obj):
        return self.context.get("paths", {}).get(("section", obj.pk), "")


class ProtocolSerializer(serializers.ModelSerializer):
    territory = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    page_url = serializers.SerializerMethodField()

    class Meta:
        model = models.Protocol
        fields = PROTOCOL_FIELDS

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, obj):
        return _absolute(self, obj.get_absolute_url())


class ProtocolTreeSerializer(ProtocolSerializer):
    """One protocol with its whole tree, in document order."""

    preconditions = lines("precondition_list")
    sections = TreeSectionSerializer(many=True, read_only=True)

    class Meta:
        model = models.Protocol
        fields = [
            *PROTOCOL_FIELDS,
            "preamble",
            "preconditions_heading",
            "preconditions",
            "sections",
        ]


# Editions: their list, and one edition's whole tree read from its snapshot -------------------
# The same shape as the current tree (ProtocolTreeSerializer) for the text: the same field
# names, levels, paths and nesting. What an edition does not freeze is absent: tracking
# (status, progress, lead, years), `position` (the order of the lists and `path` give it) and
# `last_changed_at`. Partners and axes are the NAMES the text held when the edition was
# published (a slug may change or a partner be deleted later; the edition never changes).

LEVEL_OF_KIND = {
    "strategic_objective": str(Level.STRATEGIC),
    "operational_objective": str(Level.OPERATIONAL),
    "action": str(Level.ACTION),
}
ANCHOR_OF_KIND = {"strategic_objective": "os", "operational_objective": "oo", "action": "action"}


def _edition_url(serializer, name, edition_number=None):
    """A URL of the edition being serialized (its slug and number come from the context)."""
    context = serializer.context
    kwargs = {"slug": context["territory_slug"], "number": edition_number or context["number"]}
    return _absolute(serializer, reverse(name, kwargs=kwargs))


class EditionSerializer(serializers.ModelSerializer):
    protocol = serializers.PrimaryKeyRelatedField(read_only=True)
    url = serializers.SerializerMethodField(help_text="Cette édition dans l'API, texte complet.")
    page_url = serializers.SerializerMethodField(help_text="Page de l'édition sur le portail.")
    pdf_url = serializers.SerializerMethodField(help_text="PDF de l'édition.")

    class Meta:
        model = models.Edition
        fields = [
            "protocol",
            "number",
            "title",
            "deliberation_reference",
            "deliberation_date",
            "published_at",
            "content_hash",
            "url",
            "page_url",
            "pdf_url",
        ]
        extra_kwargs = {
            "content_hash": {
                "help_text": "SHA-256 du texte figé (JSON canonique) : deux éditions de même "
                "empreinte ont le même texte."
            }
        }

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj):
        path = reverse(
            "v1:protocol-edition-detail", kwargs={"pk": obj.protocol_id, "number": obj.number}
        )
        return _absolute(self, path)

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, obj):
        return _edition_url(self, "edition_detail", obj.number)

    @extend_schema_field(OpenApiTypes.URI)
    def get_pdf_url(self, obj):
        return _edition_url(self, "edition_pdf", obj.number)


class EditionNodeSerializer(serializers.Serializer):
    """Fields of every level, read from a snapshot NODE."""

    id = serializers.IntegerField(read_only=True)
    level = serializers.SerializerMethodField()
    path = serializers.CharField(source="number", read_only=True)
    text = serializers.CharField(source="fields.text", read_only=True)
    details = serializers.CharField(source="fields.details", read_only=True)
    partners = serializers.ListField(
        source="fields.partners",
        child=serializers.CharField(),
        read_only=True,
        help_text="Noms des partenaires, tels que le texte les nommait.",
    )
    axes = serializers.ListField(
        source="fields.axes",
        child=serializers.CharField(),
        read_only=True,
        help_text="Noms des axes transversaux, tels qu'ils étaient à la publication.",
    )
    page_url = serializers.SerializerMethodField(help_text="Ancre sur la page de l'édition.")

    @extend_schema_field(serializers.ChoiceField(choices=Level.choices))
    def get_level(self, node):
        return LEVEL_OF_KIND[node["kind"]]

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, node):
        return f"{_edition_url(self, 'edition_detail')}#{ANCHOR_OF_KIND[node['kind']]}-{node['id']}"


class EditionActionSerializer(EditionNodeSerializer):
    pass


class EditionOperationalObjectiveSerializer(EditionNodeSerializer):
    actions = EditionActionSerializer(source="children", many=True, read_only=True)


class EditionStrategicObjectiveSerializer(EditionNodeSerializer):
    subheading = serializers.CharField(source="fields.subheading", read_only=True)
    operational_heading = serializers.CharField(source="fields.operational_heading", read_only=True)
    operational_objectives = EditionOperationalObjectiveSerializer(
        source="children", many=True, read_only=True
    )


def _lines_of(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class EditionSectionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    path = serializers.CharField(source="number", read_only=True)
    thematic = serializers.CharField(source="fields.thematic", read_only=True)
    heading = serializers.CharField(source="fields.heading", read_only=True)
    subtitle = serializers.CharField(source="fields.subtitle", read_only=True)
    objective = serializers.CharField(source="fields.objective", read_only=True)
    priorities_heading = serializers.CharField(source="fields.priorities_heading", read_only=True)
    priorities = serializers.SerializerMethodField()
    intro = serializers.CharField(source="fields.intro", read_only=True)
    strategic_objectives = EditionStrategicObjectiveSerializer(
        source="children", many=True, read_only=True
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_priorities(self, section):
        return _lines_of(section["fields"]["priorities"])


def _snapshot_field(name, field_class, **options):
    return field_class(source=f"snapshot.protocol.{name}", read_only=True, **options)


class EditionTreeSerializer(serializers.Serializer):
    """One edition's whole text, in document order: the shape of ProtocolTreeSerializer (the
    protocol's fields as the edition froze them, then its sections), without the tracking and
    `last_changed_at`, plus `edition` (which edition this is)."""

    id = _snapshot_field("id", serializers.IntegerField)
    territory = _snapshot_field("territory", serializers.CharField)
    title = _snapshot_field("title", serializers.CharField)
    deliberation_reference = _snapshot_field("deliberation_reference", serializers.CharField)
    deliberation_date = _snapshot_field("deliberation_date", serializers.DateField, allow_null=True)
    start_year = _snapshot_field("start_year", serializers.IntegerField, allow_null=True)
    end_year = _snapshot_field("end_year", serializers.IntegerField, allow_null=True)
    page_url = serializers.SerializerMethodField(help_text="Page de l'édition sur le portail.")
    preamble = _snapshot_field("preamble", serializers.CharField)
    preconditions_heading = _snapshot_field("preconditions_heading", serializers.CharField)
    preconditions = serializers.SerializerMethodField()
    sections = EditionSectionSerializer(source="snapshot.sections", many=True, read_only=True)
    edition = EditionSerializer(source="*", read_only=True)

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, obj):
        return _edition_url(self, "edition_detail", obj.number)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_preconditions(self, obj):
        return _lines_of(obj.snapshot["protocol"]["preconditions"])


# Indicators, with their yearly values nested -------------------------------------------------
# One entry per indicator (the open data /donnees/indicateurs.csv gives one row per value).
# Figures are JSON numbers without trailing zeros; the values' authors are not published.


class FigureField(serializers.DecimalField):
    """A stored figure (Decimal('35.0000')) as a JSON number: 35, 12.5."""

    def __init__(self, **kwargs):
        super().__init__(
            max_digits=14, decimal_places=4, coerce_to_string=False, read_only=True, **kwargs
        )

    def to_representation(self, value):
        value = value.normalize()
        return int(value) if value == value.to_integral_value() else float(value)


class IndicatorValueSerializer(serializers.ModelSerializer):
    value = FigureField(help_text="Valeur de l'année, dans l'unité de l'indicateur.")
    recorded_at = serializers.DateTimeField(
        read_only=True, help_text="Enregistrement de la valeur sur le portail."
    )

    class Meta:
        model = models.IndicatorValue
        fields = ["year", "value", "source", "comment", "recorded_at"]


class MeasuredCommitmentSerializer(serializers.Serializer):
    """The commitment an indicator measures (the schema of IndicatorSerializer.commitment)."""

    id = serializers.IntegerField()
    level = serializers.ChoiceField(choices=Level.choices)
    path = serializers.CharField(help_text="Place dans le protocole, par ex. « 2.1.3 ».")
    text = serializers.CharField()
    url = serializers.URLField(help_text="L'engagement dans l'API.")
    page_url = serializers.URLField(help_text="Ancre de l'engagement sur la page du protocole.")


COMMITMENT_API_NAMES = {
    Level.STRATEGIC: "v1:strategic-objective-detail",
    Level.OPERATIONAL: "v1:operational-objective-detail",
    Level.ACTION: "v1:action-detail",
}


class IndicatorSerializer(serializers.ModelSerializer):
    """An indicator from `selectors/indicator_data.indicators_with_values()`; the commitments'
    paths come from the view (context["paths"]). No query."""

    territory = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    code = serializers.CharField(source="definition.code", read_only=True)
    name = serializers.CharField(source="definition.name", read_only=True)
    unit = serializers.ChoiceField(source="definition.unit", choices=Unit.choices, read_only=True)
    decimals = serializers.IntegerField(source="definition.decimals", read_only=True)
    definition = serializers.CharField(source="definition.definition", read_only=True)
    baseline_value = FigureField(allow_null=True)
    target_value = FigureField(allow_null=True)
    target_factor = FigureField(
        allow_null=True, help_text="Cible relative : la valeur de référence multipliée par…"
    )
    thematic = serializers.SerializerMethodField(
        help_text="Thématique de l'engagement mesuré (identifiant d'URL)."
    )
    commitment = serializers.SerializerMethodField()
    values = IndicatorValueSerializer(source="yearly_values", many=True, read_only=True)

    class Meta:
        model = models.Indicator
        fields = [
            "id",
            "territory",
            "code",
            "name",
            "unit",
            "decimals",
            "definition",
            "scope",
            "direction",
            "source",
            "baseline_value",
            "baseline_year",
            "target_value",
            "target_factor",
            "target_is_minimum",
            "target_year",
            "target_horizon",
            "wording",
            "thematic",
            "commitment",
            "values",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_thematic(self, obj):
        return obj.commitment.section.thematic.slug

    @extend_schema_field(MeasuredCommitmentSerializer)
    def get_commitment(self, obj):
        commitment = obj.commitment
        page = reverse("territory_detail", kwargs={"slug": obj.territory.slug})
        api = reverse(COMMITMENT_API_NAMES[commitment.level], kwargs={"pk": commitment.pk})
        return {
            "id": commitment.pk,
            "level": str(commitment.level),
            "path": self.context.get("paths", {}).get((commitment.level, commitment.pk), ""),
            "text": commitment.text,
            "url": _absolute(self, api),
            "page_url": _absolute(self, f"{page}#{commitment.anchor}"),
        }
