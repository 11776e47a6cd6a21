from commitments.models.protocol import Protocol, ThematicSection
from commitments.models.reference import GlossaryTerm, Partner, Thematic, TransversalAxis
from commitments.models.tracking import ProgressUpdate
from commitments.models.tree import Action, OperationalObjective, StrategicObjective

__all__ = [
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
