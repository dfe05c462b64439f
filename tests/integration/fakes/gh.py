"""A stand-in for the GitHub CLI in dry runs of the workflows' shell steps.

It answers from a JSON state file (comments, issues, pull requests), changes it as `gh` would change
GitHub, applies `--jq` filters with the real `jq`, and logs every call, so a test can check what a
workflow step did to its pull request and issues.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

BOT = {"login": "github-actions[bot]"}


def option(args: list[str], name: str) -> str | None:
    """Remove `name VALUE` from args and return VALUE."""
    if name not in args:
        return None
    index = args.index(name)
    value = args[index + 1]
    del args[index : index + 2]
    return value


# GitHub answers 422 to an issue, a pull request or a comment whose body is longer.
BODY_LIMIT = 65_536


class Refused(Exception):
    """An answer of GitHub's that `gh` prints as an error, exiting 1."""


def body_of(args: list[str]) -> str:
    value = option(args, "--body-file")
    if value is not None:
        text = Path(value).read_text(encoding="utf-8")  # invalid UTF-8 (half a character) fails here
    elif (field := option(args, "-F") or "").startswith("body=@"):
        text = Path(field[len("body=@") :]).read_text(encoding="utf-8")
    else:
        text = option(args, "--comment") or option(args, "--body") or ""
    if len(text) > BODY_LIMIT:
        raise Refused(f"HTTP 422: Validation Failed (body is too long (maximum is {BODY_LIMIT} characters))")
    return text


def api(state: dict[str, Any], args: list[str]) -> Any:
    method = option(args, "--method") or "GET"
    args = [a for a in args if a != "--paginate"]
    body = body_of(args) if "-F" in args else None
    parts = args[0].split("/")
    comments: list[dict[str, Any]] = state.setdefault("comments", [])
    if parts[-1] == "pulls":  # repos/R/commits/SHA/pulls
        return state.get("pulls", [])
    if parts[-2] == "comments" and parts[-3] == "issues" and method != "POST":
        found = next(c for c in comments if str(c["id"]) == parts[-1])
        if method == "PATCH":
            found["body"] = body
        elif method == "DELETE":
            comments.remove(found)
            return None
        return found
    if method == "POST":
        new = {"id": 1000 + len(state.setdefault("created", [])), "user": BOT, "body": body}
        new["html_url"] = f"https://github.test/comment/{new['id']}"
        state["created"].append(new["id"])
        comments.append(new)
        return new
    return comments


def issues(state: dict[str, Any], verb: str, args: list[str]) -> Any:
    known: list[dict[str, Any]] = state.setdefault("issues", [])
    if verb == "list":
        label, wanted = option(args, "--label"), option(args, "--state")
        fields = (option(args, "--json") or "number").split(",")
        rows = [i for i in known if label in i["labels"] and i["state"] == wanted]
        return [{name: issue[name] for name in fields} for issue in rows]
    if verb == "create":
        title, label = option(args, "--title"), option(args, "--label")
        issue = {"number": 100 + len(known), "title": title, "labels": [label], "state": "open"}
        issue |= {"body": body_of(args), "comments": []}
        known.append(issue)
        return None
    issue = next(i for i in known if str(i["number"]) == args[0])
    if verb == "view":
        return {"body": issue["body"], "comments": [{"body": text} for text in issue["comments"]]}
    if verb == "close":
        issue["state"] = "closed"
    text = body_of(args)
    if text:
        issue["comments"].append(text)
    return None


def main(argv: list[str]) -> int:
    state_file = Path(os.environ["GH_FAKE_STATE"])
    state = json.loads(state_file.read_text(encoding="utf-8"))
    state.setdefault("calls", []).append(argv)
    args = list(argv)
    if any(argv[: len(prefix)] == prefix for prefix in state.get("refuse", [])):  # e.g. a locked pull request
        print(f"HTTP 403: refused: {' '.join(argv[:2])}", file=sys.stderr)
        return 1
    jq = option(args, "--jq")
    option(args, "--repo")
    option(args, "--limit")
    try:
        if args[0] == "api":
            answer = api(state, args[1:])
        elif args[0] == "issue":
            answer = issues(state, args[1], args[2:])
        elif args[:2] == ["pr", "comment"]:
            state.setdefault("pr_comments", []).append({"pr": args[2], "body": body_of(args[3:])})
            answer = None
        elif args[:2] == ["label", "create"]:
            state.setdefault("labels", []).append(args[2])
            answer = None
        else:
            print(f"fake gh: unknown command {argv}", file=sys.stderr)
            return 1
    except Refused as refused:
        print(refused, file=sys.stderr)
        return 1
    state_file.write_text(json.dumps(state), encoding="utf-8")
    if answer is None:
        return 0
    if jq is None:
        print(json.dumps(answer))
        return 0
    return subprocess.run(["jq", "-r", jq], input=json.dumps(answer), text=True, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
