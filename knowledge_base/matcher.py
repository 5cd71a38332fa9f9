"""Find the FAQ entry that answers a chat message, and decide whether to answer, ask or hand over.

Everything that depends only on the KB is computed once in `Matcher.build`: the normalised
terms of every phrasing, each term's weight (IDF over entries: a word every entry shares, such
as "tablet", tells entries apart less than "fulmine"), an inverted index from terms to the
phrasings and entries that contain them, the vocabulary used to correct typos, and the terms
of each entry's `not_questions` (weighed as the query's words are, but adding nothing to the
IDF, so they change no score). A query then touches only the entries that share a term with it.

How an entry is scored and how the decision is taken is described in `settings.MatchSettings`.
"""

from __future__ import annotations

import functools
import heapq
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from knowledge_base.bulk import collector_paused
from knowledge_base.entry_schema import AUDIENCES
from knowledge_base.model import Entry, KnowledgeBase
from knowledge_base.normalise import CACHED_WORDS, Normaliser, Term, detect_language, tokens
from knowledge_base.settings import MatchSettings

Action = Literal["answer", "clarify", "escalate"]
CACHED_DECISIONS = 4096  # a few hours of questions


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
    confidence: float = 0.0  # the top score discounted for what the query leaves unmatched
    blocked_by: str | None = None  # the top entry's not-question that kept it from an answer
    # The candidates after the top close enough to it to be offered in a clarify (the same
    # window): credible alternatives when an answer did not help; empty when all are far behind.
    runners_up: tuple[str, ...] = ()
    guessed: bool = False  # the top entry shares only typo guesses with the query: not answered


@dataclass(frozen=True, slots=True)
class _Phrasing:
    entry: int
    terms: frozenset[str]
    weight: float
    said: list[Term]  # in order, with the words as written (before stemming)

    @property
    def text(self) -> str:
        return " ".join(t.word for t in self.said)


def _sorted_words(text: str) -> str:
    """`text` with its words sorted: `fuzz.ratio` of two such strings is their
    `fuzz.token_sort_ratio`, so a phrasing's side is sorted once, when the KB is indexed."""
    return " ".join(sorted(text.split()))


@dataclass(frozen=True, slots=True)
class _NotQuestion:
    """A way of asking that is not for its entry, as written and as terms."""

    text: str
    terms: frozenset[str]
    weight: float


@dataclass(frozen=True, slots=True)
class Evidence:
    """How one entry fits a query; every field is a share (0-1), see MatchSettings."""

    phrasing: float  # F-measure of the weighted overlap with the best phrasing
    entry: float  # how much of the query the whole entry explains
    answer: float  # how much of the query the answer text explains
    fuzzy: float  # character similarity to the closest phrasing, unstemmed words
    covered: float  # how much of its best-covered phrasing the query says
    specific: float  # the strongest word it shares / the strongest word of the query;
    # 0 when all the words it shares are everyday ones (the lexicon's `everyday`)
    matched_words: tuple[str, ...]
    blocked_by: str | None = None  # a not-question that fits as well as the best phrasing
    guessed: bool = False  # every word it shares with the query is one read as a typo


class _Scored(NamedTuple):
    """The first fields of `Evidence`: all a score needs. The rest (the words shared, the
    blocking not-question) is looked up only for the few entries that become candidates
    (`_LanguageIndex.evidence`): a query rescores up to `rescored_entries` per language
    (~23 for the shipped FAQ's own phrasings) and all but 5 rank lower."""

    phrasing: float
    entry: float
    answer: float
    fuzzy: float
    covered: float
    specific: float


class _Query(NamedTuple):
    """A query as one language reads it: its terms, their weights and the weights' sum, and
    the terms that are typo corrections (guesses)."""

    terms: list[Term]
    weights: dict[str, float]
    total: float
    guessed: frozenset[str]


def _by_initial(vocabulary: Iterable[str]) -> dict[str, list[str]]:
    """The vocabulary by first letter: a typo rarely changes a word's first letter, and a
    correction that does turns real words into others ("gatto" -> "latte")."""
    found: dict[str, list[str]] = defaultdict(list)
    for word in vocabulary:
        found[word[0]].append(word)
    return found


