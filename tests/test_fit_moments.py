"""The fitting rules of eval/fit_moments.py on data made up here: why the ranker is fitted per question, and how
the abstention threshold is read off its curve."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))

from fit_moments import Listwise, chosen_threshold, logistic


def made_up_questions(n: int, seed: int):
    """Each question has 30 candidates, and half the questions have their answer among them. Signal 0 (a moment's
    own match) is what singles the answer out within its question; signal 1 (like the rank of the passage holding
    a moment) is higher for every candidate of a question that has its answer, and says nothing about which one."""
    rng = np.random.default_rng(seed)
    items = []
    for _ in range(n):
        findable = rng.random() < 0.5
        rows = np.column_stack([rng.normal(0, 1, 30), rng.normal(1.0 if findable else 0.0, 0.5, 30)])
        labels = np.zeros(30, dtype=int)
        if findable:
            labels[0] = 1
            rows[0, 0] += 1.5
        items.append((None, None, None, list(range(30)), rows, labels))
    return items


def top_right(model, items) -> float:
    return float(np.mean([labels[np.argmax(model.decision_function(rows))]
                          for *_, rows, labels in items if labels.any()]))


def test_fitted_per_question_the_ranker_weighs_what_singles_out_a_questions_answer():
    train, test = made_up_questions(300, 1), made_up_questions(300, 2)
    listwise = Listwise(train)
    X = np.vstack([rows for *_, rows, _ in train])
    y = np.concatenate([labels for *_, labels in train])
    pointwise = logistic(X, y)
    # one regression over every candidate of every question learns signal 1 too, which only adds noise within one
    assert abs(listwise.coef_[0, 1]) < 0.2 * listwise.coef_[0, 0]
    assert pointwise.coef_[0, 1] > 0.5 * pointwise.coef_[0, 0]
    assert top_right(listwise, test) > top_right(pointwise, test) + 0.05
    # on the softmax's scale the level is fitted too: an answering moment scores higher than the rest on average
    scores = np.concatenate([listwise.decision_function(rows) for *_, rows, _ in test])
    labels = np.concatenate([labels for *_, labels in test])
    assert scores[labels == 1].mean() > scores[labels == 0].mean()


def test_the_threshold_refuses_the_most_unanswerable_less_answerable_under_the_bound():
    # probabilities of being answered: 100 answerable questions, 20 unanswerable ones
    answerable = np.r_[np.full(3, 0.22), np.full(3, 0.32), np.full(94, 0.9)]
    unanswerable = np.r_[np.full(15, 0.12), np.full(1, 0.27), np.full(4, 0.9)]
    probs, y = np.r_[answerable, unanswerable], np.r_[np.ones(100, int), np.zeros(20, int)]
    # 0.35 is the highest under 7 % false refusals (6 %), but its last step refuses three answerable questions and
    # no unanswerable one: 0.30 refuses 80 % of the unanswerable and 3 % of the answerable
    assert chosen_threshold(probs, y) == 0.30
    assert chosen_threshold(np.full(120, 0.01), y) is None  # every threshold refuses every answerable question
