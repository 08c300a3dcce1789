"""What the C-family backends share: the scalar lowering table (`lowering`) and the
dialects (`dialect`) that spell types, literals and math functions for C99 or OpenCL C."""
