"""Bad input, one row per case across every format: what arrives broken is either ingested correctly (when it can
be read without guessing) or rejected with one line naming the file, and then the index is exactly as before."""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

VTT_OK = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:06.000\n"
          "<v Zoe Quill>Lighthouse keepers polish the great lens daily.</v>\n")


def vtt(*cues: tuple[str, str, str]) -> str:
    blocks = [f"{i}\n{a} --> {b}\n<v Zoe Quill>{text}</v>\n" for i, (a, b, text) in enumerate(cues, start=1)]
    return "WEBVTT\n\n" + "\n".join(blocks)


@dataclass
class Case:
    name: str
    files: dict[str, bytes | str]  # relative path -> content, written under the episode folder "ep"
    outcome: str  # "ingested" or "rejected"
    expect: str  # rejected: a fragment of the one-line error; ingested: a phrase a search must find
    names: str = ""  # rejected: the file the error must name (default: the first file)
    speaker: str | None = "Zoe Quill"  # ingested: who says `expect`
    start: float | None = None  # ingested: when the found sentence starts
    given: Callable[[Path], list[Path]] | None = None  # what to pass to ingest (default: the episode folder)
    hides: str = ""  # rejected: what the error must not show


def many_same_id(identical: bool) -> Callable[[Path], list[Path]]:
    """10,000 episode folders that all claim the id "dup" (identical copies, or each with its own text)."""

    def write(root: Path) -> list[Path]:
        base = root / "many"
        meta = json.dumps({"id": "dup", "title": "Duplicated"})
        for i in range(10_000):
            folder = base / f"copy-{i:05d}"
            folder.mkdir(parents=True)
            (folder / "episode.json").write_text(meta)
            text = "Lighthouse keepers polish the great lens daily." if identical else f"Copy number {i} speaks."
            (folder / "transcript.vtt").write_text(vtt(("00:00:01.000", "00:00:06.000", text)))
        return [base]

    return write


