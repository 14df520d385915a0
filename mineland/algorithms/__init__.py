"""One QGIS Processing wrapper per file; the maths lives in core/."""
