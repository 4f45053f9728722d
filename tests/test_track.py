"""Tests of utils.course.track: choosing the course track in one place."""

import pytest

from utils import VALID_TRACKS, in_colab, select_track
from utils.course.track import ENV_VAR, resolve_track


def test_valid_tracks_are_offline_and_imagenet():
    assert VALID_TRACKS == ("offline", "imagenet")
    assert ENV_VAR == "TL_TRACK"


@pytest.mark.parametrize("track", ["offline", "imagenet"])
def test_explicit_track_wins_over_environment_and_gpu(monkeypatch, track):
    other = "imagenet" if track == "offline" else "offline"
    monkeypatch.setenv("TL_TRACK", other)
    value, reason = resolve_track(track, gpu=(track == "offline"))
    assert value == track
    assert "notebook" in reason
    assert select_track(track, verbose=False, gpu=False) == track


@pytest.mark.parametrize("track", ["offline", "imagenet"])
def test_track_read_from_tl_track_environment_variable(monkeypatch, track):
    monkeypatch.setenv("TL_TRACK", track)
    # the GPU flag must not matter when TL_TRACK is set
    for gpu in (True, False):
        value, reason = resolve_track(gpu=gpu)
        assert value == track
        assert "TL_TRACK" in reason
    assert select_track(verbose=False, gpu=True) == track


@pytest.mark.parametrize(
    ("gpu", "expected", "because"), [(True, "imagenet", "GPU is visible"), (False, "offline", "no GPU")]
)
def test_unset_env_picks_the_track_by_gpu_and_says_why(monkeypatch, gpu, expected, because):
    monkeypatch.delenv("TL_TRACK", raising=False)
    value, reason = resolve_track(gpu=gpu)
    assert value == expected
    assert "TL_TRACK is unset" in reason
    assert because in reason


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_blank_env_counts_as_unset(monkeypatch, blank):
    monkeypatch.setenv("TL_TRACK", blank)
    assert resolve_track(gpu=False)[0] == "offline"
    assert resolve_track(gpu=True)[0] == "imagenet"


def test_unset_env_and_no_gpu_flag_asks_tensorflow(monkeypatch):
    from utils.course.track import gpu_available

    monkeypatch.delenv("TL_TRACK", raising=False)
    expected = "imagenet" if gpu_available() else "offline"
    assert select_track(verbose=False) == expected


def test_gpu_detection_is_used_when_gpu_flag_is_none(monkeypatch):
    from utils.course import track

    monkeypatch.delenv("TL_TRACK", raising=False)
    monkeypatch.setattr(track, "gpu_available", lambda: True)
    assert resolve_track()[0] == "imagenet"
    monkeypatch.setattr(track, "gpu_available", lambda: False)
    assert resolve_track()[0] == "offline"


@pytest.mark.parametrize("raw, expected", [
    ("OFFLINE", "offline"), (" offline ", "offline"), ("ImageNet", "imagenet"), ("\timagenet\n", "imagenet"),
])
def test_track_is_case_and_whitespace_tolerant(monkeypatch, raw, expected):
    monkeypatch.delenv("TL_TRACK", raising=False)
    assert select_track(raw, verbose=False, gpu=False) == expected
    monkeypatch.setenv("TL_TRACK", raw)
    assert select_track(verbose=False, gpu=False) == expected


@pytest.mark.parametrize("bad", ["gpu", "cpu", "offline-track", "", "none"])
def test_unknown_explicit_track_raises_listing_valid_tracks(bad):
    with pytest.raises(ValueError, match="Unknown track") as info:
        select_track(bad, verbose=False, gpu=False)
    message = str(info.value)
    assert "offline" in message and "imagenet" in message
    assert "Valid tracks are: offline, imagenet" in message


def test_unknown_env_track_raises_naming_the_variable(monkeypatch):
    monkeypatch.setenv("TL_TRACK", "colab")
    with pytest.raises(ValueError, match="'colab'") as info:
        resolve_track(gpu=True)
    message = str(info.value)
    assert "TL_TRACK" in message
    assert "offline" in message and "imagenet" in message


def test_verbose_prints_the_track_and_the_speed_settings_with_reasons(monkeypatch, capsys):
    monkeypatch.delenv("TL_TRACK", raising=False)
    assert select_track(gpu=False) == "offline"
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Track: offline")
    assert "no GPU" in lines[0]
    assert lines[1].startswith("Speed: mixed precision off, XLA off (no GPU")
    assert lines[2].startswith("No GPU visible.") and "Runtime > Change runtime type" in lines[2]


def test_with_a_gpu_no_hint_is_printed(monkeypatch, capsys):
    monkeypatch.setenv("TL_TRACK", "offline")
    monkeypatch.setenv("TL_MIXED_PRECISION", "0")
    monkeypatch.setenv("TL_XLA", "0")
    select_track(gpu=True)
    assert "No GPU visible" not in capsys.readouterr().out


def test_not_verbose_prints_nothing(capsys):
    select_track("imagenet", verbose=False)
    assert capsys.readouterr().out == ""


def test_in_colab_is_false_here(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert in_colab() is False


def test_in_colab_detects_colab_environment_variable(monkeypatch):
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20250101-060000")
    assert in_colab() is True
