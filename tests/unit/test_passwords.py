"""First passwords satisfy the account policy with IAM's own character set."""

from __future__ import annotations

import string

import pytest

from chalicelib.people.passwords import IAM_SYMBOLS, PasswordPolicy, generate_password
from tests.support.passwords import satisfies


@pytest.mark.parametrize("minimum", [6, 8, 16, 24, 40, 128])
def test_a_generated_password_meets_a_policy_of_any_minimum_length(minimum: int) -> None:
    policy = PasswordPolicy(minimum_length=minimum)

    passwords = [generate_password(policy) for _ in range(50)]

    assert all(satisfies(p, policy) for p in passwords)
    assert all(max(24, minimum) == len(p) <= 128 for p in passwords)


def test_a_generated_password_uses_only_characters_iam_accepts() -> None:
    allowed = set(string.ascii_letters + string.digits + IAM_SYMBOLS)

    used = set("".join(generate_password(PasswordPolicy()) for _ in range(200)))

    assert used <= allowed
    assert used & set(IAM_SYMBOLS)


def test_generated_passwords_differ() -> None:
    assert len({generate_password(PasswordPolicy()) for _ in range(100)}) == 100


@pytest.mark.parametrize(
    ("password", "policy", "ok"),
    [
        ("Aa1!" * 4, PasswordPolicy(minimum_length=16), True),
        ("Aa1!" * 3, PasswordPolicy(minimum_length=16), False),
        ("aa1!" * 4, PasswordPolicy(minimum_length=16), False),
        ("Aa1~" * 4, PasswordPolicy(minimum_length=16), False),
        ("Aa1" * 6, PasswordPolicy(minimum_length=16, require_symbols=False), True),
    ],
)
def test_the_policy_check_knows_each_rule(password: str, policy: PasswordPolicy, ok: bool) -> None:
    assert satisfies(password, policy) is ok


def test_a_generated_password_has_no_look_alike_characters() -> None:
    used = set("".join(generate_password(PasswordPolicy()) for _ in range(500)))

    assert not used & set("O0Il1")


def test_a_generated_password_starts_with_a_letter_so_no_spreadsheet_reads_it_as_a_formula() -> None:
    firsts = {generate_password(PasswordPolicy())[0] for _ in range(500)}

    assert all(c in string.ascii_letters for c in firsts)
