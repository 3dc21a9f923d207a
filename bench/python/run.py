"""`npm run bench:python`: scenarios 1, 3, 4 and 5 on CPython 3.13 asyncio
(also with eager_task_factory), and on Debian's Python with asyncio, uvloop,
gevent and Twisted, plus Twisted's Deferred chain (bench/python/twisted_chain.py).
Prints a markdown table, leaves the medians in bench/results/python.json (the
Node targets read asyncio's Queue figure there) and replaces the "python"
section of docs/benchmarks.md.

    python3 bench/python/run.py [--samples N] [--no-install] [--no-write]
"""
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
RESULTS = os.path.join(ROOT, "bench", "results")
SYSTEM_PY = "/usr/bin/python3"
DEBIAN_PACKAGES = ["python3-uvloop", "python3-gevent", "python3-twisted"]
ORDER = ["intro", "node", "python", "codemods", "findings"]

args = sys.argv[1:]
SAMPLES = int(args[args.index("--samples") + 1]) if "--samples" in args else 5


def log(s):
    print(s, file=sys.stderr, flush=True)


def py313():
    """The pyenv CPython 3.13, if there is one."""
    env = dict(os.environ, PYENV_VERSION="3.13.0")
    for exe in ("python3.13",):
        if shutil.which(exe):
            try:
                v = subprocess.run([exe, "-c", "import sys; print(sys.version.split()[0])"], env=env, capture_output=True, text=True, timeout=60)
                if v.returncode == 0 and v.stdout.startswith("3.13"):
                    return [exe], env
            except (OSError, subprocess.TimeoutExpired):
                pass
    return None, None


def has_modules(py, mods):
    r = subprocess.run([py, "-c", "import " + ", ".join(mods)], capture_output=True)
    return r.returncode == 0


def ensure_debian_packages():
    """Installs python3-uvloop/-gevent/-twisted for /usr/bin/python3 if missing and we can; else says how."""
    mods = ["uvloop", "gevent", "twisted"]
    if not os.path.exists(SYSTEM_PY) or has_modules(SYSTEM_PY, mods):
        return
    if "--no-install" in args or shutil.which("apt-get") is None or os.geteuid() != 0:
        log("uvloop, gevent or Twisted missing for %s: install them with\n  sudo apt-get update && sudo apt-get install -y %s" % (SYSTEM_PY, " ".join(DEBIAN_PACKAGES)))
        return
    log("installing %s…" % " ".join(DEBIAN_PACKAGES))
    subprocess.run(["apt-get", "update", "-qq"], check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq"] + DEBIAN_PACKAGES, check=False)


def run_json(cmd, env=None, timeout=600):
    log("  " + " ".join(cmd[-4:]))
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": "timed out"}
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1]}
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": "no JSON output: " + r.stderr[-300:]}


def fmt(x):
    if x is None:
        return "–"
    if x >= 1e6:
        return "%.2fM" % (x / 1e6)
    if x >= 1e3:
        return "%.0fk" % (x / 1e3) if x >= 1e4 else "%.1fk" % (x / 1e3)
    return "%.0f" % x


SCENARIOS = [
    ("tasks", "1. create + await tiny tasks (body awaits one loop turn), tasks/s"),
    ("lock", "3a. Lock acquire + release, uncontended, cycles/s"),
    ("lock100", "3b. Lock, 100 contending tasks (section awaits one loop turn), sections/s"),
    ("limit", "4. jobs at concurrency 10 (Semaphore / Pool), jobs/s"),
    ("queue", "5. bounded queue (maxsize 100) producer/consumer, items/s"),
]

# Our closest contender in bench/results/node.json for each scenario.
OURS = {
    "tasks": ("tasks", "createTask(async fn awaiting sleep(0))"),
    "lock": ("lock", "Lock, await in an async-fn task"),
    "lock100": ("lock100", "Lock, 100 async-fn tasks"),
    "limit": ("limit", "Semaphore, one Task per job (asyncio style)"),
    "queue": ("queue", "Queue(100), async-fn tasks"),
}


