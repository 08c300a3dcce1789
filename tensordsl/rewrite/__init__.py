"""Graph rewrites: the engine, the rule tables, fusion, and the pass order.

    rewrite_graph(fgraph, include=("fast_run",))   # what FAST_RUN does
    Mode("FAST_RUN").excluding("fusion")            # a mode is a query over tags/names

Modules: engine (registry, queries, worklist driver, trace), patterns (declarative
rules), global_passes (merge, constant folding, dead code), canonicalize, stabilize,
specialize, fusion, inplace, pipeline (the ordered stages).
"""

from tensordsl.rewrite.engine import REGISTRY, History, LocalRewrite, Query, register
from tensordsl.rewrite.pipeline import PIPELINE, Stage, rewrite_graph

__all__ = ["PIPELINE", "REGISTRY", "History", "LocalRewrite", "Query", "Stage", "register",
           "rewrite_graph"]
