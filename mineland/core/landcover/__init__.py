"""Land cover: reclassification presets, transfer matrices, dynamic degrees, carbon stock."""
