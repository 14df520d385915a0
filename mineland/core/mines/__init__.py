"""Mines: disturbance and reclamation, footprints, life cycle, active/closed status, overlap."""
