"""The learned re-ranker's weights (one per feature of ``features.NAMES``), the
weights that choose which passage of a story to quote (``PASSAGE_WEIGHTS``), the
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
PASSAGE_WEIGHTS = {
    "log_bm25": 0.727162,
    "bm25_share": 0.242261,
    "article_support": -0.004779,
    "log_days_outside": 0.000000,
    "in_date_window": 0.000000,
    "votes_best": 0.003762,
    "votes_total": 1.828980,
    "coverage_window": 2.250252,
    "coverage_sentence": -1.853881,
    "new_numbers_asked": 0.816023,
    "new_names_asked": -0.087260,
    "new_of_asked_type": 0.108936,
    "log_position": -0.250782,
    "is_question": 0.000000,
    "starts_pronoun": -0.940511,
    "log_span": 0.013795,
    "new_place_asked": 3.354247,
}
CONFIDENCE = {
    "best_score": 0.701789,
    "unknown_names": -16.717034,
    "bias": -4.732275,
}
MIN_CONFIDENCE = 0.078
