"""The rows of shared/BENCHMARKS.md in PyTorch eager on CPU, with the same sizes and the same
statistics as Ember's bench (bench/src/main.rs): 2 warm-up runs, then at least 10 timed runs
and at least 1 s (at most 1000); median and min-max of the figure.

    /tmp/torchenv/bin/python bench/compare_pytorch.py [rows...] [--json]
"""
import json
import os
import sys
import time

import torch

MIB = float(1 << 20)
N16M = 16 << 20


def normal(*shape, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float32)


def square(n):
    a, b = normal(n, n, seed=n), normal(n, n, seed=n + 1)
    return lambda: torch.matmul(a, b)


def matmul_t():
    a, b = normal(1024, 1024, seed=7), normal(1024, 1024, seed=8)
    return lambda: torch.matmul(a.t(), b)


def bmm():
    a, b = normal(64, 128, 64, seed=8), normal(64, 64, 128, seed=9)
    return lambda: torch.bmm(a, b)


def add_16m():
    a, b = normal(N16M, seed=9), normal(N16M, seed=10)
    return lambda: a + b


def add_bcast():
    a, b = normal(4096, 4096, seed=10), normal(4096, seed=11)
    return lambda: a + b


def add_noncontig():
    x, y = normal(4096, 4096, seed=11), normal(4096, 4096, seed=12)
    return lambda: x.t() + y


def gelu():
    a = normal(N16M, seed=12)
    return lambda: torch.nn.functional.gelu(a, approximate="tanh")


def sum_dim(d):
    def setup():
        x = normal(4096, 4096, seed=13 + d)
        return lambda: x.sum(dim=d)
    return setup


def softmax():
    x = normal(4096, 4096, seed=15)
    return lambda: torch.softmax(x, dim=-1)


def tiny_ops():
    x = normal(16, seed=21).requires_grad_(True)

    def body():
        y = x
        for i in range(1000):
            k = i % 3
            y = y * 1.0001 if k == 0 else (y + 0.001 if k == 1 else torch.tanh(y))
        y.sum().backward()
        x.grad = None
    return body


def sgd_step(model, x, target):
    """One training step of `model` on (x, target): cross-entropy, SGD with momentum 0.9."""
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def body():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), target)
        loss.backward()
        opt.step()
        loss.item()
    return body


def mlp_train():
    torch.manual_seed(22)
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512),
                                torch.nn.ReLU(), torch.nn.Linear(512, 10))
    return sgd_step(model, normal(128, 784, seed=22), torch.arange(128) % 10)


def lstm_train():
    torch.manual_seed(23)
    lstm = torch.nn.LSTM(128, 256)
    head = torch.nn.Linear(256, 10)
    opt = torch.optim.SGD(list(lstm.parameters()) + list(head.parameters()), lr=0.01, momentum=0.9)
    x = normal(50, 32, 128, seed=23)
    target = normal(32, 10, seed=24)

    def body():
        opt.zero_grad()
        out, _ = lstm(x)
        loss = torch.nn.functional.mse_loss(head(out[49]), target)
        loss.backward()
        opt.step()
        loss.item()
    return body


def conv_inputs(seed):
    x = normal(32, 64, 56, 56, seed=seed)
    w = normal(64, 64, 3, 3, seed=seed + 1) * 0.05
    b = normal(64, seed=seed + 2)
    return x, w, b


def conv_fwd():
    x, w, b = conv_inputs(31)
    return lambda: torch.nn.functional.conv2d(x, w, b, padding=1)


def conv_fwd_bwd():
    x, w, b = (t.requires_grad_(True) for t in conv_inputs(32))
    gy = normal(32, 64, 56, 56, seed=33)

    def body():
        torch.nn.functional.conv2d(x, w, b, padding=1).backward(gy)
        x.grad = w.grad = b.grad = None
    return body


def read_idx_gz(path):
    import gzip
    import numpy as np
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class MnistTrain(torch.utils.data.Dataset):
    """The bundled training set, one (image, label) per item with torchvision's ToTensor +
    Normalize per image, as torchvision.datasets.MNIST does."""

    def __init__(self):
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "mnist")
        self.images = torch.from_numpy(read_idx_gz(os.path.join(root, "train-images-idx3-ubyte.gz")).copy())
        self.labels = torch.from_numpy(read_idx_gz(os.path.join(root, "train-labels-idx1-ubyte.gz")).astype("int64"))

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        img = self.images[i].unsqueeze(0).float().div(255)
        return (img - 0.1307) / 0.3081, int(self.labels[i])


