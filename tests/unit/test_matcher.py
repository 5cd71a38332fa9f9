"""The matcher on a small hand-made KB: weights, typos, the three decisions, languages."""

import dataclasses
from pathlib import Path

import pytest

from knowledge_base.matcher import Matcher
from knowledge_base.model import Entry, KnowledgeBase
from knowledge_base.settings import MatchSettings


def entry(entry_id, it, en=(), keywords=()):
    questions = {"it": tuple(it)}
    answer = {"it": f"risposta {entry_id}"}
    if en:
        questions["en"] = tuple(en)
        answer["en"] = f"answer {entry_id}"
    return Entry(id=entry_id, questions=questions, answer=answer, keywords=tuple(keywords))


@pytest.fixture
def kb():
    return KnowledgeBase(
        root=Path("kb"),
        entries=(
            entry("tablet-no-power",
                  ["il tablet non si accende", "schermo nero, non parte più"],
                  ["my tablet won't turn on"], keywords=["spento"]),
            entry("tablet-not-charging",
                  ["il tablet non si carica", "attacco il caricatore ma la batteria non sale"],
                  ["the tablet does not charge"]),
            entry("wifi-password",
                  ["ho dimenticato la password del wifi", "non ricordo la chiave della rete"],
                  ["I forgot the wifi password"]),
            entry("printer-jam", ["la stampante inceppa la carta"], ["the printer jams"]),
        ),
        synonyms={"it": (("wifi", "wi-fi", "wireless"), ("tablet", "tab", "ipad"))},
    )


@pytest.fixture
def matcher(kb):
    return Matcher.build(kb)


def test_a_clear_question_is_answered(matcher):
    decision = matcher.match("il tab nn si accende piu")
    assert (decision.action, decision.entry_id) == ("answer", "tablet-no-power")
    assert decision.candidates[0].entry_id == "tablet-no-power"
    assert decision.offered == ()


def test_a_question_about_nothing_in_the_kb_is_escalated(matcher):
    decision = matcher.match("mi aiuti con i compiti di storia?")
    assert decision.action == "escalate"
    assert decision.entry_id is None


def test_a_question_between_two_entries_is_clarified(kb):
    cautious = Matcher.build(kb, MatchSettings(answer_ratio=3.0))
    decision = cautious.match("il tablet non va")
    assert decision.action == "clarify"
    assert set(decision.offered) >= {"tablet-no-power", "tablet-not-charging"}
    assert len(decision.offered) <= 3


def test_runners_up_are_the_next_candidates_within_the_clarify_window(kb):
    query = "il tablet non si accende"  # the charging entry second, some 20 points behind
    far = Matcher.build(kb).match(query)
    assert (far.action, far.entry_id, far.runners_up) == ("answer", "tablet-no-power", ())
    assert far.candidates[1].entry_id == "tablet-not-charging"
    near = Matcher.build(kb, MatchSettings(clarify_window=25.0)).match(query)
    assert (near.action, near.entry_id) == ("answer", "tablet-no-power")
    assert near.runners_up == ("tablet-not-charging",)


def test_a_clarify_offers_the_top_and_its_runners_up(kb):
    decision = Matcher.build(kb, MatchSettings(answer_ratio=3.0)).match("il tablet non va")
    assert decision.action == "clarify"
    assert decision.offered == (decision.candidates[0].entry_id, *decision.runners_up)
    assert decision.runners_up


def test_a_query_saying_a_whole_phrasing_needs_only_a_lead_in_confidence(kb):
    query = "il tablet non si accende"  # all of a tablet-no-power phrasing
    by_score = MatchSettings(answer_ratio=3.0)  # no lead on scores is enough
    decision = Matcher.build(kb, by_score).match(query)
    assert (decision.action, decision.entry_id) == ("answer", "tablet-no-power")
    assert decision.confidence > 1.1 * decision.candidates[1].score
    no_lead = dataclasses.replace(by_score, confidence_lead=5.0)
    assert Matcher.build(kb, no_lead).match(query).action == "clarify"
    partly = Matcher.build(kb, by_score).match("il tablet non va")  # half of a phrasing
    assert partly.action == "clarify"


def test_thresholds_come_from_the_settings(kb):
    strict = Matcher.build(kb, MatchSettings(answer_threshold=101.0))
    assert strict.match("il tablet non si accende").action == "clarify"


def test_candidates_are_best_first_and_at_most_five(matcher):
    candidates = matcher.match("il tablet non si carica").candidates
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert 0 < len(candidates) <= 5
    assert all(0 <= s <= 100 for s in scores)


def test_matched_words_are_the_users_words(matcher):
    top = matcher.match("il tab nn si accende").candidates[0]
    assert "tab" in top.matched_words
    assert "accende" in top.matched_words


