import pytest

from kassa.core.crypto import SecretBox, mask
from kassa.domain.merchants import InvalidMerchant, check_bin, check_device_token
from kassa.domain.phones import InvalidPhone, normalise_kz_mobile
from kassa.providers.kaspi.mapping import KASPI_STATUSES, UnknownKaspiStatus, map_status


@pytest.mark.parametrize("raw", ["+7 (701) 521-15-45", "87015211545", "7015211545", "77015211545", " +77015211545 "])
def test_kazakh_mobiles_normalise(raw: str) -> None:
    assert normalise_kz_mobile(raw) == "77015211545"


@pytest.mark.parametrize("raw", ["+7 727 123 45 67", "77171234567", "+79161234567", "770152115", "abc", ""])
def test_landlines_foreign_and_garbage_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_kz_mobile(raw)


def test_bins_and_device_tokens() -> None:
    assert check_bin("123456789012") == "123456789012"
    for bad in ("12345678901", "1234567890123", "12345678901a"):
        with pytest.raises(InvalidMerchant):
            check_bin(bad)
    with pytest.raises(InvalidMerchant):
        check_device_token("nope")


def test_every_known_kaspi_status_is_mapped_and_others_are_not_guessed() -> None:
    assert map_status("Processed")[0].value == "succeeded"
    assert map_status("Wait")[0].value == "processing"
    assert len(KASPI_STATUSES) >= 20
    with pytest.raises(UnknownKaspiStatus):
        map_status("processed")  # statuses are case-sensitive, not fuzzy-matched


def test_sealed_secrets_open_only_with_their_key_and_rotate() -> None:
    old = SecretBox("old-key-material-0123456789")
    sealed = old.seal("card-token")
    assert "card-token" not in sealed and old.open(sealed) == "card-token"
    rotated = SecretBox("new-key-material-0123456789,old-key-material-0123456789")
    assert rotated.open(sealed) == "card-token"
    with pytest.raises(ValueError):
        SecretBox("another-key-0123456789").open(sealed)
    assert mask("abcdefghijklmnop") == "abcdefgh…****" and mask("abcd") == "ab…****" and mask(None) is None
