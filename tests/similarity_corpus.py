"""Honest and copied answers to lesson 04 (MNIST MLP), to calibrate the code-similarity report.

What this is: data for tests/test_similarity.py, which builds a class of 40 honest students by combining the
HONEST answers (student k answers exercise g with one of HONEST[g]) and adds the PLANTED copies; the report must
flag the planted pairs and leave the honest combinations alone.

- ``HONEST = {grade_id: [answer, ...]}``: for each of the six code exercises of
  source/04-mnist-mlp/mnist-mlp.ipynb (mlp, train_epoch, evaluate, digits_dataset, confusion_matrix,
  trained_model), seven independently written correct answers, each the full text of the answer cell as the
  student leaves it (the release's signature and docstring kept, the ``# YOUR CODE HERE / IL TUO CODICE QUI`` +
  ``raise NotImplementedError()`` stub replaced by code); for the written question ``real_dataset``, six short
  answers in Markdown (three in Italian, three in English).
- ``PLANTED``: four copy pairs ``{"kind", "original", "copy"}``: the original is the honest student who answers
  every exercise with ``HONEST[g][original]``, ``copy`` is that student's work copied by hand, disguised in one
  way per pair ("verbatim", "renamed-reordered", "translated", "dead-code").

How correctness was verified (a throwaway script under /tmp, not part of the repository): for every i, a
notebook built from release/en/04-mnist-mlp/mnist-mlp.ipynb with HONEST[g][i] in every code answer cell, and
likewise one per planted copy, with every test cell replaced by the source notebook's test cell of the same
grade id (visible and hidden tests, between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``), executed
with nbclient (kernel python3, cwd source/04-mnist-mlp, timeout 300) on CPU: no cell raised. Answers 0 ran in
the whole notebook; to save time the others ran without ten lesson cells that no answer or test reads (a plot,
section 5's training and the cells using its model). The same script checked that every code answer keeps, in
order, every line of the release's answer cell except the two stub lines, and that none still holds the stub.
The "verbatim" copy is HONEST[g][2] itself; the other copies were run like the honest answers.
"""

# ---------------------------------------------------------------- exercise 1: the MLP class

_MLP = [
    # 0: explicit layers, one step per line, Italian comments
    '''class MLP(nn.Module):
    """Multilayer perceptron: Linear(input_size, hidden_size) -> ReLU -> Linear(hidden_size, num_classes)."""

    def __init__(self, input_size=784, hidden_size=300, num_classes=10):
        super().__init__()
        # primo layer: dall'input allo strato nascosto
        self.layer1 = nn.Linear(input_size, hidden_size)
        self.attivazione = nn.ReLU()
        # secondo layer: dallo strato nascosto alle classi
        self.layer2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        """x: (N, input_size) or (N, 1, 28, 28) -> logits of shape (N, num_classes)."""
        x = x.flatten(1)  # appiattisco le immagini in vettori
        x = self.layer1(x)
        x = self.attivazione(x)
        x = self.layer2(x)
        return x
''',
    # 1: an nn.Sequential inside the subclass
    '''class MLP(nn.Module):
    """Multilayer perceptron: Linear(input_size, hidden_size) -> ReLU -> Linear(hidden_size, num_classes)."""

    def __init__(self, input_size=784, hidden_size=300, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(input_size, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, num_classes),
        )

    def forward(self, x):
        """x: (N, input_size) or (N, 1, 28, 28) -> logits of shape (N, num_classes)."""
        return self.net(x.flatten(1))
''',
    # 2: nn.Flatten at the head of the Sequential, English comment
    '''class MLP(nn.Module):
    """Multilayer perceptron: Linear(input_size, hidden_size) -> ReLU -> Linear(hidden_size, num_classes)."""

    def __init__(self, input_size=784, hidden_size=300, num_classes=10):
        super().__init__()
        # Flatten turns (N, 1, 28, 28) into (N, 784) and leaves (N, 784) alone
        self.layers = nn.Sequential(nn.Flatten(), nn.Linear(input_size, hidden_size), nn.ReLU(),
                                    nn.Linear(hidden_size, num_classes))

    def forward(self, x):
        """x: (N, input_size) or (N, 1, 28, 28) -> logits of shape (N, num_classes)."""
        return self.layers(x)
''',
    # 3: two Linear attributes, torch.relu in forward, reshape with the batch size
    '''class MLP(nn.Module):
    """Multilayer perceptron: Linear(input_size, hidden_size) -> ReLU -> Linear(hidden_size, num_classes)."""

    def __init__(self, input_size=784, hidden_size=300, num_classes=10):
        super().__init__()
        self.hidden = nn.Linear(input_size, hidden_size)
        self.output = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        """x: (N, input_size) or (N, 1, 28, 28) -> logits of shape (N, num_classes)."""
        batch_size = x.shape[0]
        x = x.reshape(batch_size, -1)
        h = torch.relu(self.hidden(x))
        return self.output(h)
''',
    # 4: old-style super(), the input size kept for a reshape, one nested expression
    '''class MLP(nn.Module):
    """Multilayer perceptron: Linear(input_size, hidden_size) -> ReLU -> Linear(hidden_size, num_classes)."""

    def __init__(self, input_size=784, hidden_size=300, num_classes=10):
        super(MLP, self).__init__()
        self.input_size = input_size
        self.lin_in = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.lin_out = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        """x: (N, input_size) or (N, 1, 28, 28) -> logits of shape (N, num_classes)."""
        return self.lin_out(self.relu(self.lin_in(x.reshape(-1, self.input_size))))
''',
    # 5: an nn.ModuleDict walked in order, Italian names
    '''class MLP(nn.Module):
    """Multilayer perceptron: Linear(input_size, hidden_size) -> ReLU -> Linear(hidden_size, num_classes)."""

    def __init__(self, input_size=784, hidden_size=300, num_classes=10):
        super().__init__()
        self.strati = nn.ModuleDict({
            "nascosto": nn.Linear(input_size, hidden_size),
            "relu": nn.ReLU(),
            "uscita": nn.Linear(hidden_size, num_classes),
        })

    def forward(self, x):
        """x: (N, input_size) or (N, 1, 28, 28) -> logits of shape (N, num_classes)."""
        out = torch.flatten(x, start_dim=1)
        for strato in self.strati.values():
            out = strato(out)
        return out
''',
    # 6: nn.functional.relu, no ReLU module, view after contiguous
    '''class MLP(nn.Module):
    """Multilayer perceptron: Linear(input_size, hidden_size) -> ReLU -> Linear(hidden_size, num_classes)."""

    def __init__(self, input_size=784, hidden_size=300, num_classes=10):
        super().__init__()
        self.linear1 = nn.Linear(in_features=input_size, out_features=hidden_size)
        self.linear2 = nn.Linear(in_features=hidden_size, out_features=num_classes)

    def forward(self, x):
        """x: (N, input_size) or (N, 1, 28, 28) -> logits of shape (N, num_classes)."""
        # (N, 1, 28, 28) -> (N, 784)
        x = x.contiguous().view(len(x), -1)
        x = nn.functional.relu(self.linear1(x))
        logits = self.linear2(x)
        return logits
''',
]

