"""map, reduce, foldl and foldr: Theano's special cases of scan (scan_views)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from tensordsl.scan.basic import scan


def map(fn: Callable[..., Any], sequences: Any, non_sequences: Any = None,
        truncate_gradient: int = -1, go_backwards: bool = False, mode: Any = None,
        name: str | None = None) -> tuple[Any, OrderedDict]:
    """fn applied to each element of the sequences: scan with no recurrent output."""
    return scan(fn, sequences=sequences, outputs_info=None, non_sequences=non_sequences,
                truncate_gradient=truncate_gradient, go_backwards=go_backwards, name=name)


def _last(outputs: Any) -> Any:
    if isinstance(outputs, list):
        return [o[-1] for o in outputs]
    return outputs[-1]


def reduce(fn: Callable[..., Any], sequences: Any, outputs_info: Any,
           non_sequences: Any = None, go_backwards: bool = False, mode: Any = None,
           name: str | None = None) -> tuple[Any, OrderedDict]:
    """The last state of scan(fn, sequences, outputs_info): a fold over the sequences."""
    outputs, updates = scan(fn, sequences=sequences, outputs_info=outputs_info,
                            non_sequences=non_sequences, go_backwards=go_backwards, name=name)
    return _last(outputs), updates


def foldl(fn: Callable[..., Any], sequences: Any, outputs_info: Any,
          non_sequences: Any = None, mode: Any = None, name: str | None = None
          ) -> tuple[Any, OrderedDict]:
    """reduce from the first element to the last."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=False, name=name)


def foldr(fn: Callable[..., Any], sequences: Any, outputs_info: Any,
          non_sequences: Any = None, mode: Any = None, name: str | None = None
          ) -> tuple[Any, OrderedDict]:
    """reduce from the last element to the first."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=True, name=name)
