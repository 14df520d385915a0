"""Plugin entry point: registers the Processing provider and, in QGIS desktop, the inspector and help entries.

qgis_process calls initProcessing() but never initGui(), so the provider is
registered in initProcessing() and initGui() only makes sure it happened
before adding the menu entries and the toolbar button.
"""

import os

from qgis.core import Qgis, QgsApplication

from .algorithms.base import DOCUMENT
from .processing_provider.provider import MineLandProvider

HERE = os.path.dirname(os.path.abspath(__file__))
MENU = "&MineLand"
INSPECTOR_TEXT = "MineLand pixel inspector"
TOOLBOX_TEXT = "MineLand algorithms (Processing toolbox)"
HELP_TEXT = "MineLand help"


class MineLandPlugin:
    def __init__(self, iface):
        self.iface = iface
        # Keep a Python reference: a provider held only by QGIS loses its algorithms.
        self.provider = None
        self.actions = []
        self.inspector = None

    def initProcessing(self):  # noqa: N802 (QGIS's name)
        if self.provider is None:
            self.provider = MineLandProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 (QGIS's name)
        self.initProcessing()
        if self.iface is None or self.actions:  # no desktop (tests, qgis_process), or already done
            return
        from qgis.PyQt.QtGui import QIcon

        try:  # Qt6 (QGIS 4) has QAction in QtGui, Qt5 in QtWidgets
            from qgis.PyQt.QtGui import QAction
        except ImportError:
            from qgis.PyQt.QtWidgets import QAction

        window = self.iface.mainWindow()
        inspector = QAction(QIcon(os.path.join(HERE, "icon.svg")), INSPECTOR_TEXT, window)
        inspector.setObjectName("mineland_pixel_inspector")
        inspector.setToolTip(
            "Click a pixel of a raster time series: its values, Mann-Kendall, Sen's slope, Hurst and restoration class"
        )
        inspector.triggered.connect(self.show_inspector)
        toolbox = QAction(TOOLBOX_TEXT, window)
        toolbox.setObjectName("mineland_toolbox")
        toolbox.triggered.connect(self.show_toolbox)
        help_action = QAction(HELP_TEXT, window)
        help_action.setObjectName("mineland_help")
        help_action.triggered.connect(self.show_help)
        self.iface.addToolBarIcon(inspector)
        for action in (inspector, toolbox, help_action):
            self.iface.addPluginToMenu(MENU, action)
        self.actions = [inspector, toolbox, help_action]

    def show_inspector(self):
        """Open (creating it the first time) the pixel inspector dock."""
        from qgis.PyQt.QtCore import Qt

        from .ui.inspector import PixelInspectorDock

        if self.inspector is None:
            self.inspector = PixelInspectorDock(self.iface, self.iface.mainWindow())
            self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.inspector)
        self.inspector.show()
        self.inspector.raise_()
        return self.inspector

    def show_toolbox(self):
        """Show the Processing toolbox filtered to MineLand's algorithms."""
        from qgis.gui import QgsFilterLineEdit
        from qgis.PyQt.QtWidgets import QDockWidget

        toolbox = self.iface.mainWindow().findChild(QDockWidget, "ProcessingToolbox")
        search = toolbox.findChild(QgsFilterLineEdit, "searchBox") if toolbox is not None else None
        if search is None:
            self.iface.messageBar().pushMessage(
                "MineLand",
                "The Processing toolbox is not available; enable the Processing plugin in "
                "Plugins ▸ Manage and Install Plugins",
                Qgis.Warning,
                8,
            )
            return None
        toolbox.show()
        toolbox.raise_()
        search.setText("mineland")
        return toolbox

    def show_help(self):
        """The user documentation (introduction, every algorithm and model, references) in a window; offline."""
        from .ui.help import show_documentation

        return show_documentation(DOCUMENT, self.iface.mainWindow())

    def unload(self):
        for action in self.actions:
            self.iface.removePluginMenu(MENU, action)
            action.deleteLater()
        if self.actions:
            self.iface.removeToolBarIcon(self.actions[0])
        self.actions = []
        if self.inspector is not None:
            self.inspector.unload()
            self.iface.removeDockWidget(self.inspector)
            self.inspector.deleteLater()
            self.inspector = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
