"""How the handlers run: database work never on the event loop.

SQLAlchemy here is synchronous. An `async def` handler that queries blocks the event loop for every round trip,
so on PostgreSQL one slow query stalls every other request. Handlers are therefore plain `def` (FastAPI runs them
in its thread pool; a form is read by the async `read_form` dependency first). Three stay `async` because they
wait on the Argon2 gate, an asyncio queue, and they hand each database step to the thread pool instead.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from miniportal.app import ROUTERS
from miniportal.service import Portal

ASYNC_BY_DESIGN = {
    "login",
    "redeem",
    "update_me",
    "healthz",
}  # the Argon2 gate; healthz touches nothing


def test_only_the_argon2_handlers_are_coroutines() -> None:
    routes = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    coroutines = {r.endpoint.__name__ for r in routes if inspect.iscoroutinefunction(r.endpoint)}
    assert coroutines == ASYNC_BY_DESIGN
    assert len(routes) > 25  # the rule was checked against the whole app
    for route in routes:
        if route.endpoint.__name__ in ASYNC_BY_DESIGN:
            assert _queries_on_the_loop(route.endpoint) == [], route.endpoint.__name__


def _queries_on_the_loop(func: object) -> list[int]:
    """Lines where the coroutine itself (not a function nested in it, which goes to the thread pool) opens a
    database connection."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))  # type: ignore[arg-type]
    handler = tree.body[0]
    found: list[int] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue  # nested: runs wherever it is sent
            if (
                isinstance(child, ast.Attribute)
                and child.attr in {"begin", "connect"}
                and isinstance(child.value, ast.Attribute)
                and child.value.attr == "engine"
            ):
                found.append(child.lineno)
            visit(child)

    visit(handler)
    return found


def test_the_loop_check_sees_a_query_in_a_coroutine() -> None:
    async def bad(portal: Portal) -> None:
        with portal.engine.begin():
            pass

    async def good(portal: Portal) -> None:
        def work() -> None:
            with portal.engine.begin():
                pass

        await run_in_threadpool(work)

    assert _queries_on_the_loop(bad) == [2] and _queries_on_the_loop(good) == []
