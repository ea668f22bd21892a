"""What kassa shows people, found in its sources, for the translation tests: every text a
template translates (and every literal word it would show untranslated), the messages the
views compose, the details services raise and the notes apply_update writes."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment, nodes

ROOT = Path(__file__).resolve().parent.parent / "kassa"
LETTERS = re.compile(r"[^\W\d_]")
# what may stand untranslated in any language: the brand, codes in capitals (UTC, PDF, CSV,
# USD), a phone mask, the example of a time zone's name
NEUTRAL = re.compile(r"^(kassa|[A-Z][A-Z0-9_]*|[+]?[x0-9]+|Asia/Tashkent)$")
# words a template writes into markup, never shown as text
MARKUP = frozenset({"selected", "checked", "on", "off", "error", "password", "text", "en"})
SHOWN_ATTRIBUTES = frozenset({"placeholder", "title", "aria-label", "alt", "data-confirm"})


@dataclass
class Templates:
    keys: set[str] = field(default_factory=set)  # what `_()` is asked, "context|English"
    dynamic: list[str] = field(default_factory=list)  # `_(name)`: the names, found elsewhere
    untranslated: list[str] = field(default_factory=list)  # words shown without `_()`


def _is_gettext(node: nodes.Node) -> bool:
    return (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name == "_"
    )


def _shown(node: nodes.Node | None) -> list[str]:
    """The literal strings an output expression would print as they are."""
    if node is None or _is_gettext(node):
        return []
    if isinstance(node, nodes.Const):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, nodes.CondExpr):
        return _shown(node.expr1) + _shown(node.expr2)
    if isinstance(node, nodes.Concat):
        return [s for n in node.nodes for s in _shown(n)]
    if isinstance(node, nodes.Filter):  # "%.1f s"|format(x) prints its text
        return _shown(node.node)
    if (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Getattr)
        and node.node.attr == "format"  # "... {n} ...".format(n=…)
    ):
        return _shown(node.node.node)
    if isinstance(node, (nodes.Or, nodes.And, nodes.Add)):
        return _shown(node.left) + _shown(node.right)
    return []


def _words(text: str) -> list[str]:
    """The words of a text a person would read that are not neutral."""
    text = re.sub(r"%[-0-9.]*[sdf%]", " ", text)  # a format's places
    return [
        w
        for w in re.split(r"[\s()·•,.:;!?|–—→←\[\]]+", text)
        if LETTERS.search(w) and not NEUTRAL.match(w)
    ]


class _Visible(HTMLParser):
    """Text and the attributes a person reads, outside <style> and <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self.hidden += 1
        self.texts += [v for k, v in attrs if k in SHOWN_ATTRIBUTES and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.texts.append(data)


def templates(folder: Path, env: Environment) -> Templates:
    found = Templates()
    for path in sorted(folder.glob("*.html")):
        source = path.read_text()
        tree = env.parse(source)
        for call in tree.find_all(nodes.Call):
            if not _is_gettext(call):
                continue
            first = call.args[0] if call.args else None
            context = call.args[1] if len(call.args) > 1 else None
            if isinstance(first, nodes.Const) and isinstance(first.value, str):
                prefix = f"{context.value}|" if isinstance(context, nodes.Const) else ""
                found.keys.add(prefix + first.value)
            else:
                found.dynamic.append(f"{path.name}: {first}")
        for output in tree.find_all(nodes.Output):
            for child in output.nodes:
                if isinstance(child, nodes.TemplateData):
                    continue
                for text in _shown(child):
                    if text not in MARKUP:
                        found.untranslated += [f"{path.name}: {w}" for w in _words(text)]
        # the markup's own text: every {{ }}, {% %} and {# #} taken out first
        bare = re.sub(r"{{.*?}}|{%.*?%}|{#.*?#}", " ", source, flags=re.DOTALL)
        visible = _Visible()
        visible.feed(bare)
        for text in visible.texts:
            found.untranslated += [f"{path.name}: {w}" for w in _words(text)]
    return found


def _template_of(node: ast.expr) -> str | None:
    """A str literal or an f-string as its source: `{expr}` for each value filled in."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = ""
        for part in node.values:
            if isinstance(part, ast.Constant):
                out += str(part.value)
            elif isinstance(part, ast.FormattedValue):
                conversion = "!r" if part.conversion == ord("r") else ""
                out += "{" + ast.unparse(part.value) + conversion + "}"
        return out
    return None


def page_titles(*files: Path) -> set[str]:
    """The `title=` and `nav=` a view gives a page, where they are literals."""
    found = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg in ("title", "nav"):
                text = _template_of(node.value)
                if text is not None and "{" not in text:
                    found.add(text)
    return found


def admin_sources() -> list[Path]:
    """Every module of the admin UI: its shared parts and each page (kassa/admin/pages/)."""
    return sorted((ROOT / "admin").rglob("*.py"))


# what sends the operator back to a page with a message: `back_to(path, message, ...)`
BACK = "back_to"


def messages_after_buttons(*files: Path) -> set[str]:
    """Every English message a view passes to `back_to`: literals, the names bound to
    literals in its module, and both sides of a conditional."""
    found: set[str] = set()
    for path in files:
        tree = ast.parse(path.read_text())
        bound = {
            t.id: node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            for t in node.targets
            if isinstance(t, ast.Name)
        }

        def texts(node: ast.expr, bound: dict[str, ast.expr] = bound) -> list[str]:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                return [node.value]
            if isinstance(node, ast.IfExp):
                return texts(node.body) + texts(node.orelse)
            if isinstance(node, ast.Name) and node.id in bound:
                return texts(bound[node.id])
            return []

        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and len(node.args) > 1:
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name == BACK:
                    found.update(texts(node.args[1]))
    return found


# The exceptions whose text reaches a person: kassa's problems, and what services pass on
# from the providers' declarations and the domain's rules (kassa.domain.refusal_words).
PASSED_ON = frozenset({
    "CancelNotSupported", "RefundNotSupported", "NotConfigured", "RefundTooLarge",
    "InvalidMerchant", "InvalidPhone", "DestinationRefused", "Unresolvable",
})  # fmt: skip


def raised_details() -> set[str]:
    """Every literal detail kassa raises (kassa.domain.errors' problems, in services, domain
    and providers) and every text of the exceptions services pass on, as their sources."""
    from kassa.domain import errors

    problems = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.KassaError)
    }
    found: set[str] = set()
    for folder in ("services", "domain", "providers"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and node.args:
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    if name in problems or name in PASSED_ON:
                        text = _template_of(node.args[0])
                        if text is not None:
                            found.add(text)
                if isinstance(node, ast.FunctionDef) and node.name == "request_problem":
                    for ret in ast.walk(node):
                        if isinstance(ret, ast.Return) and ret.value is not None:
                            text = _template_of(ret.value)
                            if text is not None:
                                found.add(text)
    return found


def update_notes() -> set[str]:
    """The reasons apply_update gives for an update it does not apply, as their sources."""
    tree = ast.parse((ROOT / "services" / "payments" / "updates.py").read_text())
    found: set[str] = set()
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef) and function.name in (
            "_decide",
            "_amount_mismatch",
        ):
            for node in ast.walk(function):
                if isinstance(node, (ast.JoinedStr, ast.Constant)) and not isinstance(
                    node, ast.Constant
                ):
                    text = _template_of(node)
                    if text:
                        found.add(text)
    return found
