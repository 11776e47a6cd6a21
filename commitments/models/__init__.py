from commitments.models.nodes import (
    NODE_MODELS,
    TRACKED_MODELS,
    TRACKING_FIELDS,
    Action,
    OperationalObjective,
    StrategicObjective,
)
from commitments.models.progress import TARGET_FIELDS, ProgressUpdate
from commitments.models.protocol import Protocol, ThematicSection
from commitments.models.reference import GlossaryTerm, Partner, Thematic, TransversalAxis

__all__ = [
    "NODE_MODELS",
    "TARGET_FIELDS",
    "TRACKED_MODELS",
    "TRACKING_FIELDS",
    "Action",
    "GlossaryTerm",
    "OperationalObjective",
    "Partner",
    "ProgressUpdate",
    "Protocol",
    "StrategicObjective",
    "Thematic",
    "ThematicSection",
    "TransversalAxis",
]
