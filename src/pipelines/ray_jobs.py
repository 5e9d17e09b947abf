"""Pipelines as Ray tasks: the driver behind `reclab reproduce --ray ADDRESS` (src/pipelines/jobs.ts starts it).

Reads a JSON spec (argv[1]):
  {"address": "auto" | "HOST:PORT", "repo": "/path/to/reclab", "out": "results", "log_dir": "results/.jobs/<stamp>",
   "jobs": [{"index": 0, "name": "baselines/ctr", "args": ["--quick", "--seeds", "2", ...]}, ...]}
and sends each job to the cluster as a Ray task (one CPU) that runs the same worker command a local worker runs,
`node --import tsx <repo>/src/cli.ts reproduce <name> <args> --out <node tmp> --outcome <file>`, in `repo` on the node
(so every node needs a checkout of reclab at that path, set up with `npm run setup`). The task returns the run folder as
a gzipped tar, the worker's output and its outcome; the driver unpacks the run folder under `out` on this machine, so
the run folder and its records are the same as a local run's. A worker that crashed (killed by a signal, or an exit
status other than 0/1) is sent once more, then reported failed. Prints one JSON line per finished job on stdout (the
TypeScript side turns them into progress lines and outcomes) and nothing else there.
"""
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time


def run_worker(repo, name, args):
    """Runs one pipeline on this node and returns its run folder (tar.gz bytes), output and outcome."""
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="reclab-ray-") as tmp:
        out = os.path.join(tmp, "out")
        outcome_file = os.path.join(tmp, "outcome.json")
        cmd = ["node", "--import", "tsx", os.path.join(repo, "src", "cli.ts"), "reproduce", name, *args,
               "--out", out, "--outcome", outcome_file]
        env = {**os.environ, "RECLAB_PROGRESS": "0"}
        p = subprocess.run(cmd, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        outcome = None
        if os.path.exists(outcome_file):
            with open(outcome_file, encoding="utf-8") as f:
                outcome = json.load(f)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            if os.path.isdir(out):
                tar.add(out, arcname=".")
        return {"code": p.returncode, "output": p.stdout.decode("utf-8", "replace"), "outcome": outcome,
                "tar": buf.getvalue(), "node_out": out, "seconds": time.time() - started,
                "node": os.uname().nodename}


def unpack(tar_bytes, out):
    """Unpacks a run-folder tar under `out`, refusing members that would land outside it."""
    root = os.path.realpath(out)
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:gz") as tar:
        for m in tar.getmembers():
            target = os.path.realpath(os.path.join(root, m.name))
            if target != root and not target.startswith(root + os.sep):
                raise ValueError(f"ray_jobs: tar member {m.name!r} would land outside {out}")
        tar.extractall(root, filter="data")


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    import ray  # imported late: `python ray_jobs.py` without Ray installed fails with the message below

    ray.init(address=spec["address"], logging_level="ERROR", log_to_driver=False, include_dashboard=False)
    task = ray.remote(num_cpus=1)(run_worker)
    jobs = {j["index"]: j for j in spec["jobs"]}
    pending = {task.remote(spec["repo"], j["name"], j["args"]): (j["index"], 1) for j in spec["jobs"]}
    os.makedirs(spec["log_dir"], exist_ok=True)
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        ref = ready[0]
        index, attempt = pending.pop(ref)
        job = jobs[index]
        log = os.path.join(spec["log_dir"], f"{index}-{job['name'].replace('/', '-')}.log")
        try:
            r = ray.get(ref)
        except Exception as e:  # the task itself died (node lost, worker killed): treat like a crashed worker
            r = {"code": None, "output": f"Ray task failed: {e}\n", "outcome": None, "tar": b"", "node_out": "",
                 "seconds": 0.0, "node": "?"}
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"--- attempt {attempt} on {r['node']} ---\n{r['output']}")
        if r["tar"]:
            unpack(r["tar"], spec["out"])
        outcome = (r["outcome"] or [None])[0]
        if outcome is not None:
            if outcome.get("dir"):
                rel = os.path.relpath(outcome["dir"], r["node_out"])
                outcome["dir"] = os.path.join(spec["out"], rel)
            line = {**outcome, "index": index, "attempts": attempt, "log": log, "node": r["node"]}
        else:
            crashed = r["code"] is None or r["code"] not in (0, 1)
            if crashed and attempt < 2:
                pending[task.remote(spec["repo"], job["name"], job["args"])] = (index, attempt + 1)
                print(json.dumps({"retry": index, "name": job["name"], "why": f"exit {r['code']}"}), flush=True)
                continue
            why = f"worker crashed (exit {r['code']}){' twice' if attempt == 2 else ''}" if crashed else f"worker exited {r['code']} without an outcome"
            line = {"name": job["name"], "state": "failed", "dir": "", "seconds": r["seconds"],
                    "detail": f"{why}; see {log}", "index": index, "attempts": attempt, "log": log, "node": r["node"]}
        print(json.dumps(line), flush=True)
    ray.shutdown()


if __name__ == "__main__":
    try:
        main()
    except ModuleNotFoundError as e:
        sys.stderr.write(f"ray_jobs: {e}; run `npm run setup` (it installs Ray into .venv from env/requirements.txt)\n")
        sys.exit(3)
    except KeyboardInterrupt:
        sys.exit(130)
