"""The binding installed like any Python package, then imported from outside the checkout with
RINGOVERBOT_LIBRARY unset: it must find the INSTALLED library, not the checkout's build.

Two ways in: pip (pyproject.toml) into a scratch virtual environment, with the library found
through pkg-config; and `cmake --install --component python`, with the library found through the
folder the install recorded. The library itself is installed from ROB_BUILD_DIR (default build/)
into a scratch prefix, as tests/consumer/run.sh does for C and C++ consumers.
"""
import os
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
BINDING = ROOT / "bindings" / "python"
BUILD = pathlib.Path(os.environ.get("ROB_BUILD_DIR", ROOT / "build"))
PYTHON = "/usr/bin/python3"  # Debian's, whose packages tests/tools/deps.sh installs
TIMEOUT = 300

# Prints the version, the path the binding loaded, the library file the process really mapped and
# the package's own file, one per line.
SHOW = """
import ringoverbot
from ringoverbot import _lib
mapped = sorted({line.split()[-1] for line in open("/proc/self/maps") if "libringoverbot" in line})
print(ringoverbot.version())
print(_lib.library_path)
print(";".join(mapped))
print(ringoverbot.__file__)
"""


def _run(args, **kwargs):
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=TIMEOUT,
                          **kwargs)
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _project_version():
    text = (ROOT / "CMakeLists.txt").read_text()
    return re.search(r"project\(ringoverbot VERSION ([0-9.]+)", text).group(1)


def _clean_env(**extra):
    """The environment without anything that would point the binding at a library."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("RINGOVERBOT_LIBRARY", "PYTHONPATH", "LD_LIBRARY_PATH", "PKG_CONFIG_PATH")}
    env.update(extra)
    return env


def _show(python, cwd, env):
    version, loaded, mapped, package = _run([python, "-c", SHOW], cwd=cwd, env=env).splitlines()
    return version, pathlib.Path(loaded).resolve(), [pathlib.Path(m) for m in mapped.split(";")], \
        pathlib.Path(package).resolve()


def _assert_loaded_from(prefix, loaded, mapped):
    prefix = prefix.resolve()
    assert loaded.is_relative_to(prefix), f"loaded {loaded}, not the library under {prefix}"
    assert len(mapped) == 1 and mapped[0].resolve().is_relative_to(prefix), \
        f"the process mapped {mapped}, not the library under {prefix}"


def _needs_tool(name):
    if shutil.which(name) is None:
        pytest.skip(f"{name} is not installed (tests/tools/deps.sh installs it)")


def _install_library(prefix):
    """Installs the library (headers, CMake package, pkg-config file) from the build."""
    _needs_tool("cmake")
    assert (BUILD / "cmake_install.cmake").is_file(), f"{BUILD} is not a configured build folder"
    _run(["cmake", "--install", BUILD, "--prefix", prefix])


def test_pyproject_version_is_the_library_version():
    text = (BINDING / "pyproject.toml").read_text()
    assert re.search(r'^version = "([0-9.]+)"', text, re.M).group(1) == _project_version()


def test_pip_install_into_a_venv_finds_the_installed_library(tmp_path):
    _needs_tool("pkg-config")
    if not pathlib.Path(PYTHON).is_file():
        pytest.skip(f"{PYTHON} is not installed (Debian's python3)")
    have = subprocess.run([PYTHON, "-c", "import ensurepip, setuptools, wheel; "
                           "print(setuptools.__version__)"], capture_output=True, text=True)
    if have.returncode != 0:
        pytest.skip("python3-venv, python3-setuptools or python3-wheel is not installed "
                    f"(tests/tools/deps.sh installs them): {have.stderr.strip().splitlines()[-1]}")
    if int(have.stdout.split(".")[0]) < 61:
        pytest.skip(f"setuptools {have.stdout.strip()} cannot read pyproject.toml (needs >= 61)")
    prefix = tmp_path / "prefix"
    _install_library(prefix)

    venv = tmp_path / "venv"
    _run([PYTHON, "-m", "venv", "--system-site-packages", venv])
    # setuptools builds beside the sources by default; these settings keep the checkout clean.
    setuptools_cfg = tmp_path / "setuptools.cfg"
    setuptools_cfg.write_text(f"[build]\nbuild_base = {tmp_path / 'build'}\n"
                              f"[egg_info]\negg_base = {tmp_path}\n")
    before = sorted(p.name for p in BINDING.iterdir())
    _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-build-isolation",
          "--no-index", BINDING], cwd=tmp_path,
         env=_clean_env(DIST_EXTRA_CONFIG=str(setuptools_cfg), PIP_DISABLE_PIP_VERSION_CHECK="1"))
    assert sorted(p.name for p in BINDING.iterdir()) == before, "pip left files in the checkout"

    pkgconfig = next(prefix.glob("**/pkgconfig/ringoverbot.pc")).parent
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    version, loaded, mapped, package = _show(venv / "bin" / "python", outside,
                                             _clean_env(PKG_CONFIG_PATH=str(pkgconfig)))
    assert version == _project_version()
    assert package.is_relative_to(venv.resolve()), f"imported {package}, not the installed package"
    _assert_loaded_from(prefix, loaded, mapped)


def test_cmake_install_of_the_python_component_finds_the_library_beside_it(tmp_path):
    if not (BUILD / "bindings" / "python" / "_installed_libdir.py").is_file():
        pytest.skip(f"{BUILD} has no python install component (no Python interpreter found when "
                    "it was configured)")
    # The library and the package into one prefix, which then moves as a whole.
    prefix = tmp_path / "prefix"
    _install_library(prefix)
    _run(["cmake", "--install", BUILD, "--prefix", prefix, "--component", "python"])
    found = list(prefix.glob("**/ringoverbot/__init__.py"))
    assert len(found) == 1, f"the python component installed {found}"
    relative_site = found[0].parent.parent.relative_to(prefix)

    moved = tmp_path / "moved"
    prefix.rename(moved)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    # No PKG_CONFIG_PATH: only the folder recorded at install time leads to this library.
    version, loaded, mapped, package = _show(PYTHON, outside,
                                             _clean_env(PYTHONPATH=str(moved / relative_site)))
    assert version == _project_version()
    assert package.is_relative_to(moved.resolve())
    _assert_loaded_from(moved, loaded, mapped)


def test_without_a_library_the_error_says_how_to_fix_it(tmp_path):
    # A copy of the package outside the checkout (so no build/ to fall back on), pointed at an
    # empty folder.
    shutil.copytree(BINDING / "ringoverbot", tmp_path / "ringoverbot",
                    ignore=shutil.ignore_patterns("__pycache__"))
    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run([PYTHON, "-c", "import ringoverbot"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=TIMEOUT,
                          env=_clean_env(RINGOVERBOT_LIBRARY=str(empty)))
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert f"{empty} (RINGOVERBOT_LIBRARY): no libringoverbot there" in last
    assert "Set RINGOVERBOT_LIBRARY" in last and "PKG_CONFIG_PATH" in last
