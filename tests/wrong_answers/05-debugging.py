"""Plausible wrong answers to lesson 05's exercises: the visible tests must reject each one."""

WRONG_ANSWERS = {
    "train_step": [
        ("zero_grad is forgotten: the gradients accumulate", """
def train_step(model, optimizer, loss_fn, xb, yb):
    model.train()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()
    return loss.item()
"""),
        ("zero_grad after backward: the step uses no gradient at all", """
def train_step(model, optimizer, loss_fn, xb, yb):
    model.train()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()
"""),
        ("zero_grad after step: the old gradients count in the first step", """
def train_step(model, optimizer, loss_fn, xb, yb):
    model.train()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()
"""),
        ("model.train() is forgotten", """
def train_step(model, optimizer, loss_fn, xb, yb):
    loss = loss_fn(model(xb), yb)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
"""),
        ("the loss tensor is returned instead of a float", """
def train_step(model, optimizer, loss_fn, xb, yb):
    model.train()
    loss = loss_fn(model(xb), yb)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss
"""),
        ("the loss is measured after the update", """
def train_step(model, optimizer, loss_fn, xb, yb):
    model.train()
    loss = loss_fn(model(xb), yb)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss_fn(model(xb), yb).item()
"""),
    ],
    "classification_loss": [
        ("softmax before the cross-entropy (the script's bug)",
         "def classification_loss(logits, targets):\n    return F.cross_entropy(torch.softmax(logits, 1), targets)\n"),
        ("the log of the softmax by hand: -inf for large logits", """
def classification_loss(logits, targets):
    log_probs = torch.softmax(logits, 1).log()
    return -log_probs[torch.arange(len(targets)), targets].mean()
"""),
        ("nll_loss on probabilities instead of log-probabilities",
         "def classification_loss(logits, targets):\n    return F.nll_loss(torch.softmax(logits, 1), targets)\n"),
        ("the sum over the samples instead of the mean",
         "def classification_loss(logits, targets):\n    return F.cross_entropy(logits, targets, reduction='sum')\n"),
        (".item(): a Python float, detached from the graph",
         "def classification_loss(logits, targets):\n    return F.cross_entropy(logits, targets).item()\n"),
    ],
    "regression_loss": [
        ("no reshape: (N, 1) minus (N,) broadcasts to (N, N) (the script's bug)",
         "def regression_loss(pred, target):\n    return ((pred - target) ** 2).mean()\n"),
        ("F.mse_loss on the given shapes: it broadcasts too, with a warning",
         "def regression_loss(pred, target):\n    return F.mse_loss(pred, target)\n"),
        ("only the target is reshaped, as if it were always (N,)",
         "def regression_loss(pred, target):\n    return F.mse_loss(pred, target.unsqueeze(1))\n"),
        ("only pred is squeezed, as if the target were always (N,)",
         "def regression_loss(pred, target):\n    return ((pred.squeeze(1) - target) ** 2).mean()\n"),
        ("the sum instead of the mean",
         "def regression_loss(pred, target):\n    return ((pred.reshape(-1) - target.reshape(-1)) ** 2).sum()\n"),
        ("detached from the graph",
         "def regression_loss(pred, target):\n    return F.mse_loss(pred.reshape(-1), target.reshape(-1)).detach()\n"),
    ],
    "evaluate": [
        ("no eval() and no no_grad (the script's bug)", """
def evaluate(model, x, y):
    logits = model(x)
    return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()
"""),
        ("no_grad but no eval(): dropout stays on", """
def evaluate(model, x, y):
    with torch.no_grad():
        logits = model(x)
    return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()
"""),
        ("eval() but no no_grad: a graph is built", """
def evaluate(model, x, y):
    was_training = model.training
    model.eval()
    logits = model(x)
    model.train(was_training)
    return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()
"""),
        ("the model is left in evaluation mode", """
def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
    return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()
"""),
        ("the model is always put back in training mode, even when it came in evaluation mode", """
def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
    model.train()
    return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()
"""),
        ("the accuracy as a count instead of a fraction", """
def evaluate(model, x, y):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = model(x)
    model.train(was_training)
    return F.cross_entropy(logits, y).item(), float((logits.argmax(1) == y).sum())
"""),
    ],
    "sgd_step": [
        ("an update through .data (the script's bug)", """
def sgd_step(parameters, lr):
    for p in parameters:
        if p.grad is not None:
            p.data -= lr * p.grad
"""),
        (".data, even inside no_grad", """
def sgd_step(parameters, lr):
    with torch.no_grad():
        for p in parameters:
            if p.grad is not None:
                p.data.sub_(lr * p.grad)
"""),
        ("a new tensor assigned to .data", """
def sgd_step(parameters, lr):
    for p in parameters:
        if p.grad is not None:
            p.data = p.data - lr * p.grad
"""),
        ("the name is rebound: the parameters do not change", """
def sgd_step(parameters, lr):
    with torch.no_grad():
        for p in parameters:
            if p.grad is not None:
                p = p - lr * p.grad
"""),
        ("the wrong sign: gradient ascent", """
def sgd_step(parameters, lr):
    with torch.no_grad():
        for p in parameters:
            if p.grad is not None:
                p += lr * p.grad
"""),
        ("frozen parameters are not skipped", """
def sgd_step(parameters, lr):
    with torch.no_grad():
        for p in parameters:
            p -= lr * p.grad
"""),
        ("the gradients are cleared too", """
def sgd_step(parameters, lr):
    with torch.no_grad():
        for p in parameters:
            if p.grad is not None:
                p -= lr * p.grad
                p.grad = None
"""),
        ("the generator is gone through twice: the second pass finds nothing", """
def sgd_step(parameters, lr):
    if not any(p.grad is not None for p in parameters):
        return
    with torch.no_grad():
        for p in parameters:
            if p.grad is not None:
                p -= lr * p.grad
"""),
    ],
    "pick_learning_rate": [
        ("only finiteness is checked: a loss that grows is accepted", """
def pick_learning_rate(make_model, x, y, candidates, steps):
    good = []
    for lr in candidates:
        model = make_model()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        for _ in range(steps):
            loss = F.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if math.isfinite(F.mse_loss(model(x), y).item()):
            good.append(lr)
    return max(good) if good else None
"""),
        ("one model for every candidate: a model that blew up spoils the next ones", """
def pick_learning_rate(make_model, x, y, candidates, steps):
    good = []
    model = make_model()
    for lr in candidates:
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        initial = F.mse_loss(model(x), y).item()
        for _ in range(steps):
            loss = F.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        final = F.mse_loss(model(x), y).item()
        if math.isfinite(final) and final < initial:
            good.append(lr)
    return max(good) if good else None
"""),
        ("the first good candidate in the given order, not the largest", """
def pick_learning_rate(make_model, x, y, candidates, steps):
    for lr in candidates:
        model = make_model()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        initial = F.mse_loss(model(x), y).item()
        for _ in range(steps):
            loss = F.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        final = F.mse_loss(model(x), y).item()
        if math.isfinite(final) and final < initial:
            return lr
    return None
"""),
        ("the smallest good candidate", """
def pick_learning_rate(make_model, x, y, candidates, steps):
    good = []
    for lr in candidates:
        model = make_model()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        initial = F.mse_loss(model(x), y).item()
        for _ in range(steps):
            loss = F.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        final = F.mse_loss(model(x), y).item()
        if math.isfinite(final) and final < initial:
            good.append(lr)
    return min(good) if good else None
"""),
        ("the last candidate when none is good, instead of None", """
def pick_learning_rate(make_model, x, y, candidates, steps):
    good = []
    for lr in candidates:
        model = make_model()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        initial = F.mse_loss(model(x), y).item()
        for _ in range(steps):
            loss = F.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        final = F.mse_loss(model(x), y).item()
        if math.isfinite(final) and final < initial:
            good.append(lr)
    return max(good) if good else candidates[-1]
"""),
        ("zero_grad is forgotten in the candidate's loop: the gradients accumulate", """
def pick_learning_rate(make_model, x, y, candidates, steps):
    good = []
    for lr in candidates:
        model = make_model()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        initial = F.mse_loss(model(x), y).item()
        for _ in range(steps):
            loss = F.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
        final = F.mse_loss(model(x), y).item()
        if math.isfinite(final) and final < initial:
            good.append(lr)
    return max(good) if good else None
"""),
    ],
}
