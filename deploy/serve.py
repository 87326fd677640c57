"""Serve a class from one machine: N Streamlit processes behind HAProxy.

    python deploy/serve.py --replicas 2            # http://<this machine>:8501
    python deploy/serve.py --replicas 4 --port 8080 --stats-port 8404

Starts ``streamlit run app.py`` N times on free loopback ports (headless, no file
watcher), writes an HAProxy configuration for them (deploy/haproxy.py) into a
temporary directory, checks it with ``haproxy -c``, starts HAProxy on the public
port, waits until every replica and the proxy answer ``/_stcore/health``, prints
the address and runs until Ctrl-C or SIGTERM, then stops HAProxy and every
replica (no process is left behind; the children also die with this process).
A replica that exits on its own is started again on its port.

Each replica runs with ``BACKPROP_REPLICA=<name>`` in its environment, and the
proxy names the replica that answered in the ``X-Replica`` response header.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from haproxy import AFFINITY_COOKIE, HEALTH_PATH, REPLICA_HEADER, find_haproxy, haproxy_config

REPLICA_ENV = "BACKPROP_REPLICA"
_PR_SET_PDEATHSIG = 1


def free_ports(n, host="127.0.0.1"):
    """n distinct free TCP ports (held open together so none repeats)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _die_with_parent():
    """In the child: own process group (Ctrl-C reaches only serve.py, which stops the
    children in order) and SIGTERM when serve.py dies, even by SIGKILL (Linux)."""
    os.setsid()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def healthy(url, timeout=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def routed_to(url, name, timeout=2.0):
    """True if the proxy sends a browser pinned to replica ``name`` to that replica.

    HAProxy marks a replica up only after its own health checks pass, a moment after
    the replica itself answers: until then a browser pinned to it (or any new one)
    goes to another, and a class that arrives at once lands on one replica.
    """
    req = urllib.request.Request(url, headers={"Cookie": f"{AFFINITY_COOKIE}={name}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.headers.get(REPLICA_HEADER) == name
    except OSError:
        return False


def log(msg):
    print(f"[serve] {msg}", flush=True)


class Replica:
    def __init__(self, name, port, workdir, app_dir):
        self.name, self.port, self.app_dir = name, port, app_dir
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.proc = None
        self.restarts = 0

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        env = dict(os.environ, **{REPLICA_ENV: self.name})
        # one BLAS thread per process: the replicas share the cores
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py",
               "--server.headless", "true", "--server.address", "127.0.0.1",
               "--server.port", str(self.port), "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(cmd, cwd=self.app_dir, env=env, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         preexec_fn=_die_with_parent)  # noqa: PLW1509 (no threads)

    def tail(self, n=2000):
        return tail(self.log_path, n)


def tail(path, n=2000):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-n:]
    except OSError:
        return ""


def stop(proc, name, grace=10.0):
    """SIGTERM, then SIGKILL after ``grace`` seconds; reap it."""
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.terminate()
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        log(f"{name} ignored SIGTERM for {grace:.0f} s: killing it")
        proc.kill()
        proc.wait(5)
    except ProcessLookupError:
        pass


class Stop(Exception):
    pass


def _on_signal(signum, _frame):
    raise Stop(signal.Signals(signum).name)


def run(args):
    haproxy = find_haproxy()
    if not haproxy:
        sys.exit("haproxy is not installed: apt-get install -y haproxy")
    workdir = tempfile.mkdtemp(prefix="backprop-serve-")
    ports = free_ports(args.replicas + 1)
    port = args.port or ports[-1]
    replicas = [Replica(f"r{i + 1}", p, workdir, args.app_dir)
                for i, p in enumerate(ports[:args.replicas])]
    cfg_path = os.path.join(workdir, "haproxy.cfg")
    with open(cfg_path, "w") as f:
        f.write(haproxy_config([(r.name, r.address) for r in replicas], port, bind=args.bind,
                               stats_port=args.stats_port))
    check = subprocess.run([haproxy, "-c", "-f", cfg_path], capture_output=True, text=True,
                           check=False)
    if check.returncode != 0:
        sys.exit(f"haproxy -c rejected {cfg_path}:\n{check.stdout}{check.stderr}")

    proxy = None
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    status = 0
    try:
        for r in replicas:
            r.start()
        proxy_log = os.path.join(workdir, "haproxy.log")
        with open(proxy_log, "ab") as out:
            proxy = subprocess.Popen([haproxy, "-f", cfg_path, "-db"], stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT,
                                     preexec_fn=_die_with_parent)  # noqa: PLW1509 (no threads)
        log(f"started {len(replicas)} replicas and haproxy (pids: "
            + ", ".join(f"{r.name}={r.proc.pid}" for r in replicas)
            + f", haproxy={proxy.pid}); logs in {workdir}")
        deadline = time.monotonic() + args.timeout
        waiting = list(replicas)
        while waiting:
            for r in list(waiting):
                if r.proc.poll() is not None:
                    raise RuntimeError(f"replica {r.name} exited with {r.proc.returncode}:\n"
                                       + r.tail())
                if healthy(f"http://{r.address}{HEALTH_PATH}"):
                    waiting.remove(r)
            if proxy.poll() is not None:
                raise RuntimeError(f"haproxy exited with {proxy.returncode}:\n" + tail(proxy_log))
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"not healthy after {args.timeout:.0f} s: "
                                   + ", ".join(r.name for r in waiting))
            time.sleep(0.2)
        local = "127.0.0.1" if args.bind in ("0.0.0.0", "::") else args.bind
        public = f"http://{local}:{port}"
        while not (healthy(public + HEALTH_PATH)
                   and all(routed_to(public + HEALTH_PATH, r.name) for r in replicas)):
            if proxy.poll() is not None:
                raise RuntimeError(f"haproxy exited with {proxy.returncode}:\n" + tail(proxy_log))
            if time.monotonic() > deadline:
                raise RuntimeError(f"the proxy at {public} does not route to every replica")
            time.sleep(0.2)
        shown = public if args.bind not in ("0.0.0.0", "::") else \
            f"http://{socket.gethostname()}:{port} (and {public})"
        log(f"ready: {len(replicas)} replicas behind {shown}")
        print(f"READY {public}", flush=True)
        # watch: restart a replica that died; stop everything if the proxy did
        while True:
            time.sleep(1.0)
            if proxy.poll() is not None:
                raise RuntimeError(f"haproxy exited with {proxy.returncode}:\n" + tail(proxy_log))
            for r in replicas:
                if r.proc.poll() is not None:
                    r.restarts += 1
                    if r.restarts > args.max_restarts:
                        raise RuntimeError(f"replica {r.name} keeps exiting:\n" + r.tail())
                    code = r.proc.returncode
                    r.start()
                    log(f"replica {r.name} exited ({code}); started it again (pid {r.proc.pid})")
    except Stop as e:
        log(f"{e}: stopping")
    except RuntimeError as e:
        log(f"error: {e}")
        status = 1
    finally:
        # from here on, a second Ctrl-C must not interrupt the clean-up
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop(proxy, "haproxy", grace=5)
        for r in replicas:
            if r.proc is not None and r.proc.poll() is None:
                r.proc.terminate()
        for r in replicas:
            stop(r.proc, r.name)
        if args.keep_logs or status:
            log(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        log("stopped")
    return status


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicas", type=int, default=os.cpu_count() or 2,
                    help="Streamlit processes (default: one per core)")
    ap.add_argument("--port", type=int, default=8501,
                    help="the public port (0: any free port)")
    ap.add_argument("--bind", default="0.0.0.0",
                    help="the address the proxy listens on (127.0.0.1: this machine only)")
    ap.add_argument("--stats-port", type=int, default=None,
                    help="HAProxy's statistics page on 127.0.0.1:PORT")
    ap.add_argument("--app-dir", default=ROOT, help="the directory holding app.py")
    ap.add_argument("--timeout", type=float, default=90.0,
                    help="seconds to wait for every replica to be healthy")
    ap.add_argument("--max-restarts", type=int, default=5,
                    help="restarts of one replica before giving up")
    ap.add_argument("--keep-logs", action="store_true")
    args = ap.parse_args(argv)
    if args.replicas < 1:
        ap.error("--replicas must be at least 1")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
