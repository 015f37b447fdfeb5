"""The AWS actions each Lambda function of the app can call, derived from the code by mypy's type analysis.

Every reference to a method of a boto3 client (`aws.iam().create_user(...)`, `self._iam.get_user`,
`partial(iam.delete_access_key, ...)`, `iam.get_paginator("list_users")`) is recognised by the *type* of
its receiver, which mypy infers from the annotations the strict type check already requires: names do not
matter, so `StateStore.get_user` is never mistaken for `iam:GetUser`. Calls between our own functions are
followed the same way (mypy knows which function `wiring.offboarding().offboard` is), which gives, for each
entry point (route, schedule, pure Lambda function), every AWS operation it can reach.

Over-approximations, all on the safe side for a coverage check: a nested function or lambda counts as part
of the function that contains it; a call to a method also reaches every override of it in our code; the
code at module level runs in every Lambda function (app.py imports every module).
"""

from __future__ import annotations

import inspect
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session
from botocore import xform_name
from mypy import build
from mypy.find_sources import create_source_list
from mypy.nodes import (
    CallExpr,
    ClassDef,
    Decorator,
    Expression,
    FuncDef,
    MemberExpr,
    MypyFile,
    Node,
    OverloadedFuncDef,
    RefExpr,
    StrExpr,
    TypeInfo,
    Var,
)
from mypy.options import Options
from mypy.types import CallableType, Instance, Overloaded, Type, UnboundType, get_proper_type

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PREFIXES = ("app", "chalicelib")
_CLIENT_CLASS = re.compile(r"^mypy_boto3_(\w+)\.client\.\w+$")
# Client methods that are not AWS operations.
_NOT_OPERATIONS = frozenset({"get_paginator", "get_waiter", "can_paginate", "close", "exceptions", "meta"})
_NOT_ANALYSED = (
    "boto3.*",
    "botocore.*",
    "chalice.*",
    "nacl.*",
    "pydantic.*",
    "pydantic_core.*",
    "pyotp.*",
    "segno.*",
    "mypy_boto3_dynamodb.type_defs",
    "mypy_boto3_iam.type_defs",
    "mypy_boto3_kms.type_defs",
    "mypy_boto3_lambda.type_defs",
    "mypy_boto3_scheduler.type_defs",
    "mypy_boto3_ssm.type_defs",
    "mypy_boto3_sts.type_defs",
)
# The elements of a DynamoDB transaction, and the action IAM authorizes each as (there is no Transact*).
TRANSACTION_ELEMENTS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
# Allowed for every principal whatever its policies say.
ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})


@dataclass
class Unit:
    """A top-level function, method or module body: what it calls directly."""

    operations: set[tuple[str, str]] = field(default_factory=set)  # (service, snake_case method)
    dynamic_paginators: set[str] = field(default_factory=set)  # services with a non-literal get_paginator
    strings: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)  # full names of our functions it refers to


def _project(name: str) -> bool:
    return name.split(".", 1)[0] in PROJECT_PREFIXES


def _service_of(t: Type | None) -> str | None:
    proper = get_proper_type(t) if t is not None else None
    if isinstance(proper, Instance):
        match = _CLIENT_CLASS.match(proper.type.fullname)
        if match:
            return match.group(1).replace("_", "-")
    return None


def _definition(t: Type | None) -> str | None:
    proper = get_proper_type(t) if t is not None else None
    if isinstance(proper, Overloaded):
        proper = proper.items[0]
    if isinstance(proper, CallableType) and proper.definition is not None:
        return proper.definition.fullname
    return None


def _spans(tree: MypyFile) -> list[tuple[int, int, str]]:
    """(first line, last line, full name) of each top-level function and method of a module."""
    spans = []

    def add(node: object) -> None:
        if isinstance(node, Decorator):
            spans.append((node.line, node.func.end_line or node.line, node.func.fullname))
        elif isinstance(node, FuncDef | OverloadedFuncDef):
            spans.append((node.line, node.end_line or node.line, node.fullname))

    for statement in tree.defs:
        add(statement)
        if isinstance(statement, ClassDef):
            for member in statement.defs.body:
                add(member)
    return spans


# Attributes of mypy nodes that point away from the syntax tree (symbols, types, analysed forms).
_NOT_CHILDREN = frozenset(
    {
        "node",
        "info",
        "type",
        "unanalyzed_type",
        "def_var",
        "var",
        "variable",
        "analyzed",
        "names",
        "original_def",
        "expanded",
        "def_or_infer_vars",
        "type_args",
        "analyzed_types",
        "raw_data",
    }
)


