"""Render a `FileDescriptorProto` as `.proto` source text, comments included.

protobuf-python has no descriptor printer. This one covers proto2 and proto3: imports,
messages (nested types, oneofs, proto3 `optional`, maps, reserved, extension ranges,
defaults), enums, services, `extend` blocks, options and `source_code_info` comments.
Real spans keep the source order (and `reserved`/`extensions`/`extend` statements as
written); without them fields come first, then nested messages, enums and extends.

Custom options come from `options.ListFields()`: import the module defining an
extension before printing (deck options: `from ivorygrpc.v1 import options_pb2`),
else the option sits in unknown fields and is left out. Names are shortened when
protoc's scope rules resolve the short form to the same symbol, as far as this file
shows; other packages only lose the leading dot (a package such as `a.google` in
*another* file could then capture `google.protobuf.Value` printed in package `a.b`).
Editions and proto2 groups raise ValueError.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from google.protobuf import descriptor_pb2 as d
from google.protobuf import text_encoding, text_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

__all__ = ["to_proto_text"]

_F = d.FieldDescriptorProto
_SCALARS = {n: k[5:].lower() for k, n in _F.Type.items() if n not in (10, 11, 14)}
_MAX_FIELD = 536870911  # `max` of message ranges (descriptor ends are exclusive)
_MAX_ENUM = 2147483647  # `max` of enum reserved ranges (ends are inclusive)
_NO_SPAN = (1 << 62, 0)
_Item = tuple[int, int, bool, Callable[[], None]]  # (line, order, is_block, printer)
_Ranges = Sequence[d.DescriptorProto.ReservedRange | d.EnumDescriptorProto.EnumReservedRange]


def to_proto_text(file: d.FileDescriptorProto) -> str:
    """Render one FileDescriptorProto as .proto source, comments included."""
    return _Printer(file).render()


def _join(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name


def _json_name(name: str) -> str:
    """protoc's default json_name: underscores dropped, the next letter capitalised."""
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def _quote(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return '"' + text_encoding.CEscape(data, as_utf8=False) + '"'


def _range(start: int, last: int, top: int) -> str:
    return str(start) if last == start else f"{start} to {'max' if last == top else last}"


def _brackets(entries: Iterable[str]) -> str:
    text = ", ".join(entries)
    return f" [{text}]" if text else ""


class _Printer:
    def __init__(self, file: d.FileDescriptorProto) -> None:
        if file.syntax not in ("", "proto2", "proto3"):
            raise ValueError(f"{file.name}: syntax {file.syntax!r} is not supported")
        self.file = file
        self.lines: list[str] = []
        self.locs: dict[tuple[int, ...], list[d.SourceCodeInfo.Location]] = {}
        for loc in file.source_code_info.location:
            self.locs.setdefault(tuple(loc.path), []).append(loc)
        # Built files often carry placeholder spans ([0, 0, 0]): only real ones order.
        self.spans = len({tuple(loc.span[:2]) for loc in file.source_code_info.location}) > 1
        self.pkg = file.package.split(".") if file.package else []
        self.symbols = {".".join(self.pkg[: i + 1]) for i in range(len(self.pkg))}
        self.messages: dict[str, d.DescriptorProto] = {}
        self._collect(file.package, file.message_type, file.enum_type, file.extension)
        for s in file.service:
            self.symbols.update(_join(file.package, n) for n in [s.name] + [
                f"{s.name}.{m.name}" for m in s.method])

    def _collect(self, scope: str, msgs: Iterable[d.DescriptorProto],
                 enums: Iterable[d.EnumDescriptorProto], fields: Iterable[_F]) -> None:
        self.symbols.update(_join(scope, f.name) for f in fields)
        for e in enums:
            self.symbols.update(_join(scope, n) for n in [e.name] + [v.name for v in e.value])
        for m in msgs:
            name = _join(scope, m.name)
            self.messages["." + name] = m
            self.symbols.update([name] + [_join(name, o.name) for o in m.oneof_decl])
            self._collect(name, m.nested_type, m.enum_type, [*m.field, *m.extension])

    def render(self) -> str:
        f, pkg = self.file, self.file.package
        self._stmt([12], 0, f'syntax = "{f.syntax or "proto2"}";')
        if pkg:
            self._blank()
            self._stmt([2], 0, f"package {pkg};")
        self._blank()
        for i, dep in enumerate(f.dependency):
            weak = "weak " if i in f.weak_dependency else ""
            kind = "public " if i in f.public_dependency else weak
            self._stmt([3, i], 0, f"import {kind}{_quote(dep)};")
        self._blank()
        self._option_stmts([8], 0, f.options, pkg)
        items: list[_Item] = []
        for i, m in enumerate(f.message_type):
            self._add(items, [4, i], True, partial(self._message, m, [4, i], 0, pkg))
        for i, e in enumerate(f.enum_type):
            self._add(items, [5, i], True, partial(self._enum, e, [5, i], 0, pkg))
        for i, s in enumerate(f.service):
            self._add(items, [6, i], True, partial(self._service, s, [6, i], 0, pkg))
        self._extends(items, f.extension, [7], 0, pkg)
        self._emit(items, top=True)
        return "\n".join(self.lines).strip("\n") + "\n"

    def _blank(self) -> None:
        if self.lines and self.lines[-1]:
            self.lines.append("")

    def _comment(self, text: str, indent: int) -> None:
        self.lines.extend(f"{' ' * indent}//{line}" for line in text.removesuffix("\n").split("\n"))

    def _loc(self, path: list[int], nth: int = 0) -> d.SourceCodeInfo.Location | None:
        locs = self.locs.get(tuple(path), [])
        return locs[nth] if 0 <= nth < len(locs) else None

    def _open(self, path: list[int], indent: int, text: str, nth: int, inner: int) -> None:
        """Comments before `text`, `text` itself, then the trailing comment."""
        loc = self._loc(path, nth)
        if loc is not None and loc.leading_detached_comments:
            self._blank()  # a comment right below the previous token would trail it
            for detached in loc.leading_detached_comments:
                self._comment(detached, indent)
                self.lines.append("")
        if loc is not None and loc.HasField("leading_comments"):
            self._comment(loc.leading_comments, indent)
        self.lines.extend(" " * indent + line for line in text.split("\n"))
        trailing = loc.trailing_comments.removesuffix("\n") if loc is not None else ""
        if trailing and "\n" not in trailing:
            self.lines[-1] += f" //{trailing}"
        elif trailing:  # protoc takes a block below as trailing when a blank line ends it
            self._comment(trailing, inner)
            self.lines.append("")

    def _stmt(self, path: list[int], indent: int, text: str, nth: int = 0) -> None:
        self._open(path, indent, text, nth, indent)

    def _block(self, path: list[int], indent: int, head: str, body: Callable[[], None],
               nth: int = 0) -> None:
        self._open(path, indent, head + " {", nth, indent + 2)
        mark = len(self.lines)
        body()
        if len(self.lines) == mark and self.lines[-1].endswith("{"):
            self.lines[-1] += "}"
            return
        while not self.lines[-1]:
            self.lines.pop()
        self.lines.append(" " * indent + "}")

    def _pos(self, path: list[int], nth: int = 0, end: bool = False) -> tuple[int, int]:
        """(line, column) where the nth location of `path` starts (or ends)."""
        loc = self._loc(path, nth)
        span = list(loc.span) if loc is not None and self.spans else []
        if len(span) < 3:
            return _NO_SPAN
        return (span[-2] if len(span) == 4 else span[0], span[-1]) if end else (span[0], span[1])

    def _add(self, items: list[_Item], path: list[int], block: bool, fn: Callable[[], None],
             nth: int = 0) -> None:
        items.append((self._pos(path, nth)[0], len(items), block, fn))

    def _emit(self, items: list[_Item], top: bool = False) -> None:
        after_block = False
        for _, _, block, fn in sorted(items, key=lambda item: item[:2]):
            if top or ((block or after_block) and not self.lines[-1].endswith("{")):
                self._blank()
            fn()
            after_block = block

    def _group(self, path: list[int], count: int,
               fallback: Callable[[int], int]) -> dict[int, list[int]]:
        """Elements `path + [i]` keyed by the nth location of `path` (one per source
        `reserved`/`extensions`/`extend` statement) whose span holds them."""
        stmts = [(self._pos(path, n), self._pos(path, n, True))
                 for n in range(len(self.locs.get(tuple(path), [])))]
        groups: dict[int, list[int]] = {}
        for i in range(count):
            start = self._pos([*path, i])
            found = (n for n, (a, b) in enumerate(stmts) if a <= start <= b < _NO_SPAN)
            groups.setdefault(next(found, fallback(i)), []).append(i)
        return groups

    def _ranges(self, items: list[_Item], path: list[int], indent: int, parts: Sequence[str],
                head: str = "reserved", suffixes: Sequence[str] = ()) -> None:
        fallback: Callable[[int], int] = (lambda i: -1 - i) if suffixes else (lambda i: 0)
        for nth, idx in self._group(path, len(parts), fallback).items():
            suffix = suffixes[idx[0]] if suffixes else ""
            text = f"{head} {', '.join(parts[i] for i in idx)}{suffix};"
            self._add(items, path, False, partial(self._stmt, path, indent, text, nth), nth)

    def _ref(self, full: str, scope: str) -> str:
        """The shortest name that protoc resolves from `scope` to `full`."""
        target = full.lstrip(".").split(".")
        where = scope.split(".") if scope else []
        for j in range(len(target) - 1, -1, -1):  # j: how many leading parts to drop
            if 0 < j < len(self.pkg) or target[:j] != where[:j]:
                continue
            if all(".".join([*where[:k], target[j]]) not in self.symbols
                   for k in range(len(where), j, -1)):
                return ".".join(target[j:])
        return "." + ".".join(target)

    def _value(self, fd: FieldDescriptor, value: Any) -> str:
        if fd.type == FieldDescriptor.TYPE_MESSAGE:
            lines = text_format.MessageToString(value).splitlines()
            return "{\n" + "".join(f"  {line}\n" for line in lines) + "}" if lines else "{}"
        if fd.type == FieldDescriptor.TYPE_ENUM and fd.enum_type is not None:
            known = fd.enum_type.values_by_number.get(value)
            return known.name if known is not None else str(value)
        if fd.type == FieldDescriptor.TYPE_BOOL:
            return "true" if value else "false"
        if isinstance(value, str | bytes):
            return _quote(value)
        if isinstance(value, float) and not math.isfinite(value):
            return "nan" if math.isnan(value) else "inf" if value > 0 else "-inf"
        return repr(value)

    def _options(self, options: Message, scope: str) -> list[tuple[list[int], str]]:
        """(source path suffix, `name = value`) of every set option, repeated ones expanded."""
        out: list[tuple[list[int], str]] = []
        for fd, value in options.ListFields():
            if fd.is_extension or fd.name != "uninterpreted_option":
                name = f"({self._ref(fd.full_name, scope)})" if fd.is_extension else fd.name
                values = enumerate(value) if fd.is_repeated else [(-1, value)]
                out.extend(([fd.number, i][: 1 + (i >= 0)], f"{name} = {self._value(fd, v)}")
                           for i, v in values)
        return out

    def _option_stmts(self, path: list[int], indent: int, options: Message, scope: str) -> None:
        for suffix, text in self._options(options, scope):
            self._stmt([*path, *suffix], indent, f"option {text};")

    def _type(self, f: _F, scope: str) -> str:
        return _SCALARS.get(f.type) or self._ref(f.type_name, scope)

    def _field(self, f: _F, scope: str, in_oneof: bool = False) -> str:
        if f.type == _F.TYPE_GROUP:
            raise ValueError(f"{f.name}: proto2 groups are not supported")
        entry = self.messages.get(f.type_name) if f.label == _F.LABEL_REPEATED else None
        typ, label = self._type(f, scope), ""
        if entry is not None and entry.options.map_entry:
            key, value = (self._type(e, f.type_name[1:]) for e in entry.field)
            typ = f"map<{key}, {value}>"
        elif f.label != _F.LABEL_OPTIONAL:
            label = "repeated " if f.label == _F.LABEL_REPEATED else "required "
        elif not in_oneof and (f.proto3_optional or self.file.syntax != "proto3"):
            label = "optional "
        opts = [text for _, text in self._options(f.options, scope)]
        if f.HasField("json_name") and f.json_name != _json_name(f.name):
            opts.insert(0, f"json_name = {_quote(f.json_name)}")
        if f.HasField("default_value"):
            dv = f'"{f.default_value}"' if f.type == _F.TYPE_BYTES else f.default_value  # escaped
            opts.insert(0, f"default = {_quote(dv) if f.type == _F.TYPE_STRING else dv}")
        return f"{label}{typ} {f.name} = {f.number}{_brackets(opts)};"

    def _reserved(self, items: list[_Item], path: list[int], indent: int, ranges: _Ranges,
                  names: Sequence[str], nums: tuple[int, int], inclusive: bool) -> None:
        top = _MAX_ENUM if inclusive else _MAX_FIELD
        parts = [_range(r.start, r.end if inclusive else r.end - 1, top) for r in ranges]
        self._ranges(items, [*path, nums[0]], indent, parts)
        self._ranges(items, [*path, nums[1]], indent, [_quote(n) for n in names])

    def _extends(self, items: list[_Item], exts: Sequence[_F], path: list[int], indent: int,
                 scope: str) -> None:
        def run(i: int) -> int:  # without spans: one block per run of equal extendees
            while i and exts[i - 1].extendee == exts[i].extendee:
                i -= 1
            return -1 - i

        for nth, idx in self._group(path, len(exts), run).items():
            fields = [([*path, i], exts[i], False) for i in idx]
            body = partial(self._stmts, fields, indent + 2, scope)
            head = f"extend {self._ref(exts[idx[0]].extendee, scope)}"
            self._add(items, path, True, partial(self._block, path, indent, head, body, nth), nth)

    def _stmts(self, fields: list[tuple[list[int], _F, bool]], indent: int, scope: str) -> None:
        for path, f, in_oneof in fields:
            self._stmt(path, indent, self._field(f, scope, in_oneof))

    def _message(self, m: d.DescriptorProto, path: list[int], indent: int, scope: str) -> None:
        name, inner, items = _join(scope, m.name), indent + 2, list[_Item]()
        self._reserved(items, path, inner, m.reserved_range, m.reserved_name, (9, 10), False)
        oneofs = [f.oneof_index if f.HasField("oneof_index") and not f.proto3_optional else -1
                  for f in m.field]
        for i, (f, o) in enumerate(zip(m.field, oneofs, strict=True)):
            if o < 0:
                fn = partial(self._stmt, [*path, 2, i], inner, self._field(f, name))
                self._add(items, [*path, 2, i], False, fn)
            elif o not in oneofs[:i]:  # a real oneof prints where its first field is
                fields = [([*path, 2, k], g, True) for k, g in enumerate(m.field) if oneofs[k] == o]
                decl = m.oneof_decl[o]
                members = partial(self._oneof_body, [*path, 8, o], decl, fields, inner, name)
                fn = partial(self._block, [*path, 8, o], inner, f"oneof {decl.name}", members)
                self._add(items, [*path, 8, o], True, fn)
        for i, n in enumerate(m.nested_type):
            if not n.options.map_entry:
                fn = partial(self._message, n, [*path, 3, i], inner, name)
                self._add(items, [*path, 3, i], True, fn)
        for i, e in enumerate(m.enum_type):
            fn = partial(self._enum, e, [*path, 4, i], inner, name)
            self._add(items, [*path, 4, i], True, fn)
        self._extends(items, m.extension, [*path, 6], inner, name)
        ext = m.extension_range
        suffixes = [_brackets(t for _, t in self._options(r.options, name)) for r in ext]
        ranges = [_range(r.start, r.end - 1, _MAX_FIELD) for r in ext]
        self._ranges(items, [*path, 5], inner, ranges, "extensions", suffixes)

        def body() -> None:
            self._option_stmts([*path, 7], inner, m.options, scope)
            self._emit(items)

        self._block(path, indent, f"message {m.name}", body)

    def _oneof_body(self, path: list[int], oneof: d.OneofDescriptorProto,
                    fields: list[tuple[list[int], _F, bool]], indent: int, scope: str) -> None:
        self._option_stmts([*path, 2], indent + 2, oneof.options, scope)
        self._stmts(fields, indent + 2, scope)

    def _enum(self, e: d.EnumDescriptorProto, path: list[int], indent: int, scope: str) -> None:
        inner, items = indent + 2, list[_Item]()
        self._reserved(items, path, inner, e.reserved_range, e.reserved_name, (4, 5), True)
        for i, v in enumerate(e.value):
            opts = _brackets(t for _, t in self._options(v.options, scope))
            text = f"{v.name} = {v.number}{opts};"
            self._add(items, [*path, 2, i], False, partial(self._stmt, [*path, 2, i], inner, text))

        def body() -> None:
            self._option_stmts([*path, 3], inner, e.options, scope)
            self._emit(items)

        self._block(path, indent, f"enum {e.name}", body)

    def _service(self, s: d.ServiceDescriptorProto, path: list[int], indent: int,
                 scope: str) -> None:
        name, inner = _join(scope, s.name), indent + 2

        def body() -> None:
            self._option_stmts([*path, 3], inner, s.options, scope)
            for i, m in enumerate(s.method):
                arg = ("stream " if m.client_streaming else "") + self._ref(m.input_type, name)
                ret = ("stream " if m.server_streaming else "") + self._ref(m.output_type, name)
                head = f"rpc {m.name}({arg}) returns ({ret})"
                if self._options(m.options, name):
                    opts = partial(self._option_stmts, [*path, 2, i, 4], inner + 2, m.options, name)
                    self._block([*path, 2, i], inner, head, opts)
                else:
                    self._stmt([*path, 2, i], inner, head + ";")

        self._block(path, indent, f"service {s.name}", body)
