"""The on-disk cache of compiled kernels.

* Location: `config.compiledir`, else a per-user directory from platformdirs. It is
  created with mode 0700; a directory that another user owns, or that group/others
  may write to, is refused (someone else could plant a library we would load).
* Key: sha256 of the source, the compiler's version, the flags and the target CPU
  (`build.build_key`). Entry `td_<key>.so` plus `td_<key>.sha256`, the hash of the
  library's bytes: a truncated or corrupted library fails that check and is rebuilt.
* Bundles (`get_entries`): the units of a function missing from the cache are built
  together, by ONE compiler run (a function of much source: one run per usable core,
  each a bundle of at least `MIN_SOURCE_PER_RUN` characters), into one library
  `td_b<bundle key>.so` (+ `.sha256`);
  each unit's exported names get its key as a suffix there (`td_kernel` ->
  `td_kernel_<key[:24]>`), and a record `td_<key>.entry` (the bundle's file name and
  the symbol) lets any later lookup find the unit by its own key: a function sharing
  one kernel with an earlier one hits the cache. A corrupted bundle invalidates the
  records that point at it, and those units are built again.
* Builds write a temporary file in the same directory and rename it into place
  (atomic), under a cross-process file lock per unit key (a bundle takes the locks of
  all its units, in key order, so two processes never wait on each other in a cycle),
  so N processes needing the same kernel build it once and never load a half-written
  file.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import NamedTuple

from tensordsl.backends.c import build
from tensordsl.config import config
from tensordsl.errors import CompileError

# compiler runs of this process ("count": libraries built, each by one compiler run) and
# the units they compiled ("units"); tests and benchmarks read them
BUILDS = {"count": 0, "units": 0}


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

    `check(source)` (the pycparser validation) runs while the compiler builds it, and
    the library is published only when it passed; a cache hit was checked when it was
    built. `own_flags` replaces the kernel flags (see
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
        _build_atomically(source, lib, digest, cc, own_flags, check)
    return lib


def _compile_checked(compile_: Callable[[], None], sources: Sequence[str],
                     check: Callable[[str], None] | None) -> None:
    """Run `compile_()` (the compiler, in its own process) while `check` reads each of
    `sources` here: pycparser costs a fifth to a third of gcc's time on a unit (55 ms on
    the RNN forward's loop), time that used to come before the compiler started. Raises
    the check's error, after the compiler finished, before anything is published."""
    with ThreadPoolExecutor(max_workers=1) as pool:  # leaving it waits for the compiler
        compiling = pool.submit(compile_)
        for source in sources if check is not None else ():
            check(source)  # type: ignore[misc]
        compiling.result()


def _build_atomically(source: str, lib: str, digest: str, cc: str,
                      own_flags: list[str] | None,
                      check: Callable[[str], None] | None = None) -> None:
    folder = os.path.dirname(lib)
    fd, tmp = tempfile.mkstemp(suffix=".so", prefix="td_tmp_", dir=folder)
    os.close(fd)
    try:
        _compile_checked(lambda: build.compile_library(source, tmp, cc, own_flags), [source],
                         check)
        value = file_hash(tmp)
        os.replace(tmp, lib)
        fd, tmp_digest = tempfile.mkstemp(suffix=".sha256", prefix="td_tmp_", dir=folder)
        with os.fdopen(fd, "w") as f:
            f.write(value + "\n")
        os.replace(tmp_digest, digest)
        BUILDS["count"] += 1
        BUILDS["units"] += 1
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class Unit(NamedTuple):
    """A unit to build through `get_entries`: its C source, its entry, the suffixes of
    the other names it exports that callers look up (a 0-d kernel also exports
    `<entry>_raw`), and `private`: the other global names it defines that nobody looks
    up (a compiled scan loop's inner kernels `td_k<i>`), renamed `<name>_<key[:24]>` in a
    bundle so that two such units link together: the suffix of the entry's symbol, so
    a caller that needs one finds it by `private_symbol`."""

    source: str
    entry: str
    also: tuple[str, ...] = ()
    private: tuple[str, ...] = ()