# ---------------------------------------------------------------- exercise 2: train_epoch

_TRAIN_EPOCH = [
    # 0: Italian names and comments, separate statements
    '''def train_epoch(model, batches, optimizer, loss_fn):
    """One training step per (x, y) in `batches`; return the average loss per sample (a float).

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    model.train()
    dispositivo = next(model.parameters()).device
    somma_loss = 0.0
    n_campioni = 0
    for x, y in batches:
        x = x.to(dispositivo)
        y = y.to(dispositivo)
        optimizer.zero_grad()  # azzero i gradienti del passo precedente
        uscite = model(x)
        perdita = loss_fn(uscite, y)
        perdita.backward()
        optimizer.step()
        # la loss è la media del batch: moltiplico per avere la somma
        somma_loss += perdita.item() * len(y)
        n_campioni += len(y)
    return somma_loss / n_campioni
''',
    # 1: enumerate, tuple unpacking, y.size(0)
    '''def train_epoch(model, batches, optimizer, loss_fn):
    """One training step per (x, y) in `batches`; return the average loss per sample (a float).

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    device = next(model.parameters()).device
    model.train()
    running_loss, seen = 0.0, 0
    for batch_idx, (inputs, targets) in enumerate(batches):
        inputs, targets = inputs.to(device), targets.to(device)
        logits = model(inputs)
        batch_loss = loss_fn(logits, targets)
        optimizer.zero_grad()
        batch_loss.backward()
        optimizer.step()
        bs = targets.size(0)
        running_loss += batch_loss.item() * bs
        seen += bs
    return running_loss / seen
''',
    # 2: per-batch lists, weighted mean with zip at the end, zero_grad after the step
    '''def train_epoch(model, batches, optimizer, loss_fn):
    """One training step per (x, y) in `batches`; return the average loss per sample (a float).

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    model.train()
    dev = next(model.parameters()).device
    losses, sizes = [], []
    for xb, yb in batches:
        xb, yb = xb.to(dev), yb.to(dev)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        sizes.append(len(yb))
    # weighted mean: every batch counts as many times as it has samples
    return sum(value * size for value, size in zip(losses, sizes)) / sum(sizes)
''',
    # 3: a detached tensor accumulator, .item() once at the end
    '''def train_epoch(model, batches, optimizer, loss_fn):
    """One training step per (x, y) in `batches`; return the average loss per sample (a float).

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    model.train()
    device = next(model.parameters()).device
    total = torch.zeros((), device=device)
    count = 0
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.detach() * y.shape[0]
        count += y.shape[0]
    return (total / count).item()
''',
    # 4: batch indexed as a pair, the device taken from one parameter, explicit float()
    '''def train_epoch(model, batches, optimizer, loss_fn):
    """One training step per (x, y) in `batches`; return the average loss per sample (a float).

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    model.train()
    param = next(model.parameters())
    loss_totale = 0.0
    campioni_visti = 0
    for batch in batches:
        immagini = batch[0].to(param.device)
        etichette = batch[1].to(param.device)
        previsioni = model(immagini)
        perdita = loss_fn(previsioni, etichette)
        optimizer.zero_grad()
        perdita.backward()
        optimizer.step()
        numero = etichette.numel()
        loss_totale = loss_totale + perdita.item() * numero
        campioni_visti = campioni_visti + numero
    media = loss_totale / campioni_visti
    return float(media)
''',
    # 5: enumerate from 1, a generator expression to move the pair, len(x)
    '''def train_epoch(model, batches, optimizer, loss_fn):
    """One training step per (x, y) in `batches`; return the average loss per sample (a float).

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    model.train(True)
    device = next(model.parameters()).device
    sum_loss = 0.0
    total = 0
    for step, batch in enumerate(batches, start=1):
        x, y = (t.to(device) for t in batch)
        out = model(x)
        loss = loss_fn(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        sum_loss += loss.item() * len(x)
        total += len(x)
    return sum_loss / total
''',
    # 6: a manual iterator with next() and StopIteration
    '''def train_epoch(model, batches, optimizer, loss_fn):
    """One training step per (x, y) in `batches`; return the average loss per sample (a float).

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    target_device = next(model.parameters()).device
    model.train()
    iterator = iter(batches)
    weighted_sum, n = 0.0, 0
    while True:
        try:
            features, labels = next(iterator)
        except StopIteration:
            break
        features = features.to(target_device)
        labels = labels.to(target_device)
        optimizer.zero_grad()
        loss = loss_fn(model(features), labels)
        loss.backward()
        optimizer.step()
        weighted_sum += loss.item() * labels.shape[0]  # mean * size = sum over the batch
        n += labels.shape[0]
    return weighted_sum / n
''',
]

# ---------------------------------------------------------------- exercise 3: evaluate

