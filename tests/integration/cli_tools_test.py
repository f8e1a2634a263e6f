#!/usr/bin/env python3
"""`cadre tools call` with approvals answered on a real terminal (tmux).

A person at a terminal is asked before a command runs: "y" runs it once,
"a" remembers the rule so the same kind of command runs without asking
(even with no terminal at all), "n" refuses; a pipe into another program is
asked about again. Every step lands in the project's audit log, whose chain
`cadre audit verify` then checks. Usage:

    cli_tools_test.py --cadre build/cadre [-v]

Exit code 0 = pass, 1 = fail (and 0 with a SKIP line when tmux is missing).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

FAILURES = []
PASSED = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (PASSED if cond else FAILURES).append(what)
    if not cond:
        FAILURES.append(what)


class Terminal:
    """One tmux session running one shell command line."""

    def __init__(self, env, cwd):
        self.name = "cadre-tools-%d" % os.getpid()
        self.env = env
        self.cwd = cwd

    def run(self, line):
        subprocess.run(["tmux", "-L", self.name, "kill-session", "-t", self.name], stderr=subprocess.DEVNULL)
        subprocess.run(["tmux", "-L", self.name, "new-session", "-d", "-s", self.name, "-x", "200", "-y", "50", "-c", self.cwd,
                        "bash --norc --noprofile"], env=self.env, check=True)
        self.keys(line, "Enter")

    def keys(self, *keys):
        subprocess.run(["tmux", "-L", self.name, "send-keys", "-t", self.name] + list(keys), check=True)

    def screen(self):
        return subprocess.run(["tmux", "-L", self.name, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True).stdout

    def wait_for(self, text, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.screen():
                return True
            time.sleep(0.1)
        print(self.screen())
        return False

    def close(self):
        subprocess.run(["tmux", "-L", self.name, "kill-session", "-t", self.name], stderr=subprocess.DEVNULL)


def wait_file(path, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and open(path).read().endswith("\n"):
            return open(path).read().strip()
        time.sleep(0.1)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cadre", required=True)
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    cadre = os.path.abspath(args.cadre)
    if not shutil.which("tmux"):
        print("SKIP: tmux is not installed (scripts/bootstrap installs it)")
        return 1
    tmp = tempfile.mkdtemp(prefix="cadre-tools-")
    try:
        home = os.path.join(tmp, "home")
        project = os.path.join(tmp, "project")
        os.makedirs(home)
        os.makedirs(project)
        with open(os.path.join(project, "hello.txt"), "w") as f:
            f.write("hello from the workspace\n")
        with open(os.path.join(project, ".env"), "w") as f:
            f.write("API_KEY=sk-test-0123456789abcdef\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CADRE_")}
        env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"), XDG_STATE_HOME=os.path.join(home, ".state"),
                   TERM="xterm")
        term = Terminal(env, project)

        def call(command, tag):
            out, rc = os.path.join(tmp, tag + ".out"), os.path.join(tmp, tag + ".rc")
            arguments = '{"command": "%s", "why": "test %s"}' % (command.replace('"', '\\"'), tag)
            term.run("%s tools call run_command '%s' --model test-model > %s 2>&1; echo $? > %s" % (cadre, arguments, out, rc))
            return out, rc

        # Allow once.
        out, rc = call("cat hello.txt", "once")
        check(term.wait_for("cadre: approval needed"), "the terminal shows the approval prompt")
        screen = term.screen()
        check("run:  cat hello.txt" in screen and "test-model" in screen and "why:  test once" in screen,
              "the prompt names the command, the model and its reason")
        check("[a] always allow cat" in screen, "the prompt offers the scoped rule")
        term.keys("y", "Enter")
        check(wait_file(rc) == "0", "allowOnce: exit 0")
        check(open(out).read().startswith("hello from the workspace"), "allowOnce: the command's output")

        # Deny.
        out, rc = call("cat hello.txt", "deny")
        check(term.wait_for("approval needed"), "asked again after allowOnce")
        term.keys("n", "Enter")
        check(wait_file(rc) == "2", "deny: exit 2")
        check("declined" in open(out).read(), "deny: says the user declined")

        # Allow always, then no prompt — not even a terminal is needed.
        out, rc = call("cat hello.txt", "always")
        check(term.wait_for("approval needed"), "asked before allowAlways")
        term.keys("a", "Enter")
        check(wait_file(rc) == "0", "allowAlways: exit 0")
        headless = subprocess.run([cadre, "tools", "call", "run_command", '{"command": "cat -n hello.txt"}'],
                                  cwd=project, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                  start_new_session=True, timeout=60)
        check(headless.returncode == 0 and "hello from the workspace" in headless.stdout,
              "the remembered rule covers `cat -n hello.txt` with no terminal: " + headless.stderr.strip())
        piped = subprocess.run([cadre, "tools", "call", "run_command", '{"command": "cat hello.txt | sh"}'],
                               cwd=project, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                               start_new_session=True, timeout=60)
        check(piped.returncode == 2 and "no terminal" in piped.stderr,
              "a pipe into another program is not covered by the rule: " + piped.stderr.strip())

        # The deny-list comes before any question.
        secret = subprocess.run([cadre, "tools", "call", "run_command", '{"command": "cat .env"}'],
                                cwd=project, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                start_new_session=True, timeout=60)
        check(secret.returncode == 2 and "deny-listed" in secret.stderr, "cat .env is refused without asking")

        verify = subprocess.run([cadre, "audit", "verify", project], env=env, capture_output=True, text=True, timeout=60)
        check(verify.returncode == 0 and "chain intact" in verify.stdout, "the audit chain is intact: " + verify.stdout)
        show = subprocess.run([cadre, "audit", "show", project, "--json", "--kind", "approval"], env=env,
                              capture_output=True, text=True, timeout=60)
        decisions = show.stdout
        check('"allowOnce"' in decisions and '"deny"' in decisions and '"allowAlways"' in decisions
              and "allowed by rule" in decisions, "approvals are audited with their decisions")
        denied = subprocess.run([cadre, "audit", "show", project, "--json", "--kind", "policy_denied"], env=env,
                                capture_output=True, text=True, timeout=60)
        check(".env" in denied.stdout and "sk-test" not in denied.stdout, "the refusal is audited, the secret is not")
        term.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (len(PASSED), len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
