"""Kana folding, name keeping, address normalising and the 個人番号 check digit (no database)."""

import pytest

from modules.residents import kana, mynumber


def test_half_width_and_hiragana_become_full_width_katakana():
    assert kana.normalize_kana("ﾀｶﾊｼ") == "タカハシ"
    assert kana.normalize_kana("ｶﾞｯｺｳ") == "ガッコウ"  # voiced marks compose
    assert kana.normalize_kana("たかはし\u3000 いちろう") == "タカハシ イチロウ"


@pytest.mark.parametrize("typed", ["キョウコ", "キヨウコ", "きょうこ", "ｷｮｳｺ", "キョーコ", "キョ ウコ"])
def test_search_key_ignores_small_kana_long_vowels_and_spaces(typed):
    assert kana.kana_search_key(typed) == kana.kana_search_key("キョウコ") == "キヨコ"


@pytest.mark.parametrize(("one", "other"), [("サトウ", "サトー"), ("オオノ", "オーノ"), ("ユウコ", "ユーコ")])
def test_long_vowels_written_with_a_vowel_letter_fold_too(one, other):
    assert kana.kana_search_key(one) == kana.kana_search_key(other)


def test_search_key_keeps_voiced_marks():
    assert kana.kana_search_key("ガ") != kana.kana_search_key("カ")


@pytest.mark.parametrize("text", ["タカハシ", "スミス・ジョン", "ヴァン デル", "サトー"])
def test_katakana_is_accepted(text):
    assert kana.is_katakana(kana.normalize_kana(text))


@pytest.mark.parametrize("text", ["高橋", "タカ橋", "Takahashi", "タカハシ1"])
def test_kanji_latin_and_digits_are_not_kana(text):
    assert not kana.is_katakana(kana.normalize_kana(text))


def test_names_keep_every_character_including_variation_selectors():
    ivs = "葛\U000e0100城"
    assert kana.normalize_name(ivs) == ivs
    assert kana.normalize_name("\u3000髙橋 ") == "髙橋"  # 髙 (はしご高) stays 髙
    assert kana.normalize_name("ﾔﾏﾀﾞ") == "ヤマダ"  # half-width katakana in a name are widened
    # The search key folds the selector away, so 葛城 finds 葛󠄀城.
    assert kana.name_search_key(ivs) == kana.name_search_key("葛城") == "葛城"


def test_address_parts_are_widened_and_dashes_unified():
    assert kana.normalize_address_part("1-2-3") == "１－２－３"
    assert kana.normalize_address_part("１‐２") == "１－２"
    assert kana.address_search_key("吉原１－２－３") == kana.address_search_key("吉原 1-2-3") == "吉原1-2-3"


def test_mynumber_check_digit():
    # Worked example: 12345678901 → weights 2..7,2..6 from the right → check digit 8.
    assert mynumber.check_digit("12345678901") == 8
    assert mynumber.is_valid("123456789018")
    assert not mynumber.is_valid("123456789010")
    assert not mynumber.is_valid("12345678901")
    assert mynumber.normalize("１２３４ ５６７８-９０１８") == "123456789018"


def test_mynumber_key_is_the_citys_own():
    fuji = mynumber.Vault.for_city("secret", "fuji")
    fujinomiya = mynumber.Vault.for_city("secret", "fujinomiya")
    token = fuji.encrypt("123456789018")
    assert "123456789018" not in token
    assert fuji.decrypt(token) == "123456789018"
    assert fujinomiya.decrypt(token) is None
    assert fuji.digest("123456789018") != fujinomiya.digest("123456789018")