_EVALUATE = [
    # 0: Italian names and comments, no_grad, argmax
    '''def evaluate(model, batches, loss_fn):
    """Return (average loss per sample, accuracy) of `model` over `batches`, two floats; no gradients.

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    model.eval()
    dispositivo = next(model.parameters()).device
    somma_loss = 0.0
    corretti = 0
    totale = 0
    with torch.no_grad():  # niente gradienti in valutazione
        for x, y in batches:
            x, y = x.to(dispositivo), y.to(dispositivo)
            uscite = model(x)
            # la loss è una media sul batch: la moltiplico per il numero di campioni
            somma_loss += loss_fn(uscite, y).item() * len(y)
            previsioni = uscite.argmax(1)
            corretti += (previsioni == y).sum().item()
            totale += len(y)
    return somma_loss / totale, corretti / totale
''',
    # 1: inference_mode and torch.max
    '''def evaluate(model, batches, loss_fn):
    """Return (average loss per sample, accuracy) of `model` over `batches`, two floats; no gradients.

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    device = next(model.parameters()).device
    model.eval()
    running_loss, num_correct, num_seen = 0.0, 0, 0
    with torch.inference_mode():
        for inputs, labels in batches:
            inputs = inputs.to(device)
            labels = labels.to(device)
            logits = model(inputs)
            running_loss += loss_fn(logits, labels).item() * labels.size(0)
            _, predicted = torch.max(logits, 1)
            num_correct += (predicted == labels).sum().item()
            num_seen += labels.size(0)
    return running_loss / num_seen, num_correct / num_seen
''',
    # 2: the batch sum straight from cross_entropy(reduction="sum")
    '''def evaluate(model, batches, loss_fn):
    """Return (average loss per sample, accuracy) of `model` over `batches`, two floats; no gradients.

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    model.eval()
    device = next(model.parameters()).device
    loss_sum = 0.0
    hits = 0
    n = 0
    with torch.no_grad():
        for xb, yb in batches:
            xb, yb = xb.to(device), yb.to(device)
            out = model(xb)
            # sum over the batch directly, no need to multiply the mean back
            loss_sum += nn.functional.cross_entropy(out, yb, reduction="sum").item()
            hits += int((out.argmax(dim=1) == yb).sum())
            n += yb.numel()
    return loss_sum / n, hits / n
''',
    # 3: all logits collected, one loss and one accuracy over the concatenation
    '''def evaluate(model, batches, loss_fn):
    """Return (average loss per sample, accuracy) of `model` over `batches`, two floats; no gradients.

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    model.eval()
    device = next(model.parameters()).device
    all_logits = []
    all_targets = []
    with torch.no_grad():
        for x, y in batches:
            all_logits.append(model(x.to(device)))
            all_targets.append(y.to(device))
        logits = torch.cat(all_logits)
        targets = torch.cat(all_targets)
        avg_loss = loss_fn(logits, targets).item()
    accuracy = (logits.argmax(1) == targets).float().mean().item()
    return avg_loss, accuracy
''',
    # 4: set_grad_enabled(False), model.train(False), enumerate, torch.eq
    '''def evaluate(model, batches, loss_fn):
    """Return (average loss per sample, accuracy) of `model` over `batches`, two floats; no gradients.

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    model.train(False)
    dev = next(model.parameters()).device
    tot_loss = 0.0
    tot_ok = 0
    tot = 0
    with torch.set_grad_enabled(False):
        for i, (x, y) in enumerate(batches):
            x = x.to(dev)
            y = y.to(dev)
            pred = model(x)
            b = x.shape[0]
            tot_loss = tot_loss + loss_fn(pred, y).item() * b
            tot_ok = tot_ok + torch.eq(pred.argmax(1), y).sum().item()
            tot = tot + b
    loss_media = tot_loss / tot
    acc = tot_ok / tot
    return float(loss_media), float(acc)
''',
    # 5: a list of per-batch statistics summed at the end
    '''def evaluate(model, batches, loss_fn):
    """Return (average loss per sample, accuracy) of `model` over `batches`, two floats; no gradients.

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    model.eval()
    device = next(model.parameters()).device
    stats = []  # (loss sum, correct, size) of every batch
    with torch.no_grad():
        for batch in batches:
            x, y = batch
            x, y = x.to(device), y.to(device)
            scores = model(x)
            size = len(y)
            stats.append((loss_fn(scores, y).item() * size, (scores.argmax(1) == y).sum().item(), size))
    total = sum(s[2] for s in stats)
    loss = sum(s[0] for s in stats) / total
    acc = sum(s[1] for s in stats) / total
    return loss, acc
''',
    # 6: a helper decorated with @torch.no_grad(), Italian names
    '''def evaluate(model, batches, loss_fn):
    """Return (average loss per sample, accuracy) of `model` over `batches`, two floats; no gradients.

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    @torch.no_grad()
    def statistiche_batch(x, y):
        out = model(x)
        return loss_fn(out, y).item() * len(y), (out.argmax(1) == y).sum().item()

    model.eval()
    device = next(model.parameters()).device
    loss_tot, giusti, visti = 0.0, 0, 0
    for x, y in batches:
        somma, ok = statistiche_batch(x.to(device), y.to(device))
        loss_tot += somma
        giusti += ok
        visti += len(y)
    return loss_tot / visti, giusti / visti
''',
]

# ---------------------------------------------------------------- exercise 4: DigitsDataset

_DIGITS_DATASET = [
    # 0: Italian names and comments, conversion in __getitem__
    '''class DigitsDataset(torch.utils.data.Dataset):
    """Raw uint8 digits (N, 28, 28) and labels -> samples (float32 vector of 784 values in [0, 1], int label)."""

    def __init__(self, images, labels):
        # conservo immagini ed etichette così come sono
        self.immagini = images
        self.etichette = labels

    def __len__(self):
        return len(self.immagini)

    def __getitem__(self, i):
        # da uint8 (28, 28) a vettore float32 di 784 valori in [0, 1]
        immagine = self.immagini[i].to(torch.float32).reshape(-1) / 255
        etichetta = int(self.etichette[i])
        return immagine, etichetta
''',
    # 1: everything converted once in __init__, labels as a Python list
    '''class DigitsDataset(torch.utils.data.Dataset):
    """Raw uint8 digits (N, 28, 28) and labels -> samples (float32 vector of 784 values in [0, 1], int label)."""

    def __init__(self, images, labels):
        # convert once: every sample is then a plain lookup
        self.x = images.reshape(len(images), -1).float() / 255
        self.y = labels.tolist()

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]
''',
    # 2: super().__init__(), torch.flatten, .item() for the label
    '''class DigitsDataset(torch.utils.data.Dataset):
    """Raw uint8 digits (N, 28, 28) and labels -> samples (float32 vector of 784 values in [0, 1], int label)."""

    def __init__(self, images, labels):
        super().__init__()
        self.data = images
        self.targets = labels

    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, i):
        img = torch.flatten(self.data[i]).float() / 255.0
        target = self.targets[i].item()
        return img, target
''',
    # 3: div and reshape(784), labels kept as int64
    '''class DigitsDataset(torch.utils.data.Dataset):
    """Raw uint8 digits (N, 28, 28) and labels -> samples (float32 vector of 784 values in [0, 1], int label)."""

    def __init__(self, images, labels):
        self.images = images
        self.labels = labels.long()
        self.n = len(labels)

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        pixels = self.images[i].reshape(784).float().div(255)
        return pixels, int(self.labels[i].item())
''',
    # 4: view(-1) and a multiplication by 1/255
    '''class DigitsDataset(torch.utils.data.Dataset):
    """Raw uint8 digits (N, 28, 28) and labels -> samples (float32 vector of 784 values in [0, 1], int label)."""

    def __init__(self, images, labels):
        self.imgs = images
        self.lbls = labels

    def __len__(self):
        return self.lbls.size(0)

    def __getitem__(self, i):
        # uint8 0..255 -> float in [0, 1], one row of 784 pixels
        x = self.imgs[i].view(-1).float()
        x = x * (1.0 / 255)
        y = int(self.lbls[i])
        return (x, y)
''',
    # 5: the dtype given as an argument, Italian comments
    '''class DigitsDataset(torch.utils.data.Dataset):
    """Raw uint8 digits (N, 28, 28) and labels -> samples (float32 vector of 784 values in [0, 1], int label)."""

    def __init__(self, images, labels):
        self.images = images  # (N, 28, 28) uint8
        self.labels = labels  # (N,)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        vettore = self.images[i].to(dtype=torch.float32).flatten()
        vettore = vettore / 255  # normalizzo in [0, 1]
        return vettore, int(self.labels[i])
''',
    # 6: a list of (image, label) pairs built in __init__
    '''class DigitsDataset(torch.utils.data.Dataset):
    """Raw uint8 digits (N, 28, 28) and labels -> samples (float32 vector of 784 values in [0, 1], int label)."""

    def __init__(self, images, labels):
        self.samples = list(zip(images, labels))

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        image, label = self.samples[i]
        return image.flatten().to(torch.float32) / 255, int(label)
''',
]

