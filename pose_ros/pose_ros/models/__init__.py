"""Model registry, fetching and conversion of the pose models."""
