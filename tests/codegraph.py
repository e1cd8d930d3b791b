"""A static approximation of which stable error codes a function can return: the codes of
the `DomainError`s it constructs, and those of every function it calls, followed by name
through the imports of the modules indexed here. See `tests/unit/test_error_codes.py` for
what it is used for and where it stops being exact."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Set
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = "domain.errors:DomainError"


@dataclass(frozen=True)
class CodeParameter:
    """Where a constructor or factory of errors takes the code: a fixed code, or one of
    its parameters (with the default used when a call leaves it out)."""

    fixed: str | None = None
    index: int | None = None
    name: str | None = None
    default: ast.expr | None = None


@dataclass
class Function:
    key: str  # module:qualname, e.g. "domain.access:require_writer" or "schema.errors:audited"
    module: Module
    node: ast.FunctionDef | ast.AsyncFunctionDef
    owner: str | None = None  # the class of a method

    @property
    def parameters(self) -> list[str]:
        a = self.node.args
        names = [p.arg for p in (*a.posonlyargs, *a.args)]
        return names[1:] if self.owner is not None and names and names[0] in ("self", "cls") else names


@dataclass
class Module:
    name: str
    tree: ast.Module
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # alias → (module, symbol or None)
    functions: dict[str, Function] = field(default_factory=dict)  # qualname → function
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    constants: dict[str, ast.expr] = field(default_factory=dict)  # module-level NAME = value


@dataclass(frozen=True)
class Construction:
    """One construction of an error: where it is, and the code it carries (None when the
    code is not a literal or a module-level constant)."""

    function: str
    line: int
    code: str | None
    text: str


@dataclass(frozen=True)
class DynamicCall:
    """A call of a local name (a parameter, a loop variable): the callee is data."""

    function: str
    name: str


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _local_names(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = sub.args
            names.update(p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs))
            if a.vararg:
                names.add(a.vararg.arg)
            if a.kwarg:
                names.add(a.kwarg.arg)
            if sub is not node and not isinstance(sub, ast.Lambda):
                names.add(sub.name)
        elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            names.add(sub.name)
    return names


def _is_resolver(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A GraphQL resolver: called by Strawberry, never by name from the code."""
    names = [ast.unparse(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list]
    return any(n in ("strawberry.field", "strawberry.mutation") for n in names)


def _nested_functions(node: ast.AST) -> set[str]:
    """Functions defined inside a function: analysed as part of it."""
    return {
        sub.name for sub in ast.walk(node) if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub is not node
    }


class CodeGraph:
    def __init__(self, packages: tuple[str, ...], files: tuple[str, ...] = ()) -> None:
        paths = [p for package in packages for p in sorted((ROOT / package).rglob("*.py"))]
        paths += [ROOT / f for f in files]
        self.modules: dict[str, Module] = {}
        for path in paths:
            name = module_name(path).removesuffix(".__init__")
            self.modules[name] = self._index(name, ast.parse(path.read_text(encoding="utf-8"), str(path)))
        self.functions = {f.key: f for m in self.modules.values() for f in m.functions.values()}
        self.methods: dict[str, list[Function]] = {}
        for f in self.functions.values():
            if f.owner is not None and not _is_resolver(f.node):
                self.methods.setdefault(f.node.name, []).append(f)
        self.parameters: dict[str, CodeParameter] = {BASE: CodeParameter(index=2, name="code")}
        self._find_code_parameters()
        self.constructions: list[Construction] = []
        self.dynamic_calls: list[DynamicCall] = []
        self.codes: dict[str, set[str]] = {}
        self.calls: dict[str, set[str]] = {}
        for f in self.functions.values():
            self.codes[f.key], self.calls[f.key] = self._analyse(f)

    # -- indexing ----------------------------------------------------------------------

    def _index(self, name: str, tree: ast.Module) -> Module:
        module = Module(name, tree)
        package = name.rsplit(".", 1)[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    module.imports[alias.asname or alias.name.split(".")[0]] = (
                        (alias.name, None) if alias.asname else (alias.name.split(".")[0], None)
                    )
            elif isinstance(node, ast.ImportFrom):
                source = node.module or ""
                if node.level:
                    source = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], source]).strip(".")
                for alias in node.names:
                    module.imports[alias.asname or alias.name] = (source, alias.name)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                module.functions[node.name] = Function(f"{name}:{node.name}", module, node)
            elif isinstance(node, ast.ClassDef):
                module.classes[node.name] = node
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        qual = f"{node.name}.{item.name}"
                        module.functions[qual] = Function(f"{name}:{qual}", module, item, owner=node.name)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                module.constants[node.targets[0].id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                module.constants[node.target.id] = node.value
        return module

    # -- name resolution ---------------------------------------------------------------

    def resolve(self, module: Module, expr: ast.expr, local: Set[str] = frozenset()) -> str | None:
        """The key ("module:qualname") or module name an expression names, if indexed."""
        if isinstance(expr, ast.Name):
            if expr.id in local:
                return None
            if expr.id in module.functions or expr.id in module.classes or expr.id in module.constants:
                return f"{module.name}:{expr.id}"
            if expr.id in module.imports:
                source, symbol = module.imports[expr.id]
                if symbol is None:
                    return source if source in self.modules else None
                if f"{source}.{symbol}" in self.modules:
                    return f"{source}.{symbol}"
                target = self.modules.get(source)
                if target is None:
                    return None
                return self.resolve(target, ast.Name(symbol, ast.Load()))
            return None
        if isinstance(expr, ast.Attribute):
            base = self.resolve(module, expr.value, local)
            if base is None:
                return None
            if ":" not in base:  # a module
                target = self.modules[base]
                return self.resolve(target, ast.Name(expr.attr, ast.Load()))
            owner_module, qual = base.split(":", 1)
            if qual in self.modules[owner_module].classes:
                return f"{base}.{expr.attr}"
        return None

    def _class_node(self, key: str) -> tuple[Module, ast.ClassDef] | None:
        module_key, _, qual = key.partition(":")
        module = self.modules.get(module_key)
        if module is None or qual not in module.classes:
            return None
        return module, module.classes[qual]

    def constant(self, module: Module, expr: ast.expr, local: Set[str] = frozenset()) -> str | None:
        """A string literal, or a module-level constant bound to one."""
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return expr.value
        key = self.resolve(module, expr, local)
        if key is not None and ":" in key:
            module_key, qual = key.split(":", 1)
            value = self.modules[module_key].constants.get(qual)
            if value is not None:
                return self.constant(self.modules[module_key], value)
        return None

    # -- where errors take their code ---------------------------------------------------

    def _find_code_parameters(self) -> None:
        changed = True
        while changed:
            changed = False
            for module in self.modules.values():
                for name, cls in module.classes.items():
                    key = f"{module.name}:{name}"
                    if key in self.parameters:
                        continue
                    spec = self._class_parameter(module, cls)
                    if spec is not None:
                        self.parameters[key] = spec
                        changed = True
                for f in module.functions.values():
                    if f.key in self.parameters or f.owner is not None:
                        continue
                    spec = self._forwarding_parameter(f)
                    if spec is not None:
                        self.parameters[f.key] = spec
                        changed = True

    def _class_parameter(self, module: Module, cls: ast.ClassDef) -> CodeParameter | None:
        bases = [self.resolve(module, b) for b in cls.bases]
        inherited = next((self.parameters[b] for b in bases if b in self.parameters), None)
        if inherited is None:
            return None
        init = module.functions.get(f"{cls.name}.__init__")
        if init is None:
            return inherited
        for call in ast.walk(init.node):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "__init__"
                and isinstance(call.func.value, ast.Call)
                and isinstance(call.func.value.func, ast.Name)
                and call.func.value.func.id == "super"
            ):
                return self._parameter_of(init, inherited, call)
        return inherited

    def _forwarding_parameter(self, f: Function) -> CodeParameter | None:
        for call in ast.walk(f.node):
            if not isinstance(call, ast.Call):
                continue
            spec = self.parameters.get(self.resolve(f.module, call.func, _local_names(f.node) - {f.node.name}) or "")
            if spec is None:
                continue
            expr = self._argument(spec, call)
            if isinstance(expr, ast.Name) and expr.id in f.parameters:
                return self._parameter_of(f, spec, call)
        return None

    def _parameter_of(self, f: Function, spec: CodeParameter, call: ast.Call) -> CodeParameter:
        expr = self._argument(spec, call)
        if expr is None:
            return spec
        fixed = self.constant(f.module, expr)
        if fixed is not None:
            return CodeParameter(fixed=fixed)
        assert isinstance(expr, ast.Name) and expr.id in f.parameters, (f.key, ast.unparse(call))
        index = f.parameters.index(expr.id)
        a = f.node.args
        positional = [*a.posonlyargs, *a.args]
        at = index + len(positional) - len(f.parameters)  # counting `self`
        first_default = len(positional) - len(a.defaults)
        default = a.defaults[at - first_default] if at >= first_default else None
        return CodeParameter(index=index, name=expr.id, default=default)

    @staticmethod
    def _argument(spec: CodeParameter, call: ast.Call) -> ast.expr | None:
        if spec.fixed is not None:
            return None
        assert spec.index is not None
        if len(call.args) > spec.index and not any(isinstance(a, ast.Starred) for a in call.args[: spec.index + 1]):
            return call.args[spec.index]
        for kw in call.keywords:
            if kw.arg == spec.name:
                return kw.value
        return spec.default

    # -- analysis of one function ---------------------------------------------------------

    def _analyse(self, f: Function) -> tuple[set[str], set[str]]:
        codes: set[str] = set()
        calls: set[str] = set()
        local = _local_names(f.node) - {f.node.name}
        forwarded = self.parameters.get(f.key)
        callee_nodes: set[int] = set()
        for node in ast.walk(f.node):
            if not isinstance(node, ast.Call):
                continue
            callee_nodes.add(id(node.func))
            key = self.resolve(f.module, node.func, local)
            if key is None:
                self._unresolved(f, node.func, local, calls)
                continue
            spec = self.parameters.get(key)
            if spec is not None:
                self._construction(f, node, spec, forwarded, local, codes)
            target = self._callable(key)
            calls.update(target)
        for node in ast.walk(f.node):  # a function passed as a value is assumed to be called
            if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load) and id(node) not in callee_nodes:
                key = self.resolve(f.module, node, local)
                if key is not None and key in self.functions:
                    calls.add(key)
        return codes, calls

    def _callable(self, key: str) -> set[str]:
        if key in self.functions:
            return {key}
        found = self._class_node(key)
        if found is None:
            return set()
        return {f"{key}.{m}" for m in ("__init__", "__post_init__") if f"{key}.{m}" in self.functions}

    def _construction(
        self, f: Function, call: ast.Call, spec: CodeParameter, forwarded: CodeParameter | None, local: Set[str], codes: set[str]
    ) -> None:
        if spec.fixed is not None:
            code: str | None = spec.fixed
        else:
            expr = self._argument(spec, call)
            if (
                forwarded is not None
                and isinstance(expr, ast.Name)
                and expr.id == forwarded.name
            ):
                return  # this function hands its own code parameter on
            code = self.constant(f.module, expr, local) if expr is not None else None
        self.constructions.append(Construction(f.key, call.lineno, code, ast.unparse(call)))
        if code is not None:
            codes.add(code)

    def _unresolved(self, f: Function, func: ast.expr, local: Set[str], calls: set[str]) -> None:
        if isinstance(func, ast.Name):
            if func.id == "cls" and f.owner is not None:  # a classmethod building its own class
                calls.update(self._callable(f"{f.module.name}:{f.owner}"))
            elif func.id in local and func.id not in _nested_functions(f.node):
                self.dynamic_calls.append(DynamicCall(f.key, func.id))
            return
        if isinstance(func, ast.Attribute):
            root = func.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id not in local and root.id not in f.module.imports and hasattr(builtins, root.id):
                return
            # A method of an object whose class is not known here: every indexed method of
            # that name (e.g. `input.basic.to_domain()`, `codes.ETHNICITY.check(...)`).
            calls.update(m.key for m in self.methods.get(func.attr, ()))

    # -- reachability --------------------------------------------------------------------

    def reachable(self, start: str, dynamic: dict[tuple[str, str], tuple[str, ...]] | None = None) -> tuple[set[str], list[DynamicCall]]:
        """Every function reachable from `start`, and the dynamic calls met on the way that
        `dynamic` does not resolve ((function key, local name) → callee keys)."""
        dynamic = dynamic or {}
        by_function: dict[str, list[DynamicCall]] = {}
        for d in self.dynamic_calls:
            by_function.setdefault(d.function, []).append(d)
        seen: set[str] = set()
        unexplained: list[DynamicCall] = []
        todo = [start]
        while todo:
            key = todo.pop()
            if key in seen or key not in self.functions:
                continue
            seen.add(key)
            todo.extend(self.calls[key])
            for d in by_function.get(key, ()):
                resolved = dynamic.get((d.function, d.name))
                if resolved is None:
                    unexplained.append(d)
                else:
                    todo.extend(resolved)
        return seen, unexplained

    def codes_from(self, start: str, dynamic: dict[tuple[str, str], tuple[str, ...]] | None = None) -> tuple[set[str], list[DynamicCall]]:
        functions, unexplained = self.reachable(start, dynamic)
        return {c for key in functions for c in self.codes[key]}, unexplained
