"""How well can a model that never sees the context tell chosen from rejected?

A linear Bradley-Terry model (a reward model without the prompt) scores each answer from its surface alone and is
trained on the train split's pairs: ``P(chosen beats rejected) = sigmoid(w . (f(chosen) - f(rejected)))``, L2
regularised, fitted with scipy's L-BFGS. It is evaluated pairwise on the eval split: a pair counts 1 when
``score(chosen) > score(rejected)``, 1/2 on a tie, 0 otherwise, so 0.5 is chance. Feature sets:

* ``bow+length``: bag of words (word present or not) of the answer, plus its length in words and characters;
* ``length``: the two lengths alone;
* ``first_word``: the answer's first word alone (a yes/no verdict, a name);
* ``number``: the first number the answer names (0 without one): does the larger count win?

A dataset whose chosen answers a context-free model picks well teaches a reward model style, not reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..formatting import markdown_table

#: The separability the default dataset must stay under on its eval split.
GOAL = 0.65
#: L2 strength (scikit-learn's default C=1 on the summed loss).
L2 = 1.0
FEATURE_SETS = ("bow+length", "length", "first_word", "number")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


class Featurizer:
    """Answer text -> feature vector for one feature set; the vocabulary comes from the training answers."""

    def __init__(self, kind: str, train_texts: list[str]):
        if kind not in FEATURE_SETS:
            raise ValueError(kind)
        self.kind = kind
        if kind == "bow+length":
            vocab = sorted({w for t in train_texts for w in _words(t)})
        elif kind == "first_word":
            vocab = sorted({(_words(t) or [""])[0] for t in train_texts})
        else:
            vocab = []
        self.columns = len(vocab) + {"bow+length": 2, "length": 2, "first_word": 0, "number": 1}[kind]
        self.index = {w: i for i, w in enumerate(vocab)}
        lengths = np.array([self._lengths(t) for t in train_texts], dtype=float)
        self.scale = lengths.std(0) + 1e-9 if len(lengths) else np.ones(2)

    @staticmethod
    def _lengths(text: str) -> tuple[int, int]:
        return len(_words(text)), len(text)

    def __call__(self, texts: list[str]) -> np.ndarray:
        uses_length = self.kind in ("bow+length", "length")
        x = np.zeros((len(texts), self.columns))
        for row, text in enumerate(texts):
            if self.kind == "number":
                found = re.findall(r"\d+", text)
                x[row, 0] = np.log1p(int(found[0])) if found else 0.0
                continue
            tokens = _words(text)
            if self.kind == "first_word":
                tokens = tokens[:1]
            for w in tokens:
                if w in self.index:
                    x[row, self.index[w]] = 1.0
            if uses_length:
                x[row, -2:] = np.array(self._lengths(text)) / self.scale
        return x


def fit_pairwise(diff: np.ndarray, l2: float = L2) -> np.ndarray:
    """Weights ``w`` minimising ``sum log(1 + exp(-diff @ w)) + l2/2 |w|^2`` (every row: chosen minus rejected)."""
    from scipy.optimize import minimize

    def loss(w):
        margin = diff @ w
        value = np.logaddexp(0.0, -margin).sum() + 0.5 * l2 * w @ w
        grad = -(diff.T @ (1.0 / (1.0 + np.exp(margin)))) + l2 * w
        return value, grad

    if diff.shape[1] == 0:
        return np.zeros(0)
    return minimize(loss, np.zeros(diff.shape[1]), jac=True, method="L-BFGS-B").x


@dataclass
class PairwiseAccuracy:
    """How often a context-free classifier scores chosen above rejected (not a :class:`tomlab.scores.Score`: no
    items, one figure per feature set)."""

    accuracy: float   # pairwise, ties count 1/2
    ties: float       # share of eval pairs scored equal
    pairs: int


def pairwise_accuracy(kind: str, train: list[dict], evals: list[dict]) -> PairwiseAccuracy:
    featurize = Featurizer(kind, [r["chosen"] for r in train] + [r["rejected"] for r in train])
    w = fit_pairwise(featurize([r["chosen"] for r in train]) - featurize([r["rejected"] for r in train]))
    margin = (featurize([r["chosen"] for r in evals]) - featurize([r["rejected"] for r in evals])) @ w
    ties = np.isclose(margin, 0.0, atol=1e-9)
    wins = (margin > 0) & ~ties
    return PairwiseAccuracy(float((wins.sum() + 0.5 * ties.sum()) / len(evals)), float(ties.mean()), len(evals))


def report(train: list[dict], evals: list[dict],
           fresh: list[dict] | None = None) -> dict[str, dict[str, PairwiseAccuracy]]:
    """Every feature set, trained on ``train``, on the eval split and (if given) on ``fresh`` pairs.

    ``fresh``: newly generated pairs of the training templates (unseen stories, balanced on their own). A share of
    the training rows would not do: the train split is balanced as a whole, so whatever a part leans towards, the
    rest leans against, and a classifier fitted on one part scores below chance on the other.
    """
    out = {"eval": {k: pairwise_accuracy(k, train, evals) for k in FEATURE_SETS}}
    if fresh:
        out["fresh"] = {k: pairwise_accuracy(k, train, fresh) for k in FEATURE_SETS}
    return out


def format_report(result: dict[str, dict[str, PairwiseAccuracy]]) -> str:
    columns = [c for c in ("eval", "fresh") if c in result]
    names = {"eval": "eval split", "fresh": "fresh stories of the training templates"}
    table = markdown_table(["features (answer only, no context)", *(names[c] for c in columns)],
                           "l" + "r" * len(columns),
                           [[k, *(f"{result[c][k].accuracy:.3f} (ties {result[c][k].ties:.2f})" for c in columns)]
                            for k in FEATURE_SETS])
    e = result["eval"]["bow+length"]
    sizes = ", ".join(f"{result[c]['bow+length'].pairs} {c} pairs" for c in columns)
    lines = [table, f"Pairwise accuracy of a context-free linear reward model trained on the train split (0.5 = "
                    f"chance; ties count 1/2); {sizes}. Goal: bow+length at most {GOAL:.2f} on the eval split: "
                    f"{'met' if e.accuracy <= GOAL else 'NOT met'}."]
    return "\n".join(lines)
