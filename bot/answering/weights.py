"""The learned re-ranker's weights (one per feature of ``features.NAMES``), the
weights that choose which passage of a story to quote (``PASSAGE_WEIGHTS``), the
confidence calibration and the default abstention threshold, and the rule quoting a
story beside the best one (``SHOWN``, ``SHOW_THRESHOLD``).

Written by ``bench/train_ranker.py --write`` from the even-numbered ISO weeks of
rtqa-dev only (the odd weeks are for reporting).
"""

WEIGHTS = {
    "log_bm25": 0.537067,
    "bm25_share": 0.935209,
    "article_support": 2.370199,
    "log_days_outside": -0.217730,
    "in_date_window": 0.414663,
    "votes_best": -0.083392,
    "votes_total": 1.660079,
    "coverage_window": 1.383814,
    "coverage_sentence": -0.763757,
    "new_numbers_asked": 0.618145,
    "new_names_asked": 0.080535,
    "new_of_asked_type": -0.022001,
    "log_position": -0.153664,
    "is_question": 0.000000,
    "starts_pronoun": -0.725889,
    "log_span": 0.023584,
    "new_place_asked": 3.130453,
}
PASSAGE_WEIGHTS = {
    "log_bm25": 0.727442,
    "bm25_share": 0.242802,
    "article_support": -0.004779,
    "log_days_outside": 0.000000,
    "in_date_window": 0.000000,
    "votes_best": 0.003764,
    "votes_total": 1.828922,
    "coverage_window": 2.249640,
    "coverage_sentence": -1.853713,
    "new_numbers_asked": 0.817023,
    "new_names_asked": -0.087306,
    "new_of_asked_type": 0.109001,
    "log_position": -0.250784,
    "is_question": 0.000000,
    "starts_pronoun": -0.940550,
    "log_span": 0.013834,
    "new_place_asked": 3.354227,
}
CONFIDENCE = {
    "best_score": 0.626010,
    "unknown_names": -16.470023,
    "best_coverage": 1.609023,
    "bias": -5.537767,
}
SHOWN = {
    "score_gap": -0.206596,
    "coverage": 3.324295,
    "bias": -4.216248,
}
SHOW_THRESHOLD = 0.03
MIN_CONFIDENCE = 0.065
