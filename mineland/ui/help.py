"""A small window showing the user documentation (docs/algorithms.html), offline."""

import os

from qgis.PyQt.QtCore import Qt, QUrl
from qgis.PyQt.QtGui import QDesktopServices
from qgis.PyQt.QtWidgets import QDialog, QDialogButtonBox, QPushButton, QTextBrowser, QVBoxLayout


class HelpDialog(QDialog):
    """The documentation page in a QTextBrowser (its links to sections work), and a button to open it in the
    web browser, which renders its tables and styles in full."""

    def __init__(self, path, parent=None):
        super().__init__(parent)
        self.setObjectName("MineLandHelp")
        self.setWindowTitle("MineLand help")
        self.resize(900, 680)
        self.url = QUrl.fromLocalFile(path)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setSearchPaths([os.path.dirname(path)])
        if os.path.isfile(path):
            self.browser.setSource(self.url)
        else:
            self.browser.setPlainText(f"The MineLand documentation is missing: {path} (reinstall the plugin)")
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_button = QPushButton("Open in web browser")
        self.open_button.setObjectName("mineland_help_browser")
        self.open_button.clicked.connect(self.open_in_browser)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)

    def open_in_browser(self):
        return QDesktopServices.openUrl(self.url)


def show_documentation(path, parent=None):
    """Open the documentation window (modeless) and return it."""
    dialog = HelpDialog(path, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
