"""What the LLM is sent: numbered sources with their metadata, source text kept inert, the chat for context."""

from rag.answer.prompts import answer_messages, clean_query, condense_messages, format_source, neutralise
from rag.models import Chunk, Moment, Passage, Turn


def make_passage(source_type="transcript") -> Passage:
    text = "So how many GPUs? We believe closer to 50,000."
    moments = [Moment(0, 10.0, "Lex Fridman"), Moment(18, 15.0, "Dylan Patel")]
    if source_type == "summary":
        moments = [Moment(0, 15.0, None), Moment(18, 15.0, None)]
    chunk = Chunk("c1", "tiny-459", source_type, text, 10.0, 26.0, ["Lex Fridman", "Dylan Patel"],
                  "Compute" if source_type == "transcript" else None,
                  "1. Compute" if source_type == "summary" else None, moments, 0)
    return Passage(chunk, 1.0, 1, None)


def test_a_transcript_source_has_a_line_per_sentence_with_time_and_speaker():
    assert format_source(2, make_passage(), "Tiny & talk") == (
        '<source n="2" episode="Tiny &amp; talk (tiny-459)" kind="transcript" speakers="Lex Fridman, Dylan Patel" '
        'chapter="Compute" time="0:00:10-0:00:26">\n'
        "[0:00:10] Lex Fridman: So how many GPUs?\n"
        "[0:00:15] Dylan Patel: We believe closer to 50,000.\n"
        "</source>")


def test_a_summary_source_names_its_section_and_has_no_per_line_times():
    out = format_source(1, make_passage("summary"))
    assert 'kind="summary"' in out and 'section="1. Compute"' in out and "[0:00:15]" not in out


def test_source_text_is_inert_but_readable():
    assert neutralise("AT&T said <b>[2]</b> [0:57:36]") == "AT&T said &lt;b&gt;(2)&lt;/b&gt; [0:57:36]"


def test_earlier_answers_are_context_without_their_citations():
    history = [Turn("How many GPUs?", "Dylan says 50,000 [1][2].")]
    system, user = answer_messages("and Nathan?", [make_passage()], history)
    assert "Earlier in this conversation (context for the question, not a source):" in user["content"]
    assert "Assistant: Dylan says 50,000." in user["content"]
    assert user["content"].index("</sources>") < user["content"].index("Earlier in this conversation")
    assert "at most 5 sentences" in system["content"]
    condense = condense_messages("and Nathan?", history)[1]["content"]
    assert condense.endswith("Last question: and Nathan?") and "User: How many GPUs?" in condense


def test_the_condensed_query_is_cleaned_of_labels_quotes_and_chatter():
    assert clean_query('Query: "Nathan Lambert view on DeepSeek GPUs"\nThis query resolves...') == (
        "Nathan Lambert view on DeepSeek GPUs")
    assert clean_query("   \n") == ""