# ---------------------------------------------------------------- exercise 5: confusion_matrix

_CONFUSION_MATRIX = [
    # 0: a Python loop over zip(tolist()), Italian comments
    '''def confusion_matrix(preds, targets, num_classes):
    """Return the (num_classes, num_classes) int64 matrix whose entry [t, p] counts true class t predicted as p."""
    # matrice di zeri, poi conto ogni coppia (vera, prevista)
    matrice = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for vera, prevista in zip(targets.tolist(), preds.tolist()):
        matrice[vera, prevista] += 1
    return matrice
''',
    # 1: bincount of t * num_classes + p, as the hint says
    '''def confusion_matrix(preds, targets, num_classes):
    """Return the (num_classes, num_classes) int64 matrix whose entry [t, p] counts true class t predicted as p."""
    idx = targets * num_classes + preds
    counts = torch.bincount(idx, minlength=num_classes * num_classes)
    return counts.view(num_classes, num_classes)
''',
    # 2: index_put_ with accumulate=True, as in section 7
    '''def confusion_matrix(preds, targets, num_classes):
    """Return the (num_classes, num_classes) int64 matrix whose entry [t, p] counts true class t predicted as p."""
    cm = torch.zeros((num_classes, num_classes), dtype=torch.long)
    cm.index_put_((targets, preds), torch.ones_like(targets), accumulate=True)
    return cm
''',
    # 3: a loop over a manual index
    '''def confusion_matrix(preds, targets, num_classes):
    """Return the (num_classes, num_classes) int64 matrix whose entry [t, p] counts true class t predicted as p."""
    result = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for i in range(len(preds)):
        result[targets[i], preds[i]] += 1
    return result
''',
    # 4: a double loop over the classes, counting with a boolean mask
    '''def confusion_matrix(preds, targets, num_classes):
    """Return the (num_classes, num_classes) int64 matrix whose entry [t, p] counts true class t predicted as p."""
    matrix = torch.empty(num_classes, num_classes, dtype=torch.int64)
    for true_class in range(num_classes):
        for predicted_class in range(num_classes):
            both = (targets == true_class) & (preds == predicted_class)
            matrix[true_class, predicted_class] = both.sum()
    return matrix
''',
    # 5: one-hot encodings and a matrix product
    '''def confusion_matrix(preds, targets, num_classes):
    """Return the (num_classes, num_classes) int64 matrix whose entry [t, p] counts true class t predicted as p."""
    # rows of one_hot(targets)^T times one_hot(preds): entry [t, p] counts the samples with both
    true_onehot = nn.functional.one_hot(targets, num_classes)
    pred_onehot = nn.functional.one_hot(preds, num_classes)
    return (true_onehot.T @ pred_onehot).to(torch.int64)
''',
    # 6: scatter_add_ on a flat vector, Italian comment
    '''def confusion_matrix(preds, targets, num_classes):
    """Return the (num_classes, num_classes) int64 matrix whose entry [t, p] counts true class t predicted as p."""
    piatta = torch.zeros(num_classes * num_classes, dtype=torch.int64)
    indici = targets * num_classes + preds  # la coppia (t, p) diventa un numero solo
    piatta.scatter_add_(0, indici, torch.ones_like(indici))
    return piatta.reshape(num_classes, num_classes)
''',
]

# ---------------------------------------------------------------- exercise 6: trained_model

