"""read_text: encodings, binary data and empty files."""

from __future__ import annotations

import pytest

from rag.errors import SourceError
from rag.sources.text import SourceWarning, read_text
from tests.conftest import source_error


def test_utf8_with_and_without_bom(tmp_path):
    plain, bom = tmp_path / "plain.txt", tmp_path / "bom.txt"
    plain.write_bytes("Caf\u00e9 \u201cquoted\u201d\r\nnext".encode())
    bom.write_bytes(b"\xef\xbb\xbf" + "Caf\u00e9".encode())
    assert read_text(plain) == "Caf\u00e9 \u201cquoted\u201d\nnext"
    assert read_text(bom) == "Caf\u00e9"


def test_utf16_with_bom_is_read(tmp_path):
    path = tmp_path / "utf16.txt"
    path.write_bytes("Lex Fridman (00:00:01) Hello \u2014 world".encode("utf-16"))  # writes a BOM
    assert read_text(path) == "Lex Fridman (00:00:01) Hello \u2014 world"


def test_latin1_text_is_recovered_with_a_warning(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("first line\nDylan Patel: caf\u00e9 na\u00efve".encode("latin-1"))
    with pytest.warns(SourceWarning, match=r"latin\.txt:2: not valid UTF-8; read as cp1252"):
        text = read_text(path)
    assert text == "first line\nDylan Patel: caf\u00e9 na\u00efve"


def test_binary_data_is_an_error(tmp_path):
    path = tmp_path / "transcript.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert source_error(read_text, path) == f"{path}: binary data, expected UTF-8 text"


def test_control_characters_without_nul_are_binary(tmp_path):
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(range(1, 32)) * 20)
    with pytest.raises(SourceError, match="binary data, expected UTF-8 text"):
        read_text(path)


@pytest.mark.parametrize("content", [b"", b"  \n\t\n", b"\xef\xbb\xbf\n"])
def test_empty_file_is_an_error(tmp_path, content):
    path = tmp_path / "summary.txt"
    path.write_bytes(content)
    assert source_error(read_text, path) == f"{path}: empty file"


def test_missing_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="cannot read file"):
        read_text(tmp_path / "absent.txt")
