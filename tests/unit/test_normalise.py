"""Each normalisation step on its own, then the whole chain."""

import re

from knowledge_base.normalise import Normaliser, detect_language, normalise, tokens, words


def test_words_are_lower_case_without_accents():
    assert words("PERCHÉ Così") == ["perche", "cosi"]


def test_punctuation_and_emojis_are_dropped():
    assert words("aiuto!!! 😭😭 ...il wifi?") == ["aiuto", "il", "wifi"]


def test_stretched_letters_are_folded():
    assert words("nooo spentooooo") == ["no", "spento"]


def test_words_are_the_tokens_with_stretched_letters_folded_one_by_one():
    for text in ("nooo-wifi ciaooo!!!", "AAAARGH... è spentooo—daiii", "x-xxxl pppp 0000 aaa1aaa"):
        assert words(text) == [re.sub(r"([a-z])\1{2,}", r"\1", t) for t in tokens(text)]


def test_words_are_a_new_list_each_time_though_remembered():
    words("il tablet nn va").append("changed")
    assert words("il tablet nn va") == ["il", "tablet", "nn", "va"]


def test_short_hyphenated_words_are_joined_and_long_ones_split():
    assert words("wi-fi e-mail auto-aggiornamento") == ["wifi", "email", "auto", "aggiornamento"]


def test_english_contractions_open_into_a_negation():
    assert words("it won't start, I can't log in, doesn't charge") == [
        "it", "will", "not", "start", "i", "can", "not", "log", "in", "does", "not", "charge"
    ]


def test_italian_chat_abbreviations_are_expanded():
    assert normalise("nn va cmq", "it") == normalise("non va comunque", "it")
    assert "non" in normalise("nn si accende", "it")


def test_english_chat_abbreviations_are_expanded():
    assert normalise("u cant login pls", "en") == normalise("you can not login please", "en")
    assert normalise("dunno wat to do rn", "en") == normalise("do not know what to do now", "en")


def test_more_italian_chat_abbreviations_are_expanded():
    assert normalise("xk nn va? cs faccio", "it") == normalise("perche non va? cosa faccio", "it")
    assert normalise("un prob cn il tablet", "it") == normalise("un problema con il tablet", "it")


def test_expressions_are_said_in_plain_words_keeping_the_negation():
    assert normalise("il tablet nn parte", "it") == normalise("il tablet non si accende", "it")
    assert normalise("il tablet è mortooo", "it") == normalise("il tablet non si accende", "it")
    assert normalise("ci mette una vita", "it") == normalise("è lento", "it")
    assert normalise("my laptop is dead", "en") == normalise("my laptop won't turn on", "en")
    assert normalise("it takes forever", "en") == normalise("it is slow", "en")
    assert normalise("il tablet nn prende il wifi", "it") == normalise(
        "il tablet non si collega al wifi", "it"
    )
    assert normalise("I can't get into my account", "en") == normalise(
        "I can't log in to my account", "en"
    )


def test_an_expression_needs_all_its_words():
    assert normalise("da nessuna parte", "it") == ["nessun", "part"]
    assert normalise("parte il video", "it") == normalise("parte video", "it")
    terms = Normaliser("it").terms("nn parte")
    assert [t.term for t in terms] == normalise("non si accende", "it")


def test_a_word_split_in_two_is_one_word():
    assert normalise("il wi fi", "it") == normalise("il wifi", "it")
    assert normalise("the wi fi", "en") == normalise("the wifi", "en")


def test_stop_words_go_but_negations_stay():
    assert normalise("il tablet non si accende", "it") == normalise("tablet non accende", "it")
    assert "non" in normalise("il tablet non si accende", "it")
    assert "not" in normalise("the tablet does not charge", "en")
    assert "no" in normalise("no sound", "en")


def test_stemming_brings_word_forms_together():
    assert normalise("accendere", "it") == normalise("accende", "it")
    assert normalise("charging", "en") == normalise("charges", "en")


def test_kb_synonym_groups_fold_onto_one_term():
    groups = [("wifi", "wi-fi", "wireless"), ("password", "pw", "credenziali")]
    assert normalise("wireless", "it", groups) == normalise("wifi", "it", groups)
    assert normalise("le credenziali", "it", groups) == normalise("la password", "it", groups)


def test_a_synonym_may_be_several_words():
    assert normalise("I cannot sign in", "en") == normalise("I cannot login", "en")


def test_terms_remember_the_users_word():
    terms = Normaliser("it").terms("il TABLET nn si accendeee")
    assert [t.word for t in terms] == ["tablet", "non", "accende"]


def test_a_language_without_a_lexicon_still_normalises():
    assert normalise("Le Wi-Fi ne marche pas!", "fr")[:1] == ["le"]


def test_language_is_detected_from_function_words():
    normalisers = [Normaliser("it"), Normaliser("en")]
    assert detect_language("il tablet nn si accende", normalisers) == "it"
    assert detect_language("my ipad wont turn on", normalisers) == "en"
    assert detect_language("tablet", normalisers) == "it"


def test_elided_demonstratives_are_stop_words():
    assert normalise("quest'anno", "it") == normalise("anno", "it")
    assert normalise("quest anno quell'app", "it") == normalise("anno app", "it")


def test_adjectives_fold_onto_their_noun():
    assert normalise("l'anno scolastico", "it") == normalise("l'anno della scuola", "it")


def test_childrens_slang_verbs_mean_the_plain_verb():
    assert normalise("mi hanno fregato il pc", "it") == normalise("mi hanno rubato il pc", "it")
    assert normalise("il pc è una lumaca", "it") == normalise("il pc è lento", "it")
    assert normalise("il tablet si è impallato", "it") == normalise("il tablet si è bloccato", "it")
    assert normalise("lo schermo è spaccato", "it") == normalise("lo schermo è rotto", "it")
    assert normalise("someone nicked my laptop", "en") == normalise("someone stole my laptop", "en")
    assert normalise("it takes ages", "en") == normalise("it is slow", "en")
    assert normalise("the ipad won't wake up", "en") == normalise("the ipad won't turn on", "en")
    assert normalise("schiaccio il tasto", "it") == normalise("premo il tasto", "it")
    assert normalise("mi hanno preso il pc", "it") == normalise("mi hanno rubato il pc", "it")
    assert normalise("someone took my laptop", "en") == normalise("someone stole my laptop", "en")


def test_everyday_synonyms_fold_onto_one_word():
    assert normalise("when does school end", "en") == normalise("when does school finish", "en")
    assert normalise("quando termina", "it") == normalise("quando finisce", "it")
    assert normalise("la scheda telefonica", "it") == normalise("la sim", "it")
    assert normalise("la lucina è rossa", "it") == normalise("la spia è rossa", "it")
    assert normalise("forgot the lock code", "en") == normalise("forgot the passcode", "en")
    assert normalise("lasciato sul tram", "it") == normalise("lasciato sull'autobus", "it")
    assert normalise("la webcam del portatile", "it") == normalise("la telecamera del pc", "it")
    assert normalise("my laptop's microphone", "en") == normalise("my computer's mic", "en")
    assert normalise("la connessione del modem", "it") == normalise("internet del router", "it")
    assert normalise("no audio in online lesson", "en") == normalise("no sound in video call", "en")
