"""Turn a prepared graph into dask arrays: regions -> blockwise, Reduce -> da.reduction.

The one module of the package that imports dask (it is only imported once a dask
array has been passed in).
"""

from __future__ import annotations

import operator
import string
from typing import Any

import dask.array as da
import numpy as np

from tensordsl.dask.kernels import Kernel, ReduceStep
from tensordsl.dask.prepare import Prepared
from tensordsl.dask.stages import Region, build_region, is_reduction, is_source, unsupported
from tensordsl.graph.basic import Constant, Variable
from tensordsl.ops.elemwise import DimShuffle
from tensordsl.ops.reduce import Reduce

_LETTERS = string.ascii_lowercase + string.ascii_uppercase


class Lowerer:
    """Builds the dask array of each prepared-graph variable (memoised)."""

    def __init__(self, prepared: Prepared, values: dict[Variable, Any], mode: Any,
                 policy: str, who: str, kernels: dict[Any, Kernel]) -> None:
        self.prepared, self.values, self.mode = prepared, values, mode
        self.policy, self.who = policy, who
        self.inputs = frozenset(id(v) for v in prepared.inputs)
        self.arrays: dict[Variable, Any] = {}
        self.kernels = kernels  # reused across calls of the same plan (same digests)

    # -- outputs ---------------------------------------------------------------------
    def outputs(self) -> list[Any]:
        """The dask array of every output (outputs of the same shape share one kernel)."""
        outs = self.prepared.outputs
        groups: dict[tuple, list[Variable]] = {}
        for var in outs:
            if not is_source(var, self.inputs) and not isinstance(var, Constant):
                groups.setdefault(self._shape(var), []).append(var)
        for roots in groups.values():
            unique = list(dict.fromkeys(roots))
            for var, array in zip(unique, self._region(unique)):
                self.arrays[var] = array
        return [self._as_dask(self.array(v)) for v in outs]

    def _shape(self, var: Variable) -> tuple:
        shape = self.prepared.shapes.get(var)
        return ("unknown", id(var)) if shape is None else tuple(shape)

    # -- one variable ----------------------------------------------------------------
    def array(self, var: Variable) -> Any:
        """The dask array (or, for 0-d inputs, numpy value) of `var`."""
        found = self.arrays.get(var)
        if found is not None:
            return found
        if id(var) in self.inputs:
            result = self._input(var)
        elif isinstance(var, Constant):
            result = np.asarray(var.data) if var.ndim == 0 else da.from_array(var.data)
        elif is_reduction(var):
            result = self._reduction(var)
        else:
            (result,) = self._region([var])
        self.arrays[var] = result
        return result

    def _input(self, var: Variable) -> Any:
        value = self.values[var]
        if isinstance(value, da.Array):
            return value
        value = np.asarray(value, dtype=var.dtype)
        return value if value.ndim == 0 else da.from_array(value, chunks=-1)

    def _as_dask(self, value: Any) -> Any:
        return value if isinstance(value, da.Array) else da.from_array(np.asarray(value))

    # -- reductions ------------------------------------------------------------------
    def _reduction(self, var: Variable) -> Any:
        """A tree reduction. When the reduced value is elementwise work, that work and
        the first reduction step are one kernel per block (`_partials`): the block's
        intermediate is never stored."""
        node = var.owner
        op = node.op
        dtype = np.dtype(var.dtype)
        step = ReduceStep(op.kind, var.dtype, self.mode)
        meta = np.empty((0,) * var.ndim, dtype=dtype)
        source = None
        if not is_source(node.inputs[0], self.inputs):
            source = self._partials(var)
        if source is None:
            source = self._as_dask(self.array(node.inputs[0]))
        return da.reduction(source, step, step, combine=step, axis=op.axis, keepdims=False,
                            dtype=dtype, concatenate=True, meta=meta,
                            name=f"tensordsl-{op.kind}")

    def _partials(self, var: Variable) -> Any:
        """Per block, the reduction of the block's elementwise region (kept dims of size
        1): the input of the tree reduction's later steps. None without dask inputs."""
        key = ("reduce", id(var))
        cached = self.kernels.get(key)
        op = var.owner.op
        if cached is None:
            region = build_region([var.owner.inputs[0]], self.inputs, self.who)
            out = Reduce(op.kind, op.axis, var.dtype)(region.outputs[0])
            kept = iter(range(out.ndim))
            out = DimShuffle(tuple("x" if d in op.axis else next(kept)
                                   for d in range(region.ndim)))(out)
            kernel = Kernel(region.params, [out], self.mode, self.policy, self.who)
            self.kernels[key] = cached = (region, kernel)
        region, kernel = cached
        args, out_index, new_axes = self._block_args(region)
        if all(index is None for index in args[1::2]):
            return None
        adjust = {out_index[a]: 1 for a in op.axis if out_index[a] not in new_axes}
        meta = np.empty((0,) * region.ndim, dtype=np.dtype(var.dtype))
        return da.blockwise(kernel, out_index, *args, dtype=meta.dtype, concatenate=True,
                            new_axes=new_axes, adjust_chunks=adjust, meta=meta,
                            token=f"tensordsl-{_short(self.who)}-{op.kind}")

    # -- blockwise regions -----------------------------------------------------------
    def _region(self, roots: list[Variable]) -> list[Any]:
        key = tuple(id(r) for r in roots)
        cached = self.kernels.get(key)
        if cached is None:
            region = build_region(roots, self.inputs, self.who)
            kernel = Kernel(region.params, region.outputs, self.mode, self.policy, self.who)
            self.kernels[key] = cached = (region, kernel)
        region, kernel = cached
        return self._blockwise(region, kernel)

    def _block_args(self, region: Region) -> tuple[list[Any], str, dict[str, int]]:
        """blockwise's (array, index) pairs for the region's parameters (0-d values get
        index None), its output index, and the output dims no input covers."""
        ndim = region.ndim
        if ndim + sum(d is None for _, m in region.sources for d in m) > len(_LETTERS):
            raise unsupported(None, region.roots[0], self.who)
        out_index = _LETTERS[:ndim]
        spare = iter(_LETTERS[ndim:])
        args: list[Any] = []
        for var, dmap in region.sources:
            value = self.array(var)
            if isinstance(value, da.Array):
                args += [value, "".join(out_index[d] if d is not None else next(spare)
                                        for d in dmap)]
            else:
                args += [value, None]
        covered = {c for idx in args[1::2] if idx for c in idx}
        return args, out_index, {c: 1 for c in out_index if c not in covered}

    def _blockwise(self, region: Region, kernel: Kernel) -> list[Any]:
        ndim = region.ndim
        args, out_index, new_axes = self._block_args(region)
        any_dask = any(index is not None for index in args[1::2])
        metas = [np.empty((0,) * ndim, dtype=np.dtype(r.dtype)) for r in region.roots]
        if not any_dask:  # only 0-d inputs: one call, wrapped
            result = kernel(*args[::2])
            results = result if isinstance(result, tuple) else (result,)
            return [da.from_array(np.asarray(r)) for r in results]
        if len(region.roots) == 1:
            return [da.blockwise(kernel, out_index, *args, dtype=metas[0].dtype,
                                 concatenate=True, new_axes=new_axes, meta=metas[0],
                                 token=f"tensordsl-{_short(self.who)}")]
        tuples = da.blockwise(kernel, out_index, *args, concatenate=True, new_axes=new_axes,
                              meta=metas[0], token=f"tensordsl-{_short(self.who)}")
        return [tuples.map_blocks(operator.getitem, k, dtype=m.dtype, meta=m)
                for k, m in enumerate(metas)]


def _short(who: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in who)[:40] or "fn"