def _expressions(root: Node) -> Iterator[Expression]:
    """Every expression in a module's syntax tree.

    mypy is compiled with mypyc, which forbids subclassing its visitors from Python, so this walks the
    nodes' declared attributes instead.
    """
    seen: set[int] = set()
    todo: list[Any] = [root]
    while todo:
        item = todo.pop()
        if isinstance(item, list | tuple):
            todo.extend(item)
            continue
        if not isinstance(item, Node) or isinstance(item, Var | TypeInfo) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Expression):
            yield item
        for klass in type(item).__mro__:
            for attr in getattr(klass, "__mypyc_attrs__", ()):
                if attr not in _NOT_CHILDREN:
                    todo.append(getattr(item, attr, None))


def _collect(module: str, tree: MypyFile, types: dict[Expression, Type], units: dict[str, Unit]) -> None:
    """Fill a `Unit` per top-level function or method of `module`."""
    spans = _spans(tree)
    for _, _, name in spans:
        units.setdefault(name, Unit())

    def unit_at(line: int) -> Unit:
        for first, last, name in spans:
            if first <= line <= last:
                return units[name]
        return units.setdefault(f"{module}.<module>", Unit())

    for expr in _expressions(tree):
        expr_type = types.get(expr)
        unit = unit_at(expr.line)
        if isinstance(expr, StrExpr):
            unit.strings.add(expr.value)
        if isinstance(expr, MemberExpr):
            service = _service_of(types.get(expr.expr))
            if service is not None and expr.name not in _NOT_OPERATIONS:
                unit.operations.add((service, expr.name))
        if isinstance(expr, CallExpr) and isinstance(expr.callee, MemberExpr):
            callee = expr.callee
            service = _service_of(types.get(callee.expr))
            if service is not None and callee.name == "get_paginator":
                if expr.args and isinstance(expr.args[0], StrExpr):
                    unit.operations.add((service, expr.args[0].value))
                else:
                    unit.dynamic_paginators.add(service)
        if isinstance(expr, RefExpr):
            node = expr.node
            if isinstance(node, Decorator):
                node = node.func
            if isinstance(node, FuncDef | OverloadedFuncDef) and _project(node.fullname):
                unit.calls.add(node.fullname)
            elif isinstance(node, TypeInfo) and _project(node.fullname):
                unit.calls.add(f"{node.fullname}.__init__")
            else:
                target = _definition(expr_type)
                if target and _project(target):
                    unit.calls.add(target)


@dataclass(frozen=True)
class CodeIndex:
    """Every unit of the project and the subclass overrides of each method."""

    units: dict[str, Unit]
    overrides: dict[str, set[str]]
    # `chalicelib.aws` functions declared to return a boto3 client → its service, or None when mypy
    # cannot see the client class (stubs not installed), which would hide that client's calls.
    client_getters: dict[str, str | None]

    def reachable(self, roots: Iterable[str]) -> set[str]:
        """The full names of every unit reachable from `roots`, module bodies included."""
        # Module bodies run on import, so their own calls count; what they merely refer to (a decorator
        # registering a route, say) runs only when invoked, so it is not followed from here.
        seen: set[str] = {name for name in self.units if name.endswith(".<module>")}
        todo = list(roots)
        while todo:
            name = todo.pop()
            seen.add(name)
            unit = self.units.get(name)
            for callee in (*(unit.calls if unit else ()), *self.overrides.get(name, ())):
                if callee not in seen:
                    todo.append(callee)
        return seen

    def operations(self, roots: Iterable[str]) -> dict[str, set[str]]:
        """`service:Action` → the units that call it, for everything reachable from `roots`."""
        found: dict[str, set[str]] = defaultdict(set)
        for name in self.reachable(roots):
            unit = self.units.get(name)
            if unit is None:
                continue
            for service, method in unit.operations:
                found[action_name(service, method)].add(name)
            for element, action in TRANSACTION_ELEMENTS.items():
                # A transaction is authorized as the item actions inside it: a unit that builds a
                # `{"Put": ...}` element (a string the code names) asks for dynamodb:PutItem.
                if element in unit.strings:
                    found[action].add(name)
            for service in unit.dynamic_paginators:
                # `get_paginator(variable)`: every paginated operation named in the function counts.
                client = _client(service)
                named = {s for s in unit.strings if s in client._PY_TO_OP_NAME and client.can_paginate(s)}
                if not named:
                    raise AssertionError(f"{name}: get_paginator with an argument that cannot be resolved")
                for method in named:
                    found[action_name(service, method)].add(name)
        return dict(found)


