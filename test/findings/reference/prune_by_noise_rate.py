"""Independent numpy rendering of cleanlab's find_label_issues(filter_by='prune_by_noise_rate'),
used once to pin the expected results in test/findings/label-errors.test.ts (PyPI, and so cleanlab
itself, cannot be installed here). Run: /usr/bin/python3 prune_by_noise_rate.py <labels.npy> <pred_probs.npy>
Prints: count, then the flagged indices ranked by self-confidence (ties by index)."""
import sys
import numpy as np


def round_preserving_sum(floats):
    floats = np.asarray(floats, dtype=float)
    ints = floats.round()
    orig = np.sum(floats).round()
    have = np.sum(ints).round()
    while abs(have - orig) > 1e-6:
        diff = np.round(orig - have)
        inc = -1 if diff < 0 else 1
        changes = min(int(abs(diff)), len(floats))
        idx = np.argsort(floats - ints, kind="stable")[::-inc][:changes]
        for i in idx:
            ints[i] += inc
        have = np.sum(ints).round()
    return ints.astype(int)


def find(labels, p):
    n, k = p.shape
    counts = np.bincount(labels, minlength=k)
    t = np.array([p[labels == j, j].mean() if counts[j] else 2.0 for j in range(k)])
    t = np.clip(t, 2e-6, None)
    conf = p >= t - 1e-6
    nconf = conf.sum(1)
    guess = np.where(nconf > 1, p.argmax(1), conf.argmax(1))
    cj = np.zeros((k, k), dtype=np.int64)
    sel = nconf > 0
    np.add.at(cj, (labels[sel], guess[sel]), 1)
    np.fill_diagonal(cj, cj.diagonal().clip(min=1))
    cal = (cj.T / np.clip(cj.sum(1), 1e-100, None) * counts).T
    cal = cal / np.clip(cal.sum(), 1e-100, None) * counts.sum()
    cal = np.array([round_preserving_sum(r) for r in cal])
    pcm = cal.T.astype(float)
    diag = pcm.diagonal().copy()
    newd = np.maximum(diag, 1)
    per = (newd - diag) / np.maximum(np.count_nonzero(pcm, axis=0) - 1.0, 1.0)
    m = pcm - per
    m[m < 0] = 0
    np.fill_diagonal(m, newd)
    m = m.astype(int)
    mask = np.zeros(n, dtype=bool)
    for c in range(k):
        rows = np.where(labels == c)[0]
        if len(rows) <= 1:
            continue
        for j in range(k):
            num = m[j, c]
            if j != c and num > 0:
                margin = p[rows, j] - p[rows, c]
                order = np.argsort(-margin, kind="stable")
                mask[rows[order[:num]]] = True
    mask[p.argmax(1) == labels] = False
    idx = np.where(mask)[0]
    sc = p[idx, labels[idx]]
    return idx[np.lexsort((idx, sc))]


if __name__ == "__main__":
    labels = np.load(sys.argv[1]).astype(np.int64)
    p = np.load(sys.argv[2])
    r = find(labels, p)
    print(len(r))
    print(",".join(map(str, r)))