def test_a_word_every_entry_shares_counts_less():
    shared = KnowledgeBase(root=Path("kb"), entries=(
        entry("a", ["tablet lento"]), entry("b", ["tablet rotto"]), entry("c", ["tablet bagnato"]),
    ))
    index = Matcher.build(shared)._indexes["it"]
    assert index.idf["tablet"] < index.idf["lent"]


def test_a_distinctive_word_outweighs_a_shared_one():
    shared = KnowledgeBase(root=Path("kb"), entries=(
        entry("slow", ["tablet lento"]), entry("broken", ["tablet rotto"]),
        entry("wet", ["tablet bagnato"]),
    ))
    assert Matcher.build(shared).match("il computer è lento").candidates[0].entry_id == "slow"


def test_typos_are_corrected_to_the_kb_vocabulary(matcher):
    decision = matcher.match("la stampantte incepa la carta")
    assert (decision.action, decision.entry_id) == ("answer", "printer-jam")


def test_short_unknown_words_are_not_corrected(matcher):
    index = matcher._indexes["it"]
    assert index.correct("zzz") is None
    assert index.correct("stampantte") == index.normaliser.stem("stampante")


def test_a_typo_keeps_its_first_letter(matcher):
    index = matcher._indexes["it"]
    stem = index.normaliser.stem
    assert index.correct(stem("bateria")) == stem("batteria")
    assert index.correct(stem("latteria")) is None  # one edit from "batteria", but a word


def test_a_word_the_kb_does_not_know_lowers_confidence(kb):
    def confidence(weight):
        matcher = Matcher.build(kb, MatchSettings(unknown_word_specificity=weight))
        return matcher.match("il tablet non si accende, e lo sfondo?").confidence

    assert confidence(1.0) < confidence(0.5)


def test_an_entry_sharing_only_everyday_words_is_not_answered(kb):
    returning = entry("device-return", ["devo restituire il tablet alla scuola a fine anno"])
    with_return = dataclasses.replace(kb, entries=(*kb.entries, returning))
    calendar = Matcher.build(with_return).match("quando finisce la scuola quest'anno")
    assert calendar.candidates[0].entry_id == "device-return"  # "scuola", "fine", "anno"
    assert calendar.action != "answer" and calendar.confidence == 0.0
    no_everyday = Matcher.build(with_return)
    no_everyday._indexes["it"].everyday = frozenset()  # as if the lexicon had none
    assert no_everyday.match("quando finisce la scuola quest'anno").action == "answer"
    asked = no_everyday.match("a fine anno devo restituire il tablet?")
    assert (asked.action, asked.entry_id) == ("answer", "device-return")


def test_negation_changes_the_match():
    kb = KnowledgeBase(root=Path("kb"), entries=(
        entry("on", ["il tablet si accende da solo"]),
        entry("off", ["il tablet non si accende"]),
    ))
    assert Matcher.build(kb).match("tablet non accende").candidates[0].entry_id == "off"


def test_english_questions_find_english_phrasings(matcher):
    decision = matcher.match("I forgot my wifi password")
    assert (decision.language, decision.entry_id) == ("en", "wifi-password")


def test_a_given_language_limits_the_search(matcher):
    assert matcher.match("I forgot the wifi password", lang="it").language == "it"
    assert matcher.match("ho dimenticato la password", lang="en").candidates[0].score < 100


def test_keywords_point_at_their_entry(matcher):
    assert matcher.match("spento").candidates[0].entry_id == "tablet-no-power"


def test_an_empty_query_is_escalated(matcher):
    assert matcher.match("   ").action == "escalate"
    assert matcher.match("!!! 😭").candidates == ()


def with_not_questions(kb, entry_id, **not_questions):
    entries = tuple(
        dataclasses.replace(e, not_questions=not_questions) if e.id == entry_id else e
        for e in kb.entries
    )
    return dataclasses.replace(kb, entries=entries)


FORGOT_MAIL = "ho dimenticato la password della mail"


def test_a_not_question_that_fits_as_well_as_the_questions_blocks_the_answer(kb):
    query = "ho dimenticato la password dell'account"
    before = Matcher.build(kb).match(query)
    assert (before.action, before.entry_id, before.blocked_by) == ("answer", "wifi-password", None)
    after = Matcher.build(with_not_questions(kb, "wifi-password", it=(FORGOT_MAIL,))).match(query)
    assert (after.action, after.entry_id, after.blocked_by) == ("clarify", None, FORGOT_MAIL)
    assert after.offered[0] == "wifi-password"  # demoted to a button, not dropped
    assert after.candidates == before.candidates  # no score changes


def test_a_not_question_changes_nothing_for_questions_it_does_not_fit(kb):
    marked = Matcher.build(with_not_questions(kb, "wifi-password", it=(FORGOT_MAIL,)))
    plain = Matcher.build(kb)
    for query in ("non ricordo la password del wifi", "il tab nn si accende piu",
                  "la stampante incepa la carta", "I forgot the wifi password"):
        assert marked.match(query) == plain.match(query)
        assert marked.match(query).action == "answer"


