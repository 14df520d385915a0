"""mineland:overlap — mine patches inside protected or ecological zones, by group."""

from qgis.core import (
    NULL,
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
)

from ..core.mines import overlap
from .base import MineLandAlgorithm
from .checks import fail, is_null
from .children import area_measurer, repaired_polygons, run_child
from .feature_tables import chosen_fields, write_table

ALL_ZONES = "All zones"


class OverlapAlgorithm(MineLandAlgorithm):
    NAME = "overlap"
    DISPLAY_NAME = "Mines inside protected areas and zones"
    GROUP = "mines"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterFeatureSource("MINES", "Mine polygons", [QgsProcessing.TypeVectorPolygon]),
            "Mining patches in any CRS (the CRS of the intersection).",
        )
        self.add(
            QgsProcessingParameterField(
                "MINE_GROUP_FIELD", "Mine group field (e.g. province)", parentLayerParameterName="MINES", optional=True
            ),
            "Splits the counts by this attribute of the mines.",
        )
        self.add(
            QgsProcessingParameterFeatureSource(
                "ZONES", "Zones (reserves, KBAs, function zones)", [QgsProcessing.TypeVectorPolygon]
            ),
            "Protected or ecological zones in any CRS; reprojected to the mines' CRS.",
        )
        self.add(
            QgsProcessingParameterField(
                "ZONE_NAME_FIELD", "Zone name field", parentLayerParameterName="ZONES", optional=True
            ),
            "Names each zone (default: its order, 1, 2, …).",
        )
        self.add(
            QgsProcessingParameterField(
                "ZONE_GROUP_FIELD", "Zone group field (e.g. zone type)", parentLayerParameterName="ZONES", optional=True
            ),
            "Groups the zones in OUTPUT_TOTALS (dissolved per group).",
        )
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Mines per zone", QgsProcessing.TypeVector),
            "Per mine group and zone: patches, mine area (km2) and shares (%).",
        )
        self.add(
            QgsProcessingParameterFeatureSink(
                "OUTPUT_TOTALS",
                "Mines per zone group, without double counting",
                QgsProcessing.TypeVector,
                optional=True,
                createByDefault=True,
            ),
            "Per mine group and zone group (and all zones), zones dissolved first.",
        )
        for key, label in (
            ("PATCHES_INSIDE", "Mine polygons inside any zone"),
            ("MINE_AREA_INSIDE_KM2", "Mine area inside the zones (km2)"),
            ("SHARE_INSIDE_PCT", "Share of the mine area inside the zones (%)"),
        ):
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def compute(self, parameters, context, feedback):
        fields = self._fields(parameters, context)
        mines = self._mines(parameters, context, feedback)
        zones = self._zones(parameters, mines.crs(), context, feedback)
        measurer = area_measurer(mines.crs(), context)
        mine_groups, mine_areas = {}, {}
        for feature in mines.getFeatures():
            key = feature["mineland_mine"]
            mine_groups[key] = (
                _label(feature[fields["MINE_GROUP_FIELD"]]) if fields["MINE_GROUP_FIELD"] else overlap.ALL
            )
            mine_areas[key] = measurer.measureArea(feature.geometry()) / 1e6
        zone_labels, zone_areas = {}, {}
        for feature in zones.getFeatures():
            key = feature["mineland_zone"]
            name = feature[fields["ZONE_NAME_FIELD"]] if fields["ZONE_NAME_FIELD"] else None
            zone_labels[key] = (
                _label(feature[fields["ZONE_GROUP_FIELD"]]) if fields["ZONE_GROUP_FIELD"] else "",
                str(key) if is_null(name) else str(name),
            )
            zone_areas[key] = measurer.measureArea(feature.geometry()) / 1e6
        pieces = self._pieces(mines, zones, "mineland_zone", measurer, context, feedback)
        rows = [
            (
                r.mine_group,
                *zone_labels[r.zone],
                r.patches,
                r.mine_area_km2,
                r.share_of_mine_area_pct,
                r.zone_area_km2,
                r.share_of_zone_pct,
            )
            for r in overlap.overlap_rows(pieces, mine_groups, mine_areas, zone_areas)
        ]
        outputs = {"OUTPUT": write_table(self, parameters, "OUTPUT", context, ZONE_COLUMNS, rows)}
        totals = self._totals(
            mines, zones, fields["ZONE_GROUP_FIELD"], mine_groups, mine_areas, measurer, context, feedback
        )
        if parameters.get("OUTPUT_TOTALS"):
            outputs["OUTPUT_TOTALS"] = write_table(
                self,
                parameters,
                "OUTPUT_TOTALS",
                context,
                TOTAL_COLUMNS,
                [
                    (
                        r.mine_group,
                        r.zone,
                        r.patches,
                        r.mine_area_km2,
                        r.share_of_mine_area_pct,
                        r.zone_area_km2,
                        r.share_of_zone_pct,
                    )
                    for r in totals
                ],
            )
        overall = [r for r in totals if r.mine_group == overlap.ALL and r.zone == ALL_ZONES]
        inside = overall[0] if overall else None
        outputs.update(
            PATCHES_INSIDE=inside.patches if inside else 0,
            MINE_AREA_INSIDE_KM2=inside.mine_area_km2 if inside else 0.0,
            SHARE_INSIDE_PCT=inside.share_of_mine_area_pct if inside else 0.0,
        )
        return outputs

    def _fields(self, parameters, context):
        """MINE_GROUP_FIELD, ZONE_NAME_FIELD and ZONE_GROUP_FIELD (None when not given), checked against the layers."""
        fields = {}
        for layer_key, keys in (("MINES", ("MINE_GROUP_FIELD",)), ("ZONES", ("ZONE_NAME_FIELD", "ZONE_GROUP_FIELD"))):
            source = self.parameterAsSource(parameters, layer_key, context)
            if source is None:
                fail(
                    layer_key, "no polygon layer was given, or it could not be loaded (was its file moved or deleted?)"
                )
            fields.update(chosen_fields(self, parameters, context, source, layer_key, keys))
        return fields

    def _mines(self, parameters, context, feedback):
        numbered = run_child(
            "native:addautoincrementalfield",
            {"INPUT": parameters["MINES"], "FIELD_NAME": "mineland_mine", "START": 1},
            context,
            feedback,
        )
        mines = repaired_polygons(numbered, "MINES", context, feedback)
        if mines.featureCount() == 0:
            fail("MINES", "no mine polygon (empty layer?)")
        return mines

    def _zones(self, parameters, crs, context, feedback):
        reprojected = run_child(
            "native:reprojectlayer", {"INPUT": parameters["ZONES"], "TARGET_CRS": crs}, context, feedback
        )
        numbered = run_child(
            "native:addautoincrementalfield",
            {"INPUT": reprojected, "FIELD_NAME": "mineland_zone", "START": 1},
            context,
            feedback,
        )
        zones = repaired_polygons(numbered, "ZONES", context, feedback)
        if zones.featureCount() == 0:
            fail("ZONES", "no zone polygon (empty layer?)")
        return zones

    def _pieces(self, mines, zones, zone_field, measurer, context, feedback):
        """(mine id, zone key, km²) of every piece of mine ∩ zone; the key is ``zone_field``'s value."""
        cut = run_child(
            "native:intersection",
            {
                "INPUT": mines,
                "OVERLAY": zones,
                "INPUT_FIELDS": ["mineland_mine"],
                "OVERLAY_FIELDS": [zone_field],
                "OVERLAY_FIELDS_PREFIX": "zone_",
            },
            context,
            feedback,
        )
        return [
            (f["mineland_mine"], f[f"zone_{zone_field}"], measurer.measureArea(f.geometry()) / 1e6)
            for f in cut.getFeatures()
        ]

    def _totals(self, mines, zones, group_field, mine_groups, mine_areas, measurer, context, feedback):
        """Rows against the zones dissolved per zone group and all together (shared area counted once)."""
        dissolves = [(ALL_ZONES, [])] + ([("group", [group_field])] if group_field else [])
        rows = []
        for _label, by in dissolves:
            dissolved = run_child("native:dissolve", {"INPUT": zones, "FIELD": by}, context, feedback)
            labelled = run_child(
                "native:fieldcalculator",
                {
                    "INPUT": dissolved,
                    "FIELD_NAME": "mineland_key",
                    "FIELD_TYPE": 2,
                    "FIELD_LENGTH": 254,
                    "FORMULA": f"coalesce(to_string(\"{group_field}\"), '(no group)')" if by else f"'{ALL_ZONES}'",
                },
                context,
                feedback,
            )
            areas = {f["mineland_key"]: measurer.measureArea(f.geometry()) / 1e6 for f in labelled.getFeatures()}
            pieces = self._pieces(mines, labelled, "mineland_key", measurer, context, feedback)
            rows += overlap.overlap_rows(pieces, mine_groups, mine_areas, areas)
        return rows


ZONE_COLUMNS = [
    ("mine_group", str),
    ("zone_group", str),
    ("zone", str),
    ("patches", int),
    ("mine_area_km2", float),
    ("share_of_mine_area_pct", float),
    ("zone_area_km2", float),
    ("share_of_zone_pct", float),
]
TOTAL_COLUMNS = [
    ("mine_group", str),
    ("zone_group", str),
    ("patches", int),
    ("mine_area_km2", float),
    ("share_of_mine_area_pct", float),
    ("zone_area_km2", float),
    ("share_of_zone_pct", float),
]


def _label(value):
    return "(no group)" if value is None or value == NULL else str(value)