_TRAINED_MODEL = [
    # 0: Adam, constant lr, iterate_batches, Italian names and comments
    """torch.manual_seed(SEED)
trained_model = None   # your trained network / la tua rete addestrata
# rete 784-300-10 e Adam con learning rate costante
rete = make_model().to(device)
ottimizzatore = torch.optim.Adam(rete.parameters(), lr=2e-3)
funzione_loss = nn.CrossEntropyLoss()
generatore = torch.Generator().manual_seed(SEED)  # rimescolamento riproducibile
for epoca in range(2):
    rete.train()
    for xb, yb in iterate_batches(x_train, y_train, 256, generatore):
        perdita = funzione_loss(rete(xb), yb)
        ottimizzatore.zero_grad()
        perdita.backward()
        ottimizzatore.step()
    # controllo sul validation set
    perdita_val, accuratezza_val = full_pass(rete, x_val, y_val)
    print(f"epoca {epoca + 1}: loss di validazione {perdita_val:.4f}, accuratezza {accuratezza_val:.2%}")
trained_model = rete
""",
    # 1: TensorDataset and DataLoader, batches of 128
    """torch.manual_seed(SEED)
trained_model = None   # your trained network / la tua rete addestrata
train_data = torch.utils.data.TensorDataset(x_train, y_train)
train_batches = torch.utils.data.DataLoader(train_data, batch_size=128, shuffle=True)
trained_model = make_model().to(device)
opt = torch.optim.Adam(trained_model.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()
for epoch in range(2):
    trained_model.train()
    for images, labels in train_batches:
        opt.zero_grad()
        out = trained_model(images)
        loss = criterion(out, labels)
        loss.backward()
        opt.step()
    print(epoch, full_pass(trained_model, x_val, y_val))
""",
    # 2: SGD with momentum, a permutation cut by hand, 3 epochs
    """torch.manual_seed(SEED)
trained_model = None   # your trained network / la tua rete addestrata
model_sgd = make_model().to(device)
sgd = torch.optim.SGD(model_sgd.parameters(), lr=0.05, momentum=0.9)
n_train = x_train.shape[0]
for epoch in range(3):
    model_sgd.train()
    perm = torch.randperm(n_train, device=x_train.device)
    for start in range(0, n_train, 128):
        idx = perm[start:start + 128]
        loss = nn.functional.cross_entropy(model_sgd(x_train[idx]), y_train[idx])
        sgd.zero_grad()
        loss.backward()
        sgd.step()
trained_model = model_sgd
val_loss, val_acc = full_pass(trained_model, x_val, y_val)
print(f"val acc: {val_acc:.4f}")
""",
    # 3: the lesson's decaying learning rate (LinearLR), named hyperparameters
    """torch.manual_seed(SEED)
trained_model = None   # your trained network / la tua rete addestrata
epochs = 2
bs = 256
steps = epochs * math.ceil(len(x_train) / bs)
trained_model = make_model().to(device)
optim = torch.optim.Adam(trained_model.parameters(), lr=4e-3)
sched = torch.optim.lr_scheduler.LinearLR(optim, start_factor=1.0, end_factor=0.0, total_iters=steps)
gen = torch.Generator().manual_seed(SEED)
for ep in range(epochs):
    trained_model.train()
    for xb, yb in iterate_batches(x_train, y_train, bs, gen):
        loss = loss_fn(trained_model(xb), yb)
        optim.zero_grad()
        loss.backward()
        optim.step()
        sched.step()
print(full_pass(trained_model, x_val, y_val))
""",
    # 4: AdamW, batches of 512 from split() on a shuffled copy, 3 epochs
    """torch.manual_seed(SEED)
trained_model = None   # your trained network / la tua rete addestrata
net = make_model().to(device)
optimizer = torch.optim.AdamW(net.parameters(), lr=3e-3)
for epoch in range(3):
    net.train()
    shuffle = torch.randperm(len(x_train), device=x_train.device)
    for xb, yb in zip(x_train[shuffle].split(512), y_train[shuffle].split(512)):
        optimizer.zero_grad()
        nn.functional.cross_entropy(net(xb), yb).backward()
        optimizer.step()
    _, acc = full_pass(net, x_val, y_val)
    print(f"epoch {epoch}: val accuracy {acc:.3f}")
trained_model = net
""",
    # 5: no shuffling (x_train is already in random order), a while loop over slices
    """torch.manual_seed(SEED)
trained_model = None   # your trained network / la tua rete addestrata
trained_model = make_model()
trained_model = trained_model.to(device)
adam = torch.optim.Adam(trained_model.parameters(), lr=1e-3)
N = len(x_train)
for epoch in range(2):
    trained_model.train()
    i = 0
    while i < N:
        x_batch = x_train[i:i + 100]
        y_batch = y_train[i:i + 100]
        loss = nn.CrossEntropyLoss()(trained_model(x_batch), y_batch)
        adam.zero_grad()
        loss.backward()
        adam.step()
        i += 100
""",
    # 6: SGD with Nesterov momentum, batches of 64, a new seeded generator per epoch, Italian names
    """torch.manual_seed(SEED)
trained_model = None   # your trained network / la tua rete addestrata
mio_modello = make_model().to(device)
mio_ottimizzatore = torch.optim.SGD(mio_modello.parameters(), lr=0.02, momentum=0.9, nesterov=True)
for epoca in range(2):
    mio_modello.train()
    ordine = torch.Generator().manual_seed(epoca)
    for immagini, cifre in iterate_batches(x_train, y_train, 64, ordine):
        errore = nn.functional.cross_entropy(mio_modello(immagini), cifre)
        mio_ottimizzatore.zero_grad()
        errore.backward()
        mio_ottimizzatore.step()
trained_model = mio_modello
print(full_pass(trained_model, x_val, y_val))
""",
]

# ---------------------------------------------------------------- the written question: real_dataset

