"""The matcher's knobs, in one place, with the measurements that chose them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Weights of the evidence and the thresholds of the answer/clarify/escalate decision.

    Scores are on a 0-100 scale. Query and KB words are weighted by IDF over entries raised to
    `idf_power` (0.75: flatter than plain IDF, so a shared word such as "tablet" still gives
    context); a query word the KB does not know weighs `unknown_word_factor` times the rarest
    known word, so off-topic words pull the score down. A query word the KB does not know is
    corrected to the closest KB word within one edit (two from 7 letters) that starts with
    the same letter: typos rarely change the first letter, and a correction that does turns
    real words into others ("gatto" -> "latte"). An entry's score adds:
    - `phrasing_weight` x its best phrasing (or title): the F-measure of the weighted overlap,
      how much of the query the phrasing explains and how much of the phrasing the query says
      (`query_side` is the share of the first);
    - `entry_weight` x how much of the query the whole entry explains (all phrasings, title,
      keywords), for questions that mix words of two phrasings;
    - `answer_weight` x how much of the query the answer text explains;
    - `fuzzy_weight` x rapidfuzz token_sort_ratio of the query and the closest phrasing, on
      their normalised words before stemming (so word forms the stemmer keeps apart count).
    The two "how much of the query" shares are divided by at least `substance` x the weight of
    a median phrasing, so a one-word question ("che ore sono" -> "ore") cannot reach a
    confident score on the strength of a single shared word.

    Decision. The top score alone is a poor sign of a right answer: an unanswerable near miss
    ("come si cambia lo sfondo del tablet") shares its common words with an entry and scores
    like a right answer that was written with chat filler. So the score is discounted into a
    `confidence`: times `covered` ** `coverage_power` (how much of its best-covered phrasing
    the query says) and times `specific` ** `specificity_power` (the weight of the strongest
    word the entry shares with the query over that of the query's strongest word: a query
    whose most specific word, known or not, the entry lacks is about something else; there a
    word the KB does not know counts `unknown_word_specificity` times the rarest known word,
    more than in the score, as no entry having it is itself a sign of another subject; and
    it is 0 when every word the entry shares with the query is an everyday one, the
    lexicon's `everyday` list of time, calendar and school-life words: over one FAQ's few
    entries "anno" can look as rare as "fulmine", but a question that meets an entry only
    on such words is about something else).
    An entry that shares with the query only words read as typos of its own is never
    answered, only offered: the correction is a guess, and a real word two letters from a KB
    word is read as its typo ("cioccolato" -> "chiocciola", answering a cake recipe question
    with the keyboard's @ key; no answer of the dev or external sets relied on such guesses).
    `answer` when confidence >= `answer_threshold` and the top score is >= `answer_ratio`
    times the second's (a ratio carries over between KBs with different score levels better
    than a difference), or, when the query says at least `whole_phrasing` of one of the top
    entry's phrasings, its confidence is >= `confidence_lead` times every other candidate's
    (a chat question that says all of a phrasing and some filler often scores within 1.2x of
    a neighbour that shares the filler, but the neighbour's confidence falls with what of its
    phrasings the query leaves unsaid); else `clarify` when the top score >=
    `clarify_threshold`, offering the entries within `clarify_window` of the top (at most
    `max_offered`); else `escalate`. The candidates after the top within that window are the
    decision's `runners_up` whatever the action: the bot tries one when an answer did not
    help, and none when all are far behind.

    Not-questions (an entry's optional `not_questions`, Dialogflow's negative examples): the
    top entry is never answered when the best of its not-questions fits the query at least
    as well as its best phrasing, both measured by the phrasing F-measure above (a
    not-question's words weigh their KB IDF, or `unknown_word_factor` for words only it has;
    they add nothing to the IDF, so no score changes; a query word a not-question uses is
    not corrected as a typo). The decision is then `clarify` or `escalate` by the score
    rules above, the entry kept among the candidates: the maintainer said the question only
    looks like the entry, so a button lets a user who meant it say so, while dropping the
    entry would hand the answer to the next one, which scored lower for a reason.
    Measured (Nov 2026): dev figures unchanged (its KB has none); with the shipped FAQ's first
    not-questions (school-calendar questions under device-ownership-return), "quando finiscono
    le lezioni quest'anno" and "che giorno finisce l'anno scolastico" are no longer answered
    with it, while the device-return cases still are; "quando finisce la scuola quest anno"
    still is: it fits "devo ridare il tablet alla scuola a fine anno?" (0.70) better than any
    not-question (0.63).

    How they were chosen (Nov 2026), on the dev set (41 entries, 209 chat queries) and checked
    on the public qa4faq (Italian) and stackfaq (English) sets and the shipped regression file
    (pass = answered right, offered among the buttons, or `expect: null` not answered).
    Weights: a grid over the four weights moves P@1 by a few points; mixing the four kinds of
    evidence in near-equal parts beats any one of them (dev P@1: phrasing alone 0.74, entry
    alone 0.73, fuzzy alone 0.56, the mix 0.84) and does not cost the external sets anything
    (qa4faq 0.48, stackfaq 0.75; neighbours within 0.01). `substance` 1.0 stops most one-word
    off-topic questions being answered and costs qa4faq < 0.01 P@1.
    Decision, swept over threshold 16-24, ratio 1.15-1.25 and the two powers 0/0.5/1, keeping
    dev wrong answers <= 4% and unanswerable-answered <= 10% (right / wrong / unanswerable
    answered on dev; qa4faq and stackfaq right / wrong; shipped cases passing of 290):
      chosen 20, 1.2, 1, 0.5: 62.9 / 2.4 / 7.1; qa4faq 18.5 / 6.4; stackfaq 48.6 / 1.8; 288
      threshold 18 / 22:      62.9 / 3.0 / 9.5 and 61.1 / 2.4 / 7.1; 288 both
      ratio 1.15 / 1.25:      65.3 / 4.2 / 11.9 and 59.3 / 1.8 / 7.1; 288 both
      specificity power 0:    62.9 / 2.4 / 11.9 (the specific-word discount halves the
                              near misses answered at no cost in right answers); 287
      specificity power 1:    60.5 / 2.4 / 7.1; 288
      the previous rule (score >= 44 and a lead >= 8 points): 61.1 / 1.8 / 7.1;
                              qa4faq 25.0 / 9.7; stackfaq 47.1 / 1.7; 286
    The new rule answers fewer qa4faq queries but at a better precision (74% vs 72% of its
    answers right); stackfaq 96%, as before. At this point: dev P@1 0.838, right 62.9%,
    helped 90.4%, wrong 2.4%, unanswerable answered 7.1%; qa4faq P@1 0.479, MRR@5 0.597;
    stackfaq P@1 0.753, MRR@5 0.819; shipped 288/290.
    Tried and not kept (dev P@1; qa4faq; stackfaq): a character 3-gram TF-IDF cosine as a
    fifth ranker at weight 0.1/0.2/0.3 (0.796/0.796/0.790; 0.486/0.481/0.482;
    0.757/0.763/0.768) or instead of the fuzzy ratio (0.784; 0.489; 0.754); reciprocal-rank
    fusion of the rankers, k 5-60, alone or with the score (at best 0.832; 0.481; 0.762);
    the number of rankers that put the top entry first as an answer condition (+0-1 point
    right on dev, nothing on the others); a logistic model of the decision features fitted on
    the external sets (dev right 63.5% at 3.6% wrong but 14% unanswerable answered); the lead
    measured on confidences instead of scores (dev right 71.3% at 3.0% wrong, but 11.9%
    unanswerable answered, and the external sets' answers less often right: qa4faq 65%,
    stackfaq 93%), or both leads (1.1 on scores and 1.5 on confidences: dev 64.1 / 1.2 /
    7.1, qa4faq 71% right, stackfaq 96%: no clear gain); correcting typos towards the
    synonyms' spellings too (dev P@1 unchanged, unanswerable answered 7.1 -> 9.5%); other
    rapidfuzz scorers for the fuzzy evidence (dev P@1: token_set_ratio 0.826, WRatio 0.820,
    ratio 0.814, against 0.838 for token_sort_ratio). Unknown words weighed 0.5-1.5 times
    more or less in `specific` changed no figure above while any close KB word, whatever
    its first letter, was taken for a typo.
    First-letter typo correction (Nov 2026): dev P@1 0.838, right 62.9 -> 63.5%, helped
    90.4 -> 91.0%, wrong 2.4%, unanswerable answered 7.1%; qa4faq P@1 0.479 -> 0.480, MRR@5
    0.597 -> 0.599; stackfaq P@1 0.753 -> 0.754; but "come si cambia lo sfondo del tablet"
    had been kept from an answer only by "sfondo" being corrected to a rare KB word, and got
    answered (287). Unknown words counting more in `specific` restore it:
    `unknown_word_specificity` 0.6 / 0.67 / 0.7 / 0.75 / 0.825: shipped 287 / 288 / 288 /
    288 / 288; dev right 63.5 / 63.5 / 63.5 / 63.5 / 62.3% (wrong and unanswerable answered
    unchanged); stackfaq right 48.6 / 48.6 / 48.6 / 48.5 / 48.2%; qa4faq 18.4-18.5%.
    Chosen 0.7. Now: dev P@1 0.838, right 63.5%, helped 91.0%, wrong 2.4%, unanswerable
    answered 7.1%; qa4faq P@1 0.480, MRR@5 0.599, right 18.4%, wrong 6.4%; stackfaq P@1
    0.754, MRR@5 0.819, right 48.6%, wrong 1.8%; shipped 288/290.

    Background word frequencies, tried and not kept (Nov 2026; wordfreq 3.1.1's "small"
    Italian and English lists, accents folded, read without network in ~30 ms; figures are
    dev right / wrong / unanswerable answered, P@1 unchanged at 0.838 unless given; qa4faq
    and stackfaq P@1; shipped passing). The idea: IDF over 40-70 entries cannot tell an
    everyday word ("scuola", "anno") from a specific one the KB lacks ("sfondo"), and a
    language's word frequencies can. But they do not separate the known misses: "corso"
    (Zipf 5.4) is as everyday as "scuola" (5.5) and "classe" (5.2), and the right answers'
    own words are often as common ("foto" 5.7, "codice" 5.1). Measured:
    - term weights = IDF x a specificity factor falling linearly from 1 at Zipf <= 3 to a
      floor at Zipf >= 6, in ranking and decision: floor 0.5 / 0.3 / 0.1: dev P@1 0.832 /
      0.820 / 0.808, 61.1 / 4.2 / 11.9 at 0.5; qa4faq 0.472 / 0.470 / 0.460; stackfaq
      0.761 / 0.766 / 0.754; shipped 288 / 287 / 288;
    - the same factor in the decision only (`covered` and `specific`), ranking unchanged:
      floor 0.5 / 0.3 / 0.1: 62.3 / 2.4 / 9.5, 61.7 / 2.4 / 11.9, 59.3 / 2.4 / 11.9; with the
      threshold moved to 17-26 or coverage power 1.5 no point beats the chosen rule; qa4faq
      and stackfaq answers ~1 point more precise; shipped 287-288;
    - an answer gate "the entry's most specific shared word is an everyday word" (Zipf of
      its commonest form >= Z): Z 5.4 would stop "quando finisce la scuola" (5.46) but it
      sits on a cliff: at Z 5.0 it turns 9 right shipped answers, 11 right and 7 wrong
      qa4faq answers into questions, and right ones exist at 5.6 (dev) and 6.3 (shipped);
    - no typo correction for a word the language knows (Zipf >= 3), unknown words counting
      more in `specific`: before the first-letter rule 63.5 / 2.4 / 4.8, helped 91.0%;
      qa4faq 0.478, stackfaq 0.750 (-0.003; 28 stackfaq decisions changed, either way);
      shipped 288. On top of the first-letter rule it only moves one dev unanswerable query
      (7.1 -> 4.8% at Zipf >= 3.0, nothing at 3.5) and still costs qa4faq 0.002 and stackfaq
      0.004 P@1. Not worth a 57 MB dependency and five more packages (ftfy, langcodes,
      locate, msgpack, regex): wordfreq was not added.
    Weighting the entry evidence by how many of an entry's phrasings say a term (its central
    words): dev P@1 0.808-0.826, qa4faq 0.451-0.465, stackfaq unchanged: not kept.

    Lexicon (Nov 2026, general vocabulary, no case text): children's slang verbs folded onto
    the plain ones (it: fregare/ciulare/sgraffignare/portato via = rubare, lumaca/laggare =
    lento, impallarsi/piantarsi/freezare = bloccato, spaccato/sfasciato/scassato/crepato =
    rotto; en: nicked/pinched/swiped/robbed = stolen, sluggish/takes ages/takes forever =
    slow, smashed/cracked/shattered = broken, wake up = turn on), "scolastico" = scuola, and
    the elided "quest'"/"quell'" as stop words: dev P@1 0.838 -> 0.844, right 63.5 -> 64.1%,
    helped 91.0 -> 92.8%, wrong 2.4 -> 1.8%, unanswerable answered 7.1%; qa4faq P@1 0.480 ->
    0.481; stackfaq unchanged; shipped: "quando finisce la scuola quest anno" is no longer
    answered (its not-question "quando finisce l'anno scolastico" now says the same words, so
    it blocks the answer). Also tried: an [anno, annata, annuale] group and "com'"/"dov'"/
    "cos'" as stop words: qa4faq P@1 -0.005, not kept.

    The confidence lead for a query that says a whole phrasing (Nov 2026; after the lexicon
    above; figures are dev right / wrong / unanswerable answered, helped; qa4faq and stackfaq
    right, and the share of their answers that are right; P@1 and MRR do not move): before,
    64.1 / 1.8 / 7.1, helped 92.8; qa4faq 18.4%, 74.3% right; stackfaq 48.3%, 96.5% right.
      chosen, whole_phrasing 0.9, confidence_lead 1.1: 69.5 / 2.4 / 7.1, helped 92.2;
                              qa4faq 21.6%, 73.1%; stackfaq 48.5%, 96.5%
      whole_phrasing 0.8 / 0.85 / 1.0: the same on dev; qa4faq 72.6 / 72.9 / 73.1% right
      confidence_lead 1.0-1.15: the same on dev; 1.2: 68.9 / 2.4 / 7.1
      confidence threshold 16 / 24 for this branch: no change
      the lead on confidences for any query (no whole phrasing), over the second or over
      every other candidate, 1.1-2.0, threshold 20-32, with or without the score lead
      (1.0-1.05): at best 71.9 / 3.0 / 9.5 but qa4faq 67% and stackfaq 93% right; at 1.5 and
      coverage >= 0.5, 70.7 / 3.0 / 7.1 and qa4faq 68.8%, stackfaq 94.2%; at 2.0, 70.1 / 2.4
      / 7.1, qa4faq 73.4%, stackfaq 96.3% (one more dev answer, on the edge): not kept.
      ranking by the confidence instead of the score, or by score x covered ** a x specific
      ** b (a 0.1-0.5, b 0-0.3): dev P@1 0.820-0.850 but qa4faq 0.432-0.474 (from 0.481).
    More lexicon (general vocabulary): schiacciare = premere, "hanno preso" = rubare,
    "someone/somebody took" = stolen, the town's transport (autobus, bus, pullman, tram,
    metro): dev P@1 0.844 -> 0.850 -> 0.856 -> 0.862 (one step each), right 69.5 -> 70.1%,
    helped 92.2 -> 94.6%, wrong 2.4 -> 1.8%, unanswerable answered 7.1%; qa4faq P@1 0.481 ->
    0.480 (the transport group, one query), stackfaq unchanged.
    Devices and their parts as one word each (it: pc/computer/portatile/notebook/laptop,
    webcam/telecamera/videocamera, microfono/mic; en: laptop/computer/pc/notebook,
    webcam/camera/cam, mic/microphone), for KBs that do not list them: dev unchanged (its
    KB has them), stackfaq P@1 0.754 -> 0.758, MRR@5 0.819 -> 0.821; qa4faq unchanged. An
    email/mail group cost stackfaq 0.008 P@1 (its web-mail threads tell them apart): not
    kept. The dev KB without its own _synonyms.yaml stands for a KB whose maintainers wrote
    none: there the lexicon moved dev P@1 0.832 -> 0.862 and right 56.9 -> 67.1% (from
    before the lexicon work to this point). Connection, sound and lesson words as one
    (it: internet/connessione, giga/gb/gigabyte, sim/schedina, router/modem, touchpad/
    trackpad, audio/suono, videolezione/videochiamata/lezione online; en: touchpad/
    trackpad, sound/audio, data/gb/gigs, video call/online lesson/online class): dev right
    70.1 -> 70.7%, without its synonyms 67.1 -> 68.3%; qa4faq, stackfaq P@1 unchanged.
    "scheda sim"/"scheda telefonica" = sim, lucina/lucetta/led = spia, lock code/unlock
    code = passcode (words pupils use for the device's parts, seen among the dev misses):
    dev right 70.7 -> 71.3%, without its synonyms P@1 0.862 -> 0.868, right 68.3 -> 68.9%;
    external figures unchanged.
    Expressions (lexicon `expressions`, a normalisation step: several words said in plain
    words, so "non parte" becomes "non si accende" keeping its negation, which a synonym
    group folding it onto one term would lose): it "non parte", "è morto", "non dà segni di
    vita", "ci mette una vita/un secolo/un'eternità", "va a scatti", "fa i capricci"; en "is
    (completely) dead", "no signs of life", "takes forever/ages" (moved here from the slow
    synonyms): dev P@1 0.862 -> 0.868, right 71.3 -> 72.5%, helped 94.6 -> 94.0% (a long
    teacher's message whose five candidates are within 3 points reorders), wrong 1.8 ->
    1.2%, unanswerable answered 7.1 -> 4.8% ("scotta" is no longer corrected to "scatti",
    now said "lento"); without "va a scatti" helped stays 94.6% but unanswerable answered
    7.1%. qa4faq, stackfaq unchanged. Index time at 10,000 entries +0.1 s.
    Then "non prende" = "non si collega", "perso la password" = "dimenticato la password",
    en "get in/into" = "log in", "lost my password" = "forgot my password": dev P@1 0.868 ->
    0.874 (right unchanged), shipped right 82.4 -> 83.1%; external figures unchanged.
    Not kept: "non mi sentono/sente" = "il microfono non funziona", "non mi vedono/vede" =
    "la telecamera non funziona", "non sento" = "non sento audio" (en "can't hear/see me"):
    dev MRR@5 0.909 -> 0.913 but right 72.5 -> 71.3%, shipped right 83.1 -> 82.8%.
    Everyday words (Nov 2026): no dev, qa4faq, stackfaq or shipped figure moves; with the
    shipped FAQ's not-questions removed, "quando finisce la scuola (quest'anno)", "when does
    school end this year", "quando ricomincia la scuola a settembre" are still not answered
    and "devo ridare il tablet a fine anno?" still is: the calendar questions no longer need
    an entry's not-questions. Counting everyday words out of the strongest shared word
    altogether (not only when they are all the entry shares): dev right 72.5 -> 71.9%,
    stackfaq right 49.0 -> 48.8%: not kept.
    More chat abbreviations (it: xk, cs, dp, cn, sl, prob, prb, qnt, ank, mlt; en: dunno,
    wat, wot, rn, vid, vids) and "wi fi" = wifi: no figure moves.
    end/finish (en) and finire/terminare (it): no figure moves; "when does school end this
    year" now meets the shipped entry's not-question "when does the school year finish"
    (it had been answered with how to return the device).
    Re-swept after these (dev right / wrong / unanswerable answered): unknown_word_specificity
    0.8 / 0.9 / 1.0: 70.7 / 70.1 / 70.1 (from 71.3, the rest unchanged); specificity_power
    0.75 / 1.0: 70.7 / 68.9; coverage_power 0.75: 71.3 / 3.0 / 14.3, 1.25: 68.9 / 1.8 / 7.1;
    a query-explained factor (confidence x entry share ** p, threshold lowered to match):
    p 0.25 at 16 equals the chosen rule on dev (qa4faq 73.6% vs 73.1% of answers right,
    stackfaq 96.8% vs 96.5%, fewer answers): not worth a knob.
    Also tried (not kept): correcting typos towards synonyms' spellings again (dev P@1
    0.862, unanswerable answered 7.1 -> 9.5%, as before; once more after the expressions
    and everyday words: wrong 1.2 -> 0.6%, helped 94.0 -> 94.6%, but unanswerable answered
    4.8 -> 7.1%, a trade, not a gain); no typo correction for stems
    shorter than 5 letters ("scotta" -> "scatti"): dev right +0.6, qa4faq P@1 -0.001, 6
    letters: dev P@1 -0.012.
    Now (after all of the above): dev P@1 0.874, MRR@5 0.909, right 72.5%, helped 94.0%,
    wrong 1.2%, unanswerable answered 4.8%; qa4faq P@1 0.480, MRR@5 0.599, right 21.6%,
    wrong 8.0%; stackfaq P@1 0.758, MRR@5 0.821, right 49.0%, wrong 1.8%; shipped 343 of
    343 pass, 83.1% answered right, none of its 47 unanswerable answered.

    `shortlisted_entries`, `common_term_*` and `rescored_entries` bound the work per query
    on large KBs (see benchmarks/bench_match.py) and do not change any figure above.
    """

    phrasing_weight: float = 0.25
    entry_weight: float = 0.3
    answer_weight: float = 0.25
    fuzzy_weight: float = 0.2
    query_side: float = 0.5
    unknown_word_factor: float = 0.5
    unknown_word_specificity: float = 0.7
    idf_power: float = 0.75
    substance: float = 1.0
    answer_threshold: float = 20.0
    answer_ratio: float = 1.2
    whole_phrasing: float = 0.9
    confidence_lead: float = 1.1
    coverage_power: float = 1.0
    specificity_power: float = 0.5
    clarify_threshold: float = 24.0
    clarify_window: float = 15.0
    max_offered: int = 3
    max_candidates: int = 5
    shortlisted_entries: int = 100
    common_term_entries: int = 200
    common_term_share: float = 0.02
    rescored_entries: int = 20
