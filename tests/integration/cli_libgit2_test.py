#!/usr/bin/env python3
"""libgit2 is loaded on first use, not at start-up (server/workspace/git_api.hpp).

On the real binary, with the dynamic loader's own trace (LD_DEBUG=files):

1. `cadre --version`, `cadre index` and `cadre map` load no libgit2 (neither
   cadre nor any library it needs has it in DT_NEEDED).
2. `cadre checkpoints create` and `list` load it with dlopen and work
   through it.
3. With the library hidden (bubblewrap binds /dev/null over it): `cadre
   index` still works; `cadre checkpoints list` fails with a message naming
   the library, not a crash; `cadre serve --stdio` answers
   cadre/checkpoint.create with that message and stays up (shutdown
   answered, clean exit).

Usage:

    cli_libgit2_test.py --cadre build/cadre

Exit code 0 = pass, 1 = fail.
"""
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cadre_wire  # noqa: E402
from cadre_wire import test_setup, Cadre, isolated_env, ldconfig_library, loader_lines, without_library  # noqa: E402

NEEDED = "checkpoints, merges and branch commits need libgit2"


def git_lines(trace):
    return loader_lines(trace, "libgit2")


def main():
    _, cadre, check, tmp = test_setup("cadre-libgit2-")
    try:
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        with open(os.path.join(project, "greet.py"), "w") as f:
            f.write("def hello(name):\n    return 'hello ' + name\n")
        env = isolated_env(os.path.join(tmp, "home"))
        for k in ("LD_DEBUG", "LD_LIBRARY_PATH"):
            env.pop(k, None)
        traced = dict(env, LD_DEBUG="files")

        def expect(cond, what, out):
            cadre_wire.expect(check, cond, what, out)

        def run(argv, environ, timeout=60):
            return cadre_wire.run_command(argv, project, environ, timeout)

        # 1. Commands that need no git never load libgit2.
        p = run([cadre, "--version"], traced)
        expect(p.returncode == 0 and p.stdout.startswith("cadre"), "cadre --version runs", p.out)
        check("file=libstdc++" in p.stderr, "the loader trace is on (LD_DEBUG=files)")
        check(not git_lines(p.stderr), "cadre --version loads no libgit2: %s" % git_lines(p.stderr))
        for argv in ([cadre, "index", project, "--json"], [cadre, "map", project, "--tokens", "256"]):
            p = run(argv, traced)
            expect(p.returncode == 0, "cadre %s runs" % argv[1], p.out)
            check(not git_lines(p.stderr), "cadre %s loads no libgit2: %s" % (argv[1], git_lines(p.stderr)))

        # 2. A checkpoint loads it, and works through it.
        p = run([cadre, "checkpoints", "create", "-m", "first"], traced)
        check(any("libgit2.so." in l and "dynamically loaded" in l for l in git_lines(p.stderr)),
              "checkpoints create dlopens libgit2: %s" % git_lines(p.stderr))
        expect(p.returncode == 0 and "checkpoint #1" in p.stdout, "the checkpoint is taken through it", p.out)
        p = run([cadre, "checkpoints", "list"], env)
        expect(p.returncode == 0 and "first" in p.stdout, "and listed", p.out)

        # 3. Without libgit2: a clear error where a checkpoint is needed, nothing else changes.
        lib = ldconfig_library(r"libgit2\.so\.\d+\.\d+")
        if not check(lib is not None, "ldconfig knows libgit2 (to hide it)"):
            return check.exit_code()
        soname = re.match(r"libgit2\.so\.\d+\.\d+", os.path.basename(lib)).group(0)  # libgit2.so.1.5.1 -> libgit2.so.1.5
        hidden = without_library(tmp, cadre, lib)
        probe = run(["bwrap", "--dev-bind", "/", "/", "--ro-bind", "/dev/null", lib, "--",
                     sys.executable, "-c", "import ctypes; ctypes.CDLL('%s')" % soname], env)
        expect(probe.returncode != 0, "bubblewrap hides %s" % soname, probe.out)

        p = run([hidden, "index", project, "--json"], env)
        expect(p.returncode == 0 and '"python"' in p.stdout, "cadre index works without libgit2", p.out)
        p = run([hidden, "checkpoints", "list"], env)
        expect(p.returncode == 2, "checkpoints list exits 2 without libgit2 (no crash)", p.out)
        expect(NEEDED in p.stderr and soname in p.stderr, "and says libgit2 (%s) is needed and why it did not load" % soname, p.out)

        s = Cadre(hidden, cwd=project, env=env, stderr=open(os.path.join(tmp, "serve.log"), "w"))
        try:
            s.initialize(project)
            r = s.request("cadre/checkpoint.create", {"message": "over the wire"})
            check("error" in r and NEEDED in r["error"].get("message", ""),
                  "over the wire, checkpoint.create fails naming libgit2: %s" % r)
            check(s.shutdown() == 0, "the server is still up: shutdown answered, clean exit")
        finally:
            s.kill()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
