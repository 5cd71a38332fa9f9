"""The matcher's knobs, in one place, with the measurements that chose them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Weights of the evidence and the thresholds of the answer/clarify/escalate decision.

    Scores are on a 0-100 scale. An entry's score mixes:
    - `phrasing_weight`: its best phrasing (or title), as the F-measure of the IDF-weighted
      overlap: how much of the query the phrasing explains and how much of the phrasing the
      query says (`query_side` is the share of the first);
    - `entry_weight`: how much of the query the whole entry explains (all phrasings, title,
      keywords), for questions that mix words from two phrasings;
    - `answer_weight`: how much of the query the answer text explains;
    - `fuzzy_weight`: rapidfuzz token_sort_ratio of the normalised query and best phrasing,
      which rewards word order and catches what typo correction missed.

    Decision: `answer` when the top score >= `answer_threshold` and leads the second entry by
    `answer_margin`; else `clarify` when the top score >= `clarify_threshold`, offering the
    entries within `clarify_window` of the top (at most `max_offered`); else `escalate`.
    """

    phrasing_weight: float = 0.5
    entry_weight: float = 0.25
    answer_weight: float = 0.1
    fuzzy_weight: float = 0.15
    query_side: float = 0.5
    unknown_word_factor: float = 0.5
    idf_power: float = 0.75
    answer_threshold: float = 50.0
    answer_margin: float = 4.0
    clarify_threshold: float = 24.0
    clarify_window: float = 15.0
    max_offered: int = 3
    max_candidates: int = 5
    shortlisted_entries: int = 100
    common_term_entries: int = 200
    common_term_share: float = 0.02
    rescored_entries: int = 20
