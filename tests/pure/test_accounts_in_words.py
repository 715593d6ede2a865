"""Accounts in words (accounts.py): the one wording every report uses for an account."""

import pytest
from guardduty_alerts.accounts import ACCOUNT_ID_PATTERN, account_in_words, account_names


def test_names_a_configured_account_with_its_id_beside_it() -> None:
    names = account_names({"111111111111": "payments-prod"})
    assert account_in_words("111111111111", names) == "account payments-prod (111111111111)"


def test_an_account_the_config_does_not_name_is_its_id() -> None:
    assert account_in_words("222222222222", account_names({"111111111111": "a"})) == "account 222222222222"


def test_the_mapping_is_sorted_by_id_and_read_only() -> None:
    names = account_names({"222222222222": "b", "111111111111": "a"})
    assert list(names) == ["111111111111", "222222222222"]
    with pytest.raises(TypeError):
        names["333333333333"] = "c"  # type: ignore[index]


def test_account_id_is_twelve_digits_exactly() -> None:
    assert ACCOUNT_ID_PATTERN.fullmatch("012345678901")
    assert not ACCOUNT_ID_PATTERN.fullmatch("12345678901")
    assert not ACCOUNT_ID_PATTERN.fullmatch("1234567890123")
