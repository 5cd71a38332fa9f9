"""Find the FAQ entry that answers a chat message, and decide whether to answer, ask or hand over.

Everything that depends only on the KB is computed once in `Matcher.build`: the normalised
terms of every phrasing, each term's weight (IDF over entries: a word every entry shares, such
as "tablet", tells entries apart less than "fulmine"), an inverted index from terms to the
phrasings and entries that contain them, and the vocabulary used to correct typos. A query then
touches only the entries that share a term with it.

How an entry is scored and how the decision is taken is described in `settings.MatchSettings`.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from knowledge_base.model import Entry, KnowledgeBase
from knowledge_base.normalise import CACHED_WORDS, Normaliser, Term, detect_language
from knowledge_base.settings import MatchSettings

Action = Literal["answer", "clarify", "escalate"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry that could answer the query, with the user's words that point at it."""

    entry_id: str
    score: float
    matched_words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """What the bot should do with one message; `candidates` are best first (up to 5)."""

    action: Action
    entry_id: str | None
    score: float
    candidates: tuple[Candidate, ...]
    offered: tuple[str, ...]
    language: str


@dataclass(frozen=True, slots=True)
class _Phrasing:
    entry: int
    terms: frozenset[str]
    weight: float
    text: str


def _max_typo_edits(word: str) -> int:
    """Edits allowed when correcting a word: none for short words, where one edit is a new word."""
    if len(word) < 4 or word.isdigit():
        return 0
    return 1 if len(word) < 7 else 2


