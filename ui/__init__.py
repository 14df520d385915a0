"""Widgets only (none yet): everything that is not about widgets belongs in core/."""
