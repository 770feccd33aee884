"""The learned re-ranker's weights (one per feature of ``features.NAMES``), the
confidence calibration and the default abstention threshold.

Written by ``bench/train_ranker.py --write`` from the even-numbered ISO weeks of
rtqa-dev only (the odd weeks are for reporting).
"""

WEIGHTS = {
    "log_bm25": 0.058563,
    "bm25_share": -0.363124,
    "article_support": 2.778907,
    "date_distance": -0.432696,
    "in_date_window": 0.689977,
    "votes_best": 0.076244,
    "votes_total": 1.632537,
    "coverage_window": 3.028091,
    "coverage_sentence": 0.268436,
    "new_numbers_asked": 0.816591,
    "new_names_asked": 0.035142,
    "new_of_asked_type": -0.062654,
    "log_position": -0.094530,
    "is_question": 0.000000,
    "starts_pronoun": -0.651222,
    "log_span": 0.036733,
}
CONFIDENCE = {
    "best_score": 0.740785,
    "unknown_names": -15.440159,
    "bias": -4.830058,
}
MIN_CONFIDENCE = 0.067