_REAL_DATASET = [
    # 0: Italian
    """1. Convertire tutto una volta sola: no, 180 GB di immagini decodificate non stanno in 64 GB di RAM né sulla
GPU, e con la data augmentation ogni epoca vede immagini diverse. Meglio un `Dataset` che legge e decodifica il
JPEG in `__getitem__`.
2. Normalizzazione: sì, per canale, con media e deviazione standard calcolate sul training set.
3. Batch per indice da tensori precaricati: no, non ci sono tensori precaricati (vedi punto 1).
4. Batch più grandi: sì, finché ci stanno nei 24 GB della GPU.
5. Learning rate più alto che decresce: sì, una schedule serve ancora, scelta sul validation set.

Per non far aspettare la GPU userei un `DataLoader` con `num_workers` > 0 (più processi decodificano in parallelo
e preparano i batch successivi) e `pin_memory=True`.
""",
    # 1: Italian
    """Conversione una volta sola: non si può, i dati decodificati (circa 180 GB, e ancora di più in float32) non
entrano in memoria; ogni immagine va letta dal disco e decodificata quando serve, e comunque le trasformazioni
casuali cambiano a ogni epoca.
Normalizzazione: la terrei, con media e std per canale (R, G, B) stimate su una parte del training set.
Batch per indice: no, per lo stesso motivo: niente tensore unico in memoria.
Batch grandi: sì, per sfruttare la GPU, nei limiti della sua memoria.
Learning rate alto e poi decrescente: sì, anzi con una rete grande aiuta ancora di più (magari con un warm-up).
Soluzione per la GPU: caricamento in parallelo con il `DataLoader` (`num_workers`, prefetch dei batch), così la
lettura dei file si sovrappone al calcolo; copie `non_blocking=True` con memoria pinned.
""",
    # 2: English
    """1) Convert once: no. Decoded, the photos take ~180 GB, more than the 64 GB of RAM (and the 24 GB GPU), and
random augmentation makes every epoch's images different anyway. I would decode each JPEG on the fly in the
Dataset's `__getitem__`.
2) Normalize: yes, per channel, with the mean and std of the training set, as a transform.
3) Batches by index from preloaded tensors: no, there is nothing preloaded.
4) Larger batches: yes, as large as the GPU memory allows.
5) Higher learning rate that decreases: yes, still useful; I would pick the schedule on a validation set.

To keep the GPU busy: a DataLoader with several workers (`num_workers`) that decode and prefetch batches while the
GPU computes, plus `pin_memory=True` and `non_blocking=True` transfers.
""",
    # 3: Italian
    """- **Conversione una volta sola**: no. Non c'è abbastanza RAM (64 GB contro 180 GB decodificati) e con
l'augmentation (ritagli, ribaltamenti casuali) il risultato cambia a ogni epoca.
- **Normalizzazione**: sì, sempre utile; media e deviazione standard per canale dal training set.
- **Batch da tensori precaricati**: no, le immagini si caricano dal disco un po' alla volta.
- **Batch più grandi**: sì, fino al limite della memoria della GPU.
- **Learning rate più alto che scende**: sì, la schedule resta una buona idea.

Perché la GPU non aspetti: più worker nel `DataLoader` che leggono e decodificano i JPEG in parallelo mentre la GPU
lavora, `pin_memory`, e i file su un SSD veloce, magari già ridimensionati.
""",
    # 4: English
    """Convert once: not possible, the decoded data set (about 180 GB) does not fit in RAM or on the GPU. Each
image must be loaded and decoded from disk when needed, which also allows random data augmentation.
Normalize: still yes, using per-channel statistics computed on (a subset of) the training set.
Batches by index from preloaded tensors: no, same reason, the data is not in memory.
Larger batches: yes, within the 24 GB of the GPU, they use its parallelism better.
Higher, decreasing learning rate: yes, a learning rate schedule (warm-up then decay) is still a good idea.
Instead, I would use a DataLoader with num_workers > 0 and prefetching so loading overlaps with computation,
pinned memory with non_blocking copies, and a fast disk (or images already resized).
""",
    # 5: English
    """- convert once -> no: ~180 GB decoded doesn't fit in 64 GB RAM, and augmentations differ every epoch, so
  decoding happens in the Dataset for every sample
- normalize -> yes, per channel (mean/std from the training set)
- batches by index from preloaded tensors -> no, nothing is preloaded
- bigger batches -> yes, up to what fits on the 24 GB GPU
- higher lr that decays -> yes, a schedule still helps (chosen on the validation set)

So the GPU doesn't wait: DataLoader(num_workers=8, pin_memory=True, prefetch) so that worker processes read and
decode JPEGs in parallel while the GPU trains; data on a fast SSD, maybe pre-resized.
""",
]

HONEST = {
    "mlp": _MLP,
    "train_epoch": _TRAIN_EPOCH,
    "evaluate": _EVALUATE,
    "digits_dataset": _DIGITS_DATASET,
    "confusion_matrix": _CONFUSION_MATRIX,
    "trained_model": _TRAINED_MODEL,
    "real_dataset": _REAL_DATASET,
}

# ---------------------------------------------------------------- the planted copies

# Student 3's answers with every name of their own renamed and independent statements reordered.
_RENAMED_REORDERED = {
    "mlp": '''class MLP(nn.Module):
    """Multilayer perceptron: Linear(input_size, hidden_size) -> ReLU -> Linear(hidden_size, num_classes)."""

    def __init__(self, input_size=784, hidden_size=300, num_classes=10):
        super().__init__()
        self.last = nn.Linear(hidden_size, num_classes)
        self.first = nn.Linear(input_size, hidden_size)

    def forward(self, x):
        """x: (N, input_size) or (N, 1, 28, 28) -> logits of shape (N, num_classes)."""
        n = x.shape[0]
        flat = x.reshape(n, -1)
        activations = torch.relu(self.first(flat))
        return self.last(activations)
''',
    "train_epoch": '''def train_epoch(model, batches, optimizer, loss_fn):
    """One training step per (x, y) in `batches`; return the average loss per sample (a float).

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    dev_model = next(model.parameters()).device
    model.train()
    n_seen = 0
    loss_sum = torch.zeros((), device=dev_model)
    for inputs, targets in batches:
        inputs, targets = inputs.to(dev_model), targets.to(dev_model)
        optimizer.zero_grad(set_to_none=True)
        batch_loss = loss_fn(model(inputs), targets)
        batch_loss.backward()
        optimizer.step()
        n_seen += targets.shape[0]
        loss_sum += batch_loss.detach() * targets.shape[0]
    return (loss_sum / n_seen).item()
''',
    "evaluate": '''def evaluate(model, batches, loss_fn):
    """Return (average loss per sample, accuracy) of `model` over `batches`, two floats; no gradients.

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    where = next(model.parameters()).device
    model.eval()
    labels_list = []
    outputs_list = []
    with torch.no_grad():
        for inputs, labels in batches:
            labels_list.append(labels.to(where))
            outputs_list.append(model(inputs.to(where)))
        every_target = torch.cat(labels_list)
        every_output = torch.cat(outputs_list)
        mean_loss = loss_fn(every_output, every_target).item()
    acc = (every_output.argmax(1) == every_target).float().mean().item()
    return mean_loss, acc
''',
    "digits_dataset": '''class DigitsDataset(torch.utils.data.Dataset):
    """Raw uint8 digits (N, 28, 28) and labels -> samples (float32 vector of 784 values in [0, 1], int label)."""

    def __init__(self, images, labels):
        self.size = len(labels)
        self.targets = labels.long()
        self.pictures = images

    def __len__(self):
        return self.size

    def __getitem__(self, i):
        flat = self.pictures[i].reshape(784).float().div(255)
        return flat, int(self.targets[i].item())
''',
    "confusion_matrix": '''def confusion_matrix(preds, targets, num_classes):
    """Return the (num_classes, num_classes) int64 matrix whose entry [t, p] counts true class t predicted as p."""
    counts = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for k in range(len(preds)):
        counts[targets[k], preds[k]] += 1
    return counts
''',
    "trained_model": """torch.manual_seed(SEED)
trained_model = None   # your trained network / la tua rete addestrata
batch = 256
n_epochs = 2
total_steps = n_epochs * math.ceil(len(x_train) / batch)
rng = torch.Generator().manual_seed(SEED)
trained_model = make_model().to(device)
adam = torch.optim.Adam(trained_model.parameters(), lr=4e-3)
lr_decay = torch.optim.lr_scheduler.LinearLR(adam, start_factor=1.0, end_factor=0.0, total_iters=total_steps)
for e in range(n_epochs):
    trained_model.train()
    for inputs, targets in iterate_batches(x_train, y_train, batch, rng):
        batch_loss = loss_fn(trained_model(inputs), targets)
        adam.zero_grad()
        batch_loss.backward()
        adam.step()
        lr_decay.step()
print(full_pass(trained_model, x_val, y_val))
""",
    # the written answer: the same points, reworded with synonyms and the closing part reordered
    "real_dataset": """\
- **Convertire una volta sola**: no. La RAM non basta (64 GB contro 180 GB di dati decodificati) e con
l'augmentation (ritagli e ribaltamenti casuali) il risultato è diverso a ogni epoca.
- **Normalizzare**: sì, è sempre utile; media e deviazione standard di ogni canale, dal training set.
- **Batch presi da tensori precaricati**: no, le immagini vanno lette dal disco poco per volta.
- **Batch più grandi**: sì, fin dove lo consente la memoria della GPU.
- **Learning rate più alto che diminuisce**: sì, la schedule rimane una buona idea.

Perché la GPU non resti ad aspettare: i file su un SSD veloce, magari già ridimensionati, `pin_memory`, e più
worker nel `DataLoader` che leggono e decodificano i JPEG in parallelo mentre la GPU calcola.
""",
}

