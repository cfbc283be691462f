"""Plausible wrong answers to the auto-graded exercises of lesson 02 (autograd).

WRONG_ANSWERS = {answer grade id: [(why, the answer cell's whole source, as a student would write it), ...]}.
Each one must fail the exercise's VISIBLE test cell (an AssertionError or another exception) when run after
the release's cells that precede the answer; the reference solution passes it.
"""

WRONG_ANSWERS = {
    "grad_by_hand": [
        ("returns f itself, not its gradient",
         "def grad_by_hand(x):\n"
         "    return x**3 - 2 * x\n"),
        ("forgets the derivative of -2x",
         "def grad_by_hand(x):\n"
         "    return 3 * x**2\n"),
        ("uses autograd, which records nothing inside the tests' no_grad",
         "def grad_by_hand(x):\n"
         "    x = x.clone().requires_grad_(True)\n"
         "    (x**3 - 2 * x).sum().backward()\n"
         "    return x.grad\n"),
        ("rebuilt from Python floats: a float64 input comes back float32",
         "def grad_by_hand(x):\n"
         "    return torch.tensor([3 * v**2 - 2 for v in x.flatten().tolist()]).reshape(x.shape)\n"),
    ],
    "autograd_gradient": [
        ("switches tracking on in the caller's x and leaves the gradient in x.grad",
         "def autograd_gradient(f, x):\n"
         "    x.requires_grad_(True)\n"
         "    f(x).backward()\n"
         "    return x.grad\n"),
        ("tidies up afterwards, but wipes the caller's existing .grad and its requires_grad",
         "def autograd_gradient(f, x):\n"
         "    x.requires_grad_(True)\n"
         "    x.grad = None\n"
         "    f(x).backward()\n"
         "    grad = x.grad\n"
         "    x.grad = None\n"
         "    x.requires_grad_(False)\n"
         "    return grad\n"),
        ("a tracked x is used as is: backward() adds into the caller's existing .grad",
         "def autograd_gradient(f, x):\n"
         "    if not x.requires_grad:\n"
         "        x = x.detach().requires_grad_(True)\n"
         "    f(x).backward()\n"
         "    return x.grad\n"),
        ("torch.autograd.grad on the caller's x: fails when x does not require gradients",
         "def autograd_gradient(f, x):\n"
         "    (grad,) = torch.autograd.grad(f(x), x)\n"
         "    return grad\n"),
        ("clone() without detach(): on a tracked x the copy is not a leaf, x.grad receives the gradient",
         "def autograd_gradient(f, x):\n"
         "    leaf = x.clone().requires_grad_(True)\n"
         "    f(leaf).backward()\n"
         "    return leaf.grad\n"),
        ("create_graph=True: the gradient returned still requires gradients",
         "def autograd_gradient(f, x):\n"
         "    leaf = x.detach().clone().requires_grad_(True)\n"
         "    f(leaf).backward(create_graph=True)\n"
         "    return leaf.grad\n"),
    ],
    "gradient_steps": [
        ("the original bug: gradients are never reset",
         "def gradient_steps(loss_fn, w0, lr, steps):\n"
         "    w = w0.detach().clone().requires_grad_(True)\n"
         "    for _ in range(steps):\n"
         "        loss = loss_fn(w)\n"
         "        loss.backward()\n"
         "        with torch.no_grad():\n"
         "            w -= lr * w.grad\n"
         "    return w.detach()\n"),
        ("zero_() before the first backward(): .grad is still None",
         "def gradient_steps(loss_fn, w0, lr, steps):\n"
         "    w = w0.detach().clone().requires_grad_(True)\n"
         "    for _ in range(steps):\n"
         "        w.grad.zero_()\n"
         "        loss_fn(w).backward()\n"
         "        with torch.no_grad():\n"
         "            w -= lr * w.grad\n"
         "    return w.detach()\n"),
        ("trains the caller's w0 itself",
         "def gradient_steps(loss_fn, w0, lr, steps):\n"
         "    w = w0.requires_grad_(True)\n"
         "    for _ in range(steps):\n"
         "        w.grad = None\n"
         "        loss_fn(w).backward()\n"
         "        with torch.no_grad():\n"
         "            w -= lr * w.grad\n"
         "    return w.detach()\n"),
        ("ignores the loss it is given and uses the notebook's demo_loss",
         "def gradient_steps(loss_fn, w0, lr, steps):\n"
         "    w = w0.detach().clone().requires_grad_(True)\n"
         "    for _ in range(steps):\n"
         "        w.grad = None\n"
         "        demo_loss(w).backward()\n"
         "        with torch.no_grad():\n"
         "            w -= lr * w.grad\n"
         "    return w.detach()\n"),
        ("returns w still tracked by autograd",
         "def gradient_steps(loss_fn, w0, lr, steps):\n"
         "    w = w0.detach().clone().requires_grad_(True)\n"
         "    for _ in range(steps):\n"
         "        w.grad = None\n"
         "        loss_fn(w).backward()\n"
         "        with torch.no_grad():\n"
         "            w -= lr * w.grad\n"
         "    return w\n"),
        ("detach() without clone(): w shares w0's memory, so w0 is trained in place",
         "def gradient_steps(loss_fn, w0, lr, steps):\n"
         "    w = w0.detach().requires_grad_(True)\n"
         "    for _ in range(steps):\n"
         "        w.grad = None\n"
         "        loss_fn(w).backward()\n"
         "        with torch.no_grad():\n"
         "            w -= lr * w.grad\n"
         "    return w.detach()\n"),
    ],
    "predict_no_grad": [
        ("freezes the caller's model for good instead of switching tracking off for the call",
         "def predict_no_grad(model, x):\n"
         "    model.requires_grad_(False)\n"
         "    return model(x)\n"),
        ("detach(): builds the graph, then cuts it",
         "def predict_no_grad(model, x):\n"
         "    return model(x).detach()\n"),
        ("eval() does not switch autograd off",
         "def predict_no_grad(model, x):\n"
         "    model.eval()\n"
         "    return model(x)\n"),
        ("switches tracking off for the whole notebook",
         "def predict_no_grad(model, x):\n"
         "    torch.set_grad_enabled(False)\n"
         "    return model(x)\n"),
        ("detaches the input only: the parameters still build a graph",
         "def predict_no_grad(model, x):\n"
         "    return model(x.detach())\n"),
    ],
    "freeze_all_but_last": [
        ("keeps the last two parameter tensors trainable (right only when the last module has a bias)",
         "def freeze_all_but_last(model):\n"
         "    params = list(model.parameters())\n"
         "    for p in params[:-2]:\n"
         "        p.requires_grad_(False)\n"
         "    return params[-2:]\n"),
        ("eval() freezes nothing",
         "def freeze_all_but_last(model):\n"
         "    model.eval()\n"
         "    return list(model[-1].parameters())\n"),
        ("freezes everything, the last layer too",
         "def freeze_all_but_last(model):\n"
         "    model.requires_grad_(False)\n"
         "    return list(model[-1].parameters())\n"),
        ("freezes only the first layer",
         "def freeze_all_but_last(model):\n"
         "    model[0].requires_grad_(False)\n"
         "    return [p for p in model.parameters() if p.requires_grad]\n"),
        ("slices the flat parameter list: the last layer's weight is frozen too",
         "def freeze_all_but_last(model):\n"
         "    params = list(model.parameters())\n"
         "    for p in params[:-1]:\n"
         "        p.requires_grad_(False)\n"
         "    return params[-1:]\n"),
        ("returns every parameter, the frozen ones included",
         "def freeze_all_but_last(model):\n"
         "    model[:-1].requires_grad_(False)\n"
         "    return list(model.parameters())\n"),
        ("returns the generator model[-1].parameters(), not a list",
         "def freeze_all_but_last(model):\n"
         "    model[:-1].requires_grad_(False)\n"
         "    return model[-1].parameters()\n"),
        ("returns copies of the last module's parameters, not those very tensors",
         "def freeze_all_but_last(model):\n"
         "    model[:-1].requires_grad_(False)\n"
         "    return [p.detach().clone() for p in model[-1].parameters()]\n"),
    ],
}
