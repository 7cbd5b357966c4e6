"""rag/uploads.py: an upload is checked completely before anything is written, and can be rolled back."""

import json
import threading
from pathlib import Path

import pytest

from rag.models import EpisodeMeta, EpisodeRecord
from rag.uploads import EpisodeForm, UploadError, check_episode_id, slugify, stage_upload
from tests.conftest import write_episode

VTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:05.000\n<v Ana Silva>We bake bread every morning.</v>\n"
MB = 1_000_000


@pytest.fixture
def files(tmp_path):
    src = tmp_path / "from-user"
    src.mkdir()
    (src / "My Talk.vtt").write_text(VTT)
    (src / "notes.md").write_text("1. Bread\nThey bake bread. ([0:01])\n")
    (src / "ch.json").write_text('{"chapters": [{"startTime": 0, "title": "Bread"}]}')
    return src


@pytest.mark.parametrize("bad", ["../../etc/passwd", "a/b", "..", ".hidden", "-x", "a..b", "x" * 81, "a b", "é"])
def test_unsafe_ids_are_refused(bad):
    with pytest.raises(UploadError, match="is not allowed"):
        check_episode_id(bad)


def test_slugify():
    assert slugify("Bread & Butter #12") == "bread-butter-12"
    assert check_episode_id(slugify("../../etc/passwd")) == "etc-passwd"


def test_stage_writes_recognisable_names_and_episode_json(tmp_path, files):
    root = tmp_path / "uploads"
    form = EpisodeForm(title="Bread Talk", number="12", guests="Ana Silva, Bo ", video_url="https://youtu.be/x")
    staged = stage_upload(root, form, {"transcript": files / "My Talk.vtt", "summary": files / "notes.md",
                                       "chapters": files / "ch.json"}, MB, {})
    assert staged.episode_id == "bread-talk" and staged.folder == root / "bread-talk"
    assert sorted(p.name for p in staged.folder.iterdir()) == ["chapters.json", "episode.json", "summary.md",
                                                               "transcript.vtt"]
    meta = json.loads((staged.folder / "episode.json").read_text())
    assert meta == {"id": "bread-talk", "title": "Bread Talk", "number": 12, "guests": ["Ana Silva", "Bo"],
                    "video_url": "https://youtu.be/x"}
    staged.commit()
    assert [p.name for p in root.iterdir()] == ["bread-talk"]  # no staging folders left


@pytest.mark.parametrize("form, files_, message", [
    (EpisodeForm(id="../../etc/passwd"), {"transcript": "My Talk.vtt"}, "is not allowed"),
    (EpisodeForm(id="ok"), {}, "add a transcript or a summary"),
    (EpisodeForm(id="ok"), {"chapters": "ch.json"}, "add a transcript or a summary"),
    (EpisodeForm(id="ok"), {"transcript": "ch.json", "summary": "My Talk.vtt"},
     "My Talk.vtt: a summary must be one of .txt, .md"),
    (EpisodeForm(id="ok", number="four"), {"transcript": "My Talk.vtt"}, "expected a whole number"),
    (EpisodeForm(id="ok", video_url="javascript:alert(1)"), {"transcript": "My Talk.vtt"}, "expected an http"),
    (EpisodeForm(), {"summary": "notes.md"}, "give the episode an id or a title"),
])
def test_bad_uploads_say_why_and_write_nothing(tmp_path, files, form, files_, message):
    root = tmp_path / "uploads"
    with pytest.raises(UploadError, match=message):
        stage_upload(root, form, {k: files / v for k, v in files_.items()}, MB, {})
    assert not root.exists() or not any(root.iterdir())


def test_file_types_and_sizes_are_limited(tmp_path, files):
    (files / "run.exe").write_bytes(b"MZ")
    with pytest.raises(UploadError, match=r"run.exe: a transcript must be one of .vtt, .srt, .html, .htm, .json"):
        stage_upload(tmp_path / "u", EpisodeForm(id="x"), {"transcript": files / "run.exe"}, MB, {})
    with pytest.raises(UploadError, match=r"My Talk.vtt: 0.0 MB is over the 0 MB limit"):
        stage_upload(tmp_path / "u", EpisodeForm(id="x"), {"transcript": files / "My Talk.vtt"}, 10, {})
    (files / "empty.vtt").write_text("")
    with pytest.raises(UploadError, match="empty.vtt: the file is empty"):
        stage_upload(tmp_path / "u", EpisodeForm(id="x"), {"transcript": files / "empty.vtt"}, MB, {})


