"""Fits as Ray tasks: the driver behind `reclab reproduce --ray ADDRESS` (src/pipelines/ray-fits.ts starts it).

Started once per pipeline run with a JSON config file (argv[1]): {"address": "auto" | "HOST:PORT", "repo": "/path"}.
Reads one request per line on stdin,
  {"id": 7, "spec": <FitWorkerSpec with "only": {"index": i, "out": "<local result file>"}>, "log": "<local log file>"},
and sends each to the cluster as a Ray task of one CPU. The task runs the same worker entry point a local fit worker
runs, `node --import tsx <repo>/src/cli.ts fit-worker SPEC.json`, in `repo` on its node (every node needs a checkout
of reclab at that path, set up with `npm run setup`): the worker replays the pipeline up to the fit's call, from the
earlier calls' results and the shared inputs, runs the one fit and writes its result. Those input files travel with
the task as Ray objects (put once per file and run, so a node needs no shared file system); the result comes back as
bytes and is written to the request's `out` on this machine, the worker's output appended to its `log`.

Prints one JSON line per request on stdout, {"id": 7, "ok": true} or {"id": 7, "ok": false, "error": "..."}, and a
line {"id": 7, "retry": "..."} when a crashed fit (killed by a signal, an exit status other than 0/1, or a lost Ray
task) is sent once more; nothing else goes to stdout. Ends when stdin closes and every task is done.
"""
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time


def run_fit(repo, spec_text, names, *blobs):
    """Runs one fit on this node: writes its input files, runs the fit worker, returns its result bytes and output."""
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="reclab-ray-fit-") as tmp:
        spec = json.loads(spec_text)
        local = {}
        for i, (name, blob) in enumerate(zip(names, blobs)):
            path = os.path.join(tmp, f"input-{i}")
            with open(path, "wb") as f:
                f.write(blob)
            local[name] = path
        spec["replay"] = [{**r, "file": local[r["file"]]} for r in spec["replay"]]
        spec["shared"] = [{**s, "file": local[s["file"]]} for s in spec["shared"]]
        spec["dir"] = tmp
        spec["errorFile"] = os.path.join(tmp, "error.json")
        spec["only"] = {**spec["only"], "out": os.path.join(tmp, "result")}
        spec_file = os.path.join(tmp, "spec.json")
        with open(spec_file, "w", encoding="utf-8") as f:
            json.dump(spec, f)
        cmd = ["node", "--import", "tsx", os.path.join(repo, "src", "cli.ts"), "fit-worker", spec_file]
        p = subprocess.run(cmd, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env={**os.environ, "RECLAB_PROGRESS": "0", **spec.get("env", {})})
        result = None
        if p.returncode == 0 and os.path.exists(spec["only"]["out"]):
            with open(spec["only"]["out"], "rb") as f:
                result = f.read()
        error = None
        if os.path.exists(spec["errorFile"]):
            with open(spec["errorFile"], encoding="utf-8") as f:
                error = json.load(f).get("message")
        return {"code": p.returncode, "output": p.stdout.decode("utf-8", "replace"), "result": result, "error": error,
                "node": os.uname().nodename, "seconds": time.time() - started}


def read_requests(q):
    """Puts each stdin line's request on `q`, then None at the end of stdin."""
    for line in sys.stdin:
        if line.strip():
            q.put(json.loads(line))
    q.put(None)


def say(line):
    print(json.dumps(line), flush=True)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        config = json.load(f)
    import ray  # imported late: without Ray installed this fails with the message at the bottom

    ray.init(address=config["address"], logging_level="ERROR", log_to_driver=False, include_dashboard=False)
    task = ray.remote(num_cpus=1, max_retries=0)(run_fit)
    objects = {}  # local input file -> its Ray object (files are written once and never changed during a run)

    def submit(req):
        spec = req["spec"]
        names = [r["file"] for r in spec["replay"]] + [s["file"] for s in spec["shared"]]
        for name in names:
            if name not in objects:
                with open(name, "rb") as f:
                    objects[name] = ray.put(f.read())
        return task.remote(config["repo"], json.dumps(spec), names, *[objects[n] for n in names])

    requests = queue.Queue()
    threading.Thread(target=read_requests, args=(requests,), daemon=True).start()
    pending = {}  # Ray object ref -> (request, attempt)
    open_input = True
    while open_input or pending:
        try:
            while True:
                req = requests.get(block=not pending, timeout=None if not pending else 0.05)
                if req is None:
                    open_input = False
                    break
                pending[submit(req)] = (req, 1)
        except queue.Empty:
            pass
        if not pending:
            continue
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.2)
        for ref in ready:
            req, attempt = pending.pop(ref)
            try:
                r = ray.get(ref)
            except Exception as e:  # the task itself died (node lost, worker killed): like a crashed worker
                r = {"code": None, "output": f"Ray task failed: {e}\n", "result": None, "error": None, "node": "?",
                     "seconds": 0.0}
            with open(req["log"], "a", encoding="utf-8") as f:
                f.write(f"--- attempt {attempt} on {r['node']} ({r['seconds']:.1f} s, exit {r['code']}) ---\n{r['output']}")
            if r["code"] == 0 and r["result"] is not None:
                with open(req["spec"]["only"]["out"], "wb") as f:
                    f.write(r["result"])
                say({"id": req["id"], "ok": True})
                continue
            crashed = r["code"] is None or r["code"] not in (0, 1)
            how = f"crashed (exit {r['code']})" if r["code"] is not None and r["code"] >= 0 else \
                f"crashed ({'signal ' + str(-r['code']) if r['code'] is not None else 'Ray task lost'})"
            if crashed and attempt < 2:
                pending[submit(req)] = (req, attempt + 1)
                say({"id": req["id"], "retry": how})
                continue
            why = (r["error"] or "no result").split("\n")[0] if not crashed else how + (" twice" if attempt == 2 else "")
            say({"id": req["id"], "ok": False, "error": why})
    ray.shutdown()


if __name__ == "__main__":
    try:
        main()
    except ModuleNotFoundError as e:
        sys.stderr.write(f"ray_fits: {e}; run `npm run setup` (it installs Ray into .venv from env/requirements.txt)\n")
        sys.exit(3)
    except KeyboardInterrupt:
        sys.exit(130)
