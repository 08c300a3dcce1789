"""Loops: `scan` (Theano's) and the Scan op it builds."""

from tensordsl.scan.basic import build_scan, scan
from tensordsl.scan.op import Scan

__all__ = ["Scan", "build_scan", "scan"]