def test_an_episode_ingested_from_elsewhere_cannot_be_replaced(tmp_path, files):
    indexed = {"lex-fridman-459": EpisodeRecord(EpisodeMeta(id="lex-fridman-459"), [], "fp",
                                                files=["/corpus/lex-fridman-459/transcript.vtt"])}
    with pytest.raises(UploadError, match="already indexed from other files"):
        stage_upload(tmp_path / "u", EpisodeForm(id="lex-fridman-459"), {"transcript": files / "My Talk.vtt"},
                     MB, indexed)


def test_reupload_replaces_and_rollback_restores_the_previous_files(tmp_path, files):
    root = tmp_path / "uploads"
    first = stage_upload(root, EpisodeForm(id="bread", title="One"), {"transcript": files / "My Talk.vtt"}, MB, {})
    first.commit()
    indexed = {"bread": EpisodeRecord(EpisodeMeta(id="bread"), [], "fp", files=[str(first.folder / "transcript.vtt")])}
    second = stage_upload(root, EpisodeForm(id="bread", title="Two"), {"summary": files / "notes.md"}, MB, indexed)
    assert sorted(p.name for p in second.folder.iterdir()) == ["episode.json", "summary.md"]
    second.rollback()  # e.g. the ingest failed
    assert sorted(p.name for p in (root / "bread").iterdir()) == ["episode.json", "transcript.vtt"]
    assert json.loads((root / "bread" / "episode.json").read_text())["title"] == "One"
    assert [p.name for p in root.iterdir()] == ["bread"]


def _listing(root):
    return sorted(p.name for p in root.iterdir())


def test_a_second_upload_of_an_id_waits_until_the_first_is_committed_or_rolled_back(tmp_path, files):
    """Two uploads of one id at once: the second must not swap folders under the first, whose rollback would then
    delete the second's files (the app lets several sessions upload at once)."""
    root = tmp_path / "uploads"
    first = stage_upload(root, EpisodeForm(id="bread", title="One"), {"transcript": files / "My Talk.vtt"}, MB, {})
    got: list = []
    second = threading.Thread(target=lambda: got.append(stage_upload(
        root, EpisodeForm(id="bread", title="Two"), {"summary": files / "notes.md"}, MB, {})))
    second.start()
    second.join(1.0)
    assert second.is_alive() and not got  # waiting for the first upload
    assert json.loads((root / "bread" / "episode.json").read_text())["title"] == "One"
    first.rollback()  # the first one's ingest failed: it removes its own folder only
    second.join(30)
    assert json.loads((root / "bread" / "episode.json").read_text())["title"] == "Two"
    got[0].commit()
    assert _listing(root) == ["bread"] and _listing(root / "bread") == ["episode.json", "summary.md"]


def test_a_failing_final_rename_is_one_clear_line_and_changes_nothing(tmp_path, files, monkeypatch):
    root = tmp_path / "uploads"
    stage_upload(root, EpisodeForm(id="bread", title="One"), {"transcript": files / "My Talk.vtt"}, MB, {}).commit()
    rename = Path.rename

    def failing(self, target):
        if self.name.startswith(".new-"):
            raise OSError(28, "No space left on device")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", failing)
    with pytest.raises(UploadError, match=r"^cannot save the upload in uploads/: No space left on device$"):
        stage_upload(root, EpisodeForm(id="bread", title="Two"), {"summary": files / "notes.md"}, MB, {})
    assert _listing(root) == ["bread"] and _listing(root / "bread") == ["episode.json", "transcript.vtt"]
    monkeypatch.undo()  # ... and the lock was released with it:
    stage_upload(root, EpisodeForm(id="bread", title="Three"), {"summary": files / "notes.md"}, MB, {}).commit()


def test_add_upload_indexes_it_and_refuses_an_id_another_process_ingested_meanwhile(tiny_assistant, tmp_path, files):
    from rag.uploads import add_upload

    a = tiny_assistant
    episode_id, report = add_upload(a, EpisodeForm(id="bread"), {"transcript": files / "My Talk.vtt"})
    assert episode_id == "bread" and report.new == ["bread"]
    assert _listing(a.settings.uploads_dir()) == ["bread"]

    # Between the upload's first look at the index and its ingest, the id arrives from elsewhere.
    elsewhere = write_episode(tmp_path / "corpus2" / "kites", [("00:00:01.000", "00:00:05.000", "Bo", "Kites fly.")])
    records = a.index.records

    def records_then_someone_ingests(refresh=True):
        a.index.records = records  # once
        seen = records(refresh)
        a.ingest([elsewhere])
        return seen

    a.index.records = records_then_someone_ingests
    with pytest.raises(UploadError, match="'kites' is already indexed from other files"):
        add_upload(a, EpisodeForm(id="kites"), {"transcript": files / "My Talk.vtt"})
    assert a.index.records()["kites"].files[0].startswith(str(elsewhere))
    assert _listing(a.settings.uploads_dir()) == ["bread"]  # the refused upload's folder is gone
