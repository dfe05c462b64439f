"""Bad `reconciler.yaml` inputs, one per row: each is one clear line naming file, line and field,
found by `load_config` (so by `validate`, before any request), never a crash later in `plan`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reconciler.errors import InputError
from reconciler.project.config import load_config
from reconciler.providers.onelogin import OneLoginProvider
from reconciler.providers.primo import PrimoProvider

# (config text, every problem as "line:column field: message"); the target's block starts at line 2,
# and the column is the offending key's or value's.
BAD_CONFIGS = {
    "no credentials": (
        "primo: {provider: primo, url: https://x, credentials: {}}",
        ["2:44 targets.primo.credentials: missing credential 'api_key': primo targets need api_key"],
    ),
    "one of two credentials": (
        "ol: {provider: onelogin, url: https://x, credentials: {client_id: {env: A}}}",
        [
            "2:44 targets.ol.credentials: missing credential 'client_secret': "
            "onelogin targets need client_id, client_secret"
        ],
    ),
    "misspelt credential": (
        "ol:\n    provider: onelogin\n    url: https://x\n    credentials:\n"
        "      client_id: {env: A}\n      clientsecret: {env: B}",
        [
            "7:9 targets.ol.credentials.clientsecret: unknown credential 'clientsecret' (did you mean "
            "'client_secret'?); onelogin targets use client_id, client_secret"
        ],
    ),
    "another provider's credential": (
        "primo: {provider: primo, url: https://x, credentials: {client_id: {env: A}}}",
        ["2:58 targets.primo.credentials.client_id: unknown credential 'client_id'; primo targets use api_key"],
    ),
    "unknown provider": (
        "okta: {provider: okta, url: https://x, credentials: {}}",
        ["2:20 targets.okta.provider: 'okta' is not allowed; expected 'primo', 'vizivault' or 'onelogin'"],
    ),
}


def write_config(tmp_path: Path, target_yaml: str) -> Path:
    path = tmp_path / "reconciler.yaml"
    path.write_text("targets:\n" + textwrap.indent(target_yaml, "  ") + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_is_one_line_per_problem(tmp_path: Path, case: str) -> None:
    text, expected = BAD_CONFIGS[case]
    path = write_config(tmp_path, text)
    with pytest.raises(InputError) as raised:
        load_config(path)
    shown = [str(problem).removeprefix(f"{path}:") for problem in raised.value.problems]
    assert shown == expected


def test_a_target_carries_its_provider_class(tmp_path: Path) -> None:
    config = load_config(
        write_config(
            tmp_path,
            "p: {provider: primo, url: https://x, credentials: {api_key: {env: K}}}\n"
            "o: {provider: onelogin, url: https://x, credentials: {client_id: {env: A}, client_secret: {env: B}}}",
        )
    )
    assert config.targets["p"].provider_class is PrimoProvider
    assert config.targets["o"].provider_class is OneLoginProvider
