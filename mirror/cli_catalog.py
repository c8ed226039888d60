"""The input formats (mirror/ingest) and the detectors (mirror/detect) the command line's parser
offers, read from their modules' source text instead of importing them.

Importing the readers costs DuckDB and pandas (0.4 s), the detectors statsmodels and SciPy (about
a second): `--help`, `load --help`, `flags --help` and a mistyped choice should pay neither. The
registries stay the truth: the rules here are theirs (a reader is a module with FORMATS, SOURCE,
sniff, read and stage, listed by ORDER; a detector is a module-level ``detector(name, finds)``
call, registered in module order), a module whose entries are not plain literals makes the
registry itself be imported instead, and tests/test_cli.py checks both give the same lists.
"""

from __future__ import annotations

import ast
import pkgutil
from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_READER_NAMES = ("FORMATS", "SOURCE", "sniff", "read", "stage")


class _NotLiteral(Exception):
    """A registry entry that only running its module can tell: read the registry itself."""


@cache
def formats() -> dict[str, str]:
    """format -> description, in the order of mirror.ingest.FORMATS (`trade-mirror formats`)."""
    try:
        return _formats_from_source()
    except (_NotLiteral, OSError, SyntaxError, UnicodeDecodeError):
        from .ingest import FORMATS

        return dict(FORMATS)


@cache
def detectors() -> dict[str, str]:
    """detector name -> what it finds, in the order of mirror.detect.DETECTORS."""
    try:
        return _detectors_from_source()
    except (_NotLiteral, OSError, SyntaxError, UnicodeDecodeError):
        from .detect import DETECTORS

        return {d.name: d.finds for d in DETECTORS.values()}


def _modules(package: str) -> list[ast.Module]:
    """The package's modules in pkgutil's order (the order its __init__ imports them), parsed."""
    folder = _PACKAGE / package
    found = []
    for module in pkgutil.iter_modules([str(folder)]):
        if module.ispkg:  # a sub-package's own __init__ may register anything
            raise _NotLiteral(module.name)
        found.append(ast.parse((folder / f"{module.name}.py").read_text(encoding="utf-8")))
    return found


def _formats_from_source() -> dict[str, str]:
    readers = []
    for tree in _modules("ingest"):
        names = _top_level_names(tree)
        if not all(name in names for name in _READER_NAMES):
            continue
        fmts, order = _literal(names["FORMATS"]), _literal(names.get("ORDER"))
        if not isinstance(fmts, dict) or not isinstance(order, int):
            raise _NotLiteral("FORMATS or ORDER")
        readers.append((order, fmts))
    readers.sort(key=lambda reader: reader[0])  # stable: equal ORDERs keep module order, as sorted() does there
    return {fmt: text for _, fmts in readers for fmt, text in fmts.items()}


def _detectors_from_source() -> dict[str, str]:
    found: dict[str, str] = {}
    for tree in _modules("detect"):
        for node in tree.body:
            call = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "detector"):
                continue
            args = [_literal(a) for a in call.args] + [None, None]
            keywords = {k.arg: _literal(k.value) for k in call.keywords}
            name, finds = keywords.get("name", args[0]), keywords.get("finds", args[1])
            if not isinstance(name, str) or not isinstance(finds, str):
                raise _NotLiteral("detector(...)")
            found[name] = finds
    return found


def _top_level_names(tree: ast.Module) -> dict[str, ast.AST | None]:
    """Each name the module binds at its top level -> the expression bound (None: a def, class or
    import, whose value needs no reading here)."""
    names: dict[str, ast.AST | None] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = None
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update({(a.asname or a.name).split(".")[0]: None for a in node.names})
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node.value
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = node.value
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) and \
                        len(target.elts) == len(node.value.elts):
                    names.update({t.id: v for t, v in zip(target.elts, node.value.elts, strict=True)
                                  if isinstance(t, ast.Name)})
                elif isinstance(target, ast.Tuple):  # ORDER, DETECT = some_call(): not readable here
                    names.update({t.id: ast.Name("?") for t in target.elts if isinstance(t, ast.Name)})
    return names


def _literal(node: ast.AST | None) -> object:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise _NotLiteral(ast.dump(node)[:80]) from None
