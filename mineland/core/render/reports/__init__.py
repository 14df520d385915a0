"""HTML report pages of the algorithms, one module per domain; plain data in, the page's HTML text out.

The Processing algorithms gather the data and write the text (report.save); nothing here imports QGIS.
"""
