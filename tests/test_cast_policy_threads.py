"""The decorator's cast policy travels with the graph being built (a context variable):
two threads building at once each see their own policy, and the flag is untouched."""

from __future__ import annotations

import threading

import pytest

from tensordsl import tensor as T
from tensordsl.config import config
from tensordsl.dtypes import cast_policy, using_cast_policy


def _build_in_threads() -> dict[str, str]:
    barrier = threading.Barrier(2, timeout=10)
    dtypes: dict[str, str] = {}

    def numpy_rules() -> None:
        with using_cast_policy("numpy"):
            barrier.wait()  # both threads are now building
            dtypes["numpy"] = (T.fvector("a") * 0.1).dtype  # a weak Python float
            barrier.wait()

    def theano_rules() -> None:
        barrier.wait()
        dtypes["theano"] = (T.fvector("b") * 0.1).dtype  # 0.1 is a float64 constant
        barrier.wait()

    threads = [threading.Thread(target=numpy_rules), threading.Thread(target=theano_rules)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return dtypes


def test_two_threads_see_their_own_policy():
    assert _build_in_threads() == {"numpy": "float32", "theano": "float64"}
    assert config.cast_policy == "theano" and cast_policy() == "theano"


def test_the_policy_is_restored_and_validated():
    with using_cast_policy("numpy"):
        assert cast_policy() == "numpy"
        with using_cast_policy("theano"):
            assert cast_policy() == "theano"
        assert cast_policy() == "numpy"
    assert cast_policy() == config.cast_policy
    with pytest.raises(ValueError, match="cast policy must be 'theano' or 'numpy', got 'c'"):
        with using_cast_policy("c"):
            pass
