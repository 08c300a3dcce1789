"""Theano tutorial: shared variables, updates, and givens (an accumulator)."""
import tensordsl as theano
from tensordsl import function, shared
from tensordsl import tensor as T

state = shared(0)
inc = T.iscalar("inc")
accumulator = function([inc], state, updates=[(state, state + inc)])

print("state =", state.get_value())
print("accumulator(1) =", accumulator(1))
print("state =", state.get_value())
print("accumulator(300) =", accumulator(300))
print("state =", state.get_value())

state.set_value(-1)
print("accumulator(3) =", accumulator(3))
print("state =", state.get_value())

decrementor = function([inc], state, updates=[(state, state - inc)])
print("decrementor(2) =", decrementor(2))
print("state =", state.get_value())

# givens: compute with another value in place of the shared variable, leaving it alone.
fn_of_state = state * 2 + inc
foo = T.scalar(dtype=state.dtype)
skip_shared = theano.function([inc, foo], fn_of_state, givens=[(state, foo)])
print("skip_shared(1, 3) =", skip_shared(1, 3))
print("state =", state.get_value())
