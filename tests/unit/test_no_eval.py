"""No dynamic code execution or unsafe deserialisation in the `ivorygrpc` package.

A static check with `ast` over every module except the generated `ivorygrpc/v1/`: no
`eval`, `exec` or builtin `compile`; no pickle / cPickle / marshal / shelve (imports or
calls); no `os.system`, `os.popen` or other shell commands (`subprocess` with
`shell=True`, `asyncio.create_subprocess_shell`, `subprocess.getoutput`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ivorygrpc"
GENERATED = PACKAGE / "v1"

DYNAMIC_BUILTINS = {"eval", "exec", "compile"}
UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle"}
SHELL_FUNCTIONS = {
    ("os", "system"), ("os", "popen"), ("posix", "system"), ("posix", "popen"),
    ("subprocess", "getoutput"), ("subprocess", "getstatusoutput"),
    ("asyncio", "create_subprocess_shell"),
}
SUBPROCESS = "subprocess"


class _Checker(ast.NodeVisitor):
    """Collects `(line, message)` for every forbidden construct of one module."""

    def __init__(self) -> None:
        self.findings: list[tuple[int, str]] = []
        self.modules: dict[str, str] = {}  # local name -> module (`import x as y`)
        self.imported: dict[str, tuple[str, str]] = {}  # local name -> (module, name)

    def _flag(self, node: ast.AST, message: str) -> None:
        self.findings.append((getattr(node, "lineno", 0), message))

    # -- imports ---------------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            root = alias.name.split(".")[0]
            self.modules[alias.asname or root] = alias.name if alias.asname else root
            if root in UNSAFE_MODULES:
                self._flag(node, f"imports {alias.name}")
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        root = module.split(".")[0]
        for alias in node.names:
            self.imported[alias.asname or alias.name] = (module, alias.name)
            if root in UNSAFE_MODULES or (node.level == 0 and module == "" and
                                          alias.name in UNSAFE_MODULES):
                self._flag(node, f"imports {alias.name} from {module or '.'}")
            elif (root, alias.name) in SHELL_FUNCTIONS:
                self._flag(node, f"imports {module}.{alias.name}")
            elif module == "builtins" and alias.name in DYNAMIC_BUILTINS:
                self._flag(node, f"imports builtins.{alias.name}")
        self.generic_visit(node)

    # -- calls -----------------------------------------------------------------------------

    def _qualified(self, func: ast.expr) -> tuple[str, str] | None:
        """`(module, name)` of a called function, as far as the imports tell."""
        if isinstance(func, ast.Name):
            if func.id in self.imported:
                module, name = self.imported[func.id]
                return module.split(".")[0], name
            return "builtins", func.id
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = func.value.id
            if owner in self.modules:
                return self.modules[owner].split(".")[0], func.attr
            if owner in self.imported:  # `from os import path` style: module attribute
                module, name = self.imported[owner]
                return name if not module else module.split(".")[0] + "." + name, func.attr
            if owner in ("__builtins__", "builtins"):
                return "builtins", func.attr
        return None

    def visit_Call(self, node: ast.Call) -> None:
        target = self._qualified(node.func)
        if target is not None:
            module, name = target
            if module == "builtins" and name in DYNAMIC_BUILTINS:
                self._flag(node, f"calls {name}()")
            elif module in UNSAFE_MODULES:
                self._flag(node, f"calls {module}.{name}()")
            elif (module, name) in SHELL_FUNCTIONS:
                self._flag(node, f"calls {module}.{name}()")
            elif module == "builtins" and name in ("getattr", "__import__"):
                self._check_dynamic_lookup(node, name)
            elif (module, name) == ("importlib", "import_module"):
                self._check_dynamic_lookup(node, "import_module")
        for keyword in node.keywords:
            if keyword.arg == "shell" and not (isinstance(keyword.value, ast.Constant)
                                               and keyword.value.value in (False, None)):
                where = ".".join(target) if target else "a call"
                self._flag(node, f"{where} with shell={ast.unparse(keyword.value)}")
        self.generic_visit(node)

    def _check_dynamic_lookup(self, node: ast.Call, how: str) -> None:
        """`getattr(builtins, "eval")`, `__import__("pickle")`, `import_module("marshal")`."""
        index = 1 if how == "getattr" else 0
        if len(node.args) > index and isinstance(node.args[index], ast.Constant):
            value = node.args[index].value
            if how == "getattr" and value in DYNAMIC_BUILTINS | {"system", "popen"}:
                self._flag(node, f"getattr(..., {value!r})")
            elif how != "getattr" and str(value).split(".")[0] in UNSAFE_MODULES:
                self._flag(node, f"{how}({value!r})")


def check_source(source: str, filename: str = "<snippet>") -> list[str]:
    """`file:line: message` for every forbidden construct in `source`."""
    checker = _Checker()
    checker.visit(ast.parse(source, filename=filename))
    return [f"{filename}:{line}: {message}" for line, message in sorted(checker.findings)]


def package_files() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if GENERATED not in path.parents)


def test_package_has_no_eval_exec_pickle_or_shell() -> None:
    files = package_files()
    assert len(files) > 20, f"only {len(files)} modules found under {PACKAGE}"
    findings = []
    for path in files:
        relative = path.relative_to(PACKAGE.parent).as_posix()
        findings += check_source(path.read_text(encoding="utf-8"), relative)
    assert not findings, "forbidden constructs:\n" + "\n".join(findings)


@pytest.mark.parametrize("snippet", [
    "eval(x)",
    "result = eval(x, {}, {})",
    "exec(code)",
    "compile(source, '<string>', 'exec')",
    "import builtins\nbuiltins.eval(x)",
    "from builtins import exec as run\nrun(code)",
    "__builtins__.exec(code)",
    "getattr(builtins, 'eval')(x)",
    "import pickle",
    "import pickle as p\np.loads(data)",
    "from pickle import loads",
    "import cPickle",
    "import _pickle",
    "import marshal\nmarshal.loads(data)",
    "from marshal import loads as l",
    "import shelve\nshelve.open('db')",
    "__import__('pickle').loads(data)",
    "import importlib\nimportlib.import_module('marshal')",
    "import os\nos.system('ls')",
    "import os as o\no.popen('ls')",
    "from os import system\nsystem('ls')",
    "import subprocess\nsubprocess.run(cmd, shell=True)",
    "import subprocess as sp\nsp.Popen(cmd, shell=flag)",
    "from subprocess import check_output\ncheck_output(cmd, shell=True)",
    "import subprocess\nsubprocess.getoutput('ls')",
    "import asyncio\nasyncio.create_subprocess_shell('ls')",
    "def f():\n    if x:\n        return eval(text)",
])
def test_checker_flags_forbidden_constructs(snippet: str) -> None:
    findings = check_source(snippet, "snippet.py")
    assert findings, f"not flagged: {snippet!r}"
    assert all(f.startswith("snippet.py:") for f in findings)


def test_checker_reports_file_and_line() -> None:
    assert check_source("x = 1\n\ny = eval(x)\n", "pkg/mod.py") == ["pkg/mod.py:3: calls eval()"]


@pytest.mark.parametrize("snippet", [
    "import re\nre.compile('x')",
    "from re import compile\ncompile('x')",
    "import ast\nast.literal_eval('[1]')",
    "spec.loader.exec_module(module)",
    "session.execute(query)",
    "loop.run_in_executor(None, f)",
    "import subprocess\nsubprocess.run(['ls'], check=False)",
    "import subprocess\nsubprocess.run(['ls'], shell=False)",
    "import json\njson.loads(text)",
    "def evaluate(x):\n    return _eval(x)",
    "import os\nos.path.join('a', 'b')",
])
def test_checker_allows_lookalikes(snippet: str) -> None:
    assert check_source(snippet) == []
