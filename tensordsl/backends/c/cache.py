"""The on-disk cache of compiled kernels.

* Location: `config.compiledir`, else a per-user directory from platformdirs. It is
  created with mode 0700; a directory that another user owns, or that group/others
  may write to, is refused (someone else could plant a library we would load).
* Key: sha256 of the source, the compiler's version, the flags and the target CPU
  (`build.build_key`). Entry `td_<key>.so` plus `td_<key>.sha256`, the hash of the
  library's bytes: a truncated or corrupted library fails that check and is rebuilt.
* Builds write a temporary file in the same directory and rename it into place
  (atomic), under a cross-process file lock, so N processes needing the same kernel
  build it once and never load a half-written file.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Callable

from tensordsl.backends.c import build
from tensordsl.config import config
from tensordsl.errors import CompileError

BUILDS = {"count": 0}  # libraries compiled by this process (tests and benchmarks read it)


def cache_dir() -> str:
    """The cache directory, created 0700 if missing, refused if others may write to it."""
    path = config.compiledir
    if not path:
        import platformdirs

        path = os.path.join(platformdirs.user_cache_dir("tensordsl"), "c-kernels")
    path = os.path.abspath(os.path.expanduser(path))
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)
    check_private(path)
    return path


def check_private(path: str) -> None:
    """Raise CompileError unless `path` is owned by us and not writable by others."""
    info = os.stat(path)
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise CompileError(f"refusing to use the kernel cache {path}: it is owned by uid "
                           f"{info.st_uid}, not by you; set config.compiledir to a "
                           f"directory of your own")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise CompileError(f"refusing to use the kernel cache {path}: it is writable by "
                           f"other users (mode {stat.S_IMODE(info.st_mode):o}), so anyone "
                           f"could plant code in it; run `chmod 700 {path}` or set "
                           f"config.compiledir to a private directory")


def file_hash(path: str) -> str:
    """sha256 of a file's bytes."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _valid(lib: str, digest: str) -> bool:
    try:
        with open(digest, encoding="ascii") as f:
            expected = f.read().strip()
        return file_hash(lib) == expected
    except OSError:
        return False


def get_library(source: str, check: Callable[[str], None] | None = None,
                own_flags: list[str] | None = None) -> str:
    """Path of the compiled library for `source`, building it (once) if needed.

    `check(source)` runs before a build (the pycparser validation); a cache hit was
    checked when it was built. `own_flags` replaces the kernel flags (see
    `build.command`; they are part of the key)."""
    cc = build.find_compiler()
    if cc is None:
        raise CompileError(f"no C compiler found (config.cxx={config.cxx!r})")
    folder = cache_dir()
    key = build.build_key(source, cc, own_flags)
    lib = os.path.join(folder, f"td_{key[:40]}.so")
    digest = lib[:-3] + ".sha256"
    if _valid(lib, digest):
        return lib
    from filelock import FileLock

    with FileLock(lib[:-3] + ".lock"):
        if _valid(lib, digest):  # another process built it while we waited
            return lib
        if check is not None:
            check(source)
        _build_atomically(source, lib, digest, cc, own_flags)
    return lib


def _build_atomically(source: str, lib: str, digest: str, cc: str,
                      own_flags: list[str] | None) -> None:
    folder = os.path.dirname(lib)
    fd, tmp = tempfile.mkstemp(suffix=".so", prefix="td_tmp_", dir=folder)
    os.close(fd)
    try:
        build.compile_library(source, tmp, cc, own_flags)
        value = file_hash(tmp)
        os.replace(tmp, lib)
        fd, tmp_digest = tempfile.mkstemp(suffix=".sha256", prefix="td_tmp_", dir=folder)
        with os.fdopen(fd, "w") as f:
            f.write(value + "\n")
        os.replace(tmp_digest, digest)
        BUILDS["count"] += 1
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