_clients: dict[str, Any] = {}


def _client(service: str) -> Any:
    if service not in _clients:
        session = botocore.session.get_session()
        _clients[service] = session.create_client(
            service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
    return _clients[service]


def action_name(service: str, method: str) -> str:
    """`("iam", "create_user")` → `"iam:CreateUser"`, through botocore's service model."""
    model = _client(service).meta.service_model
    by_method = {xform_name(op): op for op in model.operation_names}
    if method not in by_method:
        raise AssertionError(f"{service} has no operation {method}")
    prefix = model.signing_name or model.endpoint_prefix
    action = f"{prefix}:{by_method[method]}"
    return _ACTION_NAMED_DIFFERENTLY.get(action, action)


# The few API operations whose IAM action has another name (from the Service Authorization Reference).
_ACTION_NAMED_DIFFERENTLY = {"lambda:Invoke": "lambda:InvokeFunction"}


def index_code() -> CodeIndex:
    """Type-check app.py and chalicelib/ with mypy and collect every unit."""
    options = Options()
    options.export_types = True
    options.incremental = False  # cached modules come without trees
    options.preserve_asts = True
    options.python_version = (3, 12)
    options.follow_imports = "silent"
    options.ignore_missing_imports = True
    # Only our code and the boto3 client classes matter; not analysing the rest halves the time.
    for module in _NOT_ANALYSED:
        options.per_module_options[module] = {"follow_imports": "skip"}
    sources = create_source_list([str(ROOT / "app.py"), str(ROOT / "chalicelib")], options)
    result = build.build(sources=sources, options=options)
    units: dict[str, Unit] = {}
    overrides: dict[str, set[str]] = defaultdict(set)
    getters: dict[str, str | None] = {}
    for module, state in result.graph.items():
        tree = state.tree
        if not _project(module) or not isinstance(tree, MypyFile):
            continue
        _collect(module, tree, result.types, units)
        if module == "chalicelib.aws":
            getters = _client_getters(tree)
        for symbol in tree.names.values():
            info = symbol.node
            if isinstance(info, TypeInfo) and info.fullname.startswith(module):
                for base in info.mro[1:]:
                    for method in info.names:
                        if method in base.names:
                            overrides[f"{base.fullname}.{method}"].add(f"{info.fullname}.{method}")
    return CodeIndex(units, dict(overrides), getters)


def _client_getters(tree: MypyFile) -> dict[str, str | None]:
    getters: dict[str, str | None] = {}
    for statement in tree.defs:
        func = statement.func if isinstance(statement, Decorator) else statement
        if not isinstance(func, FuncDef):
            continue
        declared = func.unanalyzed_type
        returns = declared.ret_type if isinstance(declared, CallableType) else None
        if isinstance(returns, UnboundType) and returns.name.endswith("Client"):
            analysed = func.type.ret_type if isinstance(func.type, CallableType) else None
            getters[func.fullname] = _service_of(analysed)
    return getters


def _full_name(handler: Any) -> str:
    # Chalice wraps user functions (EventSourceHandler.func, PureLambdaWrapper._original_func) and
    # our decorators keep `__wrapped__`: peel every layer down to the function we wrote.
    while not inspect.isfunction(handler) or hasattr(handler, "__wrapped__"):
        handler = next(
            getattr(handler, attr)
            for attr in ("__wrapped__", "func", "_original_func")
            if hasattr(handler, attr)
        )
    return f"{handler.__module__}.{handler.__qualname__}"


def entry_points(app: Any) -> dict[str, list[str]]:
    """Each Lambda function Chalice deploys for `app` → the full names of the code it starts in.

    `api_handler` runs every route and every middleware; every other function (schedule, pure Lambda
    function, event source) runs its own handler and the middleware.
    """
    middleware = [_full_name(func) for func, _ in app.middleware_handlers]
    routes = {
        _full_name(entry.view_function) for methods in app.routes.values() for entry in methods.values()
    }
    functions = {"api_handler": [*sorted(routes), *middleware]} if routes else {}
    for name, handler in app.handler_map.items():
        if _full_name(handler) not in routes:
            functions[name] = [_full_name(handler), *middleware]
    return functions
