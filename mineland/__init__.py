"""MineLand QGIS plugin: analyses of land change, carbon and restoration around mines."""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin import MineLandPlugin

    return MineLandPlugin(iface)
