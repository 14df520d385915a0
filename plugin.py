"""Plugin entry point: registers the Processing provider.

qgis_process calls initProcessing() but never initGui(), so the provider is
registered in initProcessing() and initGui() only makes sure it happened.
"""

from qgis.core import QgsApplication

from .processing_provider.provider import MineLandProvider


class MineLandPlugin:
    def __init__(self, iface):
        self.iface = iface
        # Keep a Python reference: a provider held only by QGIS loses its algorithms.
        self.provider = None

    def initProcessing(self):  # noqa: N802 (QGIS's name)
        if self.provider is None:
            self.provider = MineLandProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 (QGIS's name)
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
