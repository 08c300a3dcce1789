"""tensordsl.printing: pp, debugprint and pydotprint (with the real renderer in CI)."""

from __future__ import annotations

import io
import os
import re
import struct
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.kernel.ir import Kernel, KernelInput, ScalarNode
from tensordsl.ops import scalar as ps
from tensordsl.ops.fused import FusedElemwise
from tensordsl.printing import dot as dotmod
from tensordsl.printing import pdf, render

# -- pp ---------------------------------------------------------------------------------
# numpy meanings of the names pp prints, so pp text can be evaluated and checked.
PP_NAMESPACE = {
    "exp": np.exp, "log": np.log, "tanh": np.tanh, "abs": np.abs, "sqrt": np.sqrt,
    "maximum": np.maximum, "minimum": np.minimum, "dot": np.dot,
    "sum": lambda x, axis=None: np.sum(x, axis=axis),
    "max": lambda x, axis=None: np.max(x, axis=axis),
    "prod": lambda x, axis=None: np.prod(x, axis=axis),
    "cast": lambda x, dtype: np.asarray(x).astype(dtype),
    "float32": "float32", "float64": "float64", "int64": "int64",
}


def eval_pp(text: str, values: dict) -> np.ndarray:
    """Evaluate pp output (temporaries first) with numpy."""
    env = dict(PP_NAMESPACE, **values)
    *temps, last = text.split("\n")
    for line in temps:
        name, expr = line.split(" = ", 1)
        env[name] = eval(expr, env)  # noqa: S307 - text made by pp from our own graph
    return eval(last, env)  # noqa: S307


def test_pp_infix_and_calls():
    a, b, c = T.dscalars("a", "b", "c")
    assert theano.pp((a + b) * c) == "((a + b) * c)"
    assert theano.pp(a / (b - c) ** 2) == "(a / ((b - c) ** 2))"
    assert theano.pp(-a) == "(-a)"
    assert theano.pp(T.exp(a) + T.maximum(b, c)) == "(exp(a) + maximum(b, c))"
    assert theano.pp(T.gt(a, b)) == "(a > b)"
    assert theano.pp(a.astype("float32")) == "cast(a, float32)"


def test_pp_tensor_ops_are_readable():
    x, y = T.dmatrices("x", "y")
    v = T.dvector("v")
    assert theano.pp(x + v) == "(x + v)"  # implicit broadcasting is not shown
    assert theano.pp(T.sum(x, axis=1)) == "sum(x, axis=1)"
    assert theano.pp(x.sum()) == "sum(x)"
    assert theano.pp(T.max(x, axis=(0, 1)) + 1) == "(max(x) + 1)"
    assert theano.pp(T.dot(x, y.T)) == "dot(x, y.T)"
    assert theano.pp(x[1:3, 0]) == "x[1:3, 0]"
    assert theano.pp(x[::2]) == "x[::2]"
    assert theano.pp(x.dimshuffle(1, "x", 0)) == "x.dimshuffle(1, 'x', 0)"
    assert theano.pp(T.argmax(x, axis=1)) == "argmax(x, axis=1)"
    assert theano.pp(T.inc_subtensor(x[0], v)) == "inc_subtensor(x[0], v)"
    assert theano.pp(T.set_subtensor(x[0], v)) == "set_subtensor(x[0], v)"


def test_pp_list_and_function():
    a, b = T.dscalars("a", "b")
    assert theano.pp([a + b, a * b]) == "(a + b)\n(a * b)"
    f = theano.function([a, b], a - b)
    assert theano.pp(f) == "(a - b)"


_BINARY = [("+", T.add, np.add), ("-", T.sub, np.subtract), ("*", T.mul, np.multiply),
           ("max", T.maximum, np.maximum)]
_UNARY = [T.tanh, T.neg, T.exp, T.abs]


