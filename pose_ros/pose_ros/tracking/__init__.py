"""Multi-person tracking (tfjs-models pose-detection calculators)."""
