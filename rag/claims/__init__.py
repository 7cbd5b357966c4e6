"""Check a claim against what was actually said: "Dylan Patel says DeepSeek has about 50,000 GPUs".

Verdicts: `supported` (said, by the person named if any), `misattributed` (said, but by someone else),
`contradicted` (the conversation states otherwise, e.g. another number), `not_found` (the evidence is too weak to
say: the checker prefers this to a guess). The explanation names the check that decided.

One module per concern: `attribution` (who the claim names), `quantities` (numbers and what they count),
`entities` (names), `polarity` (negation and opposite words), `language`, `offline` (the heuristic judge and its
thresholds), `decision` (the verdict), `checker` (retrieval, candidates, the judge, the result), `records`.
"""

from rag.claims.attribution import Attribution, find_attribution, name_variants
from rag.claims.checker import ClaimChecker
from rag.claims.decision import Decision, decide, speaker_matches
from rag.claims.entities import claim_entities, missing_entities
from rag.claims.language import foreign_language
from rag.claims.offline import ClaimConfig, judge_offline
from rag.claims.polarity import best_clause, negated, polarity_conflict
from rag.claims.quantities import Quantity, compare_numbers, parse_quantities
from rag.claims.records import (
    MAX_CLAIM_CHARS,
    VERDICTS,
    Candidate,
    Check,
    ClaimCheck,
    ClaimError,
    Judge,
    Judgment,
    Label,
    Outcome,
    Verdict,
)

__all__ = [
    "MAX_CLAIM_CHARS", "VERDICTS", "Attribution", "Candidate", "Check", "ClaimCheck", "ClaimChecker", "ClaimConfig",
    "ClaimError", "Decision", "Judge", "Judgment", "Label", "Outcome", "Quantity", "Verdict", "best_clause",
    "claim_entities", "compare_numbers", "decide", "find_attribution", "foreign_language", "judge_offline",
    "missing_entities", "name_variants", "negated", "parse_quantities", "polarity_conflict", "speaker_matches",
]
