"""The benchmark scripts' shared reporting: percentiles and a section of BENCHMARKS.md replaced in place."""

from tools.bench_report import median, p95, write_section


def test_p95_is_the_value_95_percent_of_samples_are_at_or_under():
    assert p95(list(range(1, 101))) == 95
    assert p95([3.0]) == 3.0 and median([1, 2, 9]) == 2


def test_a_section_is_added_once_then_replaced_leaving_the_rest(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    write_section(path, "| a |\n", "<!-- x:start -->", "<!-- x:end -->")
    assert path.read_text() == "# Benchmarks\n\n<!-- x:start -->\n| a |\n<!-- x:end -->\n"
    path.write_text(path.read_text() + "\nNotes below.\n")
    write_section(path, "| b |\n", "<!-- y:start -->", "<!-- y:end -->")
    write_section(path, "| c |\n", "<!-- x:start -->", "<!-- x:end -->")
    text = path.read_text()
    assert "| a |" not in text and text.index("| c |") < text.index("Notes below.") < text.index("| b |")
    assert text.count("<!-- x:start -->") == 1 and text.count("<!-- y:end -->") == 1
