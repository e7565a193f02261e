"""Decoders: model output tensors to poses in model-input pixel coordinates.

One module per model family output; each returns :class:`pose_ros.types.Pose`
objects whose coordinates are still in the model input's pixels. The estimator
maps them back to the source image.
"""
