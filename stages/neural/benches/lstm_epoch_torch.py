"""One LSTM training epoch in PyTorch on the CPU: the Python peers' `train_lstm` step
(../shared/anchors/python-peers/bench.py, `_train_lstm`) on random data of the same shape.

    PEERS_THREADS=1 python lstm_epoch_torch.py 200000

LSTM(150 -> 64) + Linear(64 -> 3) on the last step, windows of 60 rows gathered on the fly
from a float32 matrix, batches of 512, Adam 1e-3, cross-entropy. The argument is the number
of windows (default 200,000). Prints one line to stderr. The Rust side is lstm_epoch.rs.
"""
import os
import sys
import time

import numpy as np
import torch

windows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
torch.set_num_threads(int(os.environ.get("PEERS_THREADS", "1")))
torch.manual_seed(0)
seq, bs, nf = 60, 512, 150
rng = np.random.default_rng(1)
rows = windows + seq - 1
Xt = torch.from_numpy(rng.uniform(-2, 2, size=(rows, nf)).astype(np.float32))
yt = torch.from_numpy(rng.integers(0, 3, size=rows))
ends = np.arange(seq - 1, rows)
offs = torch.arange(-seq + 1, 1)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(nf, 64, batch_first=True)
        self.head = torch.nn.Linear(64, 3)

    def forward(self, x):
        o, _ = self.lstm(x)
        return self.head(o[:, -1])


start = time.perf_counter()
net = Net()
opt = torch.optim.Adam(net.parameters(), 1e-3)
lossf = torch.nn.CrossEntropyLoss()
perm = torch.from_numpy(np.random.default_rng(2).permutation(ends))
for b in range(0, windows, bs):
    e = perm[b:b + bs]
    xb = Xt[e[:, None] + offs[None, :]]
    loss = lossf(net(xb), yt[e])
    opt.zero_grad()
    loss.backward()
    opt.step()
secs = time.perf_counter() - start
print(f"torch lstm epoch: {windows} windows x {seq} x {nf}, batch {bs}: {secs:.2f} s wall, {windows / secs:.0f} windows/s, loss {float(loss):.4f}", file=sys.stderr)