def private_symbol(name: str, entry: str, symbol: str) -> str:
    """The symbol of a unit's private name `name`, given its entry's `symbol` as
    `get_entries` answered it: renamed with the same suffix when the unit was bundled."""
    return name + symbol[len(entry):]


def get_entry(source: str, entry: str, check: Callable[[str], None] | None = None,
              also: tuple[str, ...] = ()) -> tuple[str, str]:
    """(library, symbol of `entry`) of one unit: `get_entries` of that unit alone."""
    return get_entries([Unit(source, entry, also)], check)[0]


def get_entries(units: Sequence[Unit], check: Callable[[str], None] | None = None
                ) -> list[tuple[str, str]]:
    """(library path, symbol of the entry) of each unit, building the missing ones.

    A unit in the cache is found by its own key, whether it was built alone
    (`get_library`: symbol = its entry) or in a bundle (its record names the library
    and symbol). All units still missing are compiled by ONE compiler run into one
    bundle library (a single missing unit is built alone, like `get_library`), under
    the locks of their keys (a large batch: one run per usable core, see `_split`).
    `check(source)` runs on each unit before it is published. The
    other exported names of a bundled unit are `<symbol><suffix>` for each suffix of
    `Unit.also`."""
    cc = build.find_compiler()
    if cc is None:
        raise CompileError(f"no C compiler found (config.cxx={config.cxx!r})")
    folder = cache_dir()
    keyed = [(build.build_key(u.source, cc), u) for u in units]
    found: dict[str, tuple[str, str]] = {}
    valid: dict[str, bool] = {}  # library -> its bytes match its digest (hashed once)
    missing: dict[str, Unit] = {}
    for key, unit in keyed:
        if key in found or key in missing:
            continue
        hit = _lookup(folder, key, unit.entry, valid)
        if hit is None:
            missing[key] = unit
        else:
            found[key] = hit
    if missing:
        _build_missing(folder, missing, found, check, cc)
    return [found[key] for key, _ in keyed]


def _stem(folder: str, key: str) -> str:
    return os.path.join(folder, f"td_{key[:40]}")


def _valid_once(lib: str, valid: dict[str, bool]) -> bool:
    if lib not in valid:
        valid[lib] = _valid(lib, lib[:-3] + ".sha256")
    return valid[lib]


_RECORD = re.compile(r"(td_b[0-9a-f]{40}\.so)\n([A-Za-z_][A-Za-z0-9_]*)\n\Z")


def _lookup(folder: str, key: str, entry: str, valid: dict[str, bool]
            ) -> tuple[str, str] | None:
    """(library, symbol) of the unit `key` if the cache holds it intact, else None."""
    stem = _stem(folder, key)
    if _valid_once(stem + ".so", valid):
        return stem + ".so", entry
    try:
        with open(stem + ".entry", encoding="ascii") as f:
            match = _RECORD.match(f.read())
    except (OSError, UnicodeDecodeError):
        return None
    if match is None:  # not a record we wrote: the unit is built again
        return None
    lib = os.path.join(folder, match.group(1))
    return (lib, match.group(2)) if _valid_once(lib, valid) else None


def _build_missing(folder: str, missing: dict[str, Unit], found: dict[str, tuple[str, str]],
                   check: Callable[[str], None] | None, cc: str) -> None:
    """Build the `missing` units (one compiler run) and add them to `found`."""
    from filelock import FileLock

    with ExitStack() as locks:
        for key in sorted(missing):  # one global order: no lock-order deadlock
            locks.enter_context(FileLock(_stem(folder, key) + ".lock"))
        valid: dict[str, bool] = {}
        still = {}
        for key, unit in sorted(missing.items()):
            hit = _lookup(folder, key, unit.entry, valid)  # built while we waited?
            if hit is None:
                still[key] = unit
            else:
                found[key] = hit
        if not still:
            return
        if len(still) == 1:
            ((key, unit),) = still.items()
            lib = _stem(folder, key) + ".so"
            _build_atomically(unit.source, lib, lib[:-3] + ".sha256", cc, None, check)
            found[key] = (lib, unit.entry)
            return
        groups = _split(still)
        if len(groups) == 1:
            found.update(_build_bundle(folder, still, cc, check))
            return
        with ThreadPoolExecutor(max_workers=len(groups)) as pool:
            for part in pool.map(lambda g: _build_bundle(folder, g, cc, check), groups):
                found.update(part)