class MnistNet(torch.nn.Module):
    """crates/ember/examples/mnist/model.rs in PyTorch."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 3)
        self.conv2 = torch.nn.Conv2d(32, 64, 3)
        self.pool = torch.nn.MaxPool2d(2)
        self.fc1 = torch.nn.Linear(64 * 5 * 5, 128)
        self.fc2 = torch.nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


def mnist_epoch():
    torch.manual_seed(41)
    loader = torch.utils.data.DataLoader(MnistTrain(), batch_size=64, shuffle=True, num_workers=2,
                                         persistent_workers=True)
    model = MnistNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def body():
        for images, labels in loader:
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(images), labels)
            loss.backward()
            opt.step()
            loss.item()
    return body


class BasicBlock(torch.nn.Module):
    """torchvision's BasicBlock (names and layout), as bench/src/rows_resnet.rs."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        nn = torch.nn
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        f = torch.nn.functional
        y = f.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return f.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet18(torch.nn.Module):
    """The CIFAR ResNet-18: 3x3 stem, no max-pool."""

    def __init__(self, classes=10):
        super().__init__()
        nn = torch.nn
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        stage = lambda cin, cout, s: nn.Sequential(BasicBlock(cin, cout, s), BasicBlock(cout, cout, 1))
        self.layer1, self.layer2 = stage(64, 64, 1), stage(64, 128, 2)
        self.layer3, self.layer4 = stage(128, 256, 2), stage(256, 512, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = torch.nn.functional.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def resnet18_train():
    torch.manual_seed(51)
    model = ResNet18(10)
    assert sum(p.numel() for p in model.parameters()) == 11_173_962
    return sgd_step(model, normal(64, 3, 32, 32, seed=51), torch.arange(64) % 10)


CONV_FLOPS = 2.0 * 32 * 64 * 64 * 9 * 56 * 56
GRAD_ROWS = {"conv_fwd_bwd"}
GF, GB, US, SPS, IPS = "GFLOP/s", "GB/s", "us/op", "steps/s", "images/s"
ROWS = [
    ("matmul_256", GF, 2 * 256.0 ** 3, lambda: square(256)),
    ("matmul_1024", GF, 2 * 1024.0 ** 3, lambda: square(1024)),
    ("matmul_2048", GF, 2 * 2048.0 ** 3, lambda: square(2048)),
    ("matmul_t_1024", GF, 2 * 1024.0 ** 3, matmul_t),
    ("bmm", GF, 2.0 * 64 * 128 * 64 * 128, bmm),
    ("add_16m", GB, 3 * 64 * MIB, add_16m),
    ("add_bcast", GB, 2 * 64 * MIB, add_bcast),
    ("add_noncontig", GB, 3 * 64 * MIB, add_noncontig),
    ("gelu_16m", GB, 2 * 64 * MIB, gelu),
    ("sum_dim0", GB, 64 * MIB, sum_dim(0)),
    ("sum_dim1", GB, 64 * MIB, sum_dim(1)),
    ("softmax", GB, 2 * 64 * MIB, softmax),
    ("tiny_ops", US, 1000.0, tiny_ops),
    ("mlp_train", SPS, 1.0, mlp_train),
    ("lstm_train", SPS, 1.0, lstm_train),
    ("conv_fwd", GF, CONV_FLOPS, conv_fwd),
    ("conv_fwd_bwd", GF, 3 * CONV_FLOPS, conv_fwd_bwd),
    ("mnist_epoch", IPS, 60000.0, mnist_epoch),
    ("resnet18_train", IPS, 64.0, resnet18_train),
]


def figure(unit, work, secs):
    if unit == US:
        return secs * 1e6 / work
    if unit in (SPS, IPS):
        return work / secs
    return work / secs / 1e9


def measure(unit, work, setup):
    # Whole-epoch rows take seconds per run: 1 warm-up, at least 3 timed runs (as Ember's bench).
    warm_up, min_runs = (1, 3) if unit == IPS else (2, 10)
    body = setup()
    for _ in range(warm_up):
        body()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - start < 1.0 and len(times) < 1000):
        t = time.perf_counter()
        body()
        times.append(time.perf_counter() - t)
    figs = sorted(figure(unit, work, t) for t in times)
    n = len(figs)
    med = figs[n // 2] if n % 2 else 0.5 * (figs[n // 2 - 1] + figs[n // 2])
    return med, figs[0], figs[-1], n, figs


def main():
    args = sys.argv[1:]
    as_json = "--json" in args
    wanted = [a for a in args if not a.startswith("--")]
    torch.set_num_threads(os.cpu_count())
    threads = torch.get_num_threads()
    out = []
    if not as_json:
        print(f"pytorch {torch.__version__}, {threads} threads")
    for rid, unit, work, setup in ROWS:
        if wanted and rid not in wanted:
            continue
        # Autograd rows record the graph; the others run under no_grad as inference would.
        with torch.enable_grad() if unit in (US, SPS, IPS) or rid in GRAD_ROWS else torch.no_grad():
            med, lo, hi, n, figs = measure(unit, work, setup)
        # `figures` (every run's figure) lets run_all.sh pool the runs of several rounds.
        out.append(dict(id=rid, unit=unit, median=round(med, 3), min=round(lo, 3),
                        max=round(hi, 3), runs=n, threads=threads,
                        figures=[float(f"{f:.6e}") for f in figs]))
        if not as_json:
            print(f"{rid:<16} {med:>10.2f} {f'[{lo:.2f} - {hi:.2f}]':>22} {n:>6}  {unit}")
    if as_json:
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