@st.composite
def expressions(draw, depth=0):
    """(tensordsl expression over x, y, v) built at random."""
    leaves = ["x", "y", "v", "const"]
    if depth >= 3 or draw(st.booleans()) and depth > 0:
        leaf = draw(st.sampled_from(leaves))
        return ("const", draw(st.floats(-2, 2, allow_nan=False, width=32))) \
            if leaf == "const" else (leaf,)
    kind = draw(st.sampled_from(["bin", "un", "sum", "T"]))
    if kind == "bin":
        return ("bin", draw(st.integers(0, len(_BINARY) - 1)), draw(expressions(depth + 1)),
                draw(expressions(depth + 1)))
    if kind == "un":
        return ("un", draw(st.integers(0, len(_UNARY) - 1)), draw(expressions(depth + 1)))
    return (kind, draw(expressions(depth + 1)))


def build(tree, symbols):
    tag = tree[0]
    if tag in symbols:
        return symbols[tag]
    if tag == "const":
        return T.constant(np.float64(tree[1]))
    if tag == "bin":
        return _BINARY[tree[1]][1](build(tree[2], symbols), build(tree[3], symbols))
    if tag == "un":
        return _UNARY[tree[1]](build(tree[2], symbols))
    inner = build(tree[1], symbols)
    if tag == "sum":
        return inner.sum(axis=-1) if inner.ndim else inner
    return inner.T


@settings(max_examples=40, deadline=None)
@given(expressions(), st.integers(0, 3), st.integers(1, 3))
def test_pp_text_evaluates_to_the_graph_value(tree, rows, cols):
    x, y = T.dmatrices("x", "y")
    v = T.dvector("v")
    expr = build(tree, {"x": x, "y": y, "v": v})
    rng = np.random.default_rng(rows * 10 + cols)
    shape = (cols, cols)  # square, so transposes broadcast
    values = {"x": rng.normal(size=shape), "y": rng.normal(size=shape),
              "v": rng.normal(size=cols)}
    f = theano.function([x, y, v], expr, on_unused_input="ignore")
    expected = f(values["x"], values["y"], values["v"])
    got = eval_pp(theano.pp(expr), values)
    np.testing.assert_allclose(np.asarray(got, dtype=float), expected, rtol=1e-12, atol=1e-12)


def test_pp_fused_kernel_prints_its_expression():
    a, b = T.dvectors("a", "b")
    body = (ScalarNode("float64", input=0), ScalarNode("float64", input=1),
            ScalarNode("float64", value=np.float64(2.0)),
            ScalarNode("float64", op=ps.mul, args=(0, 2)),
            ScalarNode("float64", op=ps.add, args=(3, 1)),
            ScalarNode("float64", op=ps.get("exp"), args=(4,)))
    kernel = Kernel(1, (KernelInput("float64", (False,)),) * 2, body, (5,), ("float64",))
    out = FusedElemwise(kernel)(a, b)
    assert theano.pp(out) == "exp(((a * 2.0) + b))"
    reducing = Kernel(1, kernel.inputs, body, (5,), ("float64",), reduce_axes=(0,),
                      reduce_kinds=("add",), acc_dtypes=("float64",))
    text = theano.pp(FusedElemwise(reducing)(a, b))
    assert text == "sum(exp(((a * 2.0) + b)), axis=0)"
    values = {"a": np.array([0.1, -0.5]), "b": np.array([0.3, 0.2])}
    np.testing.assert_allclose(eval_pp(text, values),
                               np.sum(np.exp(values["a"] * 2 + values["b"])))


def test_pp_shared_subexpressions_stay_linear():
    a = T.dscalar("a")
    y = a
    for _ in range(60):  # the fully expanded text would have 2**60 leaves
        y = y + y
    text = theano.pp(y)
    assert len(text) < 100_000
    assert text.startswith("_t1 = ")
    assert float(eval_pp(text, {"a": 1.0})) == 2.0 ** 60


def test_pp_and_debugprint_handle_deep_graphs():
    a = T.dscalar("a")
    y = a
    for i in range(3000):
        y = y + i
    assert theano.pp(y).count("+") == 3000
    assert theano.debugprint(y, file="str").count("\n") == 6001


