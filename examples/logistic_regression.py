"""Theano tutorial, "A Real Example: Logistic Regression", on seeded random data.

The tutorial trains for 10000 steps; 200 keep this quick enough to run in CI and
already fit the training set.
"""
import numpy

import tensordsl as theano
from tensordsl import tensor as T

rng = numpy.random.RandomState(42)

N = 400                                   # training sample size
feats = 784                               # number of input variables

# generate a dataset: D = (input_values, target_class)
D = (rng.randn(N, feats), rng.randint(size=N, low=0, high=2))
training_steps = 200

# Declare symbolic variables
x = T.dmatrix("x")
y = T.dvector("y")

# initialize the weight vector w randomly. The tutorial draws randn(feats); scaled by
# 0.01 here so that no probability rounds to exactly 0 or 1, where the plain
# cross-entropy below (log(1 - p_1)) and its gradient would give inf * 0 = nan.
w = theano.shared(rng.randn(feats) * 0.01, name="w")
# initialize the bias term
b = theano.shared(0., name="b")

print("initial_b =", b.get_value())
print("initial_w_head =", w.get_value()[:4])

# Construct the expression graph
p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))         # Probability that target = 1
prediction = p_1 > 0.5                          # The prediction thresholded
xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)  # Cross-entropy loss function
cost = xent.mean() + 0.01 * (w ** 2).sum()      # The cost to minimize
gw, gb = T.grad(cost, [w, b])                   # Gradient of the cost w.r.t. w and b

# Compile
train = theano.function(
    inputs=[x, y],
    outputs=[prediction, xent],
    updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
predict = theano.function(inputs=[x], outputs=prediction)

# Train
for _ in range(training_steps):
    pred, err = train(D[0], D[1])

print("final_mean_xent =", err.mean())
print("final_b =", b.get_value())
print("final_w_head =", w.get_value()[:4])
print("final_w_norm =", numpy.linalg.norm(w.get_value()))
print("target_head =", D[1][:10])
print("prediction_head =", predict(D[0])[:10].astype(int))
print("accuracy =", (predict(D[0]) == D[1]).mean())