def test_a_not_question_only_blocks_its_own_entry(kb):
    marked = Matcher.build(with_not_questions(kb, "printer-jam", it=(FORGOT_MAIL,)))
    decision = marked.match("ho dimenticato la password dell'account")
    assert (decision.action, decision.entry_id, decision.blocked_by) == (
        "answer", "wifi-password", None
    )


def test_a_word_of_a_not_question_is_not_corrected_as_a_typo(kb):
    marked = Matcher.build(with_not_questions(kb, "printer-jam", it=("mi chiama la prof",)))
    plain, index = Matcher.build(kb)._indexes["it"], marked._indexes["it"]
    call = index.normaliser.stem("chiama")
    assert plain.correct(call) == index.normaliser.stem("chiave")  # one edit from a KB word
    assert call in {t.term for t in index.query_terms("chiama")[0]}


def test_a_question_asked_again_gets_the_decision_remembered(matcher):
    first = matcher.match("il tablet nn si accende")
    assert matcher.match("Il TABLET nn si accende!!! 😭") is first  # the same tokens
    assert matcher.match("il tablet nn si accende", "fr") is first  # no French: any language
    assert matcher.match("il tablet nn si accende", "en") != first  # the language is part of it


def test_a_rebuilt_matcher_remembers_nothing_of_the_old_kb(kb):
    old = Matcher.build(kb)
    asked = old.match("la stampante inceppa la carta")
    assert asked.entry_id == "printer-jam"
    smaller = dataclasses.replace(kb, entries=kb.entries[:3])
    assert Matcher.build(smaller).match("la stampante inceppa la carta").entry_id is None


def test_a_word_in_most_entries_is_looked_up_from_the_shortlisted_entries_side():
    colours = ["rosso", "verde", "giallo", "azzurro", "viola", "grigio", "marrone", "bianco"]
    kb = KnowledgeBase(root=Path("kb"), entries=tuple(
        entry(f"tablet-{colour}", [f"il tablet {colour} non si accende"]) for colour in colours
    ))
    walked = Matcher.build(kb).match("il tablet viola nn si accende")
    # "tablet" too common to shortlist: the one entry with "viola" is looked up, not the index
    looked_up = Matcher.build(kb, MatchSettings(common_term_entries=1, common_term_share=0.0))
    assert looked_up.match("il tablet viola nn si accende").candidates[0] == walked.candidates[0]
    assert walked.candidates[0].entry_id == "tablet-viola"


def test_an_entry_for_teachers_only_is_never_offered_to_a_pupil(kb):
    """The contract's `audience`: a teacher's procedure is no answer to a pupil; a user who
    has not said who they are sees every entry."""
    for_teachers = dataclasses.replace(
        entry("meet-mute-pupils", ["come silenzio gli alunni su meet"]),
        audience=frozenset({"teacher"}),
    )
    for_both = dataclasses.replace(
        entry("meet-no-sound", ["su meet non sento gli alunni"]),
        audience=frozenset({"pupil", "teacher"}),
    )
    matcher = Matcher.build(dataclasses.replace(kb, entries=(*kb.entries, for_teachers, for_both)))
    query = "come silenzio gli alunni su meet"
    for audience in (None, "teacher"):
        assert matcher.match(query, audience=audience).entry_id == "meet-mute-pupils"
    pupil = matcher.match(query, audience="pupil")
    assert "meet-mute-pupils" not in [c.entry_id for c in pupil.candidates]
    assert pupil.entry_id != "meet-mute-pupils"
    assert matcher.match("non sento gli alunni su meet", audience="pupil").entry_id == (
        "meet-no-sound"
    )


def test_a_typo_of_a_synonym_the_kb_does_not_use_is_read_as_the_kbs_word(matcher):
    """"wireless" means "wifi" (the KB's synonyms), so "wirelss" does too; two letters off
    is too far for such words (there are many: "chiavetta" is two from "cavetto")."""
    near = matcher.match("ho dimenticato la password del wirelss")
    assert "wirelss" in near.candidates[0].matched_words
    far = matcher.match("ho dimenticato la password del wirlss")
    assert "wirlss" not in far.candidates[0].matched_words


def test_an_entry_met_only_through_typo_guesses_is_offered_not_answered(matcher):
    """A real word one or two letters from a KB word is read as its typo ("cioccolato" ->
    "chiocciola"): a guess, not a fact. With nothing else shared, the entry is offered."""
    guessed = matcher.match("stampamte incepata")
    assert guessed.action == "clarify" and guessed.offered[0] == "printer-jam"
    typed = matcher.match("la stampante si incepata")  # one word as typed: a fact
    assert (typed.action, typed.entry_id) == ("answer", "printer-jam")
    index = matcher._indexes["it"]
    assert index.query_terms("stampamte")[1] == {index.normaliser.stem("stampante")}
    assert index.query_terms("stampante stampamte")[1] == frozenset()  # typed once: no guess
