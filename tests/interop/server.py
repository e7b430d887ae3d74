"""The JavaScript reference side as one long-lived process: `node serve.mjs` answers one JSON line per request."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


class NodeServer:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["node", "serve.mjs"], cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
        )

    def call(self, op: str, **arguments):
        self.process.stdin.write(json.dumps({"op": op, **arguments}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"node serve.mjs exited with {self.process.wait()}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply["result"]

    __call__ = call

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)