# -- debugprint -------------------------------------------------------------------------
def test_debugprint_layout_and_shared_subtrees():
    a, b, c = T.dscalars("a", "b", "c")
    s = a + b
    text = theano.debugprint((s * c) / s, file="str")
    assert text.splitlines() == [
        "Elemwise{true_div} [id A] ''",
        " |Elemwise{mul} [id B] ''",
        " | |Elemwise{add} [id C] ''",
        " | | |a [id D]",
        " | | |b [id E]",
        " | |c [id F]",
        " |Elemwise{add} [id C] ''",  # printed once, then referenced by id
    ]


def test_debugprint_last_child_indentation_and_names():
    x, z = T.dscalars("x", "z")
    inner = T.exp(x)
    inner.name = "ex"
    lines = theano.debugprint(z * inner, file="str").splitlines()
    assert lines == ["Elemwise{mul} [id A] ''", " |z [id B]", " |Elemwise{exp} [id C] 'ex'",
                     "   |x [id D]"]
    stopped = theano.debugprint(z * inner, file="str", stop_on_name=True).splitlines()
    assert stopped == lines[:3]
    assert theano.debugprint(z * inner, file="str", depth=1).splitlines() == lines[:3]


def test_debugprint_options():
    a, b = T.dvectors("a", "b")
    expr = a * 2 + b
    typed = theano.debugprint(expr, file="str", print_type=True)
    assert "a [id " in typed and f"<{a.type}>" in typed
    assert re.search(r"\[id \d+\]", theano.debugprint(expr, file="str", ids="int"))
    assert "[id" not in theano.debugprint(expr, file="str", ids="")
    assert theano.debugprint(expr, file="str", ids="CHAR").splitlines()[0] == \
        "Elemwise{add} A ''"
    buffer = io.StringIO()
    assert theano.debugprint(expr, file=buffer) is buffer
    assert buffer.getvalue() == theano.debugprint(expr, file="str")
    with pytest.raises(ValueError, match="ids must be one of"):
        theano.debugprint(expr, ids="letters")
    with pytest.raises(TypeError, match="expected a Variable"):
        theano.debugprint(42)


def test_debugprint_function_shows_rewritten_graph_with_order(capsys):
    x = T.dmatrix("x")
    v = T.dvector("v")
    w = theano.shared(np.ones(3), name="w")
    f = theano.function([x, v], T.exp(x + v).sum(axis=1), updates=[(w, w * 2)])
    theano.debugprint(f)
    lines = capsys.readouterr().out.splitlines()
    order = {id(n): i for i, n in enumerate(f.maker.fgraph.toposort())}
    node_lines = [ln for ln in lines if "'" in ln]
    assert len(node_lines) == len(order)
    assert sorted(int(ln.rsplit(" ", 1)[1]) for ln in node_lines) == sorted(order.values())
    first = f.maker.fgraph.outputs[0].owner.op  # whatever the mode's rewrites made of it
    assert lines[0].startswith(f"{first} [id A] ''")
    assert any(ln.strip().startswith("|w [id") for ln in lines)  # the update's graph


def test_debugprint_multiple_outputs_of_one_node():
    a, b = T.dvectors("a", "b")
    body = (ScalarNode("float64", input=0), ScalarNode("float64", input=1),
            ScalarNode("float64", op=ps.add, args=(0, 1)),
            ScalarNode("float64", op=ps.mul, args=(0, 1)))
    kernel = Kernel(1, (KernelInput("float64", (False,)),) * 2, body, (2, 3),
                    ("float64", "float64"))
    s, p = FusedElemwise(kernel)(a, b)
    lines = theano.debugprint([s, p], file="str").splitlines()
    assert lines[0] == "Fused{add,mul}.0 [id A] ''"
    assert lines[-1] == "Fused{add,mul}.1 [id A] ''"
    assert theano.pp([s, p]) == "(a + b)\n(a * b)"


