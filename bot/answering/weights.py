"""The learned re-ranker's weights (one per feature of ``features.NAMES``), the
weights that choose which passage of a story to quote (``PASSAGE_WEIGHTS``), the
confidence calibration and the default abstention threshold, and the rule quoting a
story beside the best one (``SHOWN``, ``SHOW_THRESHOLD``).

Written by ``bench/train_ranker.py --write`` from the even-numbered ISO weeks of
rtqa-dev only (the odd weeks are for reporting).
"""

WEIGHTS = {
    "log_bm25": 0.012349,
    "bm25_share": 0.849272,
    "article_support": 2.669961,
    "log_days_outside": -0.169685,
    "in_date_window": 0.493832,
    "votes_best": -0.071493,
    "votes_total": 1.419456,
    "coverage_window": 1.757003,
    "coverage_sentence": -0.735357,
    "new_numbers_asked": 0.606939,
    "new_names_asked": 0.142307,
    "new_of_asked_type": -0.056587,
    "log_position": -0.181391,
    "is_question": 0.000000,
    "starts_pronoun": -0.571815,
    "log_span": 0.037693,
    "new_place_asked": 3.205628,
}
PASSAGE_WEIGHTS = {
    "log_bm25": 0.154241,
    "bm25_share": 0.839482,
    "article_support": 0.000016,
    "log_days_outside": 0.000000,
    "in_date_window": 0.000000,
    "votes_best": -0.005757,
    "votes_total": 1.543202,
    "coverage_window": 2.569431,
    "coverage_sentence": -1.151305,
    "new_numbers_asked": 0.585697,
    "new_names_asked": 0.003945,
    "new_of_asked_type": 0.136781,
    "log_position": -0.257455,
    "is_question": 0.000000,
    "starts_pronoun": -0.472710,
    "log_span": 0.091030,
    "new_place_asked": 3.491947,
}
CONFIDENCE = {
    "best_score": 0.603347,
    "unknown_names": -16.529037,
    "best_coverage": 1.907982,
    "bias": -4.980392,
}
SHOWN = {
    "score_gap": -0.257058,
    "coverage": 3.827096,
    "bias": -4.647547,
}
SHOW_THRESHOLD = 0.065
MIN_CONFIDENCE = 0.06
