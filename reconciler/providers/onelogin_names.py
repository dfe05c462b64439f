"""OneLogin names: an app named by its name, and condition and action values named by the display
name OneLogin's catalogues give them (`value: {name: Administrators}` for role 340476).

Ids differ between tenants; names do not. Names are resolved per tenant and app, through
`GET /api/2/apps` (paged) and `GET .../rules/conditions/{source}/values` or
`.../rules/actions/{action}/values` (`[{"name": ..., "value": ...}]`, values numbers or strings; an
empty list means free text). Each list is read at most once per run, and only for the sources and
actions some manifest names a value of. Nothing unresolved or ambiguous is ever sent.
"""

from __future__ import annotations

# asyncio is imported by the functions that make requests: loading manifests (validate) needs no event loop.
import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from reconciler.engine.model import DesiredRule
from reconciler.errors import ApiError, NameNotResolved, Problem, suggest
from reconciler.http.answers import ascii_digits
from reconciler.providers import onelogin_answers as answers

if TYPE_CHECKING:
    import asyncio

    from reconciler.http.client import ApiClient

APPS_PAGE_SIZE = 1000  # the maximum `limit` of List Apps
MAX_APP_PAGES = 1000  # a bound on paging, far above any tenant
NAMED_APP_PREFIX = "app-name:"  # the scope key of an app a manifest names by name, until resolved
KINDS = {"conditions": "source", "actions": "action"}  # rule list -> the field naming its catalogue


class ByName(BaseModel):
    """`{name: ...}`: an app or a value named as people see it, resolved per tenant."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


# A value as a manifest gives it: the API's own text, or `{name: ...}`. The discriminator keeps a
# mistake in one form from being reported as a mistake in the other too.
def _by_name_or_id(value: Any) -> str:
    return "by_name" if isinstance(value, dict | ByName) else "by_id"


IdOrName = Annotated[Annotated[str, Tag("by_id")] | Annotated[ByName, Tag("by_name")], Discriminator(_by_name_or_id)]
# An app as a manifest names it: its id, or `{name: ...}`.
AppIdOrName = Annotated[
    Annotated[int, Field(gt=0, strict=True), Tag("by_id")] | Annotated[ByName, Tag("by_name")],  # `app: true`: no app
    Discriminator(_by_name_or_id),
]


def named_app(scope: str) -> str | None:
    return scope.removeprefix(NAMED_APP_PREFIX) if scope.startswith(NAMED_APP_PREFIX) else None


def _is_name(value: Any) -> bool:
    return isinstance(value, dict) and "name" in value


@dataclass(frozen=True)
class NameUse:
    """A value given by name: where in which rule, and which catalogue names it."""

    rule: DesiredRule
    path: tuple[str | int, ...]  # in the rule's body
    kind: str  # "conditions" | "actions"
    key: str  # the source or action
    name: str


def name_uses(rules: list[DesiredRule]) -> Iterator[NameUse]:
    for rule in rules:
        for index, condition in enumerate(rule.body.get("conditions") or []):
            if _is_name(condition.get("value")):
                path = ("conditions", index, "value")
                yield NameUse(rule, path, "conditions", condition["source"], condition["value"]["name"])
        for index, action in enumerate(rule.body.get("actions") or []):
            for position, value in enumerate(action.get("value") or []):
                if _is_name(value):
                    path = ("actions", index, "value", position)
                    yield NameUse(rule, path, "actions", action["action"], value["name"])


def refuse_unresolved(body: dict[str, Any], method: str, path: str) -> None:
    """Raise when a body still holds a name where the API wants an id. Resolution runs before any
    plan; this is the last line of defence that nothing named is ever sent."""
    conditions = body.get("conditions") or []
    actions = body.get("actions") or []
    if any(_is_name(c.get("value")) for c in conditions) or any(
        _is_name(v) for a in actions for v in a.get("value") or []
    ):
        raise ApiError("a value is still given by name, not resolved to an id: nothing sent", method=method, path=path)


class Catalogues:
    """One tenant's apps and value catalogues, each read at most once per run and shared by every
    rule, scope and command step (resolving, `validate --remote`, `import`) that needs it."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self._reads: dict[str, asyncio.Future[Any]] = {}

    async def get(self, path: str) -> Any:
        read = self._reads.get(path)
        if read is None:
            import asyncio

            read = self._reads[path] = asyncio.ensure_future(self.client.read_json(path, answers.catalogue))
        return await read

    async def apps(self) -> dict[int, str]:
        """Every app of the tenant by id, with its name."""
        read = self._reads.get("/api/2/apps")
        if read is None:
            import asyncio

            read = self._reads["/api/2/apps"] = asyncio.ensure_future(self._list_apps())
        result: dict[int, str] = await read
        return result

    async def _list_apps(self) -> dict[int, str]:
        apps: dict[int, str] = {}
        for page in range(1, MAX_APP_PAGES + 1):
            response = await self.client.request("GET", "/api/2/apps", params={"limit": APPS_PAGE_SIZE, "page": page})
            items = self.client.answer(response, "GET", "/api/2/apps", answers.apps)
            apps.update(items)
            total_pages = response.headers.get("Total-Pages")
            last = (
                int(total_pages) <= page if total_pages and ascii_digits(total_pages) else len(items) < APPS_PAGE_SIZE
            )
            if last or not items:
                break
        return dict(sorted(apps.items()))

    async def values(self, app: int, kind: str, key: str) -> list[tuple[str, str]]:
        """A source's or action's closed values as (id, name) pairs; empty for free text."""
        entries = await self.get(f"/api/2/apps/{app}/rules/{kind}/{quote(key, safe='')}/values")
        return [(str(e["value"]), str(e.get("name") or "")) for e in entries]

    async def app_id(self, name: str) -> int:
        """The id of the one app of the tenant with this name; NameNotResolved when none or several."""
        apps = await self.apps()
        ids = [app for app, title in apps.items() if title == name]
        if len(ids) == 1:
            return ids[0]
        if ids:
            raise NameNotResolved(
                f"has {len(ids)} apps named {name!r} (ids {', '.join(map(str, ids))}): name the app by its id"
            )
        raise NameNotResolved(f"has no app named {name!r}{suggest(name, set(apps.values()))}")