def big_transcript(root: Path) -> list[Path]:
    """A 50 MB transcript: rejected by size before anything reads it."""
    folder = root / "ep"
    folder.mkdir()
    cue = "00:00:01.000 --> 00:00:02.000\n<v A>" + "word " * 200 + "</v>\n\n"
    with (folder / "transcript.vtt").open("w") as f:
        f.write("WEBVTT\n\n")
        f.write(cue * (50 * 1024 * 1024 // len(cue) + 1))
    return [folder]


def linked_transcript(target: str) -> Callable[[Path], list[Path]]:
    """An episode whose transcript.vtt is a symbolic link: to a file outside the folder, or to a hidden one inside."""

    def write(root: Path) -> list[Path]:
        folder = root / "ep"
        folder.mkdir()
        (root / "secret.txt").write_text("Zoe Quill (00:00:01) the admin password is hunter2\n")
        (folder / ".original.vtt").write_text(VTT_OK)
        (folder / "transcript.vtt").symlink_to(target)
        return [folder]

    return write


def folder_named(name: str) -> Callable[[Path], list[Path]]:
    """An episode folder without episode.json, so its name is its id."""

    def write(root: Path) -> list[Path]:
        (root / name).mkdir()
        (root / name / "transcript.vtt").write_text(VTT_OK)
        return [root]

    return write


def outside(root: Path) -> list[Path]:
    """A path that climbs out of the corpus folder to a system file (ingest takes folders only)."""
    return [root / ".." / ".." / ".." / ".." / ".." / ".." / "etc" / "passwd"]


CASES = [
    Case("empty file", {"transcript.vtt": ""}, "rejected", "transcript.vtt: empty file"),
    Case("whitespace only", {"transcript.srt": " \n\n \t\n"}, "rejected", "transcript.srt: empty file"),
    Case("binary data", {"transcript.vtt": bytes(range(256)) * 8}, "rejected", "binary data, expected UTF-8 text"),
    Case("image renamed to .srt", {"transcript.srt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(512)},
         "rejected", "binary data"),
    Case("latin-1 text", {"transcript.vtt": vtt(("00:00:01.000", "00:00:06.000",
                                                 "Le café de Zoë sert une crème brûlée.")).encode("latin-1")},
         "ingested", "café de Zoë sert une crème brûlée", start=1.0),
    Case("UTF-16 with BOM", {"transcript.srt": codecs.BOM_UTF16_LE + (
        "1\n00:00:03,000 --> 00:00:08,000\nZoe Quill: Naïve lighthouse keepers polish the lens.\n"
    ).encode("utf-16-le")}, "ingested", "Naïve lighthouse keepers polish the lens", start=3.0),
    Case("UTF-8 with BOM", {"transcript.vtt": "\ufeff" + VTT_OK}, "ingested",
         "Lighthouse keepers polish the great lens daily", start=1.0),
    Case("VTT overlapping cues", {"transcript.vtt": vtt(
        ("00:00:01.000", "00:00:09.000", "Fog horns sound twice a minute."),
        ("00:00:05.000", "00:00:12.000", "Storm petrels nest below the gallery."))},
        "ingested", "Storm petrels nest below the gallery", start=5.0),
    Case("VTT backward cues", {"transcript.vtt": vtt(
        ("00:00:10.000", "00:00:12.000", "Later."), ("00:00:02.000", "00:00:04.000", "Earlier."))},
        "rejected", "transcript.vtt:8: time goes backwards: 0:00:02 after 0:00:10"),
    Case("VTT cue ends before it starts", {"transcript.vtt": vtt(("00:00:10.000", "00:00:02.000", "Odd."))},
         "rejected", "transcript.vtt:4:"),
    Case("VTT arrow without a dash", {"transcript.vtt": "WEBVTT\n\n1\n00:00:01.000 -> 00:00:06\n<v A>x</v>\n"},
         "rejected", "transcript.vtt:4: cue without a timing line, found '00:00:01.000 -> 00:00:06'"),
    Case("VTT unreadable time", {"transcript.vtt": "WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\n<v A>x</v>\n"},
         "rejected", "transcript.vtt:3: malformed cue timing"),
    Case("VTT without header", {"transcript.vtt": VTT_OK.replace("WEBVTT\n\n", "")}, "rejected",
         "transcript.vtt:1: not a WebVTT file: expected 'WEBVTT' on the first line"),
    Case("SRT missing cue numbers", {"transcript.srt": (
        "00:00:02,000 --> 00:00:05,000\nZoe Quill: The lamp burns whale oil no longer.\n\n"
        "00:00:06,000 --> 00:00:09,000\nZoe Quill: Keepers now trim electric bulbs instead.\n")},
        "ingested", "Keepers now trim electric bulbs instead", start=6.0),
    Case("SRT text before the first cue", {"transcript.srt": "notes\n\n1\n00:00:01,000 --> 00:00:02,000\nHi.\n"},
         "rejected", "transcript.srt:1: unreadable cue 'notes'"),
    Case("SRT unreadable time", {"transcript.srt": "1\n00:00:01,000 --> 00:00:02,000\nHi.\n\n"
                                                    "2\n00:00:0x,000 --> 00:00:04,000\nYo.\n"},
         "rejected", "transcript.srt:6: unreadable cue timing '00:00:0x,000 --> 00:00:04,000'"),
    Case("HTML page with no transcript", {"transcript.html": "<html><body><h1>Shop</h1><p>Buy mugs.</p></body></html>"},
         "rejected", "transcript.html: "),
    Case("episode.json number as a string", {"episode.json": '{"id": "ep", "number": "459"}', "transcript.vtt": VTT_OK},
         "rejected", "episode.json: number: expected a valid integer, got '459'"),
    Case("episode.json guests as a string", {"episode.json": '{"guests": "Zoe Quill"}', "transcript.vtt": VTT_OK},
         "rejected", "episode.json: guests: expected a valid list"),
    Case("episode.json not JSON", {"episode.json": '{"id": "ep",\n "title": }', "transcript.vtt": VTT_OK},
         "rejected", "episode.json:2: not valid JSON"),
    Case("episode.json a list", {"episode.json": '["ep"]', "transcript.vtt": VTT_OK},
         "rejected", "episode.json: found a JSON list: expected a JSON object"),
    Case("chapters.json time as text", {"chapters.json": '{"chapters": [{"startTime": "1:00", "title": "A"}]}',
                                        "transcript.vtt": VTT_OK},
         "rejected", "chapters.json: chapters[0].startTime: expected a valid number"),
    Case("Podcasting 2.0 segment without body", {"transcript.json": '{"segments": [{"startTime": 1.0}]}'},
         "rejected", "transcript.json: segments[0].body: missing"),
    Case("JSON that is neither transcript nor chapters", {"notes.json": '{"hello": 1}'},
         "rejected", "notes.json: unknown JSON"),
    Case("plain text without timestamps", {"transcript.txt": "what is this\nZoe Quill (00:00:01) Hello.\n"},
         "rejected", "transcript.txt:1: unrecognised line 'what is this'"),
    Case("unknown format beside a transcript", {"transcript.vtt": VTT_OK, "notes.docx": b"PK\x03\x04"},
         "rejected", "notes.docx: unknown format", names="notes.docx"),
    Case("summary with no sections", {"summary.txt": "just one line of nothing"},
         "rejected", "summary.txt: no summary content"),
    Case("two different transcripts", {"a.vtt": VTT_OK, "b.vtt": VTT_OK.replace("daily", "weekly")},
         "rejected", "two different transcripts for episode ep", names="b.vtt"),
    Case("50 MB transcript", {}, "rejected", "transcript.vtt: file too large (50.0 MB): expected at most 25 MB",
         given=big_transcript),
    Case("10,000 identical copies of one id", {}, "ingested", "Lighthouse keepers polish the great lens daily",
         start=1.0, given=many_same_id(identical=True)),
    Case("10,000 different episodes with one id", {}, "rejected", "two different transcripts for episode dup",
         names="copy-00001/transcript.vtt", given=many_same_id(identical=False)),
    Case("a path outside the corpus (../../etc/passwd)", {}, "rejected",
         "etc/passwd: not a folder: expected an episode folder", names="passwd", given=outside),
    Case("a folder that does not exist", {}, "rejected", "no such file or directory", names="nowhere",
         given=lambda root: [root / "nowhere"]),
    # Episode ids name folders and files: one rule for every source (rag/sources/ids.py).
    *[Case(f"episode.json id {label}", {"episode.json": json.dumps({"id": bad}), "transcript.vtt": VTT_OK},
           "rejected", expect, hides="x" * 100) for label, bad, expect in [
        ("climbing out (../../etc)", "../../etc",
         "episode.json: episode id '../../etc' is not allowed: use 1-80 letters"),
        ("a/../../b", "a/../../b", "episode id 'a/../../b' is not allowed"),
        ("with NUL", "a\x00b", "episode id 'a\\x00b' is not allowed"),
        ("with a newline", "a\nb", "episode id 'a\\nb' is not allowed"),
        ("of 5,000 characters", "x" * 5000, "... (5,000 characters) is not allowed"),
        ("starting with _ (as the manifest's __version__)", "__version__", "is not allowed"),
    ]],
    Case("folder name that is no id", {}, "rejected",
         "episode id 'my episode [1]' is not allowed: use 1-80 letters", names="my episode [1]",
         given=folder_named("my episode [1]")),
    Case("transcript symlinked to a file outside the folder", {}, "rejected",
         "transcript.vtt: a symbolic link to a file outside the episode folder: refused", names="transcript.vtt",
         hides="hunter2", given=linked_transcript("../secret.txt")),
    Case("transcript symlinked to a file inside the folder", {}, "ingested",
         "Lighthouse keepers polish the great lens daily", start=1.0, given=linked_transcript(".original.vtt")),
]


def state(a) -> tuple:
    """Everything a rejected input must leave untouched."""
    return (a.index.version(), {r.id: (r.fingerprint, tuple(r.chunk_ids)) for r in a.episodes()}, a.index.count())


@pytest.mark.parametrize("case", [
    pytest.param(c, id=c.name, marks=[pytest.mark.slow] if c.name.startswith("10,000") else []) for c in CASES])
def test_bad_input(case: Case, tiny_assistant, tmp_path):
    root = tmp_path / "incoming"
    root.mkdir()
    if case.given:
        paths = case.given(root)
    else:
        folder = root / "ep"
        folder.mkdir()
        for name, content in case.files.items():
            target = folder / name
            target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content, encoding="utf-8")
        paths = [folder]
    before = state(tiny_assistant)

    report = tiny_assistant.ingest(paths)

    if case.outcome == "rejected":
        assert len(report.failed) == 1, report.failed
        line = report.failed[0]
        assert "\n" not in line and case.expect in line, line
        assert not case.hides or case.hides not in line, line
        assert (case.names or next(iter(case.files), "")) in line, line
        assert not report.new and not report.updated
        assert state(tiny_assistant) == before
    else:
        assert report.ok and len(report.new) == 1, report.failed
        hits = tiny_assistant.search(case.expect, k=1, mode="bm25")
        chunk = hits[0].chunk
        assert chunk.episode_id == report.new[0] and case.expect in chunk.text
        moment = next(m for s, m in chunk.sentences() if case.expect in s)
        assert (moment.speaker, moment.start) == (case.speaker, case.start)
        assert state(tiny_assistant)[1].keys() == before[1].keys() | {report.new[0]}


def test_the_table_covers_at_least_twenty_cases_across_formats():
    suffixes = {Path(n).suffix for c in CASES for n in c.files}
    assert len(CASES) >= 20 and {".vtt", ".srt", ".html", ".json", ".txt"} <= suffixes


@pytest.mark.parametrize("episode_id", ["../../etc/passwd", "/etc/passwd", "a/../../b", "..", ".hidden", "x" * 81])
def test_an_upload_cannot_name_a_folder_outside_the_uploads(episode_id, tiny_assistant, tmp_path):
    """The app's upload names the episode folder after the id the user typed: it must stay inside the uploads."""
    from rag.uploads import EpisodeForm, UploadError, stage_upload

    transcript = tmp_path / "t.vtt"
    transcript.write_text(VTT_OK)
    uploads = tmp_path / "deep" / "er" / "uploads"
    uploads.parent.mkdir(parents=True)
    before = state(tiny_assistant)
    with pytest.raises(UploadError) as err:
        stage_upload(uploads, EpisodeForm(id=episode_id), {"transcript": transcript}, 10**6,
                     tiny_assistant.index.records())
    assert "\n" not in str(err.value) and "is not allowed" in str(err.value)
    assert [p.name for p in (tmp_path / "deep").rglob("*")] == ["er"]  # nothing written, above or below
    assert state(tiny_assistant) == before


# -- bad command-line arguments: one clear line and the right exit code, before any work is done ---------------


@dataclass
class CliCase:
    name: str
    args: list[str]
    code: int  # 2: a usage error, 1: an error
    expect: str  # a fragment of the one-line error


CLI_CASES = [
    CliCase("--k 0", ["search", "GPUs", "--k", "0"], 2, "--k must be at least 1, not 0"),
    CliCase("--k -5", ["search", "GPUs", "--k", "-5"], 2, "--k must be at least 1, not -5"),
    CliCase("--k 0 with --batch", ["search", "--batch", "-", "--k", "0"], 2, "--k must be at least 1"),
    CliCase("--from after --to", ["search", "GPUs", "--from", "3600", "--to", "100"], 2,
            "--from 3600 is after --to 100: no passage can match"),
    CliCase("search an unknown episode", ["search", "GPUs", "--episode", "nope"], 1,
            "no episode 'nope' in the index (see `podcast-rag episodes`)"),
    CliCase("ask about an unknown episode", ["ask", "How many GPUs?", "--episode", "nope"], 1,
            "no episode 'nope' in the index"),
    CliCase("chat about an unknown episode", ["chat", "--episode", "nope"], 1, "no episode 'nope' in the index"),
    CliCase("an unknown --source", ["search", "GPUs", "--source", "video"], 2,
            "--source must be 'transcript' or 'summary', not 'video'"),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CLI_CASES])
def test_bad_command_line_arguments(case: CliCase, tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "rag.cli", "--index", str(tmp_path / "index"), *case.args],
                          capture_output=True, text=True, timeout=300, input="")
    assert proc.returncode == case.code, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and case.expect in lines[0], proc.stderr
    assert proc.stdout == ""


def test_an_episode_id_from_before_the_id_rule_is_removed_without_a_traceback(tmp_path):
    """Indexes written before the rule may hold ids full of markup; `remove` prints them as they are."""
    import subprocess
    import sys

    from rag.embedding import BUNDLED_NAME
    from rag.index import ChromaIndex
    from rag.models import EpisodeMeta, EpisodeRecord
    from rag.settings import Settings

    index = ChromaIndex(Settings(index=tmp_path / "index", _env_file=None), BUNDLED_NAME)
    for odd in ("markup-[/x]", "[bold]loud[/bold]"):
        index.commit_episode(EpisodeRecord(EpisodeMeta(odd), [], "fp"))
    run = subprocess.run([sys.executable, "-m", "rag.cli", "--index", str(tmp_path / "index"), "remove",
                          "markup-[/x]", "[bold]loud[/bold]"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert "markup-[/x]" in run.stderr and "[bold]loud[/bold]" in run.stderr
    assert index.records() == {}