# Student 0's answers with the Italian comments and names translated into English.
_TRANSLATED = {
    "mlp": '''class MLP(nn.Module):
    """Multilayer perceptron: Linear(input_size, hidden_size) -> ReLU -> Linear(hidden_size, num_classes)."""

    def __init__(self, input_size=784, hidden_size=300, num_classes=10):
        super().__init__()
        # first layer: from the input to the hidden layer
        self.layer1 = nn.Linear(input_size, hidden_size)
        self.activation = nn.ReLU()
        # second layer: from the hidden layer to the classes
        self.layer2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        """x: (N, input_size) or (N, 1, 28, 28) -> logits of shape (N, num_classes)."""
        x = x.flatten(1)  # flatten the images into vectors
        x = self.layer1(x)
        x = self.activation(x)
        x = self.layer2(x)
        return x
''',
    "train_epoch": '''def train_epoch(model, batches, optimizer, loss_fn):
    """One training step per (x, y) in `batches`; return the average loss per sample (a float).

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    model.train()
    device = next(model.parameters()).device
    loss_sum = 0.0
    n_samples = 0
    for x, y in batches:
        x = x.to(device)
        y = y.to(device)
        optimizer.zero_grad()  # reset the gradients of the previous step
        outputs = model(x)
        loss = loss_fn(outputs, y)
        loss.backward()
        optimizer.step()
        # the loss is the batch mean: multiply to get the sum
        loss_sum += loss.item() * len(y)
        n_samples += len(y)
    return loss_sum / n_samples
''',
    "evaluate": '''def evaluate(model, batches, loss_fn):
    """Return (average loss per sample, accuracy) of `model` over `batches`, two floats; no gradients.

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    model.eval()
    device = next(model.parameters()).device
    loss_sum = 0.0
    correct = 0
    total = 0
    with torch.no_grad():  # no gradients during evaluation
        for x, y in batches:
            x, y = x.to(device), y.to(device)
            outputs = model(x)
            # the loss is a mean over the batch: multiply it by the number of samples
            loss_sum += loss_fn(outputs, y).item() * len(y)
            predictions = outputs.argmax(1)
            correct += (predictions == y).sum().item()
            total += len(y)
    return loss_sum / total, correct / total
''',
    "digits_dataset": '''class DigitsDataset(torch.utils.data.Dataset):
    """Raw uint8 digits (N, 28, 28) and labels -> samples (float32 vector of 784 values in [0, 1], int label)."""

    def __init__(self, images, labels):
        # keep the images and the labels as they are
        self.images = images
        self.labels = labels

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        # from uint8 (28, 28) to a float32 vector of 784 values in [0, 1]
        image = self.images[i].to(torch.float32).reshape(-1) / 255
        label = int(self.labels[i])
        return image, label
''',
    "confusion_matrix": '''def confusion_matrix(preds, targets, num_classes):
    """Return the (num_classes, num_classes) int64 matrix whose entry [t, p] counts true class t predicted as p."""
    # a matrix of zeros, then count every (true, predicted) pair
    matrix = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for true, predicted in zip(targets.tolist(), preds.tolist()):
        matrix[true, predicted] += 1
    return matrix
''',
    "trained_model": """torch.manual_seed(SEED)
trained_model = None   # your trained network / la tua rete addestrata
# 784-300-10 network and Adam with a constant learning rate
net = make_model().to(device)
optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
loss_function = nn.CrossEntropyLoss()
generator = torch.Generator().manual_seed(SEED)  # reproducible shuffling
for epoch in range(2):
    net.train()
    for xb, yb in iterate_batches(x_train, y_train, 256, generator):
        loss = loss_function(net(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    # check on the validation set
    val_loss, val_accuracy = full_pass(net, x_val, y_val)
    print(f"epoch {epoch + 1}: validation loss {val_loss:.4f}, accuracy {val_accuracy:.2%}")
trained_model = net
""",
    "real_dataset": """\
1. Convert everything once: no, 180 GB of decoded images fit neither in 64 GB of RAM nor on the GPU, and with
data augmentation every epoch sees different images. Better a `Dataset` that reads and decodes the JPEG in
`__getitem__`.
2. Normalization: yes, per channel, with mean and standard deviation computed on the training set.
3. Batches by index from preloaded tensors: no, there are no preloaded tensors (see point 1).
4. Larger batches: yes, as long as they fit in the 24 GB of the GPU.
5. Higher learning rate that decreases: yes, a schedule is still needed, chosen on the validation set.

To keep the GPU from waiting I would use a `DataLoader` with `num_workers` > 0 (several processes decode in
parallel and prepare the next batches) and `pin_memory=True`.
""",
}

