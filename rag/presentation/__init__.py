"""What people are shown, built once: labels, rows and report sentences as plain text in typed records.

The terminal (rag/cli/render.py), the web app (ui/render.py with its Jinja2 templates) and the evaluation report
render these records; none of them builds a label or counts a sentence of its own, so the three read alike and
change together. Nothing here escapes or styles: each renderer does that for its medium.

- labels.py: episode labels, where a passage or moment is ("0:57:36 · Dylan Patel · DeepSeek compute cluster"),
  verdict names.
- answers.py: an answer's sources (citations, or the closest passages of an abstention) and its checks line.
- reports.py: a claim check and a summary check as rows.
- library.py: the indexed episodes as rows.
"""
