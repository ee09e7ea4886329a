"""A real Dask cluster for tests: a ``dask scheduler`` and worker processes started with the
``dask`` command line on localhost (the project's standard for distributed tests)."""

import json
import os
import subprocess
import sys
import time

#: Longest wait for the scheduler file and the workers (s); a cold worker imports numba etc.
CLUSTER_START_TIMEOUT_S = 120


class LocalDaskCluster:
    """A scheduler and ``n`` worker processes started with the ``dask`` command line."""

    def __init__(self, tmp, n_workers=2):
        self.scheduler_file = str(tmp / "scheduler.json")
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        cmd = [sys.executable, "-m", "dask"]
        self.scheduler = subprocess.Popen(
            cmd
            + [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                self.scheduler_file,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + CLUSTER_START_TIMEOUT_S
        while not os.path.exists(self.scheduler_file):
            if time.monotonic() > deadline or self.scheduler.poll() is not None:
                self.close()
                raise RuntimeError("dask scheduler did not start")
            time.sleep(0.2)
        with open(self.scheduler_file) as fh:
            self.address = json.load(fh)["address"]
        self.workers = [
            subprocess.Popen(
                cmd
                + [
                    "worker",
                    self.address,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                    "--name",
                    f"w{k}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
            for k in range(n_workers)
        ]
        from distributed import Client

        with Client(self.address, timeout="30s") as c:
            c.wait_for_workers(n_workers, timeout=CLUSTER_START_TIMEOUT_S)

    def close(self):
        for p in getattr(self, "workers", []) + [self.scheduler]:
            if p.poll() is None:
                p.terminate()
        for p in getattr(self, "workers", []) + [self.scheduler]:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