# -- pydotprint ----------------------------------------------------------------------------
def png_header(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def seed_scalar_addition():
    a = T.dscalar()
    b = T.dscalar()
    c = a + b
    return theano.function([a, b], c)


def test_ci_has_a_renderer():
    # The `test` extra brings graphviz-pure: CI must be able to draw (nothing is skipped).
    assert render.find_renderer() is not None, 'pip install "tensordsl[test]"'


def test_pydotprint_seed_writes_a_real_png(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    f = seed_scalar_addition()
    theano.printing.pydotprint(f, outfile="scalar_addition.png", var_with_name_simple=True)
    assert "scalar_addition.png" in capsys.readouterr().out
    data = (tmp_path / "scalar_addition.png").read_bytes()
    width, height = png_header(data)
    assert width > 0 and height > 0
    pixels = pdf.decode_png(data)
    assert pixels.shape[:2] == (height, width)
    assert len(np.unique(pixels.reshape(-1, pixels.shape[2]), axis=0)) > 2  # not blank


def test_pydotprint_svg_and_pdf(tmp_path):
    f = seed_scalar_addition()
    out = tmp_path / "graph"
    theano.printing.pydotprint(f, outfile=str(out), format="svg", print_output_file=False)
    root = ET.parse(str(out) + ".svg").getroot()
    assert root.tag.endswith("svg")
    texts = [t.text for t in root.iter() if t.tag.endswith("text")]
    assert "Elemwise{add}" in texts
    theano.printing.pydotprint(f, outfile=out, format="pdf", print_output_file=False)
    check_pdf((tmp_path / "graph.pdf").read_bytes())


def check_pdf(data: bytes) -> None:
    """Structure of the PDF: header, xref offsets pointing at objects, an RGB image."""
    assert data.startswith(b"%PDF-1.")
    start = int(data.rsplit(b"startxref\n", 1)[1].split()[0])
    entries = data[start:].split(b"\n")[3:8]
    for number, entry in enumerate(entries, start=1):
        offset = int(entry.split()[0])
        assert data[offset:].startswith(f"{number} 0 obj".encode())
    header = re.search(rb"/Width (\d+) /Height (\d+)", data)
    width, height = int(header.group(1)), int(header.group(2))
    stream = data.split(b"stream\n", 1)[1].split(b"\nendstream", 1)[0]
    assert len(zlib.decompress(stream)) == width * height * 3


def test_dot_text_has_names_and_escapes_them(tmp_path):
    x = T.dmatrix("weights")
    y = T.dvector('odd "name"\\n\nline2')
    f = theano.function([x, y], T.dot(x, y))
    text = theano.printing.pydotprint(f, format="dot", return_image=True,
                                      var_with_name_simple=True)
    assert '"weights"' in text
    assert '"odd \\"name\\"\\\\n\\nline2"' in text  # quotes, backslash, newline escaped
    full = theano.printing.pydotprint(f, format="raw", return_image=True)
    assert f"weights {x.type}" in full
    theano.printing.pydotprint(f, outfile=tmp_path / "g.dot", format="dot",
                               print_output_file=False)
    assert (tmp_path / "g.dot").read_text() == full


def test_user_names_render_literally(tmp_path):
    name = 'a"b\\N;$(touch pwned)'
    x = T.dscalar(name)
    svg = theano.printing.pydotprint(x * 2, format="svg", return_image=True,
                                     var_with_name_simple=True)
    texts = [t.text for t in ET.fromstring(svg).iter() if t.tag.endswith("text")]
    assert name in texts
    assert not os.path.exists("pwned")


def test_compact_hides_unnamed_intermediates():
    a, b = T.dscalars("a", "b")
    expr = T.exp(a + b) * 2
    compact = dotmod.build_dot(expr, compact=True)
    full = dotmod.build_dot(expr, compact=False)
    assert len(full.get_nodes()) > len(compact.get_nodes())
    assert any(str(a.type) in str(e.get("label")) for e in compact.get_edges())


def write_script(folder, name: str, body: str) -> str:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def test_system_dot_is_preferred_and_gets_no_user_strings(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "argv.txt"
    real = render.find_renderer()
    # A stand-in `dot` that logs its arguments and delegates to the real renderer.
    delegate = f'exec "{real[1]}" "$@"' if real else "printf '<svg/>'"
    write_script(bin_dir, "dot", f'echo "$@" > "{log}"\n{delegate}\n')
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(render, "script_dirs", lambda: [])
    assert render.find_renderer() == ("dot", str(bin_dir / "dot"))
    x = T.dscalar("-Tjpg")
    out = tmp_path / "-o evil.svg"
    theano.printing.pydotprint(x + 1, outfile=str(out), format="svg", print_output_file=False)
    assert log.read_text().split() == ["-Tsvg"]
    assert out.exists()


def test_renderer_found_next_to_python_when_off_path(tmp_path, monkeypatch):
    bin_dir = tmp_path / "venv-bin"
    bin_dir.mkdir()
    fake = write_script(bin_dir, "graphviz-pure", "cat\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(render, "script_dirs", lambda: [str(bin_dir)])
    assert render.find_renderer() == ("graphviz-pure", fake)


def test_missing_renderer_writes_dot_and_explains(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(render, "script_dirs", lambda: [])
    assert render.find_renderer() is None
    f = seed_scalar_addition()
    target = tmp_path / "scalar_addition.png"
    with pytest.raises(render.GraphvizNotFoundError) as info:
        theano.printing.pydotprint(f, outfile=str(target), var_with_name_simple=True)
    message = str(info.value)
    assert 'pip install "tensordsl[viz]"' in message and "apt install graphviz" in message
    dot_file = tmp_path / "scalar_addition.dot"
    assert str(dot_file) in message
    assert dot_file.read_text().startswith("digraph G {")
    assert not target.exists()
    assert f._repr_svg_() is None
    # The dot text itself needs no renderer.
    assert "Elemwise{add}" in theano.printing.pydotprint(f, format="dot", return_image=True)


def test_renderer_failure_is_reported(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    write_script(bin_dir, "dot", "echo 'syntax error in line 1' >&2\nexit 3\n")
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(render.RenderError, match="exit code 3.*syntax error"):
        theano.printing.pydotprint(T.dscalar("a") * 2, outfile=str(tmp_path / "g"))


def test_pydotprint_bad_arguments():
    a = T.dscalar("a")
    with pytest.raises(ValueError, match="format must be one of"):
        theano.printing.pydotprint(a, format="jpg")
    with pytest.raises(TypeError, match="expected a Variable"):
        theano.printing.pydotprint("a + b")
    with pytest.raises(ValueError, match="max_label_size"):
        theano.printing.pydotprint(a, format="dot", return_image=True, max_label_size=0)


def test_repr_svg_for_jupyter():
    a, b = T.dmatrices("a", "b")
    c = T.dot(a, b)
    for obj in (c, theano.function([a, b], c)):
        root = ET.fromstring(obj._repr_svg_())
        assert root.tag.endswith("svg")
        texts = [t.text for t in root.iter() if t.tag.endswith("text")]
        assert "a" in texts and "b" in texts and "Dot" in texts


# -- the PNG decoder behind the PDF fallback -----------------------------------------------
def encode_png(pixels: np.ndarray, filters: list[int]) -> bytes:
    """A PNG of `pixels` (h, w, 4) uint8 using the given filter type per row."""
    height, width, bpp = pixels.shape
    rows = pixels.reshape(height, width * bpp).astype(np.int32)
    raw = bytearray()
    previous = np.zeros(width * bpp, dtype=np.int32)
    for y, kind in enumerate(filters):
        line = rows[y]
        left = np.concatenate([np.zeros(bpp, dtype=np.int32), line[:-bpp]])
        upper_left = np.concatenate([np.zeros(bpp, dtype=np.int32), previous[:-bpp]])
        if kind == 0:
            pred = np.zeros_like(line)
        elif kind == 1:
            pred = left
        elif kind == 2:
            pred = previous
        elif kind == 3:
            pred = (left + previous) // 2
        else:
            pred = np.array([pdf._paeth(int(a), int(b), int(c))
                             for a, b, c in zip(left, previous, upper_left)])
        raw.append(kind)
        raw += ((line - pred) % 256).astype(np.uint8).tobytes()
        previous = line

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + \
            struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (pdf.PNG_SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 7), st.integers(1, 7), st.data())
def test_png_decoder_undoes_every_filter(height, width, data):
    seed = data.draw(st.integers(0, 2**16))
    pixels = np.random.default_rng(seed).integers(0, 256, size=(height, width, 4),
                                                  dtype=np.uint8)
    filters = data.draw(st.lists(st.integers(0, 4), min_size=height, max_size=height))
    encoded = encode_png(pixels, filters)
    assert pdf.png_size(encoded) == (width, height)
    np.testing.assert_array_equal(pdf.decode_png(encoded), pixels)
    check_pdf(pdf.png_to_pdf(encoded))


def test_png_decoder_rejects_other_files():
    with pytest.raises(ValueError, match="not a PNG"):
        pdf.png_size(b"GIF89a" + bytes(30))


class _Wrap(theano.Op):
    """A test op holding an inner graph (as scan and ifelse do) that it runs."""

    def __init__(self, body):
        self.body = body

    def make_node(self, *inputs):
        return theano.Apply(self, list(inputs), [o.type() for o in self.body.outputs])


def test_debugprint_shows_inner_graphs():
    p, q = T.dscalars("p", "q")
    body = theano.FunctionGraph([p, q], [T.exp(p) * q], clone=False)
    a, b = T.dscalars("a", "b")
    out = _Wrap(body).make_node(a + 1, b).outputs[0]
    lines = theano.debugprint(out * 2, file="str").splitlines()
    start = lines.index("Inner graphs:")
    assert lines[start + 2] == "_Wrap [id B] '' (body)"
    assert lines[start + 3:] == [" >Elemwise{mul} [id H] ''", " > |Elemwise{exp} [id I] ''",
                                 " > | |p [id J]", " > |q [id K]"]


def test_pp_and_debugprint_of_ifelse():
    from tensordsl.ifelse import ifelse

    a, b = T.dscalars("a", "b")
    z = ifelse(T.lt(a, b), T.exp(a) * 2, b - 1)
    assert theano.pp(z) == "ifelse((a < b), (exp(a) * 2), (b - 1))"
    text = theano.debugprint(z, file="str")
    assert "(then_graph)" in text and "(else_graph)" in text
    assert eval_pp(theano.pp(z), {"a": 0.5, "b": 2.0, "ifelse": lambda c, t, e: t if c else e}) \
        == theano.function([a, b], z)(0.5, 2.0)


def test_pydotprint_scan_graphs_draws_inner_graphs(tmp_path):
    from tensordsl.ifelse import ifelse

    a, b = T.dscalars("a", "b")
    f = theano.function([a, b], ifelse(T.lt(a, b), T.exp(a), b - 1))
    theano.printing.pydotprint(f, outfile=tmp_path / "g.svg", format="svg",
                               scan_graphs=True, print_output_file=False)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["g.svg", "g_IfElse_0_then_graph.svg", "g_IfElse_1_else_graph.svg"]
    then_texts = [t.text for t in ET.parse(tmp_path / names[1]).getroot().iter()
                  if t.tag.endswith("text")]
    assert "Elemwise{exp}" in then_texts


def test_pp_shows_inner_graphs_of_other_ops():
    p, q = T.dscalars("p", "q")
    body = theano.FunctionGraph([p, q], [T.exp(p) * q], clone=False)
    a, b = T.dscalars("a", "b")
    out = _Wrap(body).make_node(a + 1, b).outputs[0]
    assert theano.pp(out) == "_Wrap[body: (exp(p) * q)]((a + 1), b)"


def test_printing_a_scan():
    coefficients = T.dvector("coefficients")
    x = T.dscalar("x")
    components, _ = theano.scan(lambda c, power, free: c * (free ** power),
                                sequences=[coefficients, T.arange(10)], non_sequences=x)
    f = theano.function([coefficients, x], components.sum())
    text = theano.debugprint(f, file="str")
    inner = text.split("Inner graphs:")[1]
    assert "Elemwise{pow}" in inner and "Elemwise{pow}" not in text.split("Inner graphs:")[0]
    assert "** " in theano.pp(components.sum())
    dot_text = theano.printing.pydotprint(f, format="dot", return_image=True)
    assert '"coefficients ' in dot_text
