"""What a model file (ONNX model, TensorRT engine) must be before it is loaded, at the
bottom of the package so that both the model locator and the backends can check it."""

from __future__ import annotations

from pathlib import Path


class ModelNotFoundError(FileNotFoundError):
    """A model file is missing, lies outside its directory, or is not the file its
    conversion recorded."""


def require_inside(path: Path, directory: Path) -> Path:
    """``path`` itself, if it really lies in ``directory``: a model or engine reached
    through a link to somewhere else is refused (an engine is executable code)."""
    if not path.resolve().is_relative_to(directory.resolve()):
        raise ModelNotFoundError(f"{path} resolves to {path.resolve()}, outside the model "
                                 f"directory {directory}; models are only loaded from there")
    return path
