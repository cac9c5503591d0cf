"""団体コード check digits and tenant slugs."""

import pytest

from tenant_core.codes import check_code, check_slug, code_check_digit, schema_name


@pytest.mark.parametrize("code", ["222101", "222071", "011002", "131016", "271004"])
def test_real_codes_pass(code):
    assert check_code(code) == code


def test_check_digit_follows_the_weights():
    # 2*6 + 2*5 + 2*4 + 1*3 + 0*2 = 33; 33 mod 11 = 0; 11 - 0 = 11 -> last digit 1
    assert code_check_digit("22210") == 1


@pytest.mark.parametrize("code", ["222102", "22210", "2221011", "abcdef", ""])
def test_wrong_codes_fail(code):
    with pytest.raises(ValueError):
        check_code(code)


@pytest.mark.parametrize("slug", ['x"; DROP SCHEMA', "Fuji", "1city", "a", "fuji-shi", "t" * 41, ""])
def test_malformed_slugs_fail(slug):
    with pytest.raises(ValueError):
        check_slug(slug)


def test_schema_name():
    assert schema_name("fujinomiya") == "t_fujinomiya"
