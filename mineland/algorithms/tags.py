"""The words analysts search the toolbox with, per algorithm id (QgsProcessingAlgorithm.tags()).

Kept in one place so that they are easy to review and extend: the names
other tools and the literature give the same analysis (ArcGIS, GeoDa, InVEST,
GRASS, the papers), the indices and the products they are applied to. The
toolbox matches a search against these as well as the display name.
"""

TAGS = {
    "reclassify": ["reclass", "reclassification", "recode", "lookup table", "land cover", "land use", "LUCC",
                   "GLC_FCS30", "GLC_FCS30D", "classes"],
    "transfermatrix": ["transfer matrix", "transition matrix", "change matrix", "cross tabulation", "crosstab",
                       "r.coin", "land use change", "land cover change", "LUCC", "from-to", "Sankey", "gains",
                       "losses"],
    "landusedynamics": ["dynamic degree", "single dynamic degree", "comprehensive dynamic degree", "land use change",
                        "LUCC", "rate of change", "K", "S", "LC"],
    "carbonstock": ["carbon", "carbon stock", "carbon storage", "InVEST", "biomass", "soil carbon", "ecosystem services",
                    "Mg/ha", "emissions", "sequestration"],
    "trend": ["Mann-Kendall", "Sen's slope", "Theil-Sen", "Theil–Sen", "Hurst", "R/S", "trend", "time series",
              "NDVI", "EVI", "LST", "MLRI", "restoration", "significance", "per pixel"],
    "mlri": ["MLRI", "restoration index", "LST", "land surface temperature", "EVI", "NDVI", "vegetation index",
             "Landsat", "MODIS", "reclamation"],
    "restorationsummary": ["restoration", "reclamation", "mine site", "Spearman", "Kruskal-Wallis", "k-means",
                           "zonal histogram", "statistics per polygon"],
    "accuracy": ["accuracy", "confusion matrix", "error matrix", "kappa", "overall accuracy", "producer's accuracy",
                 "user's accuracy", "validation", "reference points"],
    "zonalseries": ["zonal statistics", "zonal mean", "time series", "per polygon", "NDVI", "EVI", "LST",
                    "brightness", "night-time light", "NTL"],
    "fishnet": ["fishnet", "grid", "lattice", "cells", "mining density", "kernel", "count points in polygon",
                "equal area"],
    "moran": ["Moran's I", "spatial autocorrelation", "LISA", "local Moran", "cluster and outlier", "HH", "LL",
              "HL", "LH", "GeoDa", "PySAL", "esda", "FDR"],
    "hotspots": ["hot spot", "hotspot", "cold spot", "Getis-Ord", "Gi*", "General G", "hot spot analysis",
                 "spatial clustering", "PySAL", "esda", "FDR"],
    "patchstats": ["patch", "landscape metrics", "FRAGSTATS", "pylandstats", "patch size", "geometric mean",
                   "fragmentation"],
    "refineboundaries": ["mine boundary", "mining area", "polygon refinement", "breakpoints", "LandTrendr",
                         "change detection", "sliver"],
    "disturbance": ["disturbance", "reclamation", "DEV", "REC", "bare soil", "BSP", "mining footprint",
                    "land cover change", "GLC_FCS30D"],
    "minestatus": ["mine status", "active", "closed", "abandoned", "Mann-Kendall", "night-time light", "NTL", "NDVI",
                   "BSP"],
    "overlap": ["protected areas", "WDPA", "overlap", "intersection", "nature reserve", "zones", "conflict"],
    "lifecycle": ["life cycle", "mine stages", "exploration", "expansion", "decline", "closure", "water"],
    "affectedarea": ["affected area", "production", "bootstrap", "confidence interval", "scaling", "footprint"],
    "resilience": ["resilience", "ecosystem resilience", "Shannon", "diversity", "NDVI", "moving window",
                   "ecological"],
    "integrity": ["ecosystem integrity", "ECI", "threshold", "stages", "structure", "function", "connectivity",
                  "landscape"],
    "desertification": ["desertification", "sensitivity", "land degradation", "natural breaks", "Jenks", "grading",
                        "factors", "arid"],
}


def tags_of(name):
    """The search words of algorithm ``name`` (an empty list for an unknown name)."""
    return list(TAGS.get(name, []))
