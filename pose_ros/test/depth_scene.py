"""A depth image rendered from a known 3D skeleton, aligned to a real photo of a person.

The skeleton: the real MoveNet keypoints of ``video/pose.jpg``, each given a known depth
and back-projected through the photo's camera (a 60 degree pinhole). The render, for a
depth camera of any K and resolution: bones as ribbons whose depth is the bone's at the
nearest point of its axis (1/z is affine along a projected 3D segment), the torso as two
planar triangles, the head as a disc facing the camera (the face keypoints share its
depth), a wall behind everything, a z-buffer. At a keypoint's pixel the
surface is at exactly the keypoint's depth: that is the truth a sampler must find.

Cameras are Intrinsics (a container here: projecting and back-projecting are this
module's own formulas, so the truth does not lean on the code under test).

What makes keypoints unmeasurable, by design (``UNMEASURABLE``): a hole of no depth over
the left knee, an out-of-range patch over the right ankle, and forearms 3 pixels thick
so the wrists' windows see mostly the wall. Scattered holes (10% of pixels) are
everywhere; a robust sampler ignores them.
"""

from __future__ import annotations

import math

import numpy as np

from pose_ros.depth.camera import Intrinsics
from pose_ros.keypoints import KEYPOINT_INDEX, SKELETON_EDGES

COLOUR_HFOV_DEG = 60.0
WALL_M = 4.0
OUT_OF_RANGE_M = 12.0  # beyond DepthOptions.max_range_m
HOLE_KEYPOINT, FAR_KEYPOINT = "left_knee", "right_ankle"
THIN = ("left_wrist", "right_wrist")  # on 3-pixel forearms: the wall wins their windows
UNMEASURABLE = (HOLE_KEYPOINT, FAR_KEYPOINT, *THIN)
FACE = tuple(KEYPOINT_INDEX[n] for n in
             ("nose", "left_eye", "right_eye", "left_ear", "right_ear"))
TORSO_TRIANGLES = (("left_shoulder", "right_shoulder", "left_hip"),
                   ("right_shoulder", "right_hip", "left_hip"))


def k_of(cam: Intrinsics) -> list[float]:
    """A camera_info's K."""
    return [cam.fx, 0.0, cam.cx, 0.0, cam.fy, cam.cy, 0.0, 0.0, 1.0]


def project(cam: Intrinsics, points: np.ndarray) -> np.ndarray:
    return np.stack([cam.fx * points[:, 0] / points[:, 2] + cam.cx,
                     cam.fy * points[:, 1] / points[:, 2] + cam.cy], axis=1)


def colour_camera(width: int, height: int) -> Intrinsics:
    f = (width / 2) / math.tan(math.radians(COLOUR_HFOV_DEG) / 2)
    return Intrinsics(f, f, (width - 1) / 2, (height - 1) / 2, width, height)


def depth_camera(colour: Intrinsics, scale: float) -> Intrinsics:
    """The aligned depth camera at ``scale`` times the colour resolution, cropped: its
    principal point 6 pixels right of and 4 above the scaled one (a pixel mapped by the
    image sizes alone lands centimetres off)."""
    w, h = round(colour.width * scale), int(colour.height * scale)
    return Intrinsics(colour.fx * scale, colour.fy * scale, (colour.cx + 0.5) * scale - 0.5 + 6.0,
                  (colour.cy + 0.5) * scale - 0.5 - 4.0, w, h)


def skeleton_3d(xy: np.ndarray, colour: Intrinsics) -> np.ndarray:
    """Keypoints (17, 2) of the photo to 3D (17, 3) in the camera's optical frame: the
    body 2.5 m away, turned (the person's left side nearer) and leaning back; the face
    flat, at the nose's depth."""
    z = 2.5 - 0.3 * (xy[:, 0] - colour.cx) / 400.0 + 0.1 * (xy[:, 1] - colour.cy) / 300.0
    z[list(FACE)] = z[KEYPOINT_INDEX["nose"]]
    return np.stack([(xy[:, 0] - colour.cx) / colour.fx * z,
                     (xy[:, 1] - colour.cy) / colour.fy * z, z], axis=1)


