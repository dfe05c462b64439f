"""Secret-looking values in rules: token shapes with distinctive prefixes and the config's credential
values are found anywhere in a body; ordinary rule text, and rules that merely describe tokens, are not."""

from __future__ import annotations

import pytest

from reconciler.project.secretscan import body_problems, value_problem

CREDENTIALS = {"s3cr3t-value-123": "VAULT_API_KEY"}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
        ("key ASIAIOSFODNN7EXAMPLE here", "an AWS access key id"),
        ("ghp_" + "a" * 36, "a GitHub token"),
        ("github_pat_" + "A1_" * 20, "a GitHub token"),
        ("xoxb-1234567890-abcdef", "a Slack token"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "a private key"),
        ("sk_live_" + "a1" * 12, "a Stripe secret key"),
        ("AIza" + "B" * 35, "a Google API key"),
        ("eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4", "a JSON Web Token"),
    ],
)
def test_token_shapes_are_named_without_quoting_the_value(text: str, kind: str) -> None:
    message = value_problem(text, {})
    assert message is not None and f"looks like {kind}" in message and text not in message
    # A body is looked at for the shapes' literals first: the quick look must not miss the shape.
    assert body_problems({"rule": [f"in {text} here"]}, {}) == [(["rule", 0], message)]


@pytest.mark.parametrize(
    "text",
    [
        "Alert when a social security number is read",
        "AKIA[0-9A-Z]{16}",  # a rule that looks for AWS keys in data describes the shape, it holds none
        r"\bghp_[A-Za-z0-9]{36}\b",
        "-----BEGIN PUBLIC KEY-----",
        "sk_test_" + "a1" * 12,
        "340476",
        "ghp_short",
        "MASKING_AKIAIOSFODNN7EXAMPLEX",
    ],
)
def test_ordinary_text_passes(text: str) -> None:
    assert value_problem(text, CREDENTIALS) is None


def test_a_credential_value_anywhere_in_a_body_is_found_by_its_variable() -> None:
    body = {"key": "k", "action": {"type": "alert", "message": "token s3cr3t-value-123 leaked"}, "tags": ["a"]}
    [(path, message)] = body_problems(body, CREDENTIALS, "reconciler.yaml")
    assert list(path) == ["action", "message"]
    assert message.startswith("holds the value of VAULT_API_KEY, a credential variable of reconciler.yaml")
    assert "s3cr3t" not in message


SHAPED = [
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_" + "a" * 36,
    "xoxb-1234567890-abcdef",
    "-----BEGIN RSA PRIVATE KEY-----",
    "eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4",
    "s3cr3t-value-123",
]


@pytest.mark.parametrize("text", SHAPED)
def test_a_body_is_judged_value_by_value(text: str) -> None:
    """A body is first searched as one text: a secret split over two values, or made by the values
    around it, is not one; a value that is one is found wherever it stands among the others."""
    half = len(text) // 2
    assert body_problems({"a": text[:half], "b": [text[half:]], "c": "AKIA"}, CREDENTIALS) == []
    assert body_problems({"a": "x" + text[:half], "b": text[half:] + "x"}, CREDENTIALS) == []
    for neighbours in ([], ["word"], ["x-", "-x"]):
        body = {"n": 1, "list": [*neighbours[:1], {"deep": text}, *neighbours[1:]], "tail": "ok"}
        assert [list(path) for path, _ in body_problems(body, CREDENTIALS)] == [
            ["list", min(len(neighbours), 1), "deep"]
        ]


def test_every_value_that_looks_like_a_secret_is_found() -> None:
    body = {"a": SHAPED[0], "b": "plain", "c": [SHAPED[1], "plain", SHAPED[5]], "d": {"e": SHAPED[0]}}
    found = [list(path) for path, _ in body_problems(body, CREDENTIALS)]
    assert found == [["a"], ["c", 0], ["c", 2], ["d", "e"]]
