"""Plausible wrong answers to lesson 04's exercises: the visible tests must reject each one."""

_MLP = '''
class MLP(nn.Module):
    def __init__(self, input_size=784, hidden_size=300, num_classes=10):
        {init}

    def forward(self, x):
        {forward}
'''

_TRAIN_EPOCH = '''
def train_epoch(model, batches, optimizer, loss_fn):
    {body}
'''

_EVALUATE = '''
def evaluate(model, batches, loss_fn):
    {body}
'''

_DATASET = '''
class DigitsDataset(torch.utils.data.Dataset):
    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return {length}

    def __getitem__(self, i):
        return {item}
'''

_GOOD_INIT = ("super().__init__()\n        self.fc1 = nn.Linear(input_size, hidden_size)\n"
              "        self.relu = nn.ReLU()\n        self.fc2 = nn.Linear(hidden_size, num_classes)")

WRONG_ANSWERS = {
    "mlp": [
        ("no ReLU: two linear layers in a row",
         _MLP.format(init=_GOOD_INIT, forward="return self.fc2(self.fc1(x.flatten(1)))")),
        ("no flatten: images (N, 1, 28, 28) are not accepted",
         _MLP.format(init=_GOOD_INIT, forward="return self.fc2(self.relu(self.fc1(x)))")),
        ("the sizes are written in, not taken from the arguments",
         _MLP.format(init=_GOOD_INIT.replace("(input_size, hidden_size)", "(784, 300)")
                     .replace("(hidden_size, num_classes)", "(300, 10)"),
                     forward="return self.fc2(self.relu(self.fc1(x.flatten(1))))")),
        ("super().__init__() is forgotten",
         _MLP.format(init=_GOOD_INIT.replace("super().__init__()\n        ", ""),
                     forward="return self.fc2(self.relu(self.fc1(x.flatten(1))))")),
        ("a final softmax: probabilities instead of logits",
         _MLP.format(init=_GOOD_INIT,
                     forward="return torch.softmax(self.fc2(self.relu(self.fc1(x.flatten(1)))), dim=1)")),
    ],
    "train_epoch": [
        ("the mean of the batch means: the smaller last batch weighs as much as a full one",
         _TRAIN_EPOCH.format(body="""
    model.train()
    losses = []
    for x, y in batches:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)""")),
        ("model.train() is forgotten", _TRAIN_EPOCH.format(body="""
    total, n = 0.0, 0
    for x, y in batches:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        n += len(y)
    return total / n""")),
        ("zero_grad is forgotten: the gradients accumulate", _TRAIN_EPOCH.format(body="""
    model.train()
    total, n = 0.0, 0
    for x, y in batches:
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        n += len(y)
    return total / n""")),
        ("the number of samples from len(batches): a generator has no len()", _TRAIN_EPOCH.format(body="""
    model.train()
    total = 0.0
    for x, y in batches:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(batches)""")),
        ("the loss tensors are summed: a tensor is returned", _TRAIN_EPOCH.format(body="""
    model.train()
    total, n = 0.0, 0
    for x, y in batches:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total = total + loss * len(y)
        n += len(y)
    return total / n""")),
        ("the common mistake: batch means divided by the number of samples", _TRAIN_EPOCH.format(body="""
    model.train()
    total, n = 0.0, 0
    for x, y in batches:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
        n += len(y)
    return total / n""")),
    ],
    "evaluate": [
        ("model.eval() is forgotten: dropout stays on", _EVALUATE.format(body="""
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in batches:
            outputs = model(x)
            total += loss_fn(outputs, y).item() * len(y)
            correct += (outputs.argmax(1) == y).sum().item()
            n += len(y)
    return total / n, correct / n""")),
        ("no torch.no_grad(): .detach() after the forward still builds the graph", _EVALUATE.format(body="""
    model.eval()
    total, correct, n = 0.0, 0, 0
    for x, y in batches:
        outputs = model(x).detach()
        total += loss_fn(outputs, y).item() * len(y)
        correct += (outputs.argmax(1) == y).sum().item()
        n += len(y)
    return total / n, correct / n""")),
        ("the common mistake: batch means divided by the number of samples", _EVALUATE.format(body="""
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in batches:
            outputs = model(x)
            total += loss_fn(outputs, y).item()
            correct += (outputs.argmax(1) == y).sum().item()
            n += len(y)
    return total / n, correct / n""")),
        ("the accuracy as a count of correct predictions", _EVALUATE.format(body="""
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in batches:
            outputs = model(x)
            total += loss_fn(outputs, y).item() * len(y)
            correct += (outputs.argmax(1) == y).sum().item()
            n += len(y)
    return total / n, float(correct)""")),
        ("the accuracy as a percentage", _EVALUATE.format(body="""
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in batches:
            outputs = model(x)
            total += loss_fn(outputs, y).item() * len(y)
            correct += (outputs.argmax(1) == y).sum().item()
            n += len(y)
    return total / n, 100 * correct / n""")),
        ("the mean of the batch means: the smaller last batch weighs as much as a full one", _EVALUATE.format(body="""
    model.eval()
    losses, correct, n = [], 0, 0
    with torch.no_grad():
        for x, y in batches:
            outputs = model(x)
            losses.append(loss_fn(outputs, y).item())
            correct += (outputs.argmax(1) == y).sum().item()
            n += len(y)
    return sum(losses) / len(losses), correct / n""")),
    ],
    "digits_dataset": [
        ("the pixels are not divided by 255",
         _DATASET.format(length="len(self.images)", item="self.images[i].float().flatten(), int(self.labels[i])")),
        ("the label stays a tensor",
         _DATASET.format(length="len(self.images)", item="self.images[i].float().div(255).flatten(), self.labels[i]")),
        ("the image is not flattened",
         _DATASET.format(length="len(self.images)", item="self.images[i].float().div(255), int(self.labels[i])")),
        ("the length counts pixels, not images",
         _DATASET.format(length="self.images.numel()", item="self.images[i].float().div(255).flatten(), "
                                                            "int(self.labels[i])")),
        ("the pair is returned as a list",
         _DATASET.format(length="len(self.images)", item="[self.images[i].float().div(255).flatten(), "
                                                         "int(self.labels[i])]")),
    ],
    "confusion_matrix": [
        ("rows and columns swapped", """
def confusion_matrix(preds, targets, num_classes):
    return torch.bincount(preds * num_classes + targets, minlength=num_classes**2).reshape(num_classes, num_classes)
"""),
        ("no minlength: a class that never occurs breaks the reshape", """
def confusion_matrix(preds, targets, num_classes):
    return torch.bincount(targets * num_classes + preds).reshape(num_classes, num_classes)
"""),
        ("minlength=num_classes instead of num_classes**2", """
def confusion_matrix(preds, targets, num_classes):
    return torch.bincount(targets * num_classes + preds, minlength=num_classes).reshape(num_classes, num_classes)
"""),
        ("counts as floats", """
def confusion_matrix(preds, targets, num_classes):
    pairs = (targets * num_classes + preds).float()
    return torch.histc(pairs, bins=num_classes**2, min=0, max=num_classes**2 - 1).reshape(num_classes, num_classes)
"""),
    ],
    "trained_model": [
        ("the model is created but never trained",
         "torch.manual_seed(SEED)\ntrained_model = make_model().to(device)\n"),
        ("a smaller network (no hidden layer)", """
torch.manual_seed(SEED)
trained_model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10)).to(device)
my_optimizer = torch.optim.Adam(trained_model.parameters(), lr=2e-3)
for xb, yb in iterate_batches(x_train, y_train, 256, torch.Generator().manual_seed(SEED)):
    my_loss = nn.functional.cross_entropy(trained_model(xb), yb)
    my_optimizer.zero_grad()
    my_loss.backward()
    my_optimizer.step()
"""),
    ],
}
