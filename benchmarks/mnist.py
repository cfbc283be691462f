"""The MNIST training pipelines compared in the performance table, both on the same 784-300-10 MLP.

- ``seed``: the original lesson's pipeline: a per-sample ``ToTensor`` DataLoader, batch 64, Adam 5e-4.
- ``preloaded``: lesson 04's way: the dataset converted once to one normalised tensor on the device,
  batches by index, batch 256, Adam 4e-3 decayed linearly to 0 over the run.
"""

import math
import statistics
import time

import torch
import torch.nn as nn
import torchvision

from corso.data import DATA_DIR, prepare_mnist


def make_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 10))


def datasets():
    prepare_mnist(DATA_DIR)
    to_tensor = torchvision.transforms.ToTensor()
    return (torchvision.datasets.MNIST(DATA_DIR, train=True, transform=to_tensor, download=True),
            torchvision.datasets.MNIST(DATA_DIR, train=False, transform=to_tensor, download=True))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def train(pipeline, device, epochs, seed=0, checks_per_epoch=4):
    """Train for ``epochs``; return (seconds of training per epoch, test accuracy after each check, and the
    training seconds elapsed at each check). The test set is evaluated ``checks_per_epoch`` times an epoch,
    outside the timed part."""
    train_set, test_set = datasets()
    x_test = test_set.data.float().div(255).reshape(-1, 784)
    mean, std = train_set.data.float().div(255).mean(), train_set.data.float().div(255).std()
    torch.manual_seed(seed)
    model = make_model().to(device)
    loss_fn = nn.CrossEntropyLoss()
    if pipeline == "seed":
        loader = torch.utils.data.DataLoader(train_set, batch_size=64, shuffle=True,
                                             generator=torch.Generator().manual_seed(seed))
        batches = lambda: ((x.to(device), y.to(device)) for x, y in loader)  # noqa: E731
        steps = len(loader)
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-4)
        scheduler = None
        test_x, test_y = x_test.to(device), test_set.targets.to(device)
    else:
        x_train = ((train_set.data.float().div(255).reshape(-1, 784) - mean) / std).to(device)
        y_train = train_set.targets.to(device)
        generator = torch.Generator().manual_seed(seed)

        def batches():
            order = torch.randperm(len(x_train), generator=generator).to(device)
            return ((x_train[i], y_train[i]) for i in order.split(256))
        steps = math.ceil(len(x_train) / 256)
        optimizer = torch.optim.Adam(model.parameters(), lr=4e-3)
        scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, 1.0, 0.0, total_iters=epochs * steps)
        test_x, test_y = ((x_test - mean) / std).to(device), test_set.targets.to(device)
    check_every = math.ceil(steps / checks_per_epoch)
    elapsed, accuracies, times = 0.0, [], []
    for _ in range(epochs):
        model.train()
        start = time.perf_counter()
        for step, (x, y) in enumerate(batches(), 1):
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler:
                scheduler.step()
            if step % check_every == 0 or step == steps:
                _sync(device)
                elapsed += time.perf_counter() - start
                accuracies.append(accuracy(model, test_x, test_y))
                times.append(elapsed)
                model.train()
                start = time.perf_counter()
    return elapsed / epochs, accuracies, times


def seconds_to(target, accuracies, times):
    return next((t for a, t in zip(accuracies, times, strict=True) if a >= target), None)


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def row(name, value, baseline="—", baseline_value="—", runs=1):
    return {"row": name, "value": value, "baseline": baseline, "baseline_value": baseline_value, "runs": runs}


def mnist_rows(device, reps, epochs=3, baseline=True):
    """The performance table's MNIST rows on ``device``: lesson 04's pipeline beside the seed's (without
    ``baseline``, the seed's pipeline is not run and its column is left empty)."""
    fast = [train("preloaded", device, epochs) for _ in range(reps)]
    seed = [train("seed", device, epochs) for _ in range(reps if baseline else 0)]
    label = f"MNIST MLP on {device.type.upper()}"

    def median(runs, pick, fmt):
        return fmt.format(statistics.median(pick(run) for run in runs)) if runs else "—"
    rows = [
        row(f"{label}: seconds per epoch", median(fast, lambda r: r[0], "{:.2f} s (preloaded, batch 256)"),
            "seed pipeline (per-sample ToTensor DataLoader, batch 64)", median(seed, lambda r: r[0], "{:.2f} s"), reps),
        row(f"{label}: test accuracy after {epochs} epochs", median(fast, lambda r: r[1][-1], "{:.2%}"),
            "seed pipeline", median(seed, lambda r: r[1][-1], "{:.2%}"), reps),
    ]
    to_97 = [seconds_to(0.97, *run[1:]) for run in fast]
    seed_97 = [seconds_to(0.97, *train("seed", device, 2 * epochs)[1:]) for _ in range(1 if baseline else 0)]
    rows.append(row(f"{label}: training seconds until 97 % test accuracy (checked 4x per epoch)",
                    _seconds(to_97), f"seed pipeline (up to {2 * epochs} epochs)", _seconds(seed_97), reps))
    return rows


def _seconds(values):
    reached = [v for v in values if v is not None]
    if not values:
        return "—"
    if not reached:
        return "not reached"
    share = "" if len(reached) == len(values) else f" ({len(reached)}/{len(values)} runs)"
    return f"{statistics.median(reached):.1f} s{share}"
