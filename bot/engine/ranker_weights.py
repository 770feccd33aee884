"""The learned re-ranker's weights (one per feature of ``features.NAMES``), the
confidence calibration and the default abstention threshold.

Written by ``bench/train_ranker.py --write`` from the even-numbered ISO weeks of
rtqa-dev only (the odd weeks are for reporting).
"""

WEIGHTS = {
    "log_bm25": 0.248006,
    "bm25_share": -0.365533,
    "article_support": 2.809885,
    "date_distance": -0.511377,
    "in_date_window": 0.602830,
    "votes_best": 0.083645,
    "votes_total": 1.612223,
    "coverage_window": 3.002658,
    "coverage_sentence": -0.048889,
    "new_numbers_asked": 0.785987,
    "new_names_asked": 0.013710,
    "new_of_asked_type": -0.050244,
    "log_position": -0.094656,
    "is_question": 0.000000,
    "starts_pronoun": -0.678203,
    "log_span": 0.031626,
}
CONFIDENCE = {
    "best_score": 0.776594,
    "unknown_names": -15.310275,
    "bias": -5.314245,
}
MIN_CONFIDENCE = 0.058
