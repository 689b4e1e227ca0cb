"""Import of Python source as workflows (the reverse of `render_python`).

The source is read with `ast.parse` only: nothing is executed. Top-level
`prep`/`main`/`cleanup` functions form one workflow; every other top-level
function becomes a workflow of its own (its body is `main`). Function
parameters are run parameters (`#name`) until a step sets a variable of the
same name. Whatever cannot be expressed as steps is reported with its line
number and, where a step would be lost, kept as a `comment` step.
"""

from __future__ import annotations

import ast
import builtins
import re
from typing import Any

from ivorygrpc.workflow.imported import (
    FUNCTIONS,
    INPUT_TYPES,
    ImportProblem,
    ImportResult,
    StepIds,
    Unsupported,
    python_expression,
    python_literal,
    workflow_name,
)
from ivorygrpc.workflow.render_python import ONCE_PER_BATCH, py_name
from ivorygrpc.workflow.validate import PHASES

Step = dict[str, Any]
_WORKFLOW_NOTE = re.compile(r"# workflow '([A-Za-z0-9_-]{1,64})'(?: version ([0-9]{1,18}))?$")
_STATEMENTS: dict[type[ast.AST], str] = {
    ast.Import: "'import' inside a function", ast.ImportFrom: "'import' inside a function",
    ast.FunctionDef: "a nested function", ast.AsyncFunctionDef: "a nested function",
    ast.ClassDef: "a class", ast.AsyncWith: "'async with'", ast.AsyncFor: "'async for'",
    ast.Delete: "'del'", ast.TryStar: "'try'", ast.AugAssign: "augmented assignment here",
    ast.Break: "'break' (other than `if not cond: break` opening a `for _ in range(n)`)"}


def import_python(source: str, name: str = "imported") -> list[ImportResult]:
    """The workflows defined by `source`; raises ImportProblem when it does not parse."""
    try:
        tree = ast.parse(source)
        return _Module(source, tree).results(name)
    except SyntaxError as exc:
        raise ImportProblem(exc.msg or "invalid syntax", exc.lineno) from None
    except ValueError as exc:  # e.g. null bytes in the source
        raise ImportProblem(f"cannot parse the source: {exc}") from None
    except RecursionError:
        raise ImportProblem("the source is nested too deeply") from None


class _Module:
    def __init__(self, source: str, tree: ast.Module) -> None:
        self.lines = re.split(r"\r\n|\r|\n", source)
        self.modules: set[str] = set()  # names bound by `import x`
        self.imported: set[str] = set()  # names bound by `from x import y`
        self.deck = ""
        self.doc = ast.get_docstring(tree, clean=True) or ""
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.warnings: list[str] = []
        for index, node in enumerate(tree.body):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.name in self.functions:
                    self.warnings.append(f"line {node.lineno}: {node.name}() is defined again; "
                                         "the last definition is used")
                self.functions[node.name] = node
            elif isinstance(node, ast.Import):
                self.modules.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom):  # `from deck import *` names the deck
                if node.names[0].name == "*" and node.module not in (None, "time"):
                    self.deck = self.deck or str(node.module)
                self.imported.update(a.asname or a.name for a in node.names)
            elif not (index == 0 and self.doc):
                self.warnings.append(f"line {node.lineno}: top-level statement ignored (only "
                                     f"functions become workflows): {self.text(node)}")

    def text(self, node: ast.stmt | ast.expr) -> str:
        return self.lines[node.lineno - 1].strip()[:200]

    def trailing(self, node: ast.stmt) -> str:
        """What follows `node` on its last line (usually a comment)."""
        line = self.lines[(node.end_lineno or node.lineno) - 1].encode()
        return line[node.end_col_offset or 0:].decode(errors="replace").strip()

    def results(self, name: str) -> list[ImportResult]:
        if not self.functions:
            raise ImportProblem("the source defines no top-level function to import")
        done: list[tuple[str, Step, _Workflow]] = []
        if any(f in self.functions for f in PHASES):
            flow = _Workflow(self)
            title, _, description = self.doc.partition(": ")
            body = self.header(title, description)
            for phase in PHASES:
                function = self.functions.get(phase)
                body[phase] = flow.function(function) if function else []
            done.append((workflow_name(name), body, flow))
        for function in self.functions.values():
            if function.name not in PHASES:
                flow = _Workflow(self)
                body = self.header("", ast.get_docstring(function) or "")
                body["main"] = flow.function(function)
                done.append((workflow_name(function.name), body, flow))
        called = set().union(*(flow.called for _, _, flow in done))
        for workflow, body, _ in done:
            body["registered"] = workflow in called
        return [ImportResult(workflow, body, tuple(self.warnings + flow.warnings))
                for workflow, body, flow in done]

    def header(self, title: str, description: str) -> Step:
        return {"display_name": title, "description": description, "deck": self.deck,
                "registered": False, "prep": [], "main": [], "cleanup": []}


