"""The application's routers may be tried in any order (volcred.app._routers puts the most requested first): no two
of them answer the same method and path, and /docs keeps its order of tags."""

from __future__ import annotations

import importlib
import pkgutil
import re

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import compile_path

PACKAGES = ("catalogue", "issuers", "credentials", "verify")


def _routers() -> list[APIRouter]:
    """Every router defined in the packages, each once (a router gathering others holds no routes of its own)."""
    found: dict[int, APIRouter] = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for module_info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            module = importlib.import_module(module_info.name)
            for value in vars(module).values():
                if isinstance(value, APIRouter):
                    found[id(value)] = value
    return list(found.values())


def _example(path_format: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path_format)


def test_no_two_routers_answer_the_same_request():
    routes = [
        (index, route)
        for index, router in enumerate(_routers())
        for route in router.routes
        if isinstance(route, APIRoute)
    ]
    assert len(routes) > 200, "every page and API route was found"
    clashes = []
    for position, (router_a, a) in enumerate(routes):
        pattern_a = compile_path(a.path)[0]
        for router_b, b in routes[position + 1 :]:
            if router_a == router_b or not a.methods & b.methods:
                continue  # one router's own order is fixed by its module
            pattern_b = compile_path(b.path)[0]
            if pattern_a.match(b.path) or pattern_a.match(_example(b.path)) or pattern_b.match(_example(a.path)):
                clashes.append((sorted(a.methods & b.methods), a.path, b.path))
    assert clashes == []


def test_docs_list_every_tag_in_the_declared_order(client):
    """/docs groups operations by tag in the order of the document's `tags`, whatever order the routers are tried
    in."""
    from volcred.app import API_TAGS

    document = client.get("/openapi.json").json()
    assert [tag["name"] for tag in document["tags"]] == list(API_TAGS)
    used = {
        tag
        for operations in document["paths"].values()
        for operation in operations.values()
        for tag in operation.get("tags", ())
    }
    assert used <= set(API_TAGS)
