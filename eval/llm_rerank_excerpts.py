"""What the LLM re-rank (rag/llm_retrieval.py) is shown, measured on the real episodes without an LLM.

For each answerable golden question with gold spans of the development sets (never the blind ones: a
figure used to choose a setting must not come from a set that judges it):

- headroom: the gold passage is not among the passages the answer reads (PODRAG_ANSWER_PASSAGES) but is among the
  re-rank's candidates (PODRAG_LLM_RERANK_CANDIDATES): only a re-rank can bring it to the answer.
- excerpt: of the candidates that are relevant (the metrics' definition, 30 s slack), how many show the LLM a
  sentence said inside the gold span: the excerpt the re-rank uses, the passage's opening of the same length, and
  the whole passage (the ceiling).
- prompt: the re-rank prompt's length in characters.

    podcast-rag ingest data/episodes ../shared/corpus      # once, into $PODRAG_INDEX
    python eval/llm_rerank_excerpts.py [--datasets eval/datasets]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rag.assistant import Assistant
from rag.evaluation import metrics as M
from rag.evaluation.datasets import GoldSpan, load_dataset
from rag.llm_retrieval import excerpt, rerank_messages
from rag.models import Passage


def on_clock(p: Passage, episode: str | None) -> M.Span | None:
    c = p.chunk
    if c.episode_id != episode or c.source_type != "transcript" or c.start is None:
        return None
    return (c.start, c.end if c.end is not None else c.start)


def shows_gold(p: Passage, text: str, gold: list[GoldSpan]) -> bool:
    """Whether `text` (shown for passage `p`) holds a sentence of `p` said inside a gold span."""
    for sentence, moment in p.chunk.sentences():
        if (moment.start is not None and " ".join(sentence.split())[:60] in text
                and any(g.start - 5 <= moment.start <= g.end for g in gold)):
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=Path(__file__).parent / "datasets")
    args = parser.parse_args()
    assistant = Assistant()
    keep, pool = assistant.settings.answer_passages, assistant.settings.llm_rerank_candidates
    files = sorted(args.datasets.glob("lex-fridman-*.jsonl"))
    sizes: list[int] = []
    for path in files:
        if not path.exists():
            continue
        questions = [q for q in load_dataset(path).questions if q.answerable and q.gold]
        headroom = relevant = shown = opening = whole = 0
        for q in questions:
            passages = assistant.search(q.question, pool)
            rel = M.relevant([on_clock(p, q.episode) for p in passages], q.gold)
            headroom += not any(rel[:keep]) and any(rel[keep:])
            sizes.append(sum(len(m["content"]) for m in rerank_messages(q.question, passages)))
            for p, r in zip(passages, rel):
                if r:
                    relevant += 1
                    shown += shows_gold(p, excerpt(p, q.question).text, q.gold)
                    opening += shows_gold(p, excerpt(p, "").text, q.gold)
                    whole += shows_gold(p, " ".join(p.chunk.text.split()), q.gold)
        name = f"{path.parent.name}/{path.name}" if path.parent != args.datasets else path.name
        print(f"{name}: {len(questions)} questions; gold only at ranks {keep + 1}-{pool}: {headroom} "
              f"({headroom / max(1, len(questions)):.0%}); {relevant} relevant candidates, the excerpt holds the gold "
              f"moment: shown {shown / max(1, relevant):.0%}, opening {opening / max(1, relevant):.0%}, "
              f"whole passage {whole / max(1, relevant):.0%}")
    sizes.sort()
    if sizes:
        print(f"re-rank prompt: median {sizes[len(sizes) // 2]} characters, max {sizes[-1]}")


if __name__ == "__main__":
    main()
