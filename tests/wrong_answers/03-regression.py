"""Plausible wrong answers to lesson 03's exercises: the visible tests must reject each one."""

WRONG_ANSWERS = {
    "linear_forward": [
        ("the bias is forgotten", "def linear_forward(x, weight, bias):\n    return x @ weight.T\n"),
        ("the weight is not transposed", "def linear_forward(x, weight, bias):\n    return x @ weight + bias\n"),
        ("nn.functional.linear, which the task forbids",
         "def linear_forward(x, weight, bias):\n    return nn.functional.linear(x, weight, bias)\n"),
        ("the result is forced to float32",
         "def linear_forward(x, weight, bias):\n    return (x @ weight.T + bias).float()\n"),
        ("an nn.Linear holding the given parameters, which the task forbids", """
def linear_forward(x, weight, bias):
    layer = nn.Linear(weight.shape[1], weight.shape[0], dtype=x.dtype)
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    return layer(x)
"""),
    ],
    "mse": [
        ("divides the sum by len(pred): the number of rows, not of elements",
         "def mse(pred, target):\n    return ((pred - target) ** 2).sum() / len(pred)\n"),
        (".item(), wrapped back into a tensor: detached from the graph",
         "def mse(pred, target):\n    return torch.tensor(((pred - target) ** 2).mean().item())\n"),
        (".detach()", "def mse(pred, target):\n    return ((pred - target) ** 2).mean().detach()\n"),
        (".item(): a Python float", "def mse(pred, target):\n    return ((pred - target) ** 2).mean().item()\n"),
        ("the sum instead of the mean", "def mse(pred, target):\n    return ((pred - target) ** 2).sum()\n"),
        ("nn.MSELoss, which the task forbids", "def mse(pred, target):\n    return nn.MSELoss()(pred, target)\n"),
        ("nn.functional.mse_loss, which the task forbids",
         "def mse(pred, target):\n    return nn.functional.mse_loss(pred, target)\n"),
        ("the mean absolute error", "def mse(pred, target):\n    return (pred - target).abs().mean()\n"),
    ],
    "train_linear": [
        ("a hard-coded nn.Linear(1, 1): wrong for d = 2 features", """
def train_linear(x, y, lr, epochs):
    model = nn.Linear(1, 1)
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses
"""),
        ("the loss is recorded after the update", """
def train_linear(x, y, lr, epochs):
    model = nn.Linear(x.shape[1], 1)
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(criterion(model(x), y).item())
    return model, losses
"""),
        ("zero_grad is forgotten: the gradients accumulate", """
def train_linear(x, y, lr, epochs):
    model = nn.Linear(x.shape[1], 1)
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses
"""),
        ("the lesson's fit, which the task forbids", """
def train_linear(x, y, lr, epochs):
    model = nn.Linear(x.shape[1], 1)
    losses = fit(model, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=lr), x, y, epochs)
    return model, losses
"""),
        ("the summed squared error (reduction='sum'): the steps are N times too large", """
def train_linear(x, y, lr, epochs):
    model = nn.Linear(x.shape[1], 1)
    criterion = nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses
"""),
        ("a model without bias", """
def train_linear(x, y, lr, epochs):
    model = nn.Linear(x.shape[1], 1, bias=False)
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses
"""),
        ("the losses kept as tensors", """
def train_linear(x, y, lr, epochs):
    model = nn.Linear(x.shape[1], 1)
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss)
    return model, losses
"""),
    ],
    "decision_boundary": [
        ("the sign is lost", "def decision_boundary(model):\n    return model.bias.item() / model.weight.item()\n"),
        ("a tensor, not a float", "def decision_boundary(model):\n    return -model.bias / model.weight\n"),
        ("w and b swapped", "def decision_boundary(model):\n    return -model.weight.item() / model.bias.item()\n"),
        ("the model is modified on the way", """
def decision_boundary(model):
    with torch.no_grad():
        model.bias.neg_()
    return model.bias.item() / model.weight.item()
"""),
    ],
    "accuracy_from_logits": [
        ("the logits are compared with 0.5, as if they were probabilities",
         "def accuracy_from_logits(logits, targets):\n"
         "    return ((logits > 0.5).float() == targets).float().mean().item()\n"),
        ("a count, not a fraction",
         "def accuracy_from_logits(logits, targets):\n    return float(((logits > 0).float() == targets).sum())\n"),
        ("a tensor, not a float",
         "def accuracy_from_logits(logits, targets):\n    return ((logits > 0).float() == targets).float().mean()\n"),
        ("the sigmoid compared with 0, which is always true",
         "def accuracy_from_logits(logits, targets):\n"
         "    return ((torch.sigmoid(logits) > 0).float() == targets).float().mean().item()\n"),
    ],
    "checkpoint": [
        ("the epoch saved as a tensor", """
def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": torch.tensor(epoch)}, path)


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return int(checkpoint["epoch"])
"""),
        ("the optimizer is neither saved nor loaded", """
def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"])
    return checkpoint["epoch"]
"""),
        ("the optimizer is saved but not loaded", """
def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"])
    return checkpoint["epoch"]
"""),
        ("the whole model object is saved instead of its state_dict", """
def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model, "optimizer": optimizer.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path, weights_only=False)
    model.load_state_dict(checkpoint["model"].state_dict())
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["epoch"]
"""),
        ("the whole checkpoint is returned instead of the epoch", """
def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer):
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint
"""),
    ],
}
