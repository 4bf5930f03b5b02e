#!/usr/bin/python3
"""Makes the Fashion-MNIST sample bundled with bench (the fallback when the full set is missing).

Usage: make_sample.py [SRC_DIR [DEST_DIR [TRAIN_N [TEST_N]]]]
Defaults: /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist),
bench/src/main/resources/dev/adjoint/bench/data/sample, 4000, 1000. Keeps the first N images and
labels of each split (the splits are shuffled, so every class is there) in the same IDX format.
Deterministic: gzip's timestamp is zeroed, so rerunning gives identical files.
"""
import gzip, os, struct, sys

src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "src/main/resources/dev/adjoint/bench/data/sample")
sizes = {"train": int(sys.argv[3]) if len(sys.argv) > 3 else 4000, "t10k": int(sys.argv[4]) if len(sys.argv) > 4 else 1000}

for split, n in sizes.items():
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        name = f"{split}-{kind}.gz"
        with gzip.open(os.path.join(src, name)) as f:
            data = f.read()
        magic = struct.unpack(">i", data[:4])[0]
        rank = magic & 0xff
        dims = list(struct.unpack(">" + "i" * rank, data[4:4 + 4 * rank]))
        per = 1
        for d in dims[1:]:
            per *= d
        body = data[4 + 4 * rank: 4 + 4 * rank + n * per]
        dims[0] = n
        out = struct.pack(">i", magic) + struct.pack(">" + "i" * rank, *dims) + body
        with open(os.path.join(dst, name), "wb") as f:
            f.write(gzip.compress(out, compresslevel=9, mtime=0))
        print(name, dims)
