"""A small window showing the plugin's README (Markdown), offline."""

import os

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout


class ReadmeDialog(QDialog):
    def __init__(self, path, parent=None):
        super().__init__(parent)
        self.setObjectName("MineLandHelp")
        self.setWindowTitle("MineLand help")
        self.resize(820, 640)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setSearchPaths([os.path.dirname(path)])  # relative images, e.g. docs/*.png
        try:
            with open(path, encoding="utf-8") as handle:
                self.browser.setMarkdown(handle.read())
        except OSError as err:
            self.browser.setPlainText(f"The README cannot be read: {err}")
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)


def show_readme(path, parent=None):
    """Open the README window (modeless) and return it."""
    dialog = ReadmeDialog(path, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
