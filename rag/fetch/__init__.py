"""Getting episodes from where they live: transcript pages, podcast feeds, videos and audio (`podcast-rag add`,
`podcast-rag sync`, the Library tab's "Add from a URL").

One module per idea: `guard` (which addresses a download may reach), `http` (one download within limits),
`sniff` (what a file is, from its bytes), `page` (a transcript page's metadata), `feed` (RSS + Podcasting 2.0),
`video` (yt-dlp), `audio` (faster-whisper), `folder` (episode folders with provenance), `builders` (a folder per
kind of source), `add` (sources -> folders -> index), `feeds` and `sync` (re-reading added feeds).
"""

from rag.fetch.add import Adder, AddOptions, AddReport
from rag.fetch.errors import FetchError

__all__ = ["AddOptions", "AddReport", "Adder", "FetchError"]
