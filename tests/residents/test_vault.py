"""The 個人番号 vault: new tokens are AES-GCM, tokens written before (Fernet) are still read."""

from __future__ import annotations

import base64

import sqlalchemy as sa
from cryptography.fernet import Fernet

from modules.residents.mynumber import Vault, _derive, with_check_digit

SECRET = "a-secret-of-the-application"
NUMBER = with_check_digit("12345678901")


def _old_token(secret: str, slug: str, number: str) -> str:
    """A token as the vault wrote it before AES-GCM: Fernet under the city's derived key."""
    key = base64.urlsafe_b64encode(_derive(secret, f"tenant:{slug}:encrypt"))
    return Fernet(key).encrypt(number.encode()).decode()


def test_a_new_token_is_aes_gcm_and_differs_each_time():
    vault = Vault.for_city(SECRET, "fuji")
    first, second = vault.encrypt(NUMBER), vault.encrypt(NUMBER)
    assert first.startswith("k2.") and second.startswith("k2.")
    assert first != second  # a fresh nonce per token: equal numbers do not show as equal tokens
    assert NUMBER not in first
    assert vault.decrypt(first) == NUMBER and vault.decrypt(second) == NUMBER


def test_a_token_written_before_is_still_read():
    old = _old_token(SECRET, "fuji", NUMBER)
    assert old.startswith("gAAAA")
    assert Vault.for_city(SECRET, "fuji").decrypt(old) == NUMBER
    assert Vault.for_city(SECRET, "fujinomiya").decrypt(old) is None


def test_another_city_or_another_secret_reads_nothing():
    token = Vault.for_city(SECRET, "fuji").encrypt(NUMBER)
    assert Vault.for_city(SECRET, "fujinomiya").decrypt(token) is None
    assert Vault.for_city("another-secret", "fuji").decrypt(token) is None


def test_a_damaged_or_foreign_token_reads_as_none():
    vault = Vault.for_city(SECRET, "fuji")
    token = vault.encrypt(NUMBER)
    raw = bytearray(base64.urlsafe_b64decode(token[3:]))
    raw[-1] ^= 1
    tampered = "k2." + base64.urlsafe_b64encode(bytes(raw)).decode()
    for bad in (tampered, token[:-4], "k2.", "k2.!!!", "k2.QUJD", "gAAAAnot-a-token", "平文"):
        assert vault.decrypt(bad) is None, bad
    assert vault.decrypt(None) is None and vault.decrypt("") is None


def test_a_restored_register_is_checked_against_this_secret(residents):
    """``check_key`` (the module's ``key_check``): numbers another secret encrypted stop a restore."""
    from modules.residents.models import Person
    from modules.residents.rekey import check_key

    atena = residents.add("fuji", mynumber=NUMBER)
    with residents.app.app_context(), residents.session("fuji") as s:
        assert check_key(s, "fuji") is None
        person = s.scalars(sa.select(Person).where(Person.atena_no == atena)).one()
        person.mynumber_token = Vault.for_city("another-secret", "fuji").encrypt(NUMBER)
        s.flush()
        assert "another KYODO_SECRET_KEY" in (check_key(s, "fuji") or "")
    with residents.app.app_context(), residents.session("fujinomiya") as s:
        assert check_key(s, "fujinomiya") is None  # a register without numbers has nothing to check
