"""Fit the re-ranker and its confidence on the even ISO weeks of rtqa-dev; report the odd.

    python bench/train_ranker.py [--eval DIR] [--write]

For every question, the engine's own first stage picks candidates and ``features`` describes
them; a candidate is right when its excerpt holds one of the answers (score.py's rule). A
pairwise logistic model (each right candidate against every wrong one of the same question,
each question weighing the same) orders the stories; a second one, fitted only on pairs
from the same story, chooses which of a story's passages to quote. Both are fitted on one
half of the weeks and scored on the other, both ways round, so the printed figures show
whether the weights generalise. The rule quoting a story beside the best one (no padding)
is a logistic fit on its score gap and on how much of the question its story holds, its
threshold the highest that loses no right answer at 3. The confidence (how likely the three
excerpts hold the answer) is a logistic function of the best score, of the names asked
about that no article contains and of how much of the question the best story holds; the
default threshold is the highest whose abstentions stay within ``MAX_ANSWERABLE`` of the
answerable questions and hide at most ``MAX_HIDDEN`` of the right answers at 3. Both are
also fitted on the odd weeks and scored on the even. ``--write`` stores the even-week fit
in bot/answering/weights.py.
Nothing here names a question, an answer or a word of the set: only the features' weights
are learned.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.quality import DEFAULT_EVAL, asked_at, dev_set, iso_week, load_dev, norm  # noqa: E402
from bot.answering import features  # noqa: E402
from bot.answering.compose import pick  # noqa: E402
from bot.answering.query import Corrector, analyse  # noqa: E402
from bot.answering.rank import Hit  # noqa: E402
from bot.answering.relevance import shown_probability, story_coverage  # noqa: E402
from bot.answering.retrieve import first_stage  # noqa: E402
from bot.answering.spans import asked_kind  # noqa: E402

L2 = 100.0  # ridge strength: a few hundred questions per half, keep the weights modest
PAIRS_PER_QUESTION = 20  # each question's pairs weigh this much together
MAX_HIDDEN = 0.01  # abstentions may hide at most this share of the right answers at 3
MAX_ANSWERABLE = 0.03  # and abstain on at most this share of the answerable questions
MAX_SHOWN_LOSS = 0.0  # quoting fewer stories may lose none of the questions right at 3
WEIGHTS_FILE = ROOT / "bot" / "answering" / "weights.py"


@dataclass
class Question:
    """One question's candidates: features, whether each is right, where each sits
    (its sentence, its window's first and last sentence, its article), its story and
    its excerpt's sentences."""

    x: np.ndarray
    right: np.ndarray
    windows: np.ndarray
    stories: np.ndarray
    sentences: list[list[str]]
    coverage: np.ndarray  # per candidate: how much of the question its story holds
    unknown_names: int
    answerable: bool  # one of its answers appears somewhere in the corpus
    asks_kind: bool  # ``spans.asked_kind`` names a kind: ranked by ``Model.stories``


def collect(engine, questions: list[dict]) -> list[Question]:
    index = engine.index()
    corrector = Corrector(index)
    corpus = norm(" ".join(a.text for a in index.articles))
    out = []
    for q in questions:
        query = analyse(q["question"], index, corrector, asked_at(q))
        candidates = first_stage(query, index)
        answers = [norm(a) for a in q["answers"] if norm(a).strip()]
        texts = [norm(index.sentence_text(c.first, c.last)) for c in candidates]
        out.append(Question(
            features.matrix(query, index, candidates),
            np.array([any(a in t for a in answers) for t in texts], bool),
            np.array([(c.sentence, c.first, c.last, c.article) for c in candidates], int)
            .reshape(-1, 4),
            np.array([index.article_story[c.article] for c in candidates], int),
            [[index.sentence_text(n) for n in range(c.first, c.last + 1)] for c in candidates],
            story_coverage(query, index, np.array([c.article for c in candidates], int)),
            len(query.unknown_names),
            any(a in corpus for a in answers),
            asked_kind(query.text) is not None,
        ))
    return out


def fit(questions: list[Question], same_story: bool = False) -> np.ndarray:
    """Weights on the raw features (standardisation folded in). Every right candidate is
    paired with every wrong one of its question (``same_story``: of its own story), and
    each question weighs the same in total, as it does in hit@k (not more for having many
    right or wrong candidates)."""
    rows = np.concatenate([q.x for q in questions if len(q.x)])
    scale = rows.std(0) + 1e-9  # pairwise differences need no centring
    differences, weights = [], []
    for q in questions:
        right, wrong = q.x[q.right] / scale, q.x[~q.right] / scale
        pairs = right[:, None, :] - wrong[None, :, :]
        if same_story:
            pairs = pairs[q.stories[q.right][:, None] == q.stories[~q.right][None, :]]
        pairs = pairs.reshape(-1, len(scale))
        if not len(pairs):
            continue
        differences.append(pairs)
        weights.append(np.full(len(pairs), PAIRS_PER_QUESTION / len(pairs)))
    a = np.concatenate(differences)
    a = np.r_[a, -a]
    y = np.r_[np.ones(len(a) // 2), np.zeros(len(a) // 2)]
    pair_weight = np.tile(np.concatenate(weights), 2)
    w = np.zeros(a.shape[1])
    for _ in range(30):  # Newton steps on the ridge-penalised, weighted log loss
        p = 1 / (1 + np.exp(-a @ w))
        gradient = a.T @ (pair_weight * (p - y)) + L2 * w
        hessian = (a * (pair_weight * p * (1 - p))[:, None]).T @ a + L2 * np.eye(len(w))
        w -= np.linalg.solve(hessian, gradient)
    return w / scale


class Model(NamedTuple):
    stories: np.ndarray  # weights that order the stories
    passages: np.ndarray  # weights that choose a story's passage
    kindless_stories: np.ndarray  # the same for questions asking no kind of span,
    kindless_passages: np.ndarray  # fitted without ``features.KIND_NAMES`` (zero there)

    def vectors(self, q: Question) -> tuple[np.ndarray, np.ndarray]:
        """The story and passage weights that rank ``q``'s candidates."""
        if q.asks_kind:
            return self.stories, self.passages
        return self.kindless_stories, self.kindless_passages

    def kindless(self) -> Model:
        """The kindless weights for every question: the confidence's ranking."""
        return Model(*self[2:], *self[2:])


def fit_model(questions: list[Question]) -> Model:
    """Both weight sets fitted on all ``questions``; the kindless one without the kind
    features (columns dropped, their weights zero)."""
    keep = np.array([name not in features.KIND_NAMES for name in features.NAMES])
    kindless = [replace(q, x=q.x[:, keep]) for q in questions]

    def widened(w: np.ndarray) -> np.ndarray:
        full = np.zeros(len(keep))
        full[keep] = w
        return full

    return Model(fit(questions), fit(questions, same_story=True),
                 widened(fit(kindless)), widened(fit(kindless, same_story=True)))


class Shown(NamedTuple):
    """The rule quoting an excerpt after the first: its fit and threshold."""

    fit: dict[str, float]
    threshold: float


def picked(q: Question, model: Model | None, shown: Shown | None) -> list[tuple[Hit, int]]:
    """The excerpts ``compose.pick`` would cite, each with its candidate's row in ``q``;
    ``model`` None keeps the first stage's order, ``shown`` None quotes every story."""
    scores, passages = (np.zeros((2, len(q.x))) if model is None
                        else (q.x @ np.c_[model.vectors(q)]).T)
    order = np.argsort(-scores, kind="stable").tolist()
    hits = [Hit(*q.windows[i].tolist(), float(scores[i]), float(passages[i]), float(scores[i]))
            for i in order]
    story = dict(zip(q.windows[:, 3].tolist(), q.stories.tolist(), strict=True))
    at = {sentence: i for i, sentence in enumerate(q.windows[:, 0].tolist())}
    sentences = dict(zip(at, q.sentences, strict=True))
    coverage = dict(zip(q.windows[:, 3].tolist(), q.coverage.tolist(), strict=True))

    def keep(hit: Hit) -> bool:
        return shown is None or bool(shown_probability(
            np.float64(hits[0].score - hit.score), np.float64(coverage[hit.article]), shown.fit
        ) >= shown.threshold)

    chosen = pick(hits, story.__getitem__, lambda hit: sentences[hit.sentence], keep)
    return [(hit, at[hit.sentence]) for hit in chosen]


def outcomes(questions: list[Question], model: Model | None, shown: Shown | None = None
             ) -> np.ndarray:
    """Per question: the best score, right at 1, right at 3, excerpts shown, and how much
    of the question the best hit's story holds."""
    rows = []
    for q in questions:
        if not len(q.x):
            rows.append((-np.inf, False, False, 0, 0.0))
            continue
        chosen = picked(q, model, shown)
        right = q.right[[row for _hit, row in chosen]]
        scores = q.x @ model.vectors(q)[0] if model is not None else np.zeros(len(q.x))
        best = int(np.argmax(scores))
        rows.append((chosen[0][0].score, right[0], right.any(), len(chosen), q.coverage[best]))
    return np.array(rows, float)


def logistic(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weights of a logistic regression of ``y`` on the columns of ``a`` (Newton steps)."""
    w = np.zeros(a.shape[1])
    for _ in range(30):
        p = 1 / (1 + np.exp(-a @ w))
        w -= np.linalg.solve((a * (p * (1 - p))[:, None]).T @ a + 1e-6 * np.eye(len(w)),
                             a.T @ (p - y))
    return w


def fit_shown(questions: list[Question], model: Model) -> Shown:
    """The quoting rule: a logistic fit of 'holds the answer' for every excerpt after the
    first that quoting every story would show, on its score gap to the best and its
    story's coverage of the question; the threshold is the highest that hides at most
    ``MAX_SHOWN_LOSS`` of the questions right at 3."""
    rows = []
    for q in questions:
        if not len(q.x):
            continue
        chosen = picked(q, model, None)
        best = chosen[0][0].score
        lead = q.stories[chosen[0][1]]  # the best story's second passage is always quoted
        rows += [(best - hit.score, q.coverage[row], q.right[row])
                 for hit, row in chosen[1:] if q.stories[row] != lead]
    data = np.array(rows, float)
    w = logistic(np.c_[data[:, :2], np.ones(len(data))], data[:, 2])
    fit = {"score_gap": float(w[0]), "coverage": float(w[1]), "bias": float(w[2])}
    everything = outcomes(questions, model)[:, 2].mean()
    threshold = 0.0
    for candidate in np.round(np.linspace(0.0, 0.5, 101), 3):
        kept = outcomes(questions, model, Shown(fit, float(candidate)))[:, 2].mean()
        if everything - kept <= MAX_SHOWN_LOSS:
            threshold = float(candidate)
    return Shown(fit, threshold)


CONFIDENCE_INPUTS = ("best_score", "unknown_names", "best_coverage", "bias")


def confidence_inputs(questions: list[Question], model: Model) -> np.ndarray:
    """Per question, the confidence's inputs in ``CONFIDENCE_INPUTS`` order, from the
    ranking by the kindless weights (``Hit.plain``): with the kind features in its score,
    the confidence fitted on the even weeks abstained on fewer unanswerable questions held
    out (8.5% instead of 9.8%) and, fitted on the odd, on more answerable ones (4.2%
    instead of 3.3%)."""
    results = outcomes(questions, model.kindless())
    unknown = np.array([q.unknown_names for q in questions], float)
    best = np.nan_to_num(results[:, 0], neginf=-1e3)
    return np.c_[best, unknown, results[:, 4], np.ones(len(questions))]


def calibrate(questions: list[Question], model: Model) -> dict[str, float]:
    """Logistic fit of 'right at 3' (the excerpts ``model`` picks) on the best kindless
    score, the unknown names and how much of the question the best story holds."""
    results = outcomes(questions, model)
    usable = np.isfinite(results[:, 0])
    w = logistic(confidence_inputs(questions, model)[usable], results[usable, 2])
    return dict(zip(CONFIDENCE_INPUTS, w.tolist(), strict=True))


def confidences(questions: list[Question], model: Model, fit: dict) -> np.ndarray:
    z = confidence_inputs(questions, model) @ np.array([fit[k] for k in CONFIDENCE_INPUTS])
    return 1 / (1 + np.exp(-z))


def abstention(questions: list[Question], model: Model, confidence: np.ndarray,
               threshold: float) -> dict[str, float]:
    right3 = outcomes(questions, model)[:, 2].astype(bool)
    answerable = np.array([q.answerable for q in questions])
    abstains = confidence < threshold
    return {
        "abstain": abstains.mean(),
        "on_unanswerable": abstains[~answerable].mean(),
        "on_answerable": abstains[answerable].mean(),
        "unanswerable_share": (~answerable[abstains]).mean() if abstains.any() else 0.0,
        "wrong_anyway": (~right3[abstains]).mean() if abstains.any() else 0.0,
        "hidden": (right3 & abstains).mean(),
        "hidden_of_right": (right3 & abstains).sum() / max(right3.sum(), 1),
        "hit3_kept": (right3 & ~abstains).mean(),
    }


def choose_threshold(questions: list[Question], model: Model, fit: dict) -> float:
    """The highest threshold whose abstentions stay within ``MAX_ANSWERABLE`` of the
    answerable questions and hide at most ``MAX_HIDDEN`` of the right answers at 3."""
    confidence = confidences(questions, model, fit)
    best = 0.0
    for threshold in np.unique(np.round(confidence, 3)):
        figures = abstention(questions, model, confidence, threshold)
        if (figures["hidden_of_right"] <= MAX_HIDDEN
                and figures["on_answerable"] <= MAX_ANSWERABLE):
            best = float(threshold)
    return best


def write(model: Model, fit: dict[str, float], threshold: float, shown: Shown) -> None:
    def entries(pairs) -> str:
        return "".join(f'    "{name}": {value:.6f},\n' for name, value in pairs)

    def kindless(weights: np.ndarray) -> str:
        return entries((name, value) for name, value in zip(features.NAMES, weights, strict=True)
                       if name not in features.KIND_NAMES)

    WEIGHTS_FILE.write_text(
        '"""The learned re-ranker\'s weights (one per feature of ``features.NAMES``), the\n'
        "weights that choose which passage of a story to quote (``PASSAGE_WEIGHTS``), the\n"
        "confidence calibration and the default abstention threshold, and the rule quoting a\n"
        "story beside the best one (``SHOWN``, ``SHOW_THRESHOLD``).\n\n"
        "Written by ``bench/train_ranker.py --write`` from the even-numbered ISO weeks of\n"
        'rtqa-dev only (the odd weeks are for reporting).\n"""\n\n'
        f"WEIGHTS = {{\n{entries(zip(features.NAMES, model.stories, strict=True))}}}\n"
        f"PASSAGE_WEIGHTS = {{\n{entries(zip(features.NAMES, model.passages, strict=True))}}}\n"
        f"KINDLESS_WEIGHTS = {{\n{kindless(model.kindless_stories)}}}\n"
        f"KINDLESS_PASSAGE_WEIGHTS = {{\n{kindless(model.kindless_passages)}}}\n"
        f"CONFIDENCE = {{\n{entries(fit.items())}}}\n"
        f"SHOWN = {{\n{entries(shown.fit.items())}}}\n"
        f"SHOW_THRESHOLD = {shown.threshold}\n"
        f"MIN_CONFIDENCE = {threshold}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--write", action="store_true", help="store the even-week weights")
    args = parser.parse_args()
    dev, questions = dev_set(args.eval)
    with tempfile.TemporaryDirectory() as tmp:
        collected = collect(load_dev(dev, Path(tmp)), questions)
    halves = {
        "even": [c for c, q in zip(collected, questions, strict=True) if iso_week(q) % 2 == 0],
        "odd": [c for c, q in zip(collected, questions, strict=True) if iso_week(q) % 2 == 1],
    }
    print(f"{'fitted on':<10} {'scored on':<10} {'hit@1':>6} {'hit@3':>6}  first stage @1 @3"
          "  | fewer excerpts: hit@1 hit@3 shown (every story: shown)")
    fitted, quoting = {}, {}
    for train, test in (("even", "odd"), ("odd", "even")):
        fitted[train] = fit_model(halves[train])
        quoting[train] = fit_shown(halves[train], fitted[train])
        every = outcomes(halves[test], fitted[train])
        fewer = outcomes(halves[test], fitted[train], quoting[train])
        b1, b3 = outcomes(halves[test], None).mean(0)[1:3]
        print(f"{train:<10} {test:<10} {every[:, 1].mean():6.3f} {every[:, 2].mean():6.3f}  "
              f"{b1:6.3f} {b3:6.3f}  | {fewer[:, 1].mean():6.3f} {fewer[:, 2].mean():6.3f} "
              f"{fewer[:, 3].mean():5.2f} ({every[:, 3].mean():.2f})")
    model, shown = fitted["even"], quoting["even"]
    print(f"quoting rule fitted on even weeks: {shown.fit}, threshold {shown.threshold}")
    for train, test in (("even", "odd"), ("odd", "even")):
        fit = calibrate(halves[train], fitted[train])
        cut = choose_threshold(halves[train], fitted[train], fit)
        print(f"confidence fitted and its threshold ({cut}) chosen on the {train} weeks:")
        for half in (train, test):
            confidence = confidences(halves[half], fitted[train], fit)
            figures = abstention(halves[half], fitted[train], confidence, cut)
            print(f"  {half}: " + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()))
    calibration = calibrate(halves["even"], model)
    threshold = choose_threshold(halves["even"], model, calibration)
    print(f"{'weights fitted on even weeks':<28} {'stories':>8} {'passages':>9}")
    for name, story_weight, passage_weight in zip(features.NAMES, *model[:2], strict=True):
        print(f"  {name:<26} {story_weight:+8.4f} {passage_weight:+9.4f}")
    if args.write:
        write(model, calibration, threshold, shown)
        print(f"written to {WEIGHTS_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
