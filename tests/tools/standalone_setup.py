#!/usr/bin/env python3
"""A standalone `meson setup` of the header-only library needs nothing but meson (issue 13, item 7;
README "Using the library"): with pkg-config and CMake both blind (an empty pkg-config path, no
cmake binary), so that catch2, yaml-cpp, libelf, libbpf, imgui, ... are all missing, a setup with
default options succeeds, defines no targets, installs the headers and secengine.pc, and a file
that includes a header through the installed tree compiles with -fno-exceptions -fno-rtti.
Everything is written under the build directory given.

usage: standalone_setup.py SOURCE_ROOT WORK_DIR
"""
import os
import shutil
import subprocess
import sys


def run(cmd, env, cwd=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    assert r.returncode == 0, (cmd, r.returncode, r.stdout[-3000:], r.stderr[-3000:])
    return r.stdout + r.stderr


def main():
    src, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    empty_pc = os.path.join(work, 'empty-pkgconfig')
    os.makedirs(empty_pc)
    native = os.path.join(work, 'blind.ini')
    with open(native, 'w') as f:
        f.write("[binaries]\ncmake = 'false'\n")  # no CMake: its package search cannot find catch2 either
    env = {k: v for k, v in os.environ.items() if not k.startswith('MESON')}
    env.update(PKG_CONFIG_LIBDIR=empty_pc, PKG_CONFIG_PATH='', CMAKE_PREFIX_PATH='')
    build = os.path.join(work, 'build')
    out = run(['meson', 'setup', '--native-file', native, build, src], env)
    assert 'Build targets in project: 0' in out, out[-2000:]
    assert 'catch2 found: NO' in out, 'catch2 was visible: the check would not show what it claims\n' + out[-2000:]
    run(['ninja', '-C', build], env)
    dest = os.path.join(work, 'dest')
    run(['meson', 'install', '-C', build, '--destdir', dest, '--quiet'], env)
    headers = [os.path.join(r, f) for r, _, fs in os.walk(dest) for f in fs if f == 'pipeline.hpp']
    pcs = [os.path.join(r, f) for r, _, fs in os.walk(dest) for f in fs if f == 'secengine.pc']
    assert len(headers) == 1 and len(pcs) == 1, (headers, pcs)
    include = os.path.dirname(os.path.dirname(headers[0]))
    user = os.path.join(work, 'user.cpp')
    with open(user, 'w') as f:
        f.write('#include <secengine/pipeline.hpp>\nint main() { return 0; }\n')
    cxx = os.environ.get('CXX', 'c++').split()
    run(cxx + ['-std=c++20', '-fno-exceptions', '-fno-rtti', '-Wall', '-Werror', '-I', include, '-c', user,
               '-o', os.path.join(work, 'user.o')], env)
    print('ok: meson setup with nothing but meson: 0 targets, headers and secengine.pc installed, a user compiles')


if __name__ == '__main__':
    main()
