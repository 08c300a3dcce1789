"""`import tensordsl as theano` then Theano's module paths: the same module objects."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent("""
    import tensordsl as theano
    from theano import tensor as T
    from theano.tensor import nnet
    import theano.gradient
    from theano.ifelse import ifelse
    import tensordsl
    assert T is tensordsl.tensor and nnet is tensordsl.tensor.nnet
    assert theano.gradient is tensordsl.gradient and ifelse is tensordsl.ifelse.ifelse
    import sys
    assert sys.modules["theano"] is tensordsl
    assert tensordsl.gradient.__name__ == "tensordsl.gradient"  # not loaded twice
    assert not [m for m in sys.modules.values()
                if getattr(m, "__name__", "").startswith("theano")]
    x = T.dscalar("x")
    print(theano.function([x], x * 2)(3.0))
    try:
        import theano.no_such_module
    except ModuleNotFoundError as err:
        print("missing:", err.name)
""")


def test_theano_module_paths_resolve_to_tensordsl():
    out = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["6.0", "missing: theano.no_such_module"]
