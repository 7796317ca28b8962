"""Which environment variables the settings read, found by scanning their source.

A regex over ent/settings.py and the project modules it imports (ent.env ...):
every env_*("NAME") and os.environ / os.getenv read. For env_secret names the
Docker-secret variant NAME_FILE is read too.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_READ = re.compile(r"""\benv_(str|bool|int|list|secret)\(\s*["']([A-Z][A-Z0-9_]*)["']""")
_OS = re.compile(r"""\bos\.(?:environ(?:\.get|\.setdefault)?\s*[\(\[]|getenv\()\s*["']([A-Z][A-Z0-9_]*)["']""")
_IMPORT = re.compile(r"^\s*(?:from|import)\s+(ent(?:\.\w+)*)", re.MULTILINE)


def _modules(start: Path) -> list[Path]:
    seen, todo = [], [start]
    while todo:
        path = todo.pop()
        if path in seen or not path.exists():
            continue
        seen.append(path)
        for dotted in _IMPORT.findall(path.read_text()):
            candidate = ROOT / Path(*dotted.split("."))
            todo += [candidate.with_suffix(".py"), candidate / "__init__.py"]
    return seen


def settings_env_names() -> set[str]:
    names = set()
    for path in _modules(ROOT / "ent" / "settings.py"):
        text = path.read_text()
        for kind, name in _READ.findall(text):
            names.add(name)
            if kind == "secret":
                names.add(f"{name}_FILE")
        names.update(_OS.findall(text))
    return names


_ASSIGN = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def env_example_names(path: Path = ROOT / ".env.example") -> set[str]:
    """Variables in .env.example, set or commented out (`# NAME=value`)."""
    return set(_ASSIGN.findall(path.read_text()))
