from django.db import models


class Status(models.TextChoices):
    NOT_REPORTED = "non_renseigne", "Non renseigné"
    PLANNED = "prevu", "Prévu"
    IN_PROGRESS = "en_cours", "En cours"
    DONE = "realise", "Réalisé"
    ABANDONED = "abandonne", "Abandonné"

    @classmethod
    def in_display_order(cls):
        """Done first, not reported last and visible: the order of every chart and table."""
        return [cls.DONE, cls.IN_PROGRESS, cls.PLANNED, cls.ABANDONED, cls.NOT_REPORTED]


class Level(models.TextChoices):
    STRATEGIC = "strategique", "Objectif stratégique"
    OPERATIONAL = "operationnel", "Objectif opérationnel"
    ACTION = "action", "Action"


class CommitmentKind(models.TextChoices):
    """The tracked levels as public URLs name them: /engagements/<kind>/<id>/."""

    OPERATIONAL = "objectif", "Objectif opérationnel"
    ACTION = "action", "Action"


class PartnerKind(models.TextChoices):
    STATE = "etat", "État et services de l'État"
    LOCAL_AUTHORITY = "collectivite", "Collectivité territoriale"
    EDUCATION = "education", "Éducation et enseignement supérieur"
    EMPLOYMENT = "emploi", "Emploi, insertion et formation"
    HOUSING = "logement", "Logement et bailleurs"
    SOCIAL = "social", "Action sociale et famille"
    ASSOCIATION = "association", "Association"
    OTHER = "autre", "Autre"


class CampaignState(models.TextChoices):
    """A campaign's state, derived from its dates and its closing (never stored):
    upcoming before `opens_on`, open from `opens_on` until closed (a deadline past does not
    close it: late answers still count until staff close it), closed once `closed_at` is set."""

    UPCOMING = "a_venir", "À venir"
    OPEN = "ouverte", "Ouverte"
    CLOSED = "cloturee", "Clôturée"


class NotificationKind(models.TextChoices):
    ROUND_OPENED = "round_opened", "Ouverture d'une campagne"
    REMINDER_7_DAYS = "reminder_7_days", "Rappel à 7 jours de l'échéance"
    REMINDER_1_DAY = "reminder_1_day", "Rappel la veille de l'échéance"
    REMINDER_OVERDUE = "reminder_overdue", "Relance après l'échéance"
    REMINDER_MANUAL = "reminder_manual", "Relance par l'agglomération"
    ROUND_CLOSED = "round_closed", "Clôture d'une campagne"
    WEEKLY_DIGEST = "weekly_digest", "Récapitulatif hebdomadaire"
    INVITATION = "invitation", "Invitation"
    INVITATION_REMINDER = "invitation_reminder", "Rappel d'une invitation"
    PASSWORD_RESET = "password_reset", "Réinitialisation du mot de passe"


class Unit(models.TextChoices):
    """The unit of an indicator's definition; its range is checked on every value
    (models/indicators.py UNIT_BOUNDS)."""

    PERCENT = "pourcentage", "Pourcentage (%)"
    COUNT = "nombre", "Nombre"
    EUROS = "euros", "Euros (€)"
    PER_THOUSAND = "pour_mille", "Pour mille (‰)"

    @property
    def symbol(self):
        """What follows a figure: « 35 % », « 2 400 logements » (no symbol for a count)."""
        return {"pourcentage": "%", "nombre": "", "euros": "€", "pour_mille": "‰"}[self.value]


class Direction(models.TextChoices):
    """The way an indicator should move. Left empty when the text does not say (« tendre
    vers 50 % de logements sociaux » : towards a target, from an unknown side)."""

    UP = "hausse", "Hausse"
    DOWN = "baisse", "Baisse"
