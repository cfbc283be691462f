"""Plausible wrong answers to the auto-graded exercises of lesson 01 (tensors).

WRONG_ANSWERS = {answer grade id: [(why, the answer cell's whole source, as a student would write it), ...]}.
Each one must fail the exercise's VISIBLE test cell (an AssertionError or another exception) when run after
the release's cells that precede the answer; the reference solution passes it.
"""

WRONG_ANSWERS = {
    "make_grid": [
        ("hard-coded for the 3 x 4 grid of the try-it cell",
         "def make_grid(rows, cols):\n"
         "    return torch.arange(12, dtype=torch.float32).view(3, 4)\n"),
        ("arange without a dtype: int64, not float32",
         "def make_grid(rows, cols):\n"
         "    return torch.arange(rows * cols).view(rows, cols)\n"),
        ("filled column by column: the transpose of the grid",
         "def make_grid(rows, cols):\n"
         "    return torch.arange(rows * cols, dtype=torch.float32).view(cols, rows).t()\n"),
        ("off by one: counts from 1",
         "def make_grid(rows, cols):\n"
         "    return torch.arange(1, rows * cols + 1, dtype=torch.float32).view(rows, cols)\n"),
        ("a NumPy array, not a tensor",
         "def make_grid(rows, cols):\n"
         "    return np.arange(rows * cols, dtype=np.float32).reshape(rows, cols)\n"),
    ],
    "to_float64_copy": [
        ("from_numpy(...).double() converts nothing for a float64 array, so it still shares memory",
         "def to_float64_copy(array):\n"
         "    return torch.from_numpy(array).double()\n"),
        ("as_tensor shares memory whenever it can",
         "def to_float64_copy(array):\n"
         "    return torch.as_tensor(array, dtype=torch.float64)\n"),
        ("torch.tensor without a dtype keeps the array's dtype: an int32 array stays int32",
         "def to_float64_copy(array):\n"
         "    return torch.tensor(array)\n"),
        ("astype copies, but returns a NumPy array, not a tensor",
         "def to_float64_copy(array):\n"
         "    return array.astype(np.float64)\n"),
    ],
    "pairwise_differences": [
        ("no new dimensions: (3,) - (4,) does not broadcast",
         "def pairwise_differences(a, b):\n"
         "    return a - b\n"),
        ("the sign is flipped: b[j] - a[i]",
         "def pairwise_differences(a, b):\n"
         "    return b[None, :] - a[:, None]\n"),
        ("float() turns float64 inputs into float32",
         "def pairwise_differences(a, b):\n"
         "    return a.float()[:, None] - b.float()[None, :]\n"),
        ("a list of lists built with loops, not a tensor",
         "def pairwise_differences(a, b):\n"
         "    return [[x - y for y in b.tolist()] for x in a.tolist()]\n"),
        ("unsqueeze_ reshapes the caller's tensor in place",
         "def pairwise_differences(a, b):\n"
         "    a.unsqueeze_(1)\n"
         "    return a - b\n"),
    ],
    "row_proportions": [
        ("no keepdim: the (N,) row sums divide the columns (silently wrong on a square table)",
         "def row_proportions(counts):\n"
         "    return counts / counts.sum(dim=1)\n"),
        ("integer division: int64 zeros and ones",
         "def row_proportions(counts):\n"
         "    return counts // counts.sum(dim=1, keepdim=True)\n"),
        ("float() turns a float64 table into float32",
         "def row_proportions(counts):\n"
         "    counts = counts.float()\n"
         "    return counts / counts.sum(dim=1, keepdim=True)\n"),
        ("dim=0: proportions per column",
         "def row_proportions(counts):\n"
         "    return counts / counts.sum(dim=0, keepdim=True)\n"),
    ],
    "standardize_columns": [
        ("NumPy's convention (divides by N), not torch's default std",
         "def standardize_columns(x):\n"
         "    return (x - x.mean(dim=0)) / x.std(dim=0, correction=0)\n"),
        ("in place: x itself is standardized",
         "def standardize_columns(x):\n"
         "    x -= x.mean(dim=0)\n"
         "    x /= x.std(dim=0)\n"
         "    return x\n"),
        ("float() turns float64 data into float32",
         "def standardize_columns(x):\n"
         "    x = x.float()\n"
         "    return (x - x.mean(dim=0)) / x.std(dim=0)\n"),
        ("rows instead of columns",
         "def standardize_columns(x):\n"
         "    return (x - x.mean(dim=1, keepdim=True)) / x.std(dim=1, keepdim=True)\n"),
    ],
    "flatten_images": [
        ("784 written in the code: only MNIST-sized images work",
         "def flatten_images(batch):\n"
         "    return batch.view(batch.shape[0], 784)\n"),
        ("clone(): right values, but a copy",
         "def flatten_images(batch):\n"
         "    return batch.reshape(batch.shape[0], -1).clone()\n"),
        ("view(-1) flattens the batch dimension too",
         "def flatten_images(batch):\n"
         "    return batch.view(-1)\n"),
        ("channels moved last before flattening: another pixel order, and a copy when C > 1",
         "def flatten_images(batch):\n"
         "    return batch.permute(0, 2, 3, 1).reshape(batch.shape[0], -1)\n"),
    ],
}
