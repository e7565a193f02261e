"""Shape profiles: the range of input shapes a TensorRT engine is built to serve.

No TensorRT here: the estimator picks a backend by the profile it serves, and the
engine cache records it, on any machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

Shape = tuple[int, ...]


def nhwc(width: int, height: int) -> Shape:
    """The shape of one RGB image input of this size (every model here takes NHWC)."""
    return (1, height, width, 3)


@dataclass(frozen=True)
class ShapeProfile:
    """min / opt / max shape of each input of the engine."""

    shapes: dict[str, tuple[Shape, Shape, Shape]]

    @classmethod
    def fixed(cls, shapes: dict[str, Shape]) -> ShapeProfile:
        return cls({name: (tuple(s), tuple(s), tuple(s)) for name, s in shapes.items()})

    @classmethod
    def spanning(cls, name: str, shapes: Iterable[Shape], opt: Shape) -> ShapeProfile:
        """The smallest profile of input ``name`` covering ``shapes`` and ``opt`` (one rank),
        tuned for ``opt``."""
        every = [tuple(opt), *map(tuple, shapes)]
        if len({len(s) for s in every}) != 1:
            raise ValueError(f"shapes of input {name} differ in rank: {every}")
        return cls({name: (tuple(map(min, zip(*every))), tuple(opt),
                           tuple(map(max, zip(*every))))})

    def opt(self) -> dict[str, Shape]:
        return {name: opt for name, (_, opt, _) in self.shapes.items()}

    def covers(self, shapes: dict[str, Shape]) -> bool:
        """Whether an engine of this profile runs inputs of these shapes."""
        return shapes.keys() == self.shapes.keys() and all(
            len(shape) == len(self.shapes[name][0]) and all(
                lo <= n <= hi for lo, n, hi in zip(self.shapes[name][0], shape,
                                                   self.shapes[name][2]))
            for name, shape in shapes.items())

    def contains(self, other: ShapeProfile) -> bool:
        """Whether every shape ``other`` covers is covered here (a profile is a box:
        its corners decide)."""
        return all(self.covers({name: shapes[i] for name, shapes in other.shapes.items()})
                   for i in (0, 2))

    def to_json(self) -> dict[str, dict[str, list[int]]]:
        return {name: {"min": list(lo), "opt": list(opt), "max": list(hi)}
                for name, (lo, opt, hi) in sorted(self.shapes.items())}

    @classmethod
    def from_json(cls, data: dict[str, dict[str, list[int]]]) -> ShapeProfile:
        return cls({name: (tuple(s["min"]), tuple(s["opt"]), tuple(s["max"]))
                    for name, s in data.items()})

    def key(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)

    def describe(self) -> str:
        """One line, as ``engine list`` prints it: ``input 1x193x257x3..1x481x641x3 (opt ...)``."""
        def dims(shape: Shape) -> str:
            return "x".join(map(str, shape))
        return "; ".join(f"{name} {dims(lo)}" if lo == hi else
                         f"{name} {dims(lo)}..{dims(hi)} (opt {dims(opt)})"
                         for name, (lo, opt, hi) in sorted(self.shapes.items()))
