"""Time series per pixel: Mann-Kendall, Sen's slope, Hurst, MLRI, restoration classes, accuracy."""
