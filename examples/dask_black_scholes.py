"""Black-Scholes on dask arrays, run by a distributed.LocalCluster with tensordsl kernels.

The pricing function is plain numpy. Called on dask arrays, the compiled function
returns dask arrays: one compiled kernel per block (call and put together), mapped
with dask.array.blockwise; the mean price is a dask tree reduction whose steps are
compiled kernels too. The workers receive the kernels pickled and compile each once.
Progress is dask's own console bar (`distributed.progress`); with bokeh installed the
dashboard link shows the same live.

    pip install "tensordsl[dask]"
    python examples/dask_black_scholes.py [--n 10000000] [--chunk 1000000]
"""

import argparse
import math

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, progress
from scipy.special import erf

import tensordsl


def norm_cdf(x):
    return 0.5 * (1.0 + erf(x / math.sqrt(2.0)))


def black_scholes(S, K, T, r, sigma):
    sqrt_t = np.sqrt(T)
    d1 = (np.log(S / K) + (r + 0.5 * sigma * sigma) * T) / (sigma * sqrt_t)
    d2 = d1 - sigma * sqrt_t
    call = S * norm_cdf(d1) - K * np.exp(-r * T) * norm_cdf(d2)
    put = call - S + K * np.exp(-r * T)
    return call, put


priced = tensordsl.compile(black_scholes)


@tensordsl.compile
def mean_price(call):
    return call.mean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="number of options")
    parser.add_argument("--chunk", type=int, default=1_000_000, help="options per chunk")
    args = parser.parse_args()

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster, \
            Client(cluster) as client:
        print(f"cluster: {len(client.scheduler_info()['workers'])} workers, dashboard "
              f"{client.dashboard_link}")
        rs = da.random.RandomState(0)
        S = rs.uniform(5.0, 30.0, args.n, chunks=args.chunk)
        K = rs.uniform(1.0, 100.0, args.n, chunks=args.chunk)
        T = rs.uniform(0.25, 10.0, args.n, chunks=args.chunk)
        sigma = rs.uniform(0.1, 0.5, args.n, chunks=args.chunk)

        call, put = priced(S, K, T, 0.02, sigma)  # dask arrays: nothing has run yet
        print(f"call: {call}")
        call, put = client.persist([call, put])
        progress(call, put)  # dask's console progress bar, until the blocks are computed
        print()

        average = mean_price(call).compute()  # a tree reduction of compiled kernels
        # check the first block against plain numpy on the same inputs
        first = [a.blocks[0].compute() for a in (S, K, T, sigma)]
        ref_call, ref_put = black_scholes(first[0], first[1], first[2], 0.02, first[3])
        error = max(np.abs(call.blocks[0].compute() - ref_call).max(),
                    np.abs(put.blocks[0].compute() - ref_put).max())
        print(f"options = {args.n}")
        print(f"mean call price = {average:.6f}")
        print(f"max abs error of the first block vs numpy = {error:.3e}")


if __name__ == "__main__":
    main()
