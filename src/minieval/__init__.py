"""Phase 20: probe sets, candidate scoring, slices, calibration and evaluation reports."""
