"""The published references of every algorithm and shipped model, in one place.

REFERENCES maps a key to the full citation as plain text (authors, year, title,
journal or repository, DOI as the paper prints it); CITED_BY maps an algorithm
or model name to the keys of its references, in the order they are listed.
The base class appends them to the help as a "References" paragraph
(:func:`references_html`); models/build_models.py and tools/build_docs.py use
the same entries, so no citation is written twice. The five study papers the
algorithms reproduce come first; then the land-cover product; then the
methods' own classics. This module imports nothing from QGIS.
"""

import html

REFERENCES = {
    # ---- the studies the algorithms reproduce (as each paper prints itself)
    "huang2024": "Huang, L. (2024). LULC dynamics and carbon sequestration in major iron ore regions of Russia "
    "and China. doi:10.52575/2712-7443-2024-48-4-542-564",
    "xu2025": "Xu, S., Zhou, J., Wang, K., Giljum, S., Maus, V., Werner, T. T., Tang, L., Guo, J., Xiao, W. (2025). "
    "Global surface mining and land reclamation of time series from 1985–2022. Dataset: "
    "doi:10.5281/zenodo.17085099",
    "han2025": "Han, H., Yan, X., Cai, H., Zhang, Z., Chen, X., Xu, Y., Gao, C., Zhang, Z., Yang, M. (2025). "
    "Spatiotemporal patterns and ecological trade-offs of open-pit mining in Northwest China: a remote "
    "sensing perspective on environmentally sustainable development.",
    "dong2025": "Dong, J., Dai, W., Xu, J., Zhang, H., Li, Y., Xie, F. (2025). Impact and elastic modulus of coal "
    "mining on terrestrial ecosystems. Published online 19 March 2025.",
    "mlri": "Mine Landscape Restoration Index (MLRI): monitoring the restoration of 46 surface coal mine sites in "
    "the ecologically fragile northwest of China, 2000–2019, with Landsat on Google Earth Engine. (The "
    "text at hand prints no authors or venue; it is cited here by this description, in the help as "
    "“the MLRI study”.)",
    "zhang2024": "Zhang, X., Zhao, T., Xu, H., Liu, W., Wang, J., Chen, X., Liu, L. (2024). GLC_FCS30D: the first "
    "global 30 m land-cover dynamics monitoring product with a fine classification system for the "
    "period from 1985 to 2022. Earth System Science Data 16, 1353–1381. "
    "doi:10.5194/essd-16-1353-2024",
    "maus2022": "Maus, V., da Silva, D. M., Gutschlhofer, J., da Rosa, R., Giljum, S., Gass, S. L. B., "
    "Luckeneder, S., Lieber, M., McCallum, I. (2022). An update on global mining land use. Scientific "
    "Data 9, 433. doi:10.1038/s41597-022-01547-4",
    "tang2023": "Tang, L., Werner, T. T. (2023). Global mining footprint mapped from high-resolution satellite "
    "imagery. Communications Earth & Environment 4, 134. doi:10.1038/s43247-023-00805-6",
    # ---- the methods' classics
    "mann1945": "Mann, H. B. (1945). Nonparametric tests against trend. Econometrica 13(3), 245–259. "
    "doi:10.2307/1907187",
    "kendall1975": "Kendall, M. G. (1975). Rank Correlation Methods, 4th edition. Charles Griffin, London.",
    "sen1968": "Sen, P. K. (1968). Estimates of the regression coefficient based on Kendall's tau. Journal of the "
    "American Statistical Association 63(324), 1379–1389. doi:10.1080/01621459.1968.10480934",
    "hurst1951": "Hurst, H. E. (1951). Long-term storage capacity of reservoirs. Transactions of the American "
    "Society of Civil Engineers 116, 770–799. doi:10.1061/TACEAT.0006518",
    "hamedrao1998": "Hamed, K. H., Rao, A. R. (1998). A modified Mann-Kendall trend test for autocorrelated data. "
    "Journal of Hydrology 204(1–4), 182–196. doi:10.1016/S0022-1694(97)00125-X",
    "yuewang2004": "Yue, S., Wang, C. (2004). The Mann-Kendall test modified by effective sample size to detect "
    "trend in serially correlated hydrological series. Water Resources Management 18, 201–218. "
    "doi:10.1023/B:WARM.0000043140.61082.60",
    "moran1950": "Moran, P. A. P. (1950). Notes on continuous stochastic phenomena. Biometrika 37(1/2), 17–23. "
    "doi:10.2307/2332142",
    "cliffod1981": "Cliff, A. D., Ord, J. K. (1981). Spatial Processes: Models and Applications. Pion, London.",
    "anselin1995": "Anselin, L. (1995). Local indicators of spatial association — LISA. Geographical Analysis "
    "27(2), 93–115. doi:10.1111/j.1538-4632.1995.tb00338.x",
    "sokal1998": "Sokal, R. R., Oden, N. L., Thomson, B. A. (1998). Local spatial autocorrelation in a biological "
    "model. Geographical Analysis 30(4), 331–354. doi:10.1111/j.1538-4632.1998.tb00406.x",
    "getisord1992": "Getis, A., Ord, J. K. (1992). The analysis of spatial association by use of distance "
    "statistics. Geographical Analysis 24(3), 189–206. doi:10.1111/j.1538-4632.1992.tb00261.x",
    "ordgetis1995": "Ord, J. K., Getis, A. (1995). Local spatial autocorrelation statistics: distributional issues "
    "and an application. Geographical Analysis 27(4), 286–306. "
    "doi:10.1111/j.1538-4632.1995.tb00912.x",
    "bh1995": "Benjamini, Y., Hochberg, Y. (1995). Controlling the false discovery rate: a practical and powerful "
    "approach to multiple testing. Journal of the Royal Statistical Society, Series B 57(1), 289–300. "
    "doi:10.1111/j.2517-6161.1995.tb02031.x",
    "cohen1960": "Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and Psychological "
    "Measurement 20(1), 37–46. doi:10.1177/001316446002000104",
    "jenks1967": "Jenks, G. F. (1967). The data model concept in statistical mapping. International Yearbook of "
    "Cartography 7, 186–190.",
    "fragstats": "McGarigal, K., Marks, B. J. (1995). FRAGSTATS: spatial pattern analysis program for quantifying "
    "landscape structure. General Technical Report PNW-GTR-351, USDA Forest Service, Pacific "
    "Northwest Research Station, Portland, OR. doi:10.2737/PNW-GTR-351",
    "invest": "Natural Capital Project. InVEST User's Guide: Carbon Storage and Sequestration. Stanford "
    "University, University of Minnesota, The Nature Conservancy and World Wildlife Fund. "
    "https://naturalcapitalproject.stanford.edu/software/invest",
    "spearman1904": "Spearman, C. (1904). The proof and measurement of association between two things. American "
    "Journal of Psychology 15(1), 72–101. doi:10.2307/1412159",
    "kruskal1952": "Kruskal, W. H., Wallis, W. A. (1952). Use of ranks in one-criterion variance analysis. Journal "
    "of the American Statistical Association 47(260), 583–621. doi:10.1080/01621459.1952.10483441",
    "arthur2007": "Arthur, D., Vassilvitskii, S. (2007). k-means++: the advantages of careful seeding. Proceedings "
    "of the 18th Annual ACM-SIAM Symposium on Discrete Algorithms, 1027–1035.",
    "shannon1948": "Shannon, C. E. (1948). A mathematical theory of communication. Bell System Technical Journal "
    "27(3), 379–423. doi:10.1002/j.1538-7305.1948.tb01338.x",
    "douglas1973": "Douglas, D. H., Peucker, T. K. (1973). Algorithms for the reduction of the number of points "
    "required to represent a digitized line or its caricature. Cartographica 10(2), 112–122. "
    "doi:10.3138/FM57-6770-U75U-7727",
    "efron1979": "Efron, B. (1979). Bootstrap methods: another look at the jackknife. The Annals of Statistics "
    "7(1), 1–26. doi:10.1214/aos/1176344552",
}

