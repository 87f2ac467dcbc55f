//! The pickle that `torch.save` writes as `data.pkl`, for a dictionary of state dicts: just the
//! opcodes that takes (protocol 2), and only globals that `torch.load(weights_only=True)`
//! accepts (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, `torch.FloatStorage`,
//! `torch.LongStorage`). No crate writes PyTorch's pickles (serde-pickle cannot express its
//! globals and persistent ids), and reading is burn-store's.

use burn::tensor::{DType, TensorData};

/// One tensor of a state dict, its bytes kept in storage `storage` (the archive's `data/{storage}`).
pub struct TensorEntry<'a> {
    /// The state dict key.
    pub key: &'a str,
    /// The tensor (f32 or i64).
    pub data: &'a TensorData,
    /// The storage's name in the archive.
    pub storage: usize,
}

/// `{name: OrderedDict(key -> tensor), ...}` for each `(name, tensors)` of `dicts`.
pub fn state_dicts(dicts: &[(&str, Vec<TensorEntry<'_>>)]) -> Vec<u8> {
    let mut p = Pickler(Vec::new());
    p.0.extend_from_slice(&[0x80, 2]); // PROTO 2
    p.0.push(b'}'); // EMPTY_DICT
    p.0.push(b'('); // MARK
    for (name, tensors) in dicts {
        p.string(name);
        p.ordered_dict();
        p.0.push(b'(');
        for entry in tensors {
            p.string(entry.key);
            p.tensor(entry);
        }
        p.0.push(b'u'); // SETITEMS
    }
    p.0.push(b'u');
    p.0.push(b'.'); // STOP
    p.0
}

struct Pickler(Vec<u8>);

impl Pickler {
    fn string(&mut self, s: &str) {
        self.0.push(b'X'); // BINUNICODE
        self.0.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn int(&mut self, v: usize) {
        let v = i32::try_from(v).expect("a tensor dimension below 2^31");
        self.0.push(b'J'); // BININT
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn global(&mut self, module: &str, name: &str) {
        self.0.push(b'c'); // GLOBAL
        self.0.extend_from_slice(format!("{module}\n{name}\n").as_bytes());
    }

    fn tuple_of(&mut self, values: &[usize]) {
        self.0.push(b'(');
        for &v in values {
            self.int(v);
        }
        self.0.push(b't'); // TUPLE
    }

    /// `collections.OrderedDict()`.
    fn ordered_dict(&mut self) {
        self.global("collections", "OrderedDict");
        self.0.push(b')'); // EMPTY_TUPLE
        self.0.push(b'R'); // REDUCE
    }

    /// `torch._utils._rebuild_tensor_v2(storage, 0, shape, stride, False, OrderedDict())`, the
    /// storage given as the persistent id `('storage', <type>, '<n>', 'cpu', numel)`.
    fn tensor(&mut self, entry: &TensorEntry<'_>) {
        let shape = entry.data.shape.as_slice();
        let numel: usize = shape.iter().product();
        let storage_type = match entry.data.dtype {
            DType::F32 => "FloatStorage",
            DType::I64 => "LongStorage",
            other => panic!("no PyTorch storage for {other:?} here"),
        };
        let mut stride = vec![1usize; shape.len()];
        for i in (0..shape.len().saturating_sub(1)).rev() {
            stride[i] = stride[i + 1] * shape[i + 1];
        }
        self.global("torch._utils", "_rebuild_tensor_v2");
        self.0.push(b'(');
        self.0.push(b'(');
        self.string("storage");
        self.global("torch", storage_type);
        self.string(&entry.storage.to_string());
        self.string("cpu");
        self.int(numel);
        self.0.push(b't');
        self.0.push(b'Q'); // BINPERSID
        self.int(0); // storage offset
        self.tuple_of(shape);
        self.tuple_of(&stride);
        self.0.push(0x89); // NEWFALSE: requires_grad
        self.ordered_dict(); // backward hooks
        self.0.push(b't');
        self.0.push(b'R');
    }
}
