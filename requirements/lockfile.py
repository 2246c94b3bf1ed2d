"""The lock files' stamp: which of setup.cfg's requirement lists each lock was made from.

`make lock` runs pip-compile, then `stamp` writes into each lock a hash of the setup.cfg lists it
was compiled from; `check` (`make lock-check`, run by `make lint`, so by CI, and before every
install) fails when those lists changed since, or when a package they name has no pin in the
lock. Standard library only and no network, so it runs before anything is installed.
"""

import configparser
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Each lock and the extras of setup.cfg it holds on top of install_requires.
LOCKS = {"requirements/app.txt": (), "requirements/test.txt": ("test",)}
STAMP = "# setup.cfg requirements sha256: "
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", re.MULTILINE)


def normalise(name: str) -> str:
    """The package name as PyPI compares names (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(value: str) -> list[str]:
    """One requirement a line, spaces and comments dropped, sorted: reordering is no change."""
    lines = (re.sub(r"\s+", "", line.split("#", 1)[0]) for line in value.splitlines())
    return sorted(line for line in lines if line)


def requirement_lists(setup_cfg: Path, extras: tuple[str, ...]) -> dict[str, object]:
    """What pip-compile resolves for one lock: the Python range, install_requires, the extras."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(setup_cfg, encoding="utf-8")
    lists: dict[str, object] = {
        "python_requires": config.get("options", "python_requires", fallback="").strip(),
        "install_requires": _requirements(config.get("options", "install_requires", fallback="")),
    }
    for extra in extras:
        value = config.get("options.extras_require", extra, fallback=None)
        if value is None:
            raise SystemExit(f"setup.cfg has no extra {extra!r}, which a lock file is made with")
        lists[f"extras_require.{extra}"] = _requirements(value)
    return lists


def digest(lists: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(lists, sort_keys=True).encode()).hexdigest()


def stamp(root: Path = ROOT) -> None:
    """Write the hash of setup.cfg's lists below pip-compile's header of each lock."""
    for lock, extras in LOCKS.items():
        path = root / lock
        line = STAMP + digest(requirement_lists(root / "setup.cfg", extras)) + "\n"
        lines = path.read_text("utf-8").splitlines(True)
        for i, old in enumerate(lines):
            if old.startswith(STAMP):  # an earlier stamp and the blank comment line below it
                del lines[i : i + (2 if lines[i + 1 : i + 2] == ["#\n"] else 1)]
                break
        header = next((i for i, old in enumerate(lines) if not old.startswith("#")), len(lines))
        lines[header:header] = [line, "#\n"]
        path.write_text("".join(lines), "utf-8")


def problems(root: Path = ROOT) -> list[str]:
    """Why the locks do not match setup.cfg, one sentence each; empty when they do."""
    found = []
    for lock, extras in LOCKS.items():
        path = root / lock
        if not path.exists():
            found.append(f"{lock} is missing")
            continue
        text = path.read_text("utf-8")
        lists = requirement_lists(root / "setup.cfg", extras)
        stamped = re.search("^" + re.escape(STAMP) + r"(\w+)", text, re.MULTILINE)
        if stamped is None:
            found.append(f"{lock} has no stamp of the setup.cfg it was made from")
        elif stamped.group(1) != digest(lists):
            found.append(
                f"{lock} is stale: setup.cfg's {', '.join(lists)} changed since it was made"
            )
        pinned = {normalise(name) for name in PIN.findall(text)}
        required = [
            item for key, value in lists.items() if key != "python_requires" for item in value
        ]
        for requirement in required:
            name = NAME.match(requirement)
            if name and normalise(name.group()) not in pinned:
                found.append(f"{lock} pins no version of {name.group()}")
    return found


def main(argv: list[str]) -> int:
    if argv == ["stamp"]:
        stamp()
        return 0
    if argv == ["check"]:
        found = problems()
        for problem in found:
            print(f"lock-check: {problem}", file=sys.stderr)
        if found:
            print("lock-check: run `make lock` and commit requirements/.", file=sys.stderr)
            return 1
        return 0
    print("usage: python requirements/lockfile.py stamp|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