def _what(kind: str, key: str) -> str:
    return f"condition {key!r}" if kind == "conditions" else f"action {key!r}"


async def resolve_values(catalogues: Catalogues, app: int, label: str, rules: list[DesiredRule]) -> list[Problem]:
    """Put the id of each value named by name into its rule's body (in place), and record the name
    in `rule.names`; a problem for every name the app's catalogue does not hold exactly once."""
    uses = list(name_uses(rules))
    wanted = sorted({(u.kind, u.key) for u in uses})
    import asyncio

    answers = await asyncio.gather(*(_catalogue(catalogues, app, kind, key) for kind, key in wanted))
    catalogue = dict(zip(wanted, answers, strict=True))
    problems: list[Problem] = []
    for rule in {id(u.rule): u.rule for u in uses}.values():
        rule.body = copy.deepcopy(rule.body)  # targets of one manifest share its bodies until resolved
    for use in uses:
        entries = catalogue[use.kind, use.key]
        what = _what(use.kind, use.key)
        if entries is None:
            problems.append(use.rule.problem(use.path, f"{label} has no {what}, so no value of it has a name"))
            continue
        ids = [value for value, name in entries if name == use.name]
        if not entries:
            message = f"{what} takes free text in {label}, not a name from a list: write the value itself"
        elif not ids:
            message = f"{use.name!r} is not a value of {what} in {label}{suggest(use.name, {n for _, n in entries})}"
        elif len(ids) > 1:
            ambiguous = f"{len(ids)} values of {what} in {label} are named {use.name!r}"
            message = f"{ambiguous} (ids {', '.join(ids)}): give the id"
        else:
            _put(use.rule.body, use.path, ids[0])
            use.rule.names += ({"field": use.key, "name": use.name, "id": ids[0]},)
            continue
        problems.append(use.rule.problem(use.path, message))
    return problems


async def _catalogue(catalogues: Catalogues, app: int, kind: str, key: str) -> list[tuple[str, str]] | None:
    """The catalogue, or None when the app has no such source or action (404)."""
    try:
        return await catalogues.values(app, kind, key)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise


def _put(body: dict[str, Any], path: tuple[str | int, ...], value: str) -> None:
    node: Any = body
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


async def name_values(catalogues: Catalogues, app: int, rules: list[dict[str, Any]]) -> str | None:
    """The inverse, for `import`: each id in manifest rules (in place) by its name where that name is
    unique in the app's catalogue, so the imported manifest holds in any tenant with such names.
    Returns the app's name when no other app of the tenant has it (the header can then name it)."""
    wanted = sorted(
        {("conditions", c["source"]) for r in rules for c in r.get("conditions") or []}
        | {("actions", a["action"]) for r in rules for a in r.get("actions") or [] if a.get("value")}
    )
    import asyncio

    answers = await asyncio.gather(*(_catalogue(catalogues, app, kind, key) for kind, key in wanted))
    by_id: dict[tuple[str, str], dict[str, str]] = {}
    for (kind, key), entries in zip(wanted, answers, strict=True):
        names = [name for _, name in entries or []]
        by_id[kind, key] = {value: name for value, name in entries or [] if name and names.count(name) == 1}
    for rule in rules:
        for condition in rule.get("conditions") or []:
            name = by_id["conditions", condition["source"]].get(str(condition["value"]))
            if name is not None:
                condition["value"] = {"name": name}
        for action in rule.get("actions") or []:
            known = by_id.get(("actions", action["action"]), {})
            values = action.get("value")
            if isinstance(values, list):
                action["value"] = [{"name": known[v]} if v in known else v for v in values]
    apps = await catalogues.apps()
    title = apps.get(app)
    return title if title and list(apps.values()).count(title) == 1 else None
