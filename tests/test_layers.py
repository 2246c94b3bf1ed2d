"""The house keeps its floors: a module of score_app imports only modules on its own floor or
below, so every arrow between packages points one way."""

import ast
from pathlib import Path

import score_app

ROOT = Path(score_app.__file__).parent
PACKAGE = ROOT  # where `from score_app import name` looks whether name is a module

# From the ground up. Each entry is a floor: a top-level module or a package of score_app. The
# shared floors come first, then the domains in the order in which each one builds on those
# below it, then what puts them together (the app factory is the roof).
FLOORS = [
    "config",
    "extensions",
    "i18n",
    "exceptions",
    "db_errors",
    "organisation",
    "pdf",
    "charts",
    "request_args",
    "forms",
    "errors",
    "security",
    "mail",
    "compression",
    "static_files",
    "storage",
    "auth",
    "jobs",
    "enterprises",
    "users",
    "catalog",
    "training",
    "kpis",
    "plans",
    "visits",
    "programme",
    "documents",
    "home",
    "offline",
    "api",
    "health",
    "demo",
    "backup",
    "cli",
    "testing",
    "__init__",
]


def _floor_of(module: str) -> str:
    """'score_app.kpis.views' -> 'kpis'; 'score_app' -> '__init__'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imported_modules(tree: ast.AST) -> set[str]:
    """Every score_app module the file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("score_app"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("score_app"):
            if node.module == "score_app":
                found.update(_from_package(alias.name) for alias in node.names)
            else:
                found.add(node.module)
    return found


def _from_package(name: str) -> str:
    """`from score_app import i18n` imports a module; `from score_app import create_app` the
    package's own __init__."""
    is_module = (PACKAGE / f"{name}.py").exists() or (PACKAGE / name).is_dir()
    return f"score_app.{name}" if is_module else "score_app"


def _source_files() -> list[tuple[str, Path]]:
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        floor = relative.parts[0].removesuffix(".py") if relative.parts else "__init__"
        files.append((floor, path))
    return files


def upward_imports() -> list[str]:
    """'kpis/views.py imports plans (floor 16 above 15)' for every import of a higher floor."""
    rank = {floor: number for number, floor in enumerate(FLOORS)}
    found = []
    for floor, path in _source_files():
        if floor not in rank:
            continue  # test_every_module_and_package_has_a_floor names it
        for module in sorted(_imported_modules(ast.parse(path.read_text(), str(path)))):
            target = _floor_of(module)
            if target not in rank:
                found.append(f"{path.relative_to(ROOT)} imports {module}, on no floor")
            elif rank[target] > rank[floor]:
                found.append(f"{path.relative_to(ROOT)} imports {module}, a floor above it")
    return found


def test_every_module_and_package_has_a_floor():
    floors = {floor for floor, _path in _source_files()}
    assert floors <= set(FLOORS), sorted(floors - set(FLOORS))


def test_no_module_imports_one_on_a_floor_above_it():
    assert upward_imports() == []


def test_an_import_of_a_higher_floor_is_caught(tmp_path, monkeypatch):
    """The check itself: a service of a lower domain reaching up into plans is reported."""
    (tmp_path / "enterprises").mkdir()
    (tmp_path / "enterprises" / "services.py").write_text(
        "from score_app.plans import services as plans\nfrom score_app.auth import policy\n"
    )
    monkeypatch.setattr("tests.test_layers.ROOT", tmp_path)
    assert upward_imports() == [
        "enterprises/services.py imports score_app.plans, a floor above it",
    ]