#: algorithm or model name → keys of REFERENCES, in the order listed in its help.
CITED_BY = {
    # algorithms
    "reclassify": ["huang2024", "xu2025", "zhang2024"],
    "transfermatrix": ["huang2024"],
    "landusedynamics": ["huang2024"],
    "carbonstock": ["huang2024", "invest"],
    "trend": ["mlri", "mann1945", "kendall1975", "sen1968", "hurst1951"],
    "mlri": ["mlri"],
    "restorationsummary": ["mlri", "spearman1904", "kruskal1952", "arthur2007"],
    "accuracy": ["mlri", "xu2025", "cohen1960"],
    "patchstats": ["han2025", "fragstats"],
    "fishnet": ["han2025"],
    "moran": ["han2025", "moran1950", "cliffod1981", "anselin1995", "sokal1998", "bh1995"],
    "hotspots": ["han2025", "getisord1992", "ordgetis1995", "bh1995"],
    "minestatus": ["xu2025", "mann1945", "kendall1975", "sen1968", "hamedrao1998", "yuewang2004"],
    "disturbance": ["xu2025", "zhang2024"],
    "refineboundaries": ["xu2025", "maus2022", "tang2023", "douglas1973"],
    "zonalseries": ["xu2025"],
    "lifecycle": ["dong2025"],
    "affectedarea": ["dong2025", "efron1979"],
    "overlap": ["xu2025", "han2025"],
    "resilience": ["dong2025", "shannon1948"],
    "desertification": ["han2025", "jenks1967"],
    "integrity": ["dong2025", "fragstats"],
    # shipped models
    "landcover_carbon": ["huang2024", "zhang2024", "invest"],
    "mine_boundaries_status": ["xu2025", "maus2022", "tang2023", "mann1945", "kendall1975"],
    "restoration_monitoring": [
        "mlri",
        "mann1945",
        "kendall1975",
        "sen1968",
        "hurst1951",
        "spearman1904",
        "kruskal1952",
    ],
    "mining_hotspots": ["han2025", "moran1950", "anselin1995", "getisord1992", "ordgetis1995", "bh1995"],
    "desertification_sensitivity": ["han2025", "jenks1967"],
}

#: The heading of the paragraph (tests and the docs generator look for it).
HEADING = "References"


def references_of(name):
    """The full citations of algorithm or model ``name``, in order (KeyError for an unknown key)."""
    return [REFERENCES[key] for key in CITED_BY.get(name, [])]


def references_html(name):
    """The "References" paragraph of ``name`` as Qt rich text (empty when it cites nothing)."""
    entries = references_of(name)
    if not entries:
        return ""
    return f"<b>{HEADING}</b><br>" + "<br>".join(html.escape(entry, quote=False) for entry in entries)
