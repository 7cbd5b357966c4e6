"""Time to add each kind of source, and Whisper's speed on this CPU (the figures in the README's "Adding episodes").

    PYTHONPATH=. python eval/fetch_times.py [--whisper-model DIR] [--audio-seconds 60]

Everything is served from 127.0.0.1 (no network): the #491 transcript page and the #459 transcript (as a feed item's
WebVTT and as a video's json3 captions) from ../shared/corpus, and speech made by espeak-ng as a feed enclosure.
Each source gets a cold embedding cache, so the time includes embedding its passages with the bundled model.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.assistant import Assistant  # noqa: E402
from rag.fetch import Adder, AddOptions  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.sources import parse_vtt  # noqa: E402
from tests.caches import TEST_CACHE  # noqa: E402
from tests.fetch_data import rss  # noqa: E402
from tests.fetch_server import FetchServer  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
TEXT = ("Welcome back to the show. Today we talk about how data centers are built, how many graphics processors a "
        "large training run needs, and why power and cooling are now the hardest parts of the problem. ")


def json3_from_vtt(vtt: Path) -> str:
    events = [{"tStartMs": int(s.start * 1000), "dDurationMs": int(((s.end or s.start + 2) - s.start) * 1000),
               "segs": [{"utf8": f"{s.speaker}: {s.text}" if s.speaker else s.text}]} for s in parse_vtt(vtt).segments]
    return json.dumps({"events": events})


def add(work: Path, name: str, sources: list[str], **settings) -> list:
    s = Settings(_env_file=None, index=work / name / "index", cache=work / name / "cache", **settings)
    assistant = Assistant(s)
    cpu = time.process_time()
    with Adder(assistant) as adder:
        report = adder.add(sources, AddOptions())
    if not report.ok:
        raise SystemExit(f"{name}: {report.failed}")
    cpu = time.process_time() - cpu  # every thread of this process: comparable however busy the machine is
    return [(a, cpu) for a in report.added]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--whisper-model", type=Path, help="a CTranslate2 Whisper model folder (default: the "
                        f"tests' whisper-base under {TEST_CACHE}, moved by $PODRAG_TEST_CACHE)")
    parser.add_argument("--audio-seconds", type=float, default=60.0, help="length of the spoken clip")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fetch-times-"))
    rows = []
    with FetchServer() as server:
        # 1. a transcript page
        page = server.file("/peter-steinberger-transcript/",
                           (CORPUS / "lex-fridman-491" / "transcript.html").read_bytes(), "text/html")
        rows += [("transcript page (#491, 455 KB HTML)", a) for a in add(work, "page", [page])]
        # 2. a feed item with a WebVTT transcript and chapters
        vtt = server.file("/459.vtt", (CORPUS / "lex-fridman-459" / "transcript.vtt").read_bytes(), "text/vtt")
        chapters = server.file("/459-chapters.json", (CORPUS / "lex-fridman-459" / "chapters.json").read_bytes(),
                               "application/json")
        feed = server.file("/feed.xml", rss([{"guid": "459", "title": "DeepSeek", "number": 459,
                                              "transcripts": [(vtt, "text/vtt")], "chapters": chapters}]))
        rows += [("feed item (#459, 5 h WebVTT + chapters)", a) for a in add(work, "feed", [feed])]
        # 3. a video: yt-dlp's info dict with json3 captions to download
        captions = server.file("/timedtext", json3_from_vtt(CORPUS / "lex-fridman-459" / "transcript.vtt"),
                               "application/json")
        info = {"id": "_1f-o0nqpEI", "title": "DeepSeek", "extractor": "youtube", "extractor_key": "Youtube",
                "webpage_url": "https://www.youtube.com/watch?v=_1f-o0nqpEI", "upload_date": "20250203",
                "language": "en", "subtitles": {"en": [{"ext": "json3", "url": captions}]}}
        (work / "video.info.json").write_text(json.dumps(info))
        rows += [("video (#459, json3 captions via yt-dlp's info)", a) for a in add(work, "video",
                                                                                    [str(work / "video.info.json")])]
        # 4. audio: speech from espeak-ng, transcribed by Whisper base
        model = args.whisper_model or _test_model()
        if model and shutil.which("espeak-ng"):
            wav = work / "speech.wav"
            words = int(args.audio_seconds * 2.6)  # espeak-ng at 160 words per minute
            text = " ".join((TEXT * (words // len(TEXT.split()) + 1)).split()[:words])
            subprocess.run(["espeak-ng", "-s", "160", "-w", str(wav), text], check=True)
            enclosure = server.file("/speech.wav", wav.read_bytes(), "audio/wav")
            audio_feed = server.file("/audio.xml", rss([{"guid": "a1", "title": "Speech", "number": 1,
                                                         "enclosure": enclosure}]))
            rows += [("feed item without transcript (audio, Whisper base)", a)
                     for a in add(work, "audio", [audio_feed], whisper_model=str(model))]
            _whisper_speed(wav, model)
        else:
            print("audio skipped: no Whisper model folder or no espeak-ng", file=sys.stderr)
    import os

    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| source | episode | total (wall) | of which ingest (embedding, index) | fetch + parse | CPU time |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, (a, cpu) in rows:
        print(f"| {label} | {a.episode_id} | {a.seconds:.1f} s | {a.ingest_seconds:.1f} s | "
              f"{a.seconds - a.ingest_seconds:.1f} s | {cpu:.1f} s |")
    shutil.rmtree(work, ignore_errors=True)


def _test_model() -> Path | None:
    folder = TEST_CACHE / "whisper-base"
    return folder if (folder / "model.bin").is_file() else None


def _whisper_speed(wav: Path, model: Path) -> None:
    from faster_whisper import WhisperModel

    from rag.fetch.audio import transcribe

    t0 = time.perf_counter()
    loaded = WhisperModel(str(model), device="cpu", compute_type="int8")
    load = time.perf_counter() - t0
    settings = Settings(_env_file=None, whisper_model=str(model))
    t1, c1 = time.perf_counter(), time.process_time()
    result = transcribe(wav, settings, str(wav), model=loaded)
    wall, cpu = time.perf_counter() - t1, time.process_time() - c1
    print(f"Whisper base ({settings.whisper_compute_type}) on this CPU: model load {load:.1f} s; "
          f"{result.duration:.0f} s of speech in {wall:.1f} s wall ({result.duration / wall:.1f}x real time), "
          f"{cpu:.1f} s CPU ({result.duration / cpu:.1f}x real time per CPU-second)")


if __name__ == "__main__":
    main()
