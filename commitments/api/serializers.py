"""Read-only representations of the public API (v1).

Field names are English (the code's language); relations are given by slug for the reference
lists (territories, thematics, partners, axes) and by id for the tree nodes.
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commitments import models
from commitments.enums import Level, Status
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
    lead = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

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
