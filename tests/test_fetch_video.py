"""Videos through yt-dlp, without network: yt-dlp's real output formats (an info dict as `yt-dlp -J` prints it, and
caption files in json3 and WebVTT) become episodes, and a real yt-dlp run reads a page with an HTML5 player served
from 127.0.0.1. The video itself is never downloaded."""

from __future__ import annotations

import json

from rag.fetch import Adder, AddOptions
from rag.fetch.folder import read_provenance
from rag.fetch.video import Caption, choose_caption, extract_info, json3_transcript
from tests.fetch_data import BREAD, json3, vtt
from tests.fetch_server import FetchServer

VIDEO_ID = "Qx9-Bread_01"


def info_dict(subtitles: dict | None = None, automatic: dict | None = None, chapters: bool = True) -> dict:
    """The fields yt-dlp's YouTube extractor gives that matter here, shaped as `yt-dlp -J` prints them."""
    url = f"https://www.youtube.com/watch?v={VIDEO_ID}"
    return {
        "id": VIDEO_ID, "title": "Sourdough from scratch | Bread Talk #12", "channel": "Bread Talk",
        "channel_id": "UCbreadtalk", "uploader": "Bread Talk", "uploader_id": "@breadtalk", "upload_date": "20260505",
        "duration": 40, "view_count": 1234, "webpage_url": url, "original_url": url, "extractor": "youtube",
        "extractor_key": "Youtube", "language": "en", "_type": "video", "formats": [
            {"format_id": "251", "ext": "webm", "acodec": "opus", "vcodec": "none", "url": "https://rr1.googlevideo.example/x"}],
        "chapters": [{"start_time": 0.0, "end_time": 15.0, "title": "Hello"},
                     {"start_time": 15.0, "end_time": 40.0, "title": "Starters"}] if chapters else None,
        "subtitles": subtitles or {}, "automatic_captions": automatic or {},
    }


def formats(base: str) -> list[dict]:
    """A caption language as yt-dlp lists it for YouTube: every format it can ask for."""
    return [{"ext": ext, "url": f"{base}&fmt={ext}", "name": "English"} for ext in
            ("json3", "srv1", "srv2", "srv3", "ttml", "srt", "vtt")]


def test_uploaded_captions_come_before_automatic_ones_and_translations_are_never_used():
    both = info_dict({"en": formats("https://x/up?lang=en")}, {"en": formats("https://x/asr?lang=en"),
                                                               "de": formats("https://x/asr?lang=de")})
    assert choose_caption(both) == Caption("en", "json3", "https://x/up?lang=en&fmt=json3", False)
    auto = info_dict(None, {"de": formats("https://x/asr?lang=de"), "en-orig": formats("https://x/o?lang=en"),
                            "en": formats("https://x/asr?lang=en")})
    assert choose_caption(auto).language == "en" and choose_caption(auto).automatic
    only_translated = info_dict(None, {"de": formats("https://x/asr?lang=de")})
    assert choose_caption(only_translated) is None
    other_language = info_dict({"fr": [{"ext": "vtt", "url": "https://x/fr.vtt"}]},
                               {"en": [{"ext": "vtt", "url": "https://x/en.vtt"}]})
    assert choose_caption(other_language).language == "en"  # the video's language first, even automatic
    assert choose_caption(info_dict({"live_chat": [{"ext": "json", "url": "https://x/chat"}]})) is None


def test_automatic_json3_captions_keep_word_times_and_drop_the_line_breaks(tmp_path):
    path = tmp_path / "c.json3"
    path.write_text(json3(BREAD, automatic=True))
    segments = json3_transcript(path)["segments"]
    assert [s["body"] for s in segments] == [text.split(": ", 1)[-1] for *_, text in BREAD]
    assert segments[1]["startTime"] == 6.0 and segments[1]["words"][1]["startTime"] > 6.0
    assert all("speaker" not in s for s in segments)


