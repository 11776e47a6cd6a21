from commitments.models.campaigns import Campaign, CampaignFigure, Notification
from commitments.models.edition import Edition, EditionImmutable, EditionQuerySet
from commitments.models.indicators import (
    COMMITMENT_FIELDS,
    Indicator,
    IndicatorDefinition,
    IndicatorValue,
)
from commitments.models.nodes import (
    NODE_MODELS,
    RULE_FIELDS,
    TRACKED_MODELS,
    TRACKING_FIELDS,
    Action,
    OperationalObjective,
    StrategicObjective,
)
from commitments.models.progress import (
    COMMENT_MAX_LENGTH,
    DONE_PROGRESS,
    EARLIEST_DATE,
    TARGET_FIELDS,
    ProgressUpdate,
    progress_for,
)
from commitments.models.protocol import Protocol, ThematicSection
from commitments.models.reference import GlossaryTerm, Partner, Thematic, TransversalAxis
from commitments.models.rendered_pdf import RenderedPdf

# The shared reference lists, and a protocol's own rows in dependency order (a model only
# points to models listed before it).
REFERENCE_MODELS = (Thematic, Partner, TransversalAxis, GlossaryTerm)
PROTOCOL_MODELS = (Protocol, ThematicSection, *NODE_MODELS, ProgressUpdate)
INDICATOR_MODELS = (IndicatorDefinition, Indicator, IndicatorValue)

__all__ = [
    "COMMENT_MAX_LENGTH",
    "COMMITMENT_FIELDS",
    "DONE_PROGRESS",
    "EARLIEST_DATE",
    "INDICATOR_MODELS",
    "PROTOCOL_MODELS",
    "REFERENCE_MODELS",
    "NODE_MODELS",
    "RULE_FIELDS",
    "TARGET_FIELDS",
    "TRACKED_MODELS",
    "TRACKING_FIELDS",
    "Action",
    "Edition",
    "EditionImmutable",
    "EditionQuerySet",
    "GlossaryTerm",
    "Indicator",
    "IndicatorDefinition",
    "IndicatorValue",
    "Notification",
    "OperationalObjective",
    "Partner",
    "ProgressUpdate",
    "Protocol",
    "RenderedPdf",
    "Campaign",
    "CampaignFigure",
    "StrategicObjective",
    "Thematic",
    "ThematicSection",
    "TransversalAxis",
    "progress_for",
]