# Student 5's answers with dead code added: unused variables, `if False:` blocks, prints, unused helpers, comments.
_DEAD_CODE = {
    "mlp": '''class MLP(nn.Module):
    """Multilayer perceptron: Linear(input_size, hidden_size) -> ReLU -> Linear(hidden_size, num_classes)."""

    def __init__(self, input_size=784, hidden_size=300, num_classes=10):
        super().__init__()
        self.debug = False  # per stampare le forme (non usato)
        self.strati = nn.ModuleDict({
            "nascosto": nn.Linear(input_size, hidden_size),
            "relu": nn.ReLU(),
            "uscita": nn.Linear(hidden_size, num_classes),
        })
        n_parametri = input_size * hidden_size + hidden_size + hidden_size * num_classes + num_classes

    def forward(self, x):
        """x: (N, input_size) or (N, 1, 28, 28) -> logits of shape (N, num_classes)."""
        out = torch.flatten(x, start_dim=1)
        if False:
            print("forma dell'input:", out.shape)
        for strato in self.strati.values():
            out = strato(out)
        return out

    def conta_parametri(self):
        # funzione di aiuto per controllare il numero di parametri
        return sum(p.numel() for p in self.parameters())
''',
    "train_epoch": '''def train_epoch(model, batches, optimizer, loss_fn):
    """One training step per (x, y) in `batches`; return the average loss per sample (a float).

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    model.train(True)
    device = next(model.parameters()).device
    sum_loss = 0.0
    total = 0
    history = []  # losses of every step, for plotting later
    for step, batch in enumerate(batches, start=1):
        x, y = (t.to(device) for t in batch)
        out = model(x)
        loss = loss_fn(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if False:
            print(f"step {step}: loss {loss.item():.4f}")
        sum_loss += loss.item() * len(x)
        total += len(x)
    average = sum_loss / total
    # print(average)
    return sum_loss / total
''',
    "evaluate": '''def evaluate(model, batches, loss_fn):
    """Return (average loss per sample, accuracy) of `model` over `batches`, two floats; no gradients.

    loss_fn averages over the batch (like nn.CrossEntropyLoss()); batches are moved to the model's device.
    """
    def percent(fraction):
        # helper to show the accuracy as a percentage
        return f"{100 * fraction:.1f}%"

    model.eval()
    device = next(model.parameters()).device
    verbose = False
    stats = []  # (loss sum, correct, size) of every batch
    with torch.no_grad():
        for batch in batches:
            x, y = batch
            x, y = x.to(device), y.to(device)
            scores = model(x)
            size = len(y)
            stats.append((loss_fn(scores, y).item() * size, (scores.argmax(1) == y).sum().item(), size))
            if verbose and False:
                print("batch of", size)
    total = sum(s[2] for s in stats)
    loss = sum(s[0] for s in stats) / total
    acc = sum(s[1] for s in stats) / total
    print("evaluated", total, "samples")
    return loss, acc
''',
    "digits_dataset": '''class DigitsDataset(torch.utils.data.Dataset):
    """Raw uint8 digits (N, 28, 28) and labels -> samples (float32 vector of 784 values in [0, 1], int label)."""

    def __init__(self, images, labels):
        self.images = images  # (N, 28, 28) uint8
        self.labels = labels  # (N,)
        forma = tuple(images.shape)  # solo per controllo

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        vettore = self.images[i].to(dtype=torch.float32).flatten()
        vettore = vettore / 255  # normalizzo in [0, 1]
        if False:
            vettore = (vettore - 0.1307) / 0.3081  # normalizzazione di MNIST, non richiesta
        return vettore, int(self.labels[i])

    def mostra(self, i):
        # funzione di aiuto per vedere un'immagine (mai usata)
        plt.imshow(self.images[i], cmap="gray")
        plt.show()
''',
    "confusion_matrix": '''def confusion_matrix(preds, targets, num_classes):
    """Return the (num_classes, num_classes) int64 matrix whose entry [t, p] counts true class t predicted as p."""
    n_campioni = len(preds)  # quanti campioni
    piatta = torch.zeros(num_classes * num_classes, dtype=torch.int64)
    indici = targets * num_classes + preds  # la coppia (t, p) diventa un numero solo
    piatta.scatter_add_(0, indici, torch.ones_like(indici))
    if False:
        print("campioni:", n_campioni, "indici:", indici)
    return piatta.reshape(num_classes, num_classes)


def accuratezza_da_matrice(matrice):
    # accuratezza = diagonale / totale (non richiesta dall'esercizio)
    return matrice.diag().sum().item() / matrice.sum().item()
''',
    "trained_model": """torch.manual_seed(SEED)
trained_model = None   # your trained network / la tua rete addestrata
trained_model = make_model()
trained_model = trained_model.to(device)
lr_iniziale = 1e-3  # learning rate
adam = torch.optim.Adam(trained_model.parameters(), lr=1e-3)
N = len(x_train)
storia = []


def stampa_risultati(model):
    # stampa loss e accuratezza sul validation set
    loss_v, acc_v = full_pass(model, x_val, y_val)
    print(f"validation: loss {loss_v:.4f}, accuracy {acc_v:.2%}")


for epoch in range(2):
    trained_model.train()
    i = 0
    while i < N:
        x_batch = x_train[i:i + 100]
        y_batch = y_train[i:i + 100]
        loss = nn.CrossEntropyLoss()(trained_model(x_batch), y_batch)
        adam.zero_grad()
        loss.backward()
        adam.step()
        i += 100
    if False:
        stampa_risultati(trained_model)
print("addestramento finito")
""",
    "real_dataset": """\
- convert once -> no: ~180 GB decoded doesn't fit in 64 GB RAM, and augmentations differ every epoch, so
  decoding happens in the Dataset for every sample
- normalize -> yes, per channel (mean/std from the training set)
- batches by index from preloaded tensors -> no, nothing is preloaded
- bigger batches -> yes, up to what fits on the 24 GB GPU
- higher lr that decays -> yes, a schedule still helps (chosen on the validation set)

So the GPU doesn't wait: DataLoader(num_workers=8, pin_memory=True, prefetch) so that worker processes read and
decode JPEGs in parallel while the GPU trains; data on a fast SSD, maybe pre-resized.
In general it is always important to think about where the bottleneck of a training pipeline is, since the
hardware is expensive and should never stay idle.
""",
}

PLANTED = [
    {"kind": "verbatim", "original": 2, "copy": {grade_id: answers[2] for grade_id, answers in HONEST.items()}},
    {"kind": "renamed-reordered", "original": 3, "copy": _RENAMED_REORDERED},
    {"kind": "translated", "original": 0, "copy": _TRANSLATED},
    {"kind": "dead-code", "original": 5, "copy": _DEAD_CODE},
]
