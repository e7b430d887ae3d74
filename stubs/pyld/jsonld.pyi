from collections.abc import Callable
from typing import Any

OnPropertyDropped = Callable[[str | None], Any]

class JsonLdError(Exception):
    type: str
    details: Any
    code: str | None
    def __init__(self, message: str, type_: str, details: Any = None, code: str | None = None) -> None: ...

class JsonLdProcessor:
    on_property_dropped: OnPropertyDropped
    def __init__(self, on_property_dropped: OnPropertyDropped = ...) -> None: ...
    def expand(self, input_: Any, options: dict[str, Any]) -> list[Any]: ...
    def to_rdf(self, input_: Any, options: dict[str, Any]) -> Any: ...
