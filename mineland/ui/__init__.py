"""Widgets only: everything that is not about widgets belongs in core/."""

from qgis.PyQt.QtCore import QCoreApplication


def tr(text):
    """``text`` translated in the plugin's context (the same context as the algorithms' strings)."""
    return QCoreApplication.translate("MineLand", text)
