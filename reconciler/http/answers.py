"""Answers of the wrong shape, said in words.

A server, proxy or gateway may answer a request with anything: an HTML page, an empty body, JSON of
another shape. Providers read each answer through small checks (`an_object`, `a_list`, `a_text`,
`whole_number`, `field`) that raise `UnexpectedAnswer` saying what was wrong; the client turns it
into an ApiError naming the method, host, path and status. A Python error (`KeyError('name')`,
`'int' object is not iterable`) never stands for a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from reconciler.errors import ApiError

if TYPE_CHECKING:
    import httpx  # types only: providers check answers with this module, and loading rules needs no HTTP stack

T = TypeVar("T")
# What a reader that indexes an answer raises when the answer is not of the shape it assumed.
SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


class UnexpectedAnswer(Exception):
    """The answer is not of the shape the request's reader expects; the message says how, in words."""


def describe(value: Any) -> str:
    """A JSON value in words, by its kind (never its content, which may be long or echo a secret)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "an empty text" if not value else "a text"
    if isinstance(value, list):
        return "an empty list" if not value else f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        if not value:
            return "an empty object"
        names = ", ".join(repr(str(key))[:40] for key in list(value)[:5])
        return f"an object with the fields {names}" + (", ..." if len(value) > 5 else "")
    return type(value).__name__


def an_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UnexpectedAnswer(f"{what} is {describe(value)}, not an object")
    return value


def a_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise UnexpectedAnswer(f"{what} is {describe(value)}, not a list")
    return value


def a_text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise UnexpectedAnswer(f"{what} is {describe(value)}, not a non-empty text")
    return value


def ascii_digits(text: str) -> bool:
    """Whether `text` is digits 0-9 only: str.isdigit also takes "²" and other digits int() refuses."""
    return text.isascii() and text.isdigit()


def whole_number(value: Any, what: str, *, minimum: int = 0) -> int:
    """A whole number, given as a JSON number or as its digits (some APIs send numbers in headers or texts)."""
    if isinstance(value, str) and ascii_digits(value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        shown = describe(value) if not isinstance(value, int) or isinstance(value, bool) else str(value)
        raise UnexpectedAnswer(f"{what} is {shown}, not a whole number of at least {minimum}")
    return value


def field(mapping: dict[str, Any], name: str, what: str) -> Any:
    if name not in mapping:
        raise UnexpectedAnswer(f"{what} has no {name!r} field")
    return mapping[name]


def not_json(response: httpx.Response) -> str:
    """Why a body is not the JSON expected, in words."""
    text = response.content.strip()
    kind = response.headers.get("Content-Type", "").split(";")[0].strip()
    if not text:
        return "the answer is empty, not JSON"
    if kind == "text/html" or text[:1] == b"<":
        return "the answer is an HTML page, not JSON (a proxy, gateway or login page?)"
    return f"the answer is not JSON ({kind or 'no Content-Type'})"


class NonFinite(ValueError):
    """NaN or Infinity in an answer: Python's JSON reader takes them, JSON does not (nor would a plan)."""


def _not_a_number(constant: str) -> Any:
    raise NonFinite(constant)


def bare_answer(status: int, kind: str | None, content: bytes) -> httpx.Response:
    """An answer with only what reading it takes: its status, content type and body."""
    import httpx  # loaded by then: whoever holds an answer has made a request

    return httpx.Response(status, headers={"Content-Type": kind} if kind is not None else None, content=content)


def parse_answer(response: httpx.Response, method: str, where: str, read: Callable[[Any], T]) -> T:
    """`read` applied to the JSON answer; any shape it did not expect is an ApiError in words."""
    try:
        answer = json.loads(response.content, parse_constant=_not_a_number)
    except NonFinite as exc:
        raise ApiError(
            f"unexpected answer: it holds {exc}, which is not JSON (and no rule value)",
            status=response.status_code,
            method=method,
            path=where,
        ) from exc
    except ValueError as exc:
        raise ApiError(not_json(response), status=response.status_code, method=method, path=where) from exc
    try:
        return read(answer)
    except UnexpectedAnswer as exc:
        message = f"unexpected answer: {exc}"
    except SHAPE_ERRORS as exc:  # a reader that assumed more than it checked: still words, not a Python error
        message = f"unexpected answer: {shape_words(exc)}; the answer is {describe(answer)}"
    raise ApiError(message, status=response.status_code, method=method, path=where)


def shape_words(exc: BaseException) -> str:
    """What a Python error raised while reading an answer means, in words."""
    if isinstance(exc, KeyError):
        return f"a field {str(exc.args[0])[:60]!r} is missing"
    if isinstance(exc, IndexError):
        return "a list is shorter than expected"
    return "a value is of another kind than expected"
