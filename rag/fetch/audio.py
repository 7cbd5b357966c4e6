"""Audio without a transcript -> a Podcasting 2.0 JSON transcript, by faster-whisper (the optional extra
`pip install 'podcast-rag[audio]'`). Segment and word times are kept; speakers are unknown (Whisper does not tell
voices apart), which the segments say by having none.

The model is PODRAG_WHISPER_MODEL: a folder holding a CTranslate2 Whisper model (model.bin, config.json,
tokenizer.json, vocabulary.txt), or a size name such as `base`, looked up in the Hugging Face cache and
downloaded only when PODRAG_ALLOW_DOWNLOADS=true.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.fetch.errors import FetchError
from rag.settings import Settings

INSTALL_HINT = "pip install 'podcast-rag[audio]'"
_MODEL_FILES = ("model.bin", "config.json")


@dataclass
class Transcription:
    transcript: dict  # Podcasting 2.0 JSON: {"version", "segments": [{startTime, endTime, body, words}]}
    language: str
    duration: float  # seconds of audio
    seconds: float  # time it took
    model: str

    @property
    def speed(self) -> float:
        """Audio seconds per second of work (× real time)."""
        return self.duration / self.seconds if self.seconds else 0.0


def available() -> bool:
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        return False
    return True


def model_label(settings: Settings) -> str:
    ref = settings.whisper_model
    return Path(ref).name if Path(ref).expanduser().is_dir() else ref


def load_model(settings: Settings, source: str):
    """The WhisperModel named by the settings; FetchError with what to do when it cannot be had."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise FetchError(source, f"no transcript, and transcribing audio needs the audio extra: {INSTALL_HINT}") \
            from exc
    ref = settings.whisper_model
    folder = Path(ref).expanduser()
    threads = os.cpu_count() or 2
    if folder.is_dir() or "/" in ref or os.sep in ref:
        missing = [f for f in _MODEL_FILES if not (folder / f).is_file()]
        if missing:
            raise FetchError(source, f"PODRAG_WHISPER_MODEL={ref}: expected a CTranslate2 Whisper model folder "
                                     f"(missing {', '.join(missing)})")
        return WhisperModel(str(folder), device="cpu", compute_type=settings.whisper_compute_type,
                            cpu_threads=threads)
    try:
        return WhisperModel(ref, device="cpu", compute_type=settings.whisper_compute_type, cpu_threads=threads,
                            download_root=str(settings.cache / "whisper"),
                            local_files_only=not settings.allow_downloads)
    except ValueError as exc:  # an unknown size name
        raise FetchError(source, f"PODRAG_WHISPER_MODEL={ref}: {exc}") from exc
    except Exception as exc:  # huggingface_hub: not in the cache, or the download failed
        if not settings.allow_downloads:
            raise FetchError(source, f"the Whisper model {ref!r} is not on this machine and downloads are off: set "
                                     "PODRAG_WHISPER_MODEL to a model folder, or PODRAG_ALLOW_DOWNLOADS=true to "
                                     "download it once") from exc
        raise FetchError(source, f"cannot download the Whisper model {ref!r}: {exc}") from exc


def transcribe(audio: Path, settings: Settings, source: str,
               progress: Callable[[int, int, str], None] | None = None, model=None) -> Transcription:
    """Transcribe `audio` (any format PyAV/FFmpeg reads); `progress(seconds done, seconds total, label)`."""
    started = time.perf_counter()
    model = model or load_model(settings, source)
    try:
        segments, info = model.transcribe(str(audio), word_timestamps=True, vad_filter=True,
                                          condition_on_previous_text=False)
        out = []
        for seg in segments:  # a generator: the work happens while iterating
            words = [{"startTime": _t(w.start), "endTime": _t(w.end), "body": w.word.strip(),
                      "probability": _t(w.probability)} for w in seg.words or [] if w.word.strip()]
            if seg.text.strip():
                out.append({"startTime": _t(seg.start), "endTime": _t(seg.end), "body": seg.text.strip(),
                            "words": words})
            if progress:
                progress(int(seg.end), int(info.duration) or 1, "transcribing")
    except FetchError:
        raise
    except Exception as exc:  # PyAV: not audio it can decode; CTranslate2 errors
        raise FetchError(source, f"cannot transcribe the audio: {str(exc).splitlines()[0][:200]}") from exc
    if not out:
        raise FetchError(source, "the transcription found no speech in the audio")
    return Transcription({"version": "1.0.0", "segments": out}, info.language, float(info.duration),
                         time.perf_counter() - started, model_label(settings))


def _t(value) -> float:
    return round(float(value), 3)  # numpy floats from CTranslate2 -> plain floats for JSON
