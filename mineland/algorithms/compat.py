"""The QGIS and Qt API that moved between the releases MineLand runs on (3.22 to 3.44, Qt5 and Qt6), in one place.

Each name here is resolved once, on import, for the running QGIS: callers never test versions themselves.
"""

from qgis.core import Qgis, QgsField, QgsProcessingModelChildParameterSource
from qgis.PyQt.QtCore import QMetaType, QVariant

#: Column kind of 64-bit pixel counts (the others are the Python types int, float, str).
COUNT = "count"

# QgsField takes a QMetaType.Type from QGIS 3.38 on, where the QVariant.Type form is deprecated (a warning on
# qgis_process's stderr); 3.22 takes only QVariant.Type, and Qt6 builds have no QVariant.Type at all.
if Qgis.versionInt() >= 33800 or not hasattr(QVariant, "Int"):
    FIELD_TYPES = {
        int: QMetaType.Type.Int,
        COUNT: QMetaType.Type.LongLong,
        float: QMetaType.Type.Double,
        str: QMetaType.Type.QString,
    }
else:
    FIELD_TYPES = {
        int: QVariant.Int,  # qt5-only
        COUNT: QVariant.LongLong,  # qt5-only
        float: QVariant.Double,  # qt5-only
        str: QVariant.String,  # qt5-only
    }


def new_field(name, kind):
    """A QgsField of column kind ``kind`` (int, COUNT, float or str), typed the way this QGIS wants."""
    return QgsField(name, FIELD_TYPES[kind])


def model_source_type(name):
    """A kind of model child parameter source ("ModelParameter", "ChildOutput", "StaticValue", ...).

    QGIS 3.22 has them on QgsProcessingModelChildParameterSource.Source; 3.40+ on
    Qgis.ProcessingModelChildParameterSource (the old names are gone there).
    """
    moved = getattr(Qgis, "ProcessingModelChildParameterSource", None)
    if moved is not None and hasattr(moved, name):
        return getattr(moved, name)
    return getattr(QgsProcessingModelChildParameterSource, name)
