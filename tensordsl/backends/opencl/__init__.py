"""The OpenCL backend (kernels in OpenCL C, run through pyopencl)."""
