"""Where libringoverbot is looked for: the candidates in order, the first that loads wins.

1. RINGOVERBOT_LIBRARY: the library file, or the folder holding it. When it is set nothing else is
   tried, so a wrong value fails loudly instead of quietly loading another copy.
2. The checkout's build folders (build*/ at the top of the repository), only when this package is
   imported from a checkout: a developer's fresh build wins over an installed copy.
3. The library folder `cmake --install` recorded when it installed this package beside the library
   (the generated module _installed_libdir, absent from a checkout and from a pip install).
4. pkg-config's libdir of ringoverbot (`pkg-config --variable=libdir ringoverbot`, which follows
   PKG_CONFIG_PATH): the library installed under any prefix, e.g. for a pip-installed package.
5. The library folders of the Python environment's own prefix (sys.prefix): the library installed
   into the same virtual environment or prefix as the package.
6. The system's loader: the bare soname (LD_LIBRARY_PATH, the ld.so cache, the default folders),
   then whatever ctypes.util.find_library finds.
"""
import ctypes.util
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

SONAME = "libringoverbot.so.0"
# The names the library has in a folder, the runtime name first (a runtime-only install has no
# unversioned development link).
FILE_NAMES = (SONAME, "libringoverbot.so", "libringoverbot.0.dylib", "libringoverbot.dylib",
              "ringoverbot.dll")

PACKAGE_DIR = pathlib.Path(__file__).resolve().parent

HOW_TO_FIX = (
    "Set RINGOVERBOT_LIBRARY to the library file (or its folder), or make the installed library "
    "findable: install it with `cmake --install build --prefix PREFIX` and set "
    "PKG_CONFIG_PATH=PREFIX/lib/pkgconfig (the folder of ringoverbot.pc) or "
    "LD_LIBRARY_PATH=PREFIX/lib.")


def candidates():
    """Yields (path, where, folder): a path to pass to ctypes.CDLL, what suggested it, and the
    folder searched (None when the path was named directly)."""
    env = os.environ.get("RINGOVERBOT_LIBRARY")
    if env:
        yield from _in_file_or_folder(pathlib.Path(env), "RINGOVERBOT_LIBRARY")
        return
    checkout = _checkout_root()
    if checkout is not None:
        for build in sorted(checkout.glob("build*")):
            yield from _in_folder(build, "the checkout's build folder")
    recorded = _recorded_libdir()
    if recorded is not None:
        yield from _in_folder(recorded, "the library folder recorded by cmake --install")
    libdir = _pkg_config_libdir()
    if libdir is not None:
        yield from _in_folder(libdir, "pkg-config")
    for folder in _prefix_libdirs():
        yield from _in_folder(folder, "the Python environment's prefix")
    yield pathlib.Path(SONAME), "the system's loader", None
    found = ctypes.util.find_library("ringoverbot")
    if found:
        yield pathlib.Path(found), "ctypes.util.find_library", None


def _in_file_or_folder(path, where):
    if path.is_dir():
        yield from _in_folder(path, where)
    else:
        yield path, where, None


def _in_folder(folder, where):
    for name in FILE_NAMES:
        yield folder / name, where, folder


def _checkout_root():
    """The repository's top folder when this package is bindings/python/ringoverbot of a checkout;
    None for an installed package."""
    root = PACKAGE_DIR.parents[2]
    in_bindings = PACKAGE_DIR.parent.name == "python" and PACKAGE_DIR.parents[1].name == "bindings"
    if in_bindings and (root / "capi" / "ringoverbot.h").is_file():
        return root
    return None


def _recorded_libdir():
    try:
        from . import _installed_libdir
    except ImportError:
        return None
    # Relative to this package's folder, so that an installed tree can move as a whole.
    return pathlib.Path(os.path.normpath(PACKAGE_DIR / _installed_libdir.LIBDIR))


def _pkg_config_libdir():
    exe = shutil.which("pkg-config")
    if exe is None:
        return None
    try:
        done = subprocess.run([exe, "--variable=libdir", "ringoverbot"], capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    libdir = done.stdout.strip()
    if done.returncode != 0 or not libdir:
        return None
    return pathlib.Path(os.path.normpath(libdir))


def _prefix_libdirs():
    prefix = pathlib.Path(sys.prefix)
    folders = [prefix / "lib"]
    multiarch = sysconfig.get_config_var("MULTIARCH")
    if multiarch:
        folders.append(prefix / "lib" / multiarch)
    folders.append(prefix / "lib64")
    return [folder for folder in folders if folder.is_dir()]
