"""Spatial statistics: weights, Moran's I, LISA, General G, Gi*, landscape and patch metrics."""
