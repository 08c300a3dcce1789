"""The numpy reference backend: runs each node's `perform` (the oracle)."""