def ours_figures():
    path = os.path.join(RESULTS, "node.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        node = json.load(f)
    out = {}
    for key, (sid, name) in OURS.items():
        for r in node.get("results", {}).get(sid, []):
            if r.get("name") == name and r.get("median") is not None:
                out[key] = r["median"]
    return out


def write_section(name, body):
    text = open(DOC).read() if os.path.exists(DOC) else ""
    sections = {}
    for m in re.finditer(r"<!-- bench:(\S+) -->\n([\s\S]*?)<!-- /bench:\1 -->\n?", text):
        sections[m.group(1)] = m.group(2)
    sections[name] = body if body.endswith("\n") else body + "\n"
    names = [n for n in ORDER if n in sections] + [n for n in sections if n not in ORDER]
    os.makedirs(os.path.dirname(DOC), exist_ok=True)
    with open(DOC, "w") as f:
        f.write("\n".join("<!-- bench:%s -->\n%s<!-- /bench:%s -->\n" % (n, sections[n], n) for n in names))


def main():
    t0 = time.time()
    load0 = os.getloadavg()[0]
    ensure_debian_packages()
    runs = []  # (label, json)
    exe313, env313 = py313()
    here = os.path.join(HERE, "systems.py")
    if exe313:
        runs.append(("asyncio 3.13", run_json(exe313 + [here, "asyncio", str(SAMPLES), "1"], env313)))
        runs.append(("asyncio 3.13 eager", run_json(exe313 + [here, "asyncio-eager", str(SAMPLES), "1"], env313)))
    else:
        log("CPython 3.13 not found (pyenv, PYENV_VERSION=3.13.0 python3.13): its columns are skipped")
    if os.path.exists(SYSTEM_PY):
        for label, system in (("asyncio 3.11", "asyncio"), ("uvloop", "uvloop"), ("gevent", "gevent"), ("Twisted", "twisted")):
            runs.append((label, run_json([SYSTEM_PY, here, system, str(SAMPLES), "1"])))
    chain = None
    chain_py = os.path.join(HERE, "twisted_chain.py")
    if os.path.exists(chain_py) and os.path.exists(SYSTEM_PY):
        chain = run_json([SYSTEM_PY, chain_py])

    ours = ours_figures()
    labels = [l for l, _ in runs]
    lines = ["## Python: `npm run bench:python`", ""]
    lines.append("- Python systems measured on the same machine (shared and noisy: compare within a row). %s" % ", ".join(
        "%s: %s" % (l, j.get("version", j.get("error", "?"))) for l, j in runs))
    lines.append("- Each system in its own process; inside it, the scenarios interleaved round by round, 1 warm-up round discarded, %d samples, `gc.collect()` before each. Medians; operations per sample in the notes below." % SAMPLES)
    lines.append("- Run on %s UTC, %.0f s, load average %.2f at the start (%s, %d cores)." % (
        time.strftime("%Y-%m-%d %H:%M", time.gmtime()), time.time() - t0, load0, platform.processor() or platform.machine(), os.cpu_count()))
    lines.append("- \"asyncio-ts\" is our closest Node contender from the last `npm run bench` (bench/results/node.json): %s." % (
        "; ".join("%s = %s" % (k, v[1]) for k, v in OURS.items()) if ours else "not run yet"))
    lines.append("")
    head = ["scenario"] + labels + (["asyncio-ts (Node)", "asyncio-ts / asyncio 3.13"] if ours else [])
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|---|" + "|".join("---:" for _ in head[1:]) + "|")
    medians = {}
    for key, title in SCENARIOS:
        row = [title]
        for label, j in runs:
            r = j.get("results", {}).get(key) if "results" in j else None
            if r is None:
                row.append("failed: " + j.get("error", "?")[:60])
            elif "error" in r:
                row.append("failed: " + r["error"][:60])
            else:
                row.append("%s (%s–%s)" % (fmt(r["median"]), fmt(r["min"]), fmt(r["max"])))
                medians.setdefault(label, {})[key] = r["median"]
        if ours:
            o = ours.get(key)
            row.append(fmt(o))
            a = medians.get("asyncio 3.13", {}).get(key)
            row.append("%.2fx" % (o / a) if o and a else "–")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    notes = []
    for label, j in runs:
        for key, r in j.get("results", {}).items():
            notes.append("%s, %s: %s per sample%s" % (label, key, "{:,}".format(r["n"]), (": " + r["note"]) if r.get("note") else ""))
    lines += ["<details><summary>operations per sample and what each system uses</summary>", ""] + ["- " + n for n in notes] + ["", "</details>", ""]
    if chain is not None:
        if "median" in chain:
            lines.append("Deferred chain (bench/python/twisted_chain.py): %s: **%s chains/s** (median, %d samples)." % (chain.get("name"), fmt(chain["median"]), len(chain.get("samples", []))))
            medians["Twisted chain"] = {"twisted-chain": chain["median"]}
        else:
            lines.append("Deferred chain (bench/python/twisted_chain.py): %s" % (chain.get("skip") or chain.get("error")))
        lines.append("")
    body = "\n".join(lines)
    print(body)
    os.makedirs(RESULTS, exist_ok=True)
    medians["_run"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with open(os.path.join(RESULTS, "python.json"), "w") as f:
        json.dump(medians, f, indent=1)
    if "--no-write" not in args:
        write_section("python", body)
        log("written to docs/benchmarks.md (%.0f s)" % (time.time() - t0))


if __name__ == "__main__":
    main()