def bone_radii(xy: np.ndarray) -> dict[tuple[int, int], float]:
    """Half-thickness of each bone in colour pixels: a tenth of the person's size,
    the forearms 1.5 px."""
    size = float(np.ptp(xy, axis=0).max())
    thin = {KEYPOINT_INDEX[n] for n in THIN}
    return {(a, b): 1.5 if (a in thin or b in thin) else 0.1 * size for a, b in SKELETON_EDGES}


def render(points: np.ndarray, radii: dict[tuple[int, int], float], colour: Intrinsics,
           cam: Intrinsics, seed: int = 0) -> np.ndarray:
    """The depth image (metres, NaN = no depth) of ``points`` seen by ``cam``."""
    uv = project(cam, points)
    inv_z = 1.0 / points[:, 2]
    ys, xs = np.mgrid[0:cam.height, 0:cam.width].astype(np.float64)
    depth = np.full((cam.height, cam.width), WALL_M)
    torso_edges = {tuple(sorted((KEYPOINT_INDEX[a], KEYPOINT_INDEX[b])))
                   for tri in TORSO_TRIANGLES for a, b in zip(tri, tri[1:] + tri[:1])}
    for (a, b), radius in radii.items():
        if tuple(sorted((a, b))) in torso_edges or {a, b} <= set(FACE):
            continue  # drawn as triangles, or the head
        d = uv[b] - uv[a]
        t = np.clip(((xs - uv[a, 0]) * d[0] + (ys - uv[a, 1]) * d[1]) / (d @ d), 0.0, 1.0)
        dist = np.hypot(xs - uv[a, 0] - t * d[0], ys - uv[a, 1] - t * d[1])
        z = 1.0 / (inv_z[a] + t * (inv_z[b] - inv_z[a]))
        depth = np.where(dist <= radius * cam.fx / colour.fx, np.minimum(depth, z), depth)
    for tri in TORSO_TRIANGLES:
        i, j, k = (KEYPOINT_INDEX[n] for n in tri)
        m = np.array([[uv[j, 0] - uv[i, 0], uv[k, 0] - uv[i, 0]],
                      [uv[j, 1] - uv[i, 1], uv[k, 1] - uv[i, 1]]])
        lj, lk = np.einsum("ab,bhw->ahw", np.linalg.inv(m),
                           np.stack([xs - uv[i, 0], ys - uv[i, 1]]))
        inside = (lj >= 0) & (lk >= 0) & (lj + lk <= 1)
        z = 1.0 / ((1 - lj - lk) * inv_z[i] + lj * inv_z[j] + lk * inv_z[k])
        depth = np.where(inside, np.minimum(depth, z), depth)
    size = float(np.ptp(uv, axis=0).max())
    face = uv[list(FACE)]
    head = face.mean(axis=0)
    head_radius = np.hypot(*(face - head).T).max() + 0.03 * size
    on_head = np.hypot(xs - head[0], ys - head[1]) <= head_radius
    depth[on_head] = np.minimum(depth[on_head], points[FACE[0], 2])
    near = lambda name: np.hypot(xs - uv[KEYPOINT_INDEX[name], 0],  # noqa: E731
                                 ys - uv[KEYPOINT_INDEX[name], 1]) <= 0.06 * size
    depth[near(HOLE_KEYPOINT)] = np.nan
    depth[near(FAR_KEYPOINT)] = OUT_OF_RANGE_M
    depth[np.random.default_rng(seed).random(depth.shape) < 0.1] = np.nan
    return depth


def encode(depth_m: np.ndarray, encoding: str) -> tuple[bytes, int]:
    """Metres (NaN = no depth) as a message's data and step: 16UC1 millimetres (0 = no
    depth) or 32FC1 metres (NaN), little-endian, unpadded."""
    if encoding == "16UC1":
        pixels = np.where(np.isnan(depth_m), 0, np.rint(depth_m * 1000)).astype("<u2")
    else:
        pixels = depth_m.astype("<f4")
    return pixels.tobytes(), pixels.shape[1] * pixels.itemsize