# A compiler run costs ~40 ms of its own (the gcc driver, cc1's start-up, the link) and
# gcc's time grows with the source's size (~20 us a character at -O3): a run is worth
# starting for at least this much C source (~150 ms of gcc). One gcc run is serial: on an
# idle 2-core host, two runs of half the source each take half as long (docs/c_backend.md).
MIN_SOURCE_PER_RUN = 8000


def usable_cores() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _split(units: dict[str, Unit]) -> list[dict[str, Unit]]:
    """`units` dealt into bundles, one per compiler run: at most one run per usable core,
    each with at least MIN_SOURCE_PER_RUN characters of source; each unit, largest
    first, goes to the run with the least source so far, so the runs take about as long
    (a compiled scan loop of 2,800 lines gets a run of its own while the kernels share
    the other); deterministic (a given set always makes the same bundles)."""
    sizes = {key: len(unit.source) for key, unit in units.items()}
    runs = max(1, min(usable_cores(), len(units), sum(sizes.values()) // MIN_SOURCE_PER_RUN))
    groups: list[list[str]] = [[] for _ in range(runs)]
    loads = [0] * runs
    for key in sorted(units, key=lambda k: (-sizes[k], k)):
        run = min(range(runs), key=lambda r: (loads[r], r))
        groups[run].append(key)
        loads[run] += sizes[key]
    return [{key: units[key] for key in group} for group in groups]


def _build_bundle(folder: str, units: dict[str, Unit], cc: str,
                  check: Callable[[str], None] | None) -> dict[str, tuple[str, str]]:
    """Compile `units` (key -> unit, all locked by the caller) into one bundle library;
    write the library, its digest, then each unit's record, every file atomically.

    `check` runs on every unit while the compiler works (pycparser costs about a tenth
    of gcc's time; the compiler runs in its own process): the library is published
    only when every unit passed, else the temporary file is dropped and the error
    raised."""
    keys = sorted(units)
    name = "td_b" + hashlib.sha256("\0".join(keys).encode()).hexdigest()[:40] + ".so"
    lib = os.path.join(folder, name)
    symbols = {key: f"{units[key].entry}_{key[:24]}" for key in keys}
    parts = []
    for key in keys:
        unit, symbol = units[key], symbols[key]
        renames = {unit.entry: symbol}
        renames.update({unit.entry + s: symbol + s for s in unit.also})
        renames.update({name: f"{name}_{key[:24]}" for name in unit.private})
        parts.append((unit.source, renames))
    fd, tmp = tempfile.mkstemp(suffix=".so", prefix="td_tmp_", dir=folder)
    os.close(fd)
    try:
        _compile_checked(lambda: build.compile_bundle(parts, tmp, cc),
                         [units[key].source for key in keys], check)
        value = file_hash(tmp)
        os.replace(tmp, lib)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _write_atomically(folder, lib[:-3] + ".sha256", value + "\n")
    for key in keys:
        _write_atomically(folder, _stem(folder, key) + ".entry", f"{name}\n{symbols[key]}\n")
    BUILDS["count"] += 1
    BUILDS["units"] += len(keys)
    return {key: (lib, symbols[key]) for key in keys}


def _write_atomically(folder: str, path: str, text: str) -> None:
    fd, tmp = tempfile.mkstemp(suffix=".txt", prefix="td_tmp_", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
