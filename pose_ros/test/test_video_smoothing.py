"""On a real video, smoothing lowers frame-to-frame jitter without lagging behind."""

from __future__ import annotations

import cv2
import numpy as np

from pose_ros.api import create_estimator

MAX_MEAN_LAG_PX = 4.0


def _frames(path):
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        yield i / fps, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        i += 1
    cap.release()


def _track(model_dir, video, smoothing):
    est = create_estimator("movenet_lightning", backend="onnxruntime", model_dir=model_dir,
                           smoothing=smoothing)
    xy, scores = [], []
    for t, frame in _frames(video):
        (pose,) = est.estimate(frame, timestamp=t)
        xy.append(pose.xy)
        scores.append(pose.scores)
    return np.array(xy), np.array(scores)


def test_smoothing_reduces_jitter_without_lag(model_dir, shared_data):
    video = shared_data / "video" / "pose_squats.mp4"
    raw, scores = _track(model_dir, video, smoothing=False)
    smooth, _ = _track(model_dir, video, smoothing=True)
    assert len(raw) > 30
    confident = (scores[1:-1] > 0.3)
    # jitter: distance of each point from the midpoint of its neighbours (second difference)
    def jitter(xy):
        return np.linalg.norm(xy[1:-1] - (xy[:-2] + xy[2:]) / 2, axis=-1)[confident].mean()
    # lag: how far the smoothed track trails the unsmoothed one
    lag = np.linalg.norm(smooth - raw, axis=-1)[1:-1][confident].mean()
    print(f"\n{len(raw)} frames: jitter {jitter(raw):.2f} px raw -> "
          f"{jitter(smooth):.2f} px smoothed,"
          f" mean lag {lag:.2f} px")
    assert jitter(smooth) < jitter(raw)
    assert lag < MAX_MEAN_LAG_PX
