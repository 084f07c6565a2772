"""Behavioural personas: features, a fitted scikit-learn model, profiles in a marketer's words, and stability."""

from __future__ import annotations

from analysis.personas.features import EventWeighter, user_features
from analysis.personas.model import Personas, fit_personas
from analysis.personas.profiles import Profiles, describe_personas, top_drivers
from analysis.personas.stability import Stability, assess_stability
from analysis.personas.tables import persona_channels, persona_column, persona_steps, with_personas

__all__ = [
    "EventWeighter",
    "Personas",
    "Profiles",
    "Stability",
    "assess_stability",
    "describe_personas",
    "fit_personas",
    "persona_channels",
    "persona_column",
    "persona_steps",
    "top_drivers",
    "user_features",
    "with_personas",
]