class _Workflow:
    def __init__(self, module: _Module) -> None:
        self.module = module
        self.ids = StepIds()
        self.warnings: list[str] = []
        self.defined: set[str] = set()
        self.params: set[str] = set()
        self.called: set[str] = set()

    def warn(self, node: ast.stmt | ast.expr, message: str) -> None:
        self.warnings.append(f"line {node.lineno}: {message}")

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Step]:
        args = node.args
        self.params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
        for found, message in (
                (args.vararg or args.kwarg, "*args and **kwargs are ignored"),
                (args.defaults or any(args.kw_defaults), "default values are ignored (run "
                 "parameters come with each run)"),
                (node.decorator_list, "decorators are ignored")):
            if found:
                self.warn(node, message)
        return self.block(node.body, top=True)

    def block(self, stmts: list[ast.stmt], top: bool = False) -> list[Step]:
        out: list[Step] = []
        for index, node in enumerate(stmts):
            try:
                self.statement(node, out, top and index == len(stmts) - 1)
                continue
            except Unsupported as exc:
                message = exc.message
            except RecursionError:
                message = "nested too deeply"
            self.warn(node, f"{message}; kept as a comment")
            out.append(self.step("comment", {"text": f"unsupported: {self.module.text(node)}"}))
        return out

    def step(self, kind: str, block: Step) -> Step:
        return {"id": self.ids.next(), kind: block}

    def statement(self, node: ast.stmt, out: list[Step], last: bool) -> None:
        if isinstance(node, ast.Pass):
            return
        if isinstance(node, ast.Expr):
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if isinstance(value, ast.Constant) and (isinstance(value.value, str)
                                                    or value.value is Ellipsis):
                return  # a docstring or `...`
            if isinstance(value, ast.Call):
                out.append(self.call(value, None, node))
            elif isinstance(value, ast.Attribute):
                out.append(self.getter(value, None, node))
            else:
                raise Unsupported("this expression does nothing in a workflow")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) != 1 or node.value is None:
                raise Unsupported("only single assignments with a value are supported")
            out.append(self.assign(targets[0], node.value, node))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            total = self.arg(ast.BinOp(ast.Name(node.target.id, ast.Load()), node.op,
                                       node.value))
            out.append(self.step("set_variable", {"name": node.target.id, "value": total}))
            self.defined.add(node.target.id)
        elif isinstance(node, ast.If):
            step = self.step("if_else", {"condition": self.condition(node.test)})
            step["if_else"]["then_steps"] = self.block(node.body)
            step["if_else"]["else_steps"] = self.block(node.orelse)
            out.append(step)
        elif isinstance(node, ast.While):
            step = self.step("while_loop", {"condition": self.condition(node.test)})
            step["while_loop"]["steps"] = self.block(node.body)
            out.append(step)
            self.loop_else(node, out)
        elif isinstance(node, ast.For):
            out.append(self.for_loop(node))
            self.loop_else(node, out)
        elif isinstance(node, ast.Return) and last:
            if not self.returns_outputs(node.value):
                self.warn(node, "the return value is ignored (a workflow's outputs are the "
                          "variables it sets)")
        elif isinstance(node, ast.Return):
            raise Unsupported("'return' before the end of the function is not supported")
        else:
            what = _STATEMENTS.get(type(node), f"'{type(node).__name__.lower()}'")
            raise Unsupported(f"{what} is not supported in a workflow")

    def loop_else(self, node: ast.While | ast.For, out: list[Step]) -> None:
        if node.orelse:
            self.warn(node.orelse[0], "the 'else' clause of a loop is not supported; kept as "
                      "a comment")
            out.append(self.step("comment", {"text": "unsupported: else: "
                                             + self.module.text(node.orelse[0])}))

    def returns_outputs(self, value: ast.expr | None) -> bool:
        items = value.values if isinstance(value, ast.Dict) else value.elts if isinstance(
            value, ast.Tuple) else [] if value is None else [value]
        return all(isinstance(v, ast.Name) and v.id in self.defined for v in items)

    def for_loop(self, node: ast.For) -> Step:
        loop = node.iter
        if not (isinstance(loop, ast.Call) and isinstance(loop.func, ast.Name)
                and loop.func.id == "range" and len(loop.args) == 1 and not loop.keywords
                and isinstance(node.target, ast.Name)):
            raise Unsupported("only 'for _ in range(n)' loops are supported")
        count = self.arg(loop.args[0])
        first = node.body[0]
        if (isinstance(first, ast.If) and isinstance(first.test, ast.UnaryOp)
                and isinstance(first.test.op, ast.Not) and len(first.body) == 1
                and isinstance(first.body[0], ast.Break) and not first.orelse
                and isinstance(count.get("literal"), int) and count["literal"] > 0):
            step = self.step("while_loop", {"condition": self.condition(first.test.operand)})
            step["while_loop"]["steps"] = self.block(node.body[1:])
            step["while_loop"]["max_iterations"] = count["literal"]
            return step
        if node.target.id != "_":
            self.warn(node, f"the loop counter {node.target.id!r} is not available in the "
                      "workflow")
        step = self.step("repeat", {"count": count})
        step["repeat"]["steps"] = self.block(node.body)
        return step

    def assign(self, target: ast.expr, value: ast.expr, node: ast.stmt) -> Step:
        value = value.value if isinstance(value, ast.Await) else value
        if isinstance(target, ast.Tuple | ast.List):
            if not isinstance(value, ast.Call):
                raise Unsupported("tuple unpacking is supported for call results only")
            return self.call(value, [self.name(e) for e in target.elts], node)
        if isinstance(target, ast.Attribute):
            instrument = self.instrument(target.value)
            return self.call_step(node, {"instrument": instrument, "method": "set_"
                                         + target.attr, "arguments": {"value": self.arg(value)}})
        name = self.name(target)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            inner = value.args[0] if len(value.args) == 1 and not value.keywords else None
            if value.func.id in INPUT_TYPES and _is_input(inner):
                assert isinstance(inner, ast.Call)
                return self.input_step(inner, name, INPUT_TYPES[value.func.id])
            if value.func.id not in FUNCTIONS:
                return self.call(value, [name], node)
        elif isinstance(value, ast.Call):
            return self.call(value, [name], node)
        elif isinstance(value, ast.Attribute):
            return self.getter(value, [name], node)
        assert isinstance(target, ast.Name)  # self.name() refused anything else
        step = self.step("set_variable", {"name": target.id, "value": self.arg(value)})
        self.defined.add(target.id)
        return step

    def name(self, node: ast.expr) -> str:
        if not isinstance(node, ast.Name):
            raise Unsupported("only names, tuples of names and instrument properties can be "
                               "assigned")
        return "" if node.id == "_" else node.id

    def text_arg(self, call: ast.Call, what: str) -> str:
        if not call.args and not call.keywords:
            return ""
        first = call.args[0] if len(call.args) == 1 and not call.keywords else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            raise Unsupported(f"the {what} must be one plain string")
        return first.value

    def input_step(self, call: ast.Call, name: str, kind: str) -> Step:
        step = self.step("input", {"name": name, "prompt": self.text_arg(call, "prompt"),
                                   "type": kind})
        self.defined.add(name)
        return step

    def call(self, call: ast.Call, save_as: list[str] | None, node: ast.stmt) -> Step:
        func = call.func
        if any(k.arg is None for k in call.keywords):
            raise Unsupported("'**' arguments are not supported")
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and (
                func.value.id == "time" and func.attr == "sleep"):
            values = [*call.args, *(k.value for k in call.keywords)]
            if save_as is not None or len(values) != 1:
                raise Unsupported("time.sleep() takes one value and returns nothing")
            return self.step("wait", {"seconds": self.arg(values[0])})
        if _is_input(call):
            if save_as is None:
                return self.step("pause", {"message": self.text_arg(call, "pause message")})
            if len(save_as) != 1:
                raise Unsupported("input() gives one value")
            return self.input_step(call, save_as[0], INPUT_TYPES["str"])
        if isinstance(func, ast.Name) and (hasattr(builtins, func.id) or func.id in FUNCTIONS
                                           or func.id in self.module.imported):
            raise Unsupported(f"{func.id}() is not a workflow step")
        if not isinstance(func, ast.Name | ast.Attribute):
            raise Unsupported("only instrument.method(...) calls are supported")
        instrument = self.instrument(func.value) if isinstance(func, ast.Attribute) else ""
        if call.args:
            raise Unsupported("positional arguments are not supported: write "
                              "instrument.method(name=value)")
        arguments = {str(k.arg): self.arg(k.value) for k in call.keywords}
        if isinstance(func, ast.Name):  # render_python notes the exact name and version
            note = _WORKFLOW_NOTE.match(self.module.trailing(node))
            pinned = note is not None and py_name(note.group(1)) == func.id
            block: Step = {"workflow": note.group(1) if note and pinned
                           else workflow_name(func.id)}
            if note and pinned and note.group(2):
                block["version"] = int(note.group(2))
            self.called.add(block["workflow"])
            block["arguments"] = arguments
            return self.step("call_workflow", self.saves(block, save_as))
        return self.call_step(node, {"instrument": instrument, "method": func.attr,
                                     "arguments": arguments}, save_as)

    def getter(self, value: ast.Attribute, save_as: list[str] | None, node: ast.stmt) -> Step:
        return self.call_step(node, {"instrument": self.instrument(value.value),
                                     "method": "get_" + value.attr, "arguments": {}}, save_as)

    def saves(self, block: Step, save_as: list[str] | None) -> Step:
        if save_as:
            block["save_as"] = save_as
            self.defined.update(n for n in save_as if n)
        return block

    def call_step(self, node: ast.stmt, block: Step, save_as: list[str] | None = None) -> Step:
        self.saves(block, save_as)
        if self.module.trailing(node).startswith(ONCE_PER_BATCH):
            block["once_per_batch"] = True
        return self.step("call", block)

    def instrument(self, node: ast.expr) -> str:
        if isinstance(node, ast.Name) and (node.id in self.params or node.id in self.defined):
            raise Unsupported(f"attribute access on {node.id!r}, which is not an instrument")
        if isinstance(node, ast.Name) and node.id not in self.module.modules:
            return node.id
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in self.module.modules):
            return node.attr  # deck.sdl.method(...) with `import deck`
        raise Unsupported("only instrument.method(...) calls and instrument.property "
                           "access are supported (no modules, no nested attributes)")

    def arg(self, node: ast.expr) -> dict[str, Any]:
        found, value = python_literal(node)
        if found:
            return {"literal": value}
        if isinstance(node, ast.Name):
            return {"parameter": node.id} if self.is_param(node.id) else {"variable": node.id}
        return {"expression": python_expression(node, self.is_param)}

    def is_param(self, name: str) -> bool:
        return name in self.params and name not in self.defined

    def condition(self, node: ast.expr) -> str:
        try:
            return python_expression(node, self.is_param)
        except Unsupported as exc:
            text = ast.unparse(node)
            self.warn(node, f"condition {text!r}: {exc.message}; kept as it is")
            return text


def _is_input(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
        node.func.id == "input")
