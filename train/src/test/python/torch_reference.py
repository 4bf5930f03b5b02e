"""PyTorch reference numbers for dev.adjoint.train.TorchAgreementTest.

Reads the initial LeNet weights and the batches the Java test wrote (safetensors, read here with
numpy and struct so the `safetensors` package is not needed), trains the same LeNet in PyTorch
for the same steps with SGD+momentum and with AdamW, runs BatchNorm and Dropout on the test's
inputs, and prints the numbers as JSON. It also writes the SGD-trained weights as safetensors
(torch_trained.safetensors) with the logits of batch 0 for the Java side to load.

usage: python3 torch_reference.py DIR STEPS   (DIR holds init.safetensors and batches.safetensors)
"""
import json, struct, sys
import numpy as np
import torch

DT = {'F32': np.float32, 'F64': np.float64, 'I32': np.int32, 'I64': np.int64}

def read(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    out = {}
    for k, v in json.loads(b[8:8 + n]).items():
        if k == '__metadata__':
            continue
        s, e = v['data_offsets']
        out[k] = np.frombuffer(b[8 + n + s:8 + n + e], dtype=DT[v['dtype']]).reshape(v['shape'])
    return out

def write(path, tensors):
    header, blobs, off = {}, [], 0
    for k, a in tensors.items():
        a = np.ascontiguousarray(a)
        code = {v: k2 for k2, v in DT.items()}[a.dtype.type]
        d = a.tobytes()
        header[k] = {'dtype': code, 'shape': list(a.shape), 'data_offsets': [off, off + len(d)]}
        off += len(d)
        blobs.append(d)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    open(path, 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))

def lenet():
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))

def main():
    d, steps = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(1)
    init = {k: torch.from_numpy(v.copy()) for k, v in read(d + '/init.safetensors').items()}
    data = read(d + '/batches.safetensors')
    nb = len([k for k in data if k.startswith('x')])
    out = {}
    for name in ['sgd', 'adamw']:
        model = lenet()
        model.load_state_dict(init)
        opt = (torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if name == 'sgd'
               else torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01))
        losses = []
        for s in range(steps):
            x = torch.from_numpy(data['x%d' % (s % nb)].copy())
            y = torch.from_numpy(data['y%d' % (s % nb)].astype(np.int64))
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        out[name] = losses
        if name == 'sgd':
            sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
            write(d + '/torch_trained.safetensors', sd)
            with torch.no_grad():
                logits = model(torch.from_numpy(data['x0'].copy())).numpy()
            out['sgd_logits0'] = logits.reshape(-1).tolist()
    # BatchNorm: two training-mode forwards, then the running statistics.
    bn = torch.nn.BatchNorm2d(3)
    bx = torch.from_numpy(data['bn_x'].copy())
    bn(bx)
    bn(bx * 2 + 1)
    out['bn_running_mean'] = bn.running_mean.tolist()
    out['bn_running_var'] = bn.running_var.tolist()
    # Dropout: the kept fraction and the scale of kept elements.
    torch.manual_seed(0)
    ones = torch.ones(100000)
    dp = torch.nn.functional.dropout(ones, p=0.3, training=True)
    kept = dp[dp != 0]
    out['dropout_kept_fraction'] = kept.numel() / ones.numel()
    out['dropout_scale'] = kept.mean().item()
    # Small MLP under the other optimizers, clipping and schedules (10 steps each).
    minit = {k: torch.from_numpy(v.copy()) for k, v in read(d + '/mlp_init.safetensors').items()}
    mx = torch.from_numpy(data['mx'].copy())
    my = torch.from_numpy(data['my'].astype(np.int64))
    import math
    def warm_cos(k):
        return min(1.0, (k + 1) / 3) * (1 + math.cos(math.pi * min(k, 10) / 10)) / 2
    configs = {
        'sgd_nesterov_wd': (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3), None, None),
        'rmsprop': (lambda p: torch.optim.RMSprop(p, lr=1e-2), None, None),
        'adam_l2': (lambda p: torch.optim.Adam(p, lr=1e-2, weight_decay=1e-2), None, None),
        'sgd_clip_warmup_cosine': (lambda p: torch.optim.SGD(p, lr=0.1), 0.5, lambda o: torch.optim.lr_scheduler.LambdaLR(o, warm_cos)),
        'sgd_step_schedule': (lambda p: torch.optim.SGD(p, lr=0.1), None, lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
    }
    for name, (make, clip, sched) in configs.items():
        model = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 5))
        model.load_state_dict(minit)
        opt = make(model.parameters())
        sch = sched(opt) if sched else None
        losses = []
        for s in range(10):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(mx), my)
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            if sch:
                sch.step()
            losses.append(loss.item())
        out[name] = losses
    # LSTM and GRU (batch first) with Java's weights on Java's sequence.
    rx = torch.from_numpy(data['rnn_x'].copy())
    for name, cls in [('lstm', torch.nn.LSTM), ('gru', torch.nn.GRU)]:
        m = cls(3, 4, batch_first=True)
        m.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in read(d + '/%s.safetensors' % name).items()})
        with torch.no_grad():
            out[name] = m(rx)[0].reshape(-1).tolist()
    print(json.dumps(out))

if __name__ == '__main__':
    main()
