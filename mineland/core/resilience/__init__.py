"""Resilience, ecological integrity and desertification sensitivity."""