def _closest(word: str, vocabulary: Mapping[str, list[str]], edits: int) -> str | None:
    """The word of `vocabulary` (by initial) at most `edits` letters from `word`, if any;
    of three letters at least."""
    best = process.extractOne(
        word, vocabulary.get(word[0], ()), scorer=Levenshtein.distance, score_cutoff=edits
    )
    return best[0] if best is not None and len(best[0]) >= 3 else None


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
        terms_of = self.normaliser.terms
        said: list[tuple[int, frozenset[str], list[Term]]] = []  # every phrasing and title
        self.entry_terms: list[frozenset[str]] = []
        self.answer_terms: list[frozenset[str]] = []
        df: dict[str, int] = defaultdict(int)
        for number, entry in enumerate(indexed):
            bag: set[str] = set()
            for text in self._phrasings(entry):
                found = terms_of(text)
                unique = frozenset(t.term for t in found)
                if unique:
                    said.append((number, unique, found))
                    bag |= unique
            bag.update(t.term for t in terms_of(" ".join(entry.keywords)))
            answer = frozenset(t.term for t in terms_of(entry.answer.get(lang, "")))
            self.entry_terms.append(frozenset(bag))
            self.answer_terms.append(answer)
            for term in bag.union(answer):
                df[term] += 1
        count = max(len(indexed), 1)
        self.idf = {t: math.log(1 + count / n) ** settings.idf_power for t, n in df.items()}
        rarest = math.log(1 + count / 0.5) ** settings.idf_power
        self.unknown_weight = rarest * settings.unknown_word_factor
        self.unknown_specificity = rarest * settings.unknown_word_specificity
        idf = self.idf
        self.phrasings = [
            _Phrasing(number, unique, sum(map(idf.__getitem__, unique)), found)
            for number, unique, found in said
        ]
        self.entry_phrasings: list[list[int]] = [[] for _ in indexed]
        self.phrasing_index: dict[str, list[int]] = defaultdict(list)
        for position, phrasing in enumerate(self.phrasings):
            self.entry_phrasings[phrasing.entry].append(position)
            for term in phrasing.terms:
                self.phrasing_index[term].append(position)
        self.sorted_texts: list[list[str]] = [
            [_sorted_words(self.phrasings[p].text) for p in positions]
            for positions in self.entry_phrasings
        ]
        self.not_questions = [self._not_questions(entry) for entry in indexed]
        self.not_question_words = {t for nots in self.not_questions for n in nots for t in n.terms}
        self.entry_index = self._invert(self.entry_terms)
        self.answer_index = self._invert(self.answer_terms)
        self.vocabulary = _by_initial(sorted(self.idf))
        # Failing a KB term, a typo may be one letter off another word of a synonym group
        # the KB uses: "webcm" is "webcam", which the group folds onto the KB's "telecamera".
        # One letter only: these words are many, and "chiavetta" is two from "cavetto".
        self.synonym_of = {
            stem: term
            for stem, term in self.normaliser.one_word_synonyms.items()
            if term in self.idf and stem not in self.idf
        }
        self.synonym_vocabulary = _by_initial(sorted(self.synonym_of))
        weights = sorted(p.weight for p in self.phrasings) or [0.0]
        self.least_said = settings.substance * weights[len(weights) // 2]
        self.corrections: dict[str, str | None] = {}
        everyday = " ".join(self.normaliser.lexicon.everyday)
        self.everyday = frozenset(t.term for t in self.normaliser.terms(everyday))

    def _phrasings(self, entry: Entry) -> tuple[str, ...]:
        phrasings = entry.questions[self.lang]
        title = entry.title.get(self.lang)
        return (*phrasings, title) if title else phrasings

    def _not_questions(self, entry: Entry) -> tuple[_NotQuestion, ...]:
        """The entry's not-questions in this language; one of stop words alone fits nothing."""
        found = []
        for text in entry.not_questions.get(self.lang, ()):
            terms = frozenset(t.term for t in self.normaliser.terms(text))
            weight = sum(self.idf.get(t, self.unknown_weight) for t in terms)
            if terms:
                found.append(_NotQuestion(text, terms, weight))
        return tuple(found)

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
            found = _closest(term, self.vocabulary, edits)
            if found is None and (synonym := _closest(term, self.synonym_vocabulary, 1)):
                found = self.synonym_of[synonym]
        self.corrections[term] = found
        return found

    def query_terms(self, text: str) -> tuple[list[Term], frozenset[str]]:
        """The query's terms, typos corrected to the KB's vocabulary, each once (a word of a
        not-question is no typo: it is kept, to be compared with the not-questions); and the
        terms that are corrections."""
        seen: dict[str, Term] = {}
        guessed, typed = set(), set()
        for term, word in self.normaliser.terms(text):
            corrected = None
            if term not in self.idf and term not in self.not_question_words:
                corrected = self.correct(term)
            (guessed if corrected else typed).add(corrected or term)
            seen.setdefault(corrected or term, Term(corrected or term, word))
        return list(seen.values()), frozenset(guessed - typed)

    def score(self, text: str, floor: float = -math.inf) -> tuple[_Query, dict[int, _Scored]]:
        """The query as read here, and the evidence (but for `evidence`'s part) for every
        entry worth scoring, by entry number; none for the entries whose score, even with the
        closest wording (fuzzy 1), would round below `floor`."""
        s = self.settings
        terms, guessed = self.query_terms(text)
        weights = {
            t.term: self.idf.get(t.term, self.unknown_weight)
            for t in terms
            if t.term in self.idf or not t.term.isdigit()
        }
        query = _Query(terms, weights, sum(weights.values()), guessed)
        if not weights:
            return query, {}
        found = self._evidence(weights, self._shortlist(weights))
        best = sorted(found, key=lambda n: found[n][0], reverse=True)[: s.rescored_entries]
        query_text = _sorted_words(" ".join(t.word for t in terms))
        scored = {}
        for number in best:  # best first, so every entry after a hopeless one is hopeless
            quick, phrasing, entry, answer, covered, specific = found[number]
            if round(100 * (quick + max(s.fuzzy_weight, 0.0)), 1) < floor:
                break
            closest = process.extractOne(query_text, self.sorted_texts[number], scorer=fuzz.ratio)
            similarity = closest[1] if closest is not None else 0.0
            scored[number] = _Scored(phrasing, entry, answer, similarity / 100, covered, specific)
        return query, scored

    def evidence(self, query: _Query, number: int, scored: _Scored) -> Evidence:
        """The whole evidence of an entry `score` scored: with the user's words it shares and
        the not-question that blocks it, if any."""
        shared = [t for t in query.terms if t.term in self.entry_terms[number]]
        return Evidence(
            *scored,
            tuple(t.word for t in shared),
            self._blocking(number, query.weights, query.total, scored.phrasing),
            guessed=bool(shared) and all(t.term in query.guessed for t in shared),
        )

    def _blocking(self, number: int, weights: Mapping[str, float], total: float,
                  phrasing: float) -> str | None:
        """The entry's not-question that fits the query best, if it fits at least as well as
        its best phrasing (`phrasing`), by the same measure; `total` is the query's weight."""
        best, text = 0.0, None
        for nq in self.not_questions[number]:
            matched = sum(w for t, w in weights.items() if t in nq.terms)
            if matched and (fit := self._overlap(matched, total, nq.weight)) > best:
                best, text = fit, nq.text
        return text if best >= phrasing else None

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

    def _phrasing_fits(self, weights: Mapping[str, float], total: float,
                       numbers: Collection[int]) -> tuple[dict[int, float], dict[int, float]]:
        """For every entry of `numbers` with a phrasing that shares a term with the query: the
        best `_overlap` of such a phrasing, and the largest share of a phrasing the query says."""
        shared = self._shared(weights, numbers)
        best: dict[int, float] = {}
        covered: dict[int, float] = {}
        share = self.settings.query_side
        for position, matched in shared.items():
            phrasing = self.phrasings[position]
            number, weight = phrasing.entry, phrasing.weight
            if number not in numbers:
                continue
            # _overlap(matched, total, weight), inlined: it runs for every phrasing found
            fit = 1 / (share / (matched / total) + (1 - share) / (matched / weight))
            if fit > best.get(number, 0.0):
                best[number] = fit
            if matched / weight > covered.get(number, 0.0):
                covered[number] = matched / weight
        return best, covered

    def _shared(self, weights: Mapping[str, float], numbers: Collection[int]
                ) -> dict[int, float]:
        """The weight the query shares with each phrasing that has one of its terms, by
        position (at least those of the entries `numbers`), added in the query's order.
        Read off the inverted index, unless its lists hold more phrasings than the entries'
        own times the query's terms (a common word in a KB of thousands of entries): then
        the terms of those entries' phrasings are looked up instead."""
        holders = [self.phrasing_index.get(term, ()) for term in weights]
        own = sum(len(self.entry_phrasings[number]) for number in numbers)
        shared: dict[int, float] = {}
        if sum(map(len, holders)) <= own * len(weights):
            for weight, positions in zip(weights.values(), holders, strict=True):
                for position in positions:
                    shared[position] = shared.get(position, 0) + weight
            return shared
        for number in numbers:
            for position in self.entry_phrasings[number]:
                terms = self.phrasings[position].terms
                for term, weight in weights.items():
                    if term in terms:  # added one by one, in the same order as above
                        shared[position] = shared.get(position, 0) + weight
        return shared

    def _evidence(self, weights: Mapping[str, float], numbers: Iterable[int]
                  ) -> dict[int, tuple[float, ...]]:
        """For each entry of `numbers`, all the evidence but the fuzzy similarity, which only
        the best few entries get: (the score without it, then the fields of `Evidence` in
        order)."""
        s = self.settings
        everyday = self.everyday
        total = sum(weights.values())
        said = max(total, self.least_said)
        peak = max(self.idf.get(t, self.unknown_specificity) for t in weights)
        wanted = dict.fromkeys(numbers)  # in order, and quick to look up
        fits, coverage = self._phrasing_fits(weights, total, wanted)
        found = {}
        for number in wanted:
            entry_terms, answer_terms = self.entry_terms[number], self.answer_terms[number]
            on_entry = on_answer = strongest = 0.0
            substantive = False  # a shared word that is not an everyday one
            for term, weight in weights.items():
                if term in entry_terms:
                    on_entry += weight
                    if weight > strongest:
                        strongest = weight
                    if not substantive and term not in everyday:
                        substantive = True
                if term in answer_terms:
                    on_answer += weight
            best, covered = fits.get(number, 0.0), coverage.get(number, 0.0)
            entry, answer = on_entry / said, on_answer / said
            quick = s.phrasing_weight * best + s.entry_weight * entry + s.answer_weight * answer
            found[number] = (quick, best, entry, answer, covered,
                             strongest / peak if substantive else 0.0)
        return found

    def _overlap(self, matched: float, query_total: float, phrasing_weight: float) -> float:
        """Weighted F-measure of how much of the query and of the phrasing the overlap covers."""
        query_side = matched / query_total
        phrasing_side = matched / phrasing_weight
        share = self.settings.query_side
        return 1 / (share / query_side + (1 - share) / phrasing_side)


class Matcher:
    """The FAQ matcher of one loaded KB. Build a new one on reload; its only changing state
    is bounded caches: typo corrections and the last decisions."""

    def __init__(self, kb: KnowledgeBase, settings: MatchSettings,
                 indexes: Mapping[str, _LanguageIndex]) -> None:
        self.kb = kb
        self.settings = settings
        self._indexes = dict(indexes)
        # The entries of the KB's `audience` field: shown to their audiences only, as a
        # teacher's procedure ("silence every pupil in Meet") is no answer to a pupil.
        self._hidden_from = {
            audience: frozenset(
                e.id for e in kb.entries if e.audience and audience not in e.audience
            )
            for audience in AUDIENCES
        }
        # Pupils ask the same things ("il tablet non si accende"): the last decisions are
        # remembered by the query's tokens, all a decision depends on. A reload builds a new
        # Matcher, so none outlives its KB.
        self._decided = functools.lru_cache(maxsize=CACHED_DECISIONS)(self._match)

    @classmethod
    def build(cls, kb: KnowledgeBase, settings: MatchSettings | None = None) -> Matcher:
        settings = settings or MatchSettings()
        languages = kb.languages or ("it",)
        with collector_paused():
            indexes = {lang: _LanguageIndex(lang, kb, settings) for lang in languages}
        return cls(kb, settings, indexes)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._indexes)

    def match(
        self, query: str, lang: str | None = None, audience: str | None = None
    ) -> Decision:
        """Rank the entries for `query` and decide: answer, clarify (offer a few) or escalate.

        With `lang`, only that language's phrasings are searched; without it, every language
        is searched (chat mixes Italian and English) and the reply language is detected.
        With `audience` ("pupil", "teacher": who asks), entries meant for others only are
        left out; without it (a user who has not said), every entry counts.
        """
        # the tokens spelled out again are a query with the same tokens: the same decision
        return self._decided(
            " ".join(tokens(query)),
            lang if lang in self._indexes else None,
            audience if self._hidden_from.get(audience) else None,  # same decisions: shared
        )

    def _match(self, query: str, lang: str | None, audience: str | None) -> Decision:
        if lang in self._indexes:
            searched: Iterable[_LanguageIndex] = (self._indexes[lang],)
            language = lang
        else:
            searched = self._indexes.values()
            language = detect_language(query, [i.normaliser for i in searched])
        ranked = self._rank(query, searched, self._hidden_from.get(audience, frozenset()))
        return self._decide(ranked, language)

    def _rank(self, query: str, searched: Iterable[_LanguageIndex], hidden: frozenset[str]
             ) -> list[tuple[Candidate, Evidence]]:
        """The best `max_candidates` entries but the `hidden` ones, best first, with their
        evidence (from their best language); only those become `Candidate`s and get their
        whole `Evidence`.

        So a language need not finish scoring an entry that cannot get among them: an entry's
        score is `100 * (quick + fuzzy_weight * fuzzy)` (`quick` from `_evidence`, fuzzy
        0-1); if even its best case rounds below the `max_candidates`-th rounded score of the
        languages searched before (an entry's rounded score only rises), it ranks after that
        many entries whatever this language says of it.
        """
        s = self.settings
        # by entry: its rounded score, then where it came from (language, query, number) and
        # the evidence scored there
        best: dict[str, tuple[float, _LanguageIndex, _Query, int, _Scored]] = {}
        for index in searched:
            floor = -math.inf
            if len(best) >= s.max_candidates:
                floor = heapq.nlargest(s.max_candidates, (r for r, *_ in best.values()))[-1]
            read, scored = index.score(query, floor)
            for number, ev in scored.items():
                entry_id = index.entry_ids[number]
                if entry_id in hidden:
                    continue
                score = 100 * (s.phrasing_weight * ev.phrasing + s.entry_weight * ev.entry
                               + s.answer_weight * ev.answer + s.fuzzy_weight * ev.fuzzy)
                if entry_id not in best or score > best[entry_id][0]:
                    best[entry_id] = (round(score, 1), index, read, number, ev)
        ranked = sorted(best.items(), key=lambda item: -item[1][0])[: s.max_candidates]
        found = []
        for entry_id, (score, index, read, number, scored) in ranked:
            evidence = index.evidence(read, number, scored)
            found.append((Candidate(entry_id, score, evidence.matched_words), evidence))
        return found

    def _confidence(self, score: float, evidence: Evidence) -> float:
        """The score discounted for the part of its phrasing the query leaves unsaid and for
        a query whose most specific word the entry does not share (see MatchSettings)."""
        s = self.settings
        return (score * evidence.covered ** s.coverage_power
                * evidence.specific ** s.specificity_power)

    def _leads(self, scored: list[tuple[Candidate, Evidence]]) -> bool:
        """Whether the top entry leads the others clearly enough to be answered: by
        `answer_ratio` on scores, or, when the query says a whole phrasing of it, by
        `confidence_lead` over every other candidate's confidence (see MatchSettings)."""
        s = self.settings
        (top, evidence), others = scored[0], scored[1 : s.max_candidates]
        if not others or top.score >= s.answer_ratio * others[0][0].score:
            return True
        if evidence.covered < s.whole_phrasing:
            return False
        rival = max((self._confidence(c.score, e) for c, e in others), default=0.0)
        return self._confidence(top.score, evidence) >= s.confidence_lead * rival

    def _decide(self, scored: list[tuple[Candidate, Evidence]], language: str) -> Decision:
        s = self.settings
        ranked = tuple(c for c, _ in scored[: s.max_candidates])
        if not ranked:
            return Decision("escalate", None, 0.0, (), (), language)
        top = ranked[0].score
        evidence = scored[0][1]
        confidence = round(self._confidence(top, evidence), 1)
        blocked = evidence.blocked_by
        close = tuple(
            c.entry_id for c in ranked[1 : s.max_offered] if c.score >= top - s.clarify_window
        )
        if (not blocked and not evidence.guessed and confidence >= s.answer_threshold
                and self._leads(scored)):
            return Decision("answer", ranked[0].entry_id, top, ranked, (), language, confidence,
                            runners_up=close)
        guessed = evidence.guessed
        if top >= s.clarify_threshold:
            return Decision("clarify", None, top, ranked, (ranked[0].entry_id, *close), language,
                            confidence, blocked, close, guessed)
        return Decision("escalate", None, top, ranked, (), language, confidence, blocked,
                        guessed=guessed)
