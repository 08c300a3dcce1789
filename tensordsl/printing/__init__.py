"""Graph printing: `pp` (infix text), `debugprint` (an indented tree), `pydotprint` (a picture).

    import tensordsl as theano
    theano.printing.pydotprint(f, outfile="graph.png", var_with_name_simple=True)
"""

from tensordsl.printing.debug import debugprint
from tensordsl.printing.dot import build_dot, pydotprint
from tensordsl.printing.pp import pp
from tensordsl.printing.print_op import Print
from tensordsl.printing.render import GraphvizNotFoundError, RenderError, find_renderer

dprint = debugprint
pprint = pp  # Theano's name for the pretty printer

__all__ = ["GraphvizNotFoundError", "Print", "RenderError", "build_dot", "debugprint",
           "dprint", "find_renderer", "pp", "pprint", "pydotprint"]