class _LanguageIndex:
    """The KB seen through one language: the entries that have questions in it."""

    def __init__(self, lang: str, kb: KnowledgeBase, settings: MatchSettings) -> None:
        self.lang = lang
        self.settings = settings
        self.normaliser = Normaliser(lang, kb.synonyms.get(lang, ()))
        indexed = [e for e in kb.entries if lang in e.questions]
        self.entry_ids = [e.id for e in indexed]
        texts = [self._texts(e) for e in indexed]
        normalised = [[self.normaliser.terms(t) for t in phrasings] for phrasings, _, _ in texts]
        phrasing_terms = [[[t.term for t in terms] for terms in entry] for entry in normalised]
        self.entry_terms = [
            frozenset().union(*terms, self._terms(" ".join(keywords)))
            for terms, (_, keywords, _) in zip(phrasing_terms, texts, strict=True)
        ]
        self.answer_terms = [frozenset(self._terms(answer)) for _, _, answer in texts]

        df: dict[str, int] = defaultdict(int)
        for bag, answer in zip(self.entry_terms, self.answer_terms, strict=True):
            for term in bag | answer:
                df[term] += 1
        count = max(len(indexed), 1)
        self.idf = {t: math.log(1 + count / n) ** settings.idf_power for t, n in df.items()}
        self.unknown_weight = (
            math.log(1 + count / 0.5) ** settings.idf_power * settings.unknown_word_factor
        )

        self.phrasings: list[_Phrasing] = []
        self.entry_phrasings: list[list[int]] = []
        for number, terms_of_entry in enumerate(phrasing_terms):
            own = []
            for terms, words in zip(terms_of_entry, normalised[number], strict=True):
                unique = frozenset(terms)
                if not unique:
                    continue
                own.append(len(self.phrasings))
                weight = sum(self.idf[t] for t in unique)
                self.phrasings.append(
                    _Phrasing(number, unique, weight, " ".join(t.word for t in words))
                )
            self.entry_phrasings.append(own)
        self.entry_index = self._invert(self.entry_terms)
        self.answer_index = self._invert(self.answer_terms)
        self.vocabulary = sorted(self.idf)
        weights = sorted(p.weight for p in self.phrasings) or [0.0]
        self.least_said = settings.substance * weights[len(weights) // 2]
        self.corrections: dict[str, str | None] = {}

    def _texts(self, entry: Entry) -> tuple[list[str], tuple[str, ...], str]:
        phrasings = list(entry.questions[self.lang])
        if self.lang in entry.title:
            phrasings.append(entry.title[self.lang])
        return phrasings, entry.keywords, entry.answer.get(self.lang, "")

    def _terms(self, text: str) -> list[str]:
        return [t.term for t in self.normaliser.terms(text)]

    @staticmethod
    def _invert(bags: list[frozenset[str]]) -> dict[str, list[int]]:
        index: dict[str, list[int]] = defaultdict(list)
        for number, bag in enumerate(bags):
            for term in bag:
                index[term].append(number)
        return index

    def correct(self, term: str) -> str | None:
        """The KB term an unknown query term is most likely a typo of, if one is close enough."""
        if term in self.corrections:
            return self.corrections[term]
        if len(self.corrections) >= CACHED_WORDS:
            self.corrections.clear()
        edits = _max_typo_edits(term)
        found = None
        if edits:
            best = process.extractOne(
                term, self.vocabulary, scorer=Levenshtein.distance, score_cutoff=edits
            )
            if best is not None and len(best[0]) >= 3:
                found = best[0]
        self.corrections[term] = found
        return found

    def query_terms(self, text: str) -> list[Term]:
        """The query's terms, typos corrected to the KB's vocabulary, each once."""
        seen: dict[str, Term] = {}
        for term, word in self.normaliser.terms(text):
            if term not in self.idf:
                term = self.correct(term) or term
            seen.setdefault(term, Term(term, word))
        return list(seen.values())

    def score(self, text: str) -> dict[int, tuple[float, tuple[str, ...]]]:
        """Score (0-100) and matched words of every entry sharing a term with the query."""
        s = self.settings
        terms = self.query_terms(text)
        weights = {
            t.term: self.idf.get(t.term, self.unknown_weight)
            for t in terms
            if t.term in self.idf or not t.term.isdigit()
        }
        total = sum(weights.values())
        if not total:
            return {}
        quick = {number: self._quick_score(number, weights, total)
                 for number in self._shortlist(weights)}
        shortlist = sorted(quick, key=quick.__getitem__, reverse=True)[: s.rescored_entries]
        query_text = " ".join(t.word for t in terms)
        scored = {}
        for number in shortlist:
            similarity = max(
                (fuzz.token_sort_ratio(query_text, self.phrasings[p].text)
                 for p in self.entry_phrasings[number]),
                default=0.0,
            )
            matched = tuple(t.word for t in terms if t.term in self.entry_terms[number])
            scored[number] = (100 * quick[number] + s.fuzzy_weight * similarity, matched)
        return scored

    def _shortlist(self, weights: Mapping[str, float]) -> list[int]:
        """The entries worth scoring: those sharing the most weight with the query.

        Candidates come from the query's rarer terms; a term found in more entries than
        `common_term_entries` only scores the candidates, so a word such as "tablet" in a
        10,000-entry KB does not make every query touch every entry.
        """
        s = self.settings
        limit = max(s.common_term_entries, len(self.entry_ids) * s.common_term_share)
        rare = {t: w for t, w in weights.items() if len(self.entry_index.get(t, ())) <= limit}
        shared: dict[int, float] = defaultdict(float)
        for term, weight in (rare or weights).items():
            for number in self.entry_index.get(term, ()):
                shared[number] += s.entry_weight * weight
            for number in self.answer_index.get(term, ()):
                shared[number] += s.answer_weight * weight
        return heapq.nlargest(s.shortlisted_entries, shared, key=shared.__getitem__)

    def _quick_score(self, number: int, weights: Mapping[str, float], total: float) -> float:
        """Every evidence but the fuzzy similarity, as a share (0-1)."""
        s = self.settings
        entry_terms, answer_terms = self.entry_terms[number], self.answer_terms[number]
        best = 0.0
        for p in self.entry_phrasings[number]:
            matched = sum(w for t, w in weights.items() if t in self.phrasings[p].terms)
            if matched:
                best = max(best, self._overlap(matched, total, p))
        on_entry = sum(w for t, w in weights.items() if t in entry_terms)
        on_answer = sum(w for t, w in weights.items() if t in answer_terms)
        said = max(total, self.least_said)
        return (s.phrasing_weight * best
                + (s.entry_weight * on_entry + s.answer_weight * on_answer) / said)

    def _overlap(self, matched: float, query_total: float, phrasing: int) -> float:
        """Weighted F-measure of how much of the query and of the phrasing the overlap covers."""
        query_side = matched / query_total
        phrasing_side = matched / self.phrasings[phrasing].weight
        share = self.settings.query_side
        return 1 / (share / query_side + (1 - share) / phrasing_side)


class Matcher:
    """The FAQ matcher of one loaded KB. Build a new one on reload; its only changing state
    is a bounded cache of typo corrections."""

    def __init__(self, kb: KnowledgeBase, settings: MatchSettings,
                 indexes: Mapping[str, _LanguageIndex]) -> None:
        self.kb = kb
        self.settings = settings
        self._indexes = dict(indexes)

    @classmethod
    def build(cls, kb: KnowledgeBase, settings: MatchSettings | None = None) -> Matcher:
        settings = settings or MatchSettings()
        languages = kb.languages or ("it",)
        return cls(kb, settings, {lang: _LanguageIndex(lang, kb, settings) for lang in languages})

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._indexes)

    def match(self, query: str, lang: str | None = None) -> Decision:
        """Rank the entries for `query` and decide: answer, clarify (offer a few) or escalate.

        With `lang`, only that language's phrasings are searched; without it, every language
        is searched (chat mixes Italian and English) and the reply language is detected.
        """
        if lang in self._indexes:
            searched: Iterable[_LanguageIndex] = (self._indexes[lang],)
            language = lang
        else:
            searched = self._indexes.values()
            language = detect_language(query, [i.normaliser for i in searched])
        best: dict[str, Candidate] = {}
        for index in searched:
            for number, (score, matched) in index.score(query).items():
                entry_id = index.entry_ids[number]
                if entry_id not in best or score > best[entry_id].score:
                    best[entry_id] = Candidate(entry_id, round(score, 1), matched)
        ranked = sorted(best.values(), key=lambda c: -c.score)
        return self._decide(tuple(ranked[: self.settings.max_candidates]), language)

    def _decide(self, ranked: tuple[Candidate, ...], language: str) -> Decision:
        s = self.settings
        top = ranked[0].score if ranked else 0.0
        second = ranked[1].score if len(ranked) > 1 else 0.0
        if top >= s.answer_threshold and top - second >= s.answer_margin:
            return Decision("answer", ranked[0].entry_id, top, ranked, (), language)
        if top >= s.clarify_threshold:
            offered = tuple(
                c.entry_id for c in ranked[: s.max_offered] if c.score >= top - s.clarify_window
            )
            return Decision("clarify", None, top, ranked, offered, language)
        return Decision("escalate", None, top, ranked, (), language)
