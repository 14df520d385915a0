"""Mine patches inside zones (nature reserves, Key Biodiversity Areas, ecological function zones):
counts and areas by group, as seed 001 §3.1 (3,248 polygons, 3,986 km², 4.8 % of the mining extent
inside KBAs) and seed 002 Tables 4 and 5 (patches and area in reserves and function zones by province).

The geometry (intersections, dissolves, ellipsoidal areas) is done by the caller; this module
aggregates the pieces mine ∩ zone.
"""

from collections import defaultdict
from dataclasses import dataclass

ALL = "All"


@dataclass
class OverlapRow:
    """Mines of one group inside one zone (or zone group): distinct patches and intersected area.

    ``share_of_mine_area_pct`` is of the mine area of the row's mine group (all mines for ``ALL``);
    ``share_of_zone_pct`` is of the zone's area (None when unknown).
    """

    mine_group: str
    zone: object
    patches: int
    mine_area_km2: float
    share_of_mine_area_pct: float
    zone_area_km2: float
    share_of_zone_pct: float


def overlap_rows(pieces, mine_groups, mine_areas_km2, zone_areas_km2):
    """Rows per (mine group, zone) and (ALL, zone), from the pieces of mine ∩ zone.

    Parameters
    ----------
    pieces : iterable of (mine id, zone key, area km²), one per intersected piece
    mine_groups : {mine id: group}, every mine (those outside every zone too); one group ALL when not grouped
    mine_areas_km2 : {mine id: area km²} of the whole mine polygons
    zone_areas_km2 : {zone key: area km²}

    A mine cut into several pieces by one zone counts once in ``patches``.
    Zones that overlap each other must be dissolved first for totals that do
    not count the shared mine area twice.
    """
    group_area = defaultdict(float)
    for mine, area in mine_areas_km2.items():
        group_area[mine_groups[mine]] += area
        if mine_groups[mine] != ALL:
            group_area[ALL] += area
    found = defaultdict(lambda: (set(), [0.0]))
    for mine, zone, area in pieces:
        for group in {mine_groups[mine], ALL}:
            mines, total = found[group, zone]
            mines.add(mine)
            total[0] += area
    rows = []
    for (group, zone), (mines, total) in sorted(found.items(), key=lambda item: (item[0][0] == ALL, str(item[0]))):
        zone_area = zone_areas_km2.get(zone)
        rows.append(
            OverlapRow(
                group,
                zone,
                len(mines),
                total[0],
                _pct(total[0], group_area[group]),
                zone_area,
                _pct(total[0], zone_area),
            )
        )
    return rows


def _pct(part, whole):
    return part / whole * 100.0 if whole else None
