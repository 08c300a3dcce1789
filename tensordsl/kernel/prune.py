"""Dead-code elimination on the kernel IR: every node of a pruned kernel's body is read.

Two things make a scalar node dead:

* `second(a, b)` (fill/alloc-like: b broadcast to a's shape) reads `a` only for its
  shape, and the shape is the iteration space's, already fixed by the kernel's inputs.
  So `second(a, b)` becomes `b` itself (or `identity(b)` should the node's dtype differ),
  and `a` loses that use;
* a node no output depends on (fusion keeps, say, the product a `second` took its shape
  from) is dropped, loads included.

An input no live node loads stays a kernel input: it still takes part in the broadcast
of the iteration space and in the checks on it, and the kernel's arguments (the C ABI,
the manifests, the callers) stay the same. Renderers skip loading it
(`loaded_inputs`), so the generated C has no unused variable (`cc -Wall -Werror`).
"""

from __future__ import annotations

from dataclasses import replace

from tensordsl.kernel.ir import Kernel, ScalarNode
from tensordsl.ops.scalar import SCALAR_OPS

# scalar op name -> the argument positions it reads only for their shape
SHAPE_ONLY_ARGS: dict[str, tuple[int, ...]] = {"second": (0,)}


def value_args(node: ScalarNode) -> tuple[int, ...]:
    """The body indices whose values `node` reads (shape-only arguments left out)."""
    if node.kind != "op":
        return ()
    skip = SHAPE_ONLY_ARGS.get(node.op.name, ())  # type: ignore[union-attr]
    return tuple(a for pos, a in enumerate(node.args) if pos not in skip)


def live_nodes(kernel: Kernel) -> frozenset[int]:
    """Body indices an output depends on through value-reading arguments."""
    live: set[int] = set()
    stack = list(kernel.outputs)
    while stack:
        i = stack.pop()
        if i not in live:
            live.add(i)
            stack.extend(value_args(kernel.body[i]))
    return frozenset(live)


def loaded_inputs(kernel: Kernel) -> frozenset[int]:
    """The inputs a live node of `kernel` loads (the others are read for their shape)."""
    live = live_nodes(kernel)
    return frozenset(n.input for i, n in enumerate(kernel.body)  # type: ignore[misc]
                     if n.kind == "load" and i in live)


def prune_kernel(kernel: Kernel) -> Kernel:
    """`kernel` without dead scalar nodes and with `second` resolved to its value operand
    (the same object when there is nothing to drop). Inputs and outputs are unchanged."""
    body: list[ScalarNode] = []
    alias: dict[int, int] = {}  # old index -> index in `body` (a second resolved away)
    resolved_any = False
    for i, node in enumerate(kernel.body):
        if node.kind == "op" and node.op.name in SHAPE_ONLY_ARGS:  # type: ignore[union-attr]
            (value,) = value_args(node)
            resolved_any = True
            if kernel.body[value].dtype == node.dtype:
                alias[i] = alias[value]
                continue
            node = ScalarNode(node.dtype, op=SCALAR_OPS["identity"], args=(value,))
        if node.kind == "op":
            node = replace(node, args=tuple(alias[a] for a in node.args))
        alias[i] = len(body)
        body.append(node)
    resolved = Kernel(kernel.ndim, kernel.inputs, tuple(body),
                      tuple(alias[o] for o in kernel.outputs), kernel.output_dtypes,
                      kernel.reduce_axes, kernel.reduce_kinds, kernel.acc_dtypes,
                      name=kernel.name)
    live = live_nodes(resolved)
    if not resolved_any and len(live) == len(kernel.body):
        return kernel  # nothing resolved, nothing dead
    index = {old: new for new, old in enumerate(sorted(live))}
    kept = tuple(replace(n, args=tuple(index[a] for a in n.args)) if n.kind == "op" else n
                 for i, n in enumerate(resolved.body) if i in live)
    return Kernel(kernel.ndim, kernel.inputs, kept,
                  tuple(index[o] for o in resolved.outputs), kernel.output_dtypes,
                  kernel.reduce_axes, kernel.reduce_kinds, kernel.acc_dtypes,
                  name=kernel.name)
