"""What results look like: HTML reports with SVG charts, QML styles and colour ramps."""
