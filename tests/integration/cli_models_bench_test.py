#!/usr/bin/env python3
"""`cadre models bench` against scripted servers that drip tokens at known
rates (tests/support/models/eval_model.py): the measured generation speed,
time to first token and prompt-reading speed come out within a tolerance of
what the server was told, the verdict follows the usable bar (good at 60
tokens/s, slow at 8), the serving process is found by its port and its
memory read, and the report is saved. Usage:

    cli_models_bench_test.py --cadre build/cadre
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PASSED, FAILED = [], []

FAST_TPS, SLOW_TPS = 60.0, 8.0
PROMPT_TPS = 100000.0  # prompt tokens read per second
TTFT_MS = 80           # added before every first token

SCENARIO = {"models": {
    "fast-model": {"tokensPerSecond": FAST_TPS, "promptTokensPerSecond": PROMPT_TPS, "ttftMs": TTFT_MS},
    "slow-model": {"tokensPerSecond": SLOW_TPS, "promptTokensPerSecond": PROMPT_TPS},
}}


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (PASSED if cond else FAILED).append(what)


def near(got, want, tolerance):
    return want * (1 - tolerance) <= got <= want * (1 + tolerance)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cadre", required=True)
    args = ap.parse_args()
    cadre = os.path.abspath(args.cadre)
    tmp = tempfile.mkdtemp(prefix="cadre-bench-test-")
    server = None
    try:
        with open(os.path.join(tmp, "scenario.json"), "w") as f:
            json.dump(SCENARIO, f)
        portfile = os.path.join(tmp, "port")
        server = subprocess.Popen([sys.executable, os.path.join(HERE, "..", "support", "models", "eval_model.py"),
                                   "--scenario", os.path.join(tmp, "scenario.json"), "--log", os.path.join(tmp, "log"),
                                   "--port-file", portfile])
        for _ in range(200):
            if os.path.exists(portfile):
                break
            time.sleep(0.05)
        base = "http://127.0.0.1:%s/v1" % open(portfile).read()
        home = os.path.join(tmp, "home")
        os.makedirs(os.path.join(home, "config", "cadre"))
        with open(os.path.join(home, "config", "cadre", "config.json"), "w") as f:
            json.dump({"models": {"fast": {"api": "openai", "baseUrl": base, "model": "fast-model"},
                                  "slow": {"api": "openai", "baseUrl": base, "model": "slow-model"}}}, f)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CADRE_")}
        env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"), XDG_STATE_HOME=os.path.join(home, "state"))

        def bench(*argv):
            return subprocess.run([cadre, "models", "bench"] + list(argv), env=env, capture_output=True, text=True,
                                  cwd=tmp, stdin=subprocess.DEVNULL, timeout=120)

        # A fast model: measured against what the server was told.
        started = time.monotonic()
        r = bench("fast", "--runs", "2", "--tokens", "60", "--contexts", "1000,8000,50000", "--json")
        print(r.stderr[-1500:])
        check(r.returncode == 0, "bench of the fast model exits 0 (got %d)" % r.returncode)
        rep = json.loads(r.stdout) if r.stdout.startswith("{") else {}
        tps = rep.get("tokensPerSecond", 0)
        check(near(tps, FAST_TPS, 0.15), "generation %.1f tokens/s is within 15%% of the server's %.0f" % (tps, FAST_TPS))
        check(all(g.get("usageReported") and g.get("tokens") == 60 for g in rep.get("generation", [])),
              "the generation runs count the server's reported tokens (60 each)")
        ttft = rep.get("ttftMs", 0)
        check(TTFT_MS <= ttft <= TTFT_MS + 150, "time to first token %.0f ms is the server's %d ms plus little" % (ttft, TTFT_MS))
        ctx = {c["targetTokens"]: c for c in rep.get("contexts", [])}
        big = ctx.get(50000, {})
        check(big.get("promptTokensReported") and near(big.get("promptTokens", 0), 50000, 0.02),
              "the 50k prompt is about 50k tokens as the server counted them (%s)" % big.get("promptTokens"))
        # time to first token = ttftMs + prompt / rate (+ overhead): reading speed ≈ prompt / that
        want50 = 50000 / (TTFT_MS / 1000 + 50000 / PROMPT_TPS)
        check(near(big.get("tokensPerSecond", 0), want50, 0.15),
              "prompt reading at 50k: %.0f tokens/s, expected %.0f" % (big.get("tokensPerSecond", 0), want50))
        small = ctx.get(1000, {})
        check(small.get("ttftMs", 0) < big.get("ttftMs", 0), "a small prompt is read faster than a 50k one")
        mem = rep.get("memory", {})
        check(mem.get("measured") and mem.get("pid") == server.pid and mem.get("rssBytes", 0) > 1 << 20,
              "the server's process is found by its port (pid %s, %s bytes resident)" % (mem.get("pid"), mem.get("rssBytes")))
        check(rep.get("verdict") == "good" and "usable bar" in rep.get("verdictText", ""), "the verdict is good: " + rep.get("verdictText", ""))
        saved = os.path.join(home, "state", "cadre", "models", "fast", "bench.json")
        check(os.path.exists(saved) and json.load(open(saved))["verdict"] == "good", "the report is saved per model")
        check(time.monotonic() - started < 20, "the bench is quick against a quick server")

        # A slow model: below the bar.
        r = bench("slow", "--runs", "1", "--tokens", "24", "--contexts", "1000")
        print(r.stdout)
        check(r.returncode == 1, "bench of the slow model exits 1 (got %d)" % r.returncode)
        check("verdict          slow" in r.stdout and "below the usable bar (20–30 tokens/s)" in r.stdout,
              "the table gives the slow verdict beside the usable bar")
        check("pid %d" % server.pid in r.stdout and "listening on port" in r.stdout, "the table shows the memory and where it came from")
        slow = json.load(open(os.path.join(home, "state", "cadre", "models", "slow", "bench.json")))
        check(near(slow["tokensPerSecond"], SLOW_TPS, 0.15), "slow stream measured at %.2f tokens/s (server: %.0f)" % (slow["tokensPerSecond"], SLOW_TPS))

        # --pid, and errors.
        r = bench("fast", "--runs", "1", "--tokens", "16", "--contexts", "1000", "--pid", str(os.getpid()), "--json")
        rep = json.loads(r.stdout) if r.stdout.startswith("{") else {}
        check(rep.get("memory", {}).get("pid") == os.getpid() and rep["memory"].get("how") == "--pid %d" % os.getpid(),
              "--pid names the process to measure")
        r = bench("nope")
        check(r.returncode == 2 and "no model named 'nope'" in r.stderr, "an unknown model is a setup error")
        r = bench()
        check(r.returncode == 2 and "needs a model NAME" in r.stderr, "no name is a usage error")
        r = bench("fast", "--contexts", "10")
        check(r.returncode == 2 and "--contexts" in r.stderr, "a context size out of range is a usage error")
    finally:
        if server:
            server.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
