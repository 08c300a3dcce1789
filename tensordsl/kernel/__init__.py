"""Kernel IR shared by fusion and the C/OpenCL renderers."""
