"""The learned re-ranker's weights (one per feature of ``features.NAMES``), the
confidence calibration and the default abstention threshold.

Written by ``bench/train_ranker.py --write`` from the even-numbered ISO weeks of
rtqa-dev only (the odd weeks are for reporting).
"""

WEIGHTS = {
    "log_bm25": 0.536900,
    "bm25_share": 0.934940,
    "article_support": 2.370224,
    "log_days_outside": -0.217739,
    "in_date_window": 0.414622,
    "votes_best": -0.083414,
    "votes_total": 1.659991,
    "coverage_window": 1.384357,
    "coverage_sentence": -0.763748,
    "new_numbers_asked": 0.617801,
    "new_names_asked": 0.080659,
    "new_of_asked_type": -0.021897,
    "log_position": -0.153633,
    "is_question": 0.000000,
    "starts_pronoun": -0.725893,
    "log_span": 0.023588,
    "new_place_asked": 3.130409,
}
CONFIDENCE = {
    "best_score": 0.720891,
    "unknown_names": -16.703672,
    "bias": -4.864258,
}
MIN_CONFIDENCE = 0.087
