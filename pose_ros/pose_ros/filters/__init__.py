"""Temporal filters for keypoints (tfjs-models pose-detection calculators)."""
