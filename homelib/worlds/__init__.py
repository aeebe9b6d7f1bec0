"""The two simulated worlds: :mod:`homelib.worlds.survey` (H2SEA's China survey)
and :mod:`homelib.worlds.social` (PFLI's Facebook-like network)."""

__all__ = ["survey", "social"]
