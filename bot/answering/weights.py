"""The learned re-ranker's weights (one per feature of ``features.NAMES``), the
weights that choose which passage of a story to quote (``PASSAGE_WEIGHTS``), the
confidence calibration and the default abstention threshold, and the rule quoting a
story beside the best one (``SHOWN``, ``SHOW_THRESHOLD``).

Written by ``bench/train_ranker.py --write`` from the even-numbered ISO weeks of
rtqa-dev only (the odd weeks are for reporting).
"""

WEIGHTS = {
    "log_bm25": 0.008814,
    "bm25_share": 0.845542,
    "article_support": 2.910389,
    "log_days_outside": -0.157617,
    "in_date_window": 0.564770,
    "votes_best": -0.061205,
    "votes_total": 1.482989,
    "coverage_window": 1.545944,
    "coverage_sentence": -0.846324,
    "new_numbers_asked": 0.488334,
    "new_names_asked": 0.146103,
    "new_of_asked_type": -0.107780,
    "log_position": -0.186385,
    "is_question": 0.000000,
    "starts_pronoun": -0.501358,
    "log_span": 0.025980,
    "new_place_asked": 3.145158,
    "number_of_kind": 0.992188,
    "name_of_kind": 0.727829,
    "date_of_kind": 2.804003,
    "counts_asked": 2.953793,
}
PASSAGE_WEIGHTS = {
    "log_bm25": 0.156662,
    "bm25_share": 0.633026,
    "article_support": -0.000004,
    "log_days_outside": 0.000000,
    "in_date_window": 0.000000,
    "votes_best": -0.006160,
    "votes_total": 1.639086,
    "coverage_window": 2.454558,
    "coverage_sentence": -1.113520,
    "new_numbers_asked": 0.420774,
    "new_names_asked": -0.005547,
    "new_of_asked_type": 0.057160,
    "log_position": -0.263582,
    "is_question": 0.000000,
    "starts_pronoun": -0.594527,
    "log_span": 0.081869,
    "new_place_asked": 3.540874,
    "number_of_kind": 0.928900,
    "name_of_kind": 1.325967,
    "date_of_kind": 0.965673,
    "counts_asked": 3.339795,
}
KINDLESS_WEIGHTS = {
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
KINDLESS_PASSAGE_WEIGHTS = {
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
    "best_score": 0.635509,
    "unknown_names": -16.581839,
    "best_coverage": 1.939615,
    "bias": -5.160410,
}
SHOWN = {
    "score_gap": -0.235483,
    "coverage": 3.236843,
    "bias": -4.078200,
}
SHOW_THRESHOLD = 0.035
MIN_CONFIDENCE = 0.058