def test_a_yt_dlp_info_file_with_json3_captions_beside_it(assistant, tmp_path):
    """`yt-dlp -J URL > NAME.info.json` and `--write-subs --sub-format json3`: added offline."""
    (tmp_path / "talk.info.json").write_text(json.dumps(info_dict({"en": formats("https://x/up?lang=en")})))
    (tmp_path / "talk.en.json3").write_text(json3(BREAD))
    with Adder(assistant) as adder:
        report = adder.add([str(tmp_path / "talk.info.json")], AddOptions())
    assert report.ok, report.failed
    [added] = report.added
    assert (added.episode_id, added.kind, added.transcript) == (f"youtube-{VIDEO_ID}", "video", "json")
    record = assistant.index.records()[f"youtube-{VIDEO_ID}"]
    assert (record.meta.title, record.meta.podcast, record.meta.published, record.meta.video_url) == (
        "Sourdough from scratch | Bread Talk #12", "Bread Talk", "2026-05-05",
        f"https://www.youtube.com/watch?v={VIDEO_ID}")
    assert [c.title for c in record.chapters] == ["Hello", "Starters"]
    hit = assistant.search("rye flour every morning", 1)[0]
    assert "Ana Silva" in hit.chunk.speakers  # "Ana Silva: ..." caption lines name the speaker
    assert hit.url and hit.url.startswith(f"https://www.youtube.com/watch?v={VIDEO_ID}")
    folder = assistant.settings.fetched_dir() / f"youtube-{VIDEO_ID}"
    assert (folder / ".fetch" / "captions.json3").is_file() and (folder / ".fetch" / "info.json").is_file()
    assert not any(p.suffix in (".webm", ".mp4") for p in folder.rglob("*"))


def test_automatic_captions_downloaded_from_the_info_dict(assistant, tmp_path):
    with FetchServer() as server:
        url = server.file("/api/timedtext", vtt(BREAD).replace("<v Ana Silva>", "").replace("<v Ben Ortiz>", ""),
                          "text/vtt")
        info = info_dict(None, {"en": [{"ext": "vtt", "url": url, "name": "English (auto-generated)"}]},
                         chapters=False)
        (tmp_path / "v.info.json").write_text(json.dumps(info))
        with Adder(assistant) as adder:
            report = adder.add([str(tmp_path / "v.info.json")], AddOptions(episode_id="bread-video"))
    assert report.ok, report.failed
    [added] = report.added
    assert added.transcript == "vtt" and any("automatic captions" in n for n in added.notes)
    provenance = read_provenance(assistant.settings.fetched_dir() / "bread-video")
    assert any(f.get("url") == url and f["role"] == "captions" for f in provenance["files"])


def test_a_video_without_captions_says_what_to_do(assistant, tmp_path):
    (tmp_path / "n.info.json").write_text(json.dumps(info_dict()))
    with Adder(assistant) as adder:
        report = adder.add([str(tmp_path / "n.info.json")], AddOptions())
    assert report.failed == [f"{tmp_path / 'n.info.json'}: the video has no captions (uploaded or automatic) to use "
                             "as a transcript; add its audio instead to transcribe it"]


PLAYER_PAGE = """<!DOCTYPE html><html><head><title>Bread Talk live</title></head><body>
<h1>Bread Talk live</h1>
<video controls><source src="/clip.mp4" type="video/mp4">
<track kind="captions" src="/captions.vtt" srclang="en" label="English"></video>
</body></html>"""


def test_a_real_yt_dlp_run_on_a_page_with_a_player(assistant):
    with FetchServer() as server:
        page = server.file("/live", PLAYER_PAGE, "text/html")
        server.file("/captions.vtt", vtt(BREAD), "text/vtt")
        server.file("/clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000, "video/mp4")
        info = extract_info(page, 10)
        assert info["title"].startswith("Bread Talk live") and "en" in info["subtitles"]
        with Adder(assistant) as adder:
            report = adder.add([page], AddOptions(episode_id="bread-live"))
        assert report.ok, report.failed
        assert report.added[0].kind == "video" and report.added[0].transcript == "vtt"
        assert server.downloads("/clip.mp4") == 0  # the video is never downloaded
    assert assistant.search("cast iron pot", 1)[0].chunk.episode_id == "bread-live"
