"""The learned re-ranker's weights (one per feature of ``features.NAMES``), the
confidence calibration and the default abstention threshold.

Written by ``bench/train_ranker.py --write`` from the even-numbered ISO weeks of
rtqa-dev only (the odd weeks are for reporting).
"""

WEIGHTS = {
    "log_bm25": 0.240305,
    "bm25_share": 0.013229,
    "article_support": 2.648619,
    "date_distance": -0.447735,
    "in_date_window": 0.758140,
    "votes_best": 0.043648,
    "votes_total": 2.006558,
    "coverage_window": 2.373194,
    "coverage_sentence": 0.152595,
    "new_numbers_asked": 1.012877,
    "new_names_asked": -0.083067,
    "new_of_asked_type": -0.084670,
    "log_position": -0.104500,
    "is_question": 0.000000,
    "starts_pronoun": -0.635163,
    "log_span": 0.023294,
}
CONFIDENCE = {
    "best_score": 0.606806,
    "unknown_names": -15.709270,
    "bias": -4.185013,
}
MIN_CONFIDENCE = 0.085
