"""A provider is added by its own package, its emulator, its tests and one line of the
registry: no other file of kassa imports a provider package or names a provider in its code.

For each kassa/providers/<name>/ package, every kassa/ module outside it and outside its
emulator (kassa/sandbox/<name>/) is read with `ast` (so comments and docstrings do not count,
nor templates, nor a sentence that shows the provider's name to people) and an offence is:
- an import of kassa.providers.<name> (a statement, or a module path given as a string);
- a name, attribute, argument, keyword or definition that is <name> or has it as one of its
  words (`payme`, `payme_secret_key`, `SANDBOX_PAYME_KEY`, `PaymeError`);
- a string literal equal to <name>, or one without spaces that has it as a word: a path
  ("/webhooks/payme"), a key ("payme_31630"), a setting's name. A sentence (with spaces)
  is text for people, where "Payme" is the provider's name as they read it.
The old migrations (kassa/db/migrations/) are history and are not read. The one file allowed
to name them all is the registry, kassa/providers/plugins.py.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

KASSA = Path(__file__).resolve().parents[2] / "kassa"
PROVIDERS = sorted(path.parent.name for path in (KASSA / "providers").glob("*/__init__.py"))
ALLOWED = {Path("providers/plugins.py")}
NOT_READ = (Path("db/migrations"),)
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")  # snake_case, CamelCase, UPPER_CASE


def _has_word(identifier: str, name: str) -> bool:
    return name in (word.lower() for word in _WORDS.findall(identifier))


def _identifier(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.arg | ast.keyword):
        return node.arg
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name
    return None


def _module(path: Path) -> list[str]:
    """The dotted package a file's relative imports start from."""
    parts = ["kassa", *path.relative_to(KASSA).with_suffix("").parts]
    return parts if parts[-1] == "__init__" and parts.pop() else parts[:-1]


def _imports(node: ast.AST, path: Path) -> Iterator[str]:
    """The modules an import statement names, relative ones resolved."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        package = _module(path)
        base = package[: len(package) - node.level + 1] if node.level else []
        module = ".".join([*base, *(node.module.split(".") if node.module else [])])
        yield module
        yield from (f"{module}.{alias.name}" for alias in node.names)


def _is_package(module: str, name: str) -> bool:
    package = f"kassa.providers.{name}"
    return module == package or module.startswith((f"{package}.", f"{package}:"))


def offences(path: Path, name: str) -> Iterator[tuple[int, str]]:
    """(line, what) for every place `path` imports or names provider `name`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    docstrings = {id(doc) for doc in _docstrings(tree)}
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if id(node) in docstrings:
            continue
        if any(_is_package(module, name) for module in _imports(node, path)):
            yield line, "imports its package"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if _is_package(text, name):
                yield line, f"its module path {text!r}"
            elif text == name or (not re.search(r"\s", text) and _word_in(text, name)):
                yield line, f"the literal {text!r}"
        elif (identifier := _identifier(node)) is not None and _has_word(identifier, name):
            yield line, f"the identifier {identifier}"


def _docstrings(tree: ast.AST) -> Iterator[ast.AST]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                yield first.value


def _word_in(text: str, name: str) -> bool:
    return re.search(rf"(?<![a-z]){name}(?![a-z])", text, re.IGNORECASE) is not None


def files_outside(name: str) -> Iterator[Path]:
    """kassa's modules outside the provider's package and its emulator."""
    own = (Path("providers") / name, Path("sandbox") / name)
    for path in sorted(KASSA.rglob("*.py")):
        relative = path.relative_to(KASSA)
        if not any(relative.is_relative_to(skip) for skip in (*own, *NOT_READ)):
            yield path


def naming(name: str) -> dict[Path, list[tuple[int, str]]]:
    found: dict[Path, list[tuple[int, str]]] = {}
    for path in files_outside(name):
        if hits := sorted(set(offences(path, name))):
            found[path.relative_to(KASSA)] = hits
    return found


def test_every_provider_package_is_found() -> None:
    assert {"click", "kaspi", "payme", "stripe", "yookassa"} <= set(PROVIDERS)


@pytest.mark.parametrize("name", PROVIDERS)
def test_an_emulator_is_a_package_of_its_own(name: str) -> None:
    """kassa/sandbox/<name>/ with `build(ctx)`, never a module among the shared ones."""
    assert not (KASSA / "sandbox" / f"{name}.py").exists()
    assert not list((KASSA / "sandbox").glob(f"{name}_*.py"))
    if (KASSA / "sandbox" / name).exists():
        package = importlib.import_module(f"kassa.sandbox.{name}")
        assert callable(package.build)


@pytest.mark.parametrize("name", PROVIDERS)
def test_the_registry_is_the_only_file_outside_a_provider_that_names_it(name: str) -> None:
    found = naming(name)
    assert set(found) & ALLOWED, f"the registry does not name {name}: the reading misses it"
    offenders = {path: hits for path, hits in found.items() if path not in ALLOWED}
    report = "\n".join(
        f"  kassa/{path}:{line}: {what}" for path, hits in offenders.items() for line, what in hits
    )
    print(f"{name}: {len(offenders)} file(s) outside its package name it\n{report}")
    assert not offenders, f"{name} is named outside its package:\n{report}"
