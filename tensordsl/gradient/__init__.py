"""Automatic differentiation: grad, jacobian, hessian, verify_grad.

The reverse pass is in `core`; gradient rules live in tables keyed by Op class
(`rules_tensor`, `rules_control`) and by ScalarOp name (`rules_elemwise`), so ops
carry no gradient code. Importing this package registers every rule.
"""

from tensordsl.gradient import (  # noqa: F401 (importing registers the rules)
    rules_control,
    rules_conv3d,
    rules_conv_unshared,
    rules_elemwise,
    rules_extra,
    rules_linalg,
    rules_linalg_extra,
    rules_nnet,
    rules_scan,
    rules_tensor,
)
from tensordsl.gradient.core import (
    GRAD_RULES,
    DisconnectedInputError,
    NotImplementedGrad,
    grad,
    register_connection,
    register_grad,
)
from tensordsl.gradient.sum_to import SumToShape, sum_to

__all__ = ["GRAD_RULES", "DisconnectedInputError", "NotImplementedGrad", "SumToShape", "grad",
           "register_connection", "register_grad", "sum_to"]

from tensordsl.gradient.checks import GradientError, numeric_grad, verify_grad  # noqa: E402

__all__ += ["GradientError", "numeric_grad", "verify_grad"]

from tensordsl.gradient.jacobian import hessian, jacobian  # noqa: E402

__all__ += ["hessian", "jacobian"]

from tensordsl.gradient.wrappers import (  # noqa: E402
    Lop,
    Rop,
    consider_constant,
    disconnected_grad,
    grad_clip,
    grad_scale,
    undefined_grad,
    zero_grad,
)

__all__ += ["Lop", "Rop", "consider_constant", "disconnected_grad", "grad_clip", "grad_scale",
            "undefined_grad", "zero_grad"]

from tensordsl.gradient.theano_ops import (  # noqa: E402
    DisconnectedType,
    NullType,
    disconnected_type,
    grad_not_implemented,
    grad_undefined,
)

__all__ += ["DisconnectedType", "NullType", "disconnected_type", "grad_not_implemented",
            "grad_undefined"]

from tensordsl.gradient.subgraph import subgraph_grad  # noqa: E402

__all__ += ["subgraph_grad"]
