"""The learned re-ranker's weights (one per feature of ``features.NAMES``), the
confidence calibration and the default abstention threshold.

Written by ``bench/train_ranker.py --write`` from the even-numbered ISO weeks of
rtqa-dev only (the odd weeks are for reporting).
"""

WEIGHTS = {
    "log_bm25": 0.552860,
    "bm25_share": 1.085441,
    "article_support": 2.268956,
    "log_days_outside": -0.224108,
    "in_date_window": 0.367847,
    "votes_best": -0.091211,
    "votes_total": 1.559192,
    "coverage_window": 1.321934,
    "coverage_sentence": -0.841129,
    "new_numbers_asked": 0.592788,
    "new_names_asked": 0.129614,
    "new_of_asked_type": 0.025116,
    "log_position": -0.160800,
    "is_question": 0.000000,
    "starts_pronoun": -0.611919,
    "log_span": -0.034038,
}
CONFIDENCE = {
    "best_score": 1.073154,
    "unknown_names": -15.008110,
    "bias": -6.506441,
}
MIN_CONFIDENCE = 0.079
