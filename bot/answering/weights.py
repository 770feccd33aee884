"""The learned re-ranker's weights (one per feature of ``features.NAMES``), the
weights that choose which passage of a story to quote (``PASSAGE_WEIGHTS``), the
confidence calibration and the default abstention threshold, and the rule quoting a
story beside the best one (``SHOWN``, ``SHOW_THRESHOLD``).

Written by ``bench/train_ranker.py --write`` from the even-numbered ISO weeks of
rtqa-dev only (the odd weeks are for reporting).
"""

WEIGHTS = {
    "log_bm25": 0.011289,
    "bm25_share": 1.005129,
    "article_support": 2.728750,
    "log_days_outside": -0.164081,
    "in_date_window": 0.536728,
    "votes_best": -0.062123,
    "votes_total": 1.446155,
    "coverage_window": 1.709059,
    "coverage_sentence": -0.887737,
    "new_numbers_asked": 0.619155,
    "new_names_asked": 0.150306,
    "new_of_asked_type": -0.066672,
    "log_position": -0.190634,
    "is_question": 0.000000,
    "starts_pronoun": -0.537990,
    "log_span": 0.011440,
    "new_place_asked": 3.137707,
}
PASSAGE_WEIGHTS = {
    "log_bm25": 0.142143,
    "bm25_share": 0.879099,
    "article_support": 0.000023,
    "log_days_outside": 0.000000,
    "in_date_window": 0.000000,
    "votes_best": 0.003364,
    "votes_total": 1.540912,
    "coverage_window": 2.589971,
    "coverage_sentence": -1.324585,
    "new_numbers_asked": 0.593584,
    "new_names_asked": 0.012224,
    "new_of_asked_type": 0.126391,
    "log_position": -0.259491,
    "is_question": 0.000000,
    "starts_pronoun": -0.540014,
    "log_span": 0.058870,
    "new_place_asked": 3.539605,
}
CONFIDENCE = {
    "best_score": 0.620068,
    "unknown_names": -16.560060,
    "best_coverage": 1.786288,
    "bias": -5.001620,
}
SHOWN = {
    "score_gap": -0.214271,
    "coverage": 3.506033,
    "bias": -4.365120,
}
SHOW_THRESHOLD = 0.055
MIN_CONFIDENCE = 0.059
