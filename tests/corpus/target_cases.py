"""Bad targets: credential values in the environment, URLs (written or from the environment), and
provider options. Each is refused before any request, located in reconciler.yaml, and a credential's
value never appears in the message."""

from __future__ import annotations

from tests.corpus.harness import CONFIG, ENV, LOCATED, Case

CONFIG_FILE = "reconciler.yaml"
PRIMO_URL = b"    url: https://primo.example.test\n"

# (name, value of PRIMO_API_KEY, message)
CREDENTIAL_VALUES: list[tuple[str, str, str]] = [
    ("non-breaking-space", "corpus-primo\u00a0key-0001", "not printable ASCII at position 13 of 21 (U+00A0"),
    ("accented", "corpus-primo-key-000\u00e9", "not printable ASCII"),
    ("curly-quote", "\u201ccorpus-primo-key-0001\u201d", "not printable ASCII at position 1"),
    ("zero-width-space", "corpus-primo-key\u200b-0001", "U+200B"),
    ("trailing-newline", "corpus-primo-key-0001\n", "spaces or a line break before or after it"),
    ("trailing-crlf", "corpus-primo-key-0001\r\n", "spaces or a line break before or after it"),
    ("leading-space", " corpus-primo-key-0001", "spaces or a line break before or after it"),
    ("trailing-tab", "corpus-primo-key-0001\t", "spaces or a line break before or after it"),
    ("inner-tab", "corpus-primo\tkey-0001", "not printable ASCII at position 13"),
    ("inner-newline", "corpus-primo\nkey-0001", "not printable ASCII"),
    ("escape", "corpus-primo-key\x1b[31m", "(U+001B; a control character: a tab, a line break or a terminal escape"),
    ("too-short", "abc", "only 3 character(s) long"),
    ("unset", "", "environment variable PRIMO_API_KEY is not set"),
]
# (name, url as written in reconciler.yaml, message)
URLS: list[tuple[str, str, str]] = [
    ("http-remote", "http://primo.example.test", "uses http://, which sends the credentials to primo.example.test"),
    ("http-remote-ip", "http://203.0.113.7:8080", "unencrypted"),
    ("userinfo", "https://user:pass@primo.example.test", "holds a user name or password"),
    ("userinfo-user-only", "https://token@primo.example.test", "holds a user name or password"),
    ("file", "file:///etc/passwd", "uses file://"),
    ("ftp", "ftp://primo.example.test", "uses ftp://"),
    ("empty", "''", "is empty"),
    ("no-scheme", "primo.example.test", "has no scheme"),
    ("scheme-only", "'https://'", "names no host"),
    ("leading-space", "' https://primo.example.test'", "has spaces or a line break around it"),
    ("trailing-newline", '"https://primo.example.test\\n"', "has spaces or a line break around it"),
    ("inner-space", "'https://primo example.test'", "holds spaces or control characters"),
    ("query", "https://primo.example.test/?key=1", "has a query or fragment"),
    ("fragment", "https://primo.example.test/#x", "has a query or fragment"),
    ("bad-port", "https://primo.example.test:99999", "is not a valid URL"),
    ("port-zero", "https://primo.example.test:0", "has port 0"),
    ("javascript", "'javascript:alert(1)'", "has no scheme"),
    ("number", "443", "must be a text string"),
]
# (name, options as written, message)
OPTIONS: list[tuple[str, str, str]] = [
    ("primo-company-misspelt", "{compnay_id: c_123}", "unknown field 'compnay_id' (did you mean 'company_id'?)"),
    ("primo-company-empty", "{company_id: ''}", "company_id"),
    ("primo-company-list", "{company_id: [c_1]}", "company_id"),
    ("primo-company-bool", "{company_id: true}", "company_id"),
    ("primo-company-space", "{company_id: 'c 123'}", "company_id"),
    ("primo-unknown-option", "{region: eu}", "unknown field 'region'"),
]


def target_cases() -> list[Case]:
    cases = []
    for name, value, message in CREDENTIAL_VALUES:
        env = {"PRIMO_API_KEY": value}
        # the message names the variable; what must never show is the value (when it is one)
        cases.append(
            Case(f"environment/{name}", "environment", LOCATED, message, env=env, where=CONFIG_FILE, secret=value)
        )
    for name, url, message in URLS:
        config = CONFIG.replace(PRIMO_URL, f"    url: {url}\n".encode(), 1)
        cases.append(Case(f"url/{name}", "config", LOCATED, message, {CONFIG_FILE: config}))
        if url[0] in "'\"" or not url.isdigit():
            env_config = CONFIG.replace(PRIMO_URL, b"    url: {env: PRIMO_URL}\n", 1)
            value = url.strip("'\"").replace("\\n", "\n") if url[0] in "'\"" else url
            env = {**ENV, "PRIMO_URL": value}
            expect = "is not set" if not value else message
            cases.append(
                Case(f"url-from-environment/{name}", "environment", LOCATED, expect, {CONFIG_FILE: env_config}, env=env)
            )
    for name, options, message in OPTIONS:
        config = CONFIG.replace(PRIMO_URL, PRIMO_URL + f"    options: {options}\n".encode(), 1)
        cases.append(Case(f"options/{name}", "config", LOCATED, message, {CONFIG_FILE: config}))
    for provider_target in (b"  vault-test:\n", b"  onelogin-test:\n"):
        config = CONFIG.replace(provider_target, provider_target + b"    options: {company_id: c_1}\n", 1)
        name = provider_target.decode().strip(" :\n")
        message = "unknown field 'company_id'"
        cases.append(Case(f"options/{name}-takes-none", "config", LOCATED, message, {CONFIG_FILE: config}))
    return cases
