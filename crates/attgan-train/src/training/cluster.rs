//! Training on several machines: the group of processes ([`Cluster`]: how many nodes, which one
//! this is, where node 0 listens) and the link between them ([`NodeLink`]).
//!
//! Each node runs the same command on the same data with its own devices. Every node draws the
//! same whole batch from the shared seeds and takes its part (node `r` of `N` the rows
//! `r * n / N ..`), which its devices share as on one machine ([`super::DataParallel`]). Node 0
//! (the coordinator) listens on the given address; the others connect to it. Per step, every node
//! sends its devices' averaged gradients (one flat vector) to node 0, which sums them in rank
//! order, divides by the number of nodes, and sends the same bytes back to all: every node then
//! applies the same Adam update to identical weights, which the group checks (a hash of every
//! weight) at the start and at every checkpoint.
//!
//! A node that dies closes its connection: node 0 then tells the others why and every node fails
//! with a message naming the node, instead of waiting forever. A node that stops answering
//! without closing (a hung machine, a cut cable) is caught by the read timeout.
//!
//! burn-collective 0.21 has a global (multi-node) level, but its second global all-reduce never
//! completes (docs/training.md, "On several machines"); this link is plain TCP from the standard
//! library instead: one exchange of one flat vector per step, which is all data parallelism needs.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::error::{Result, TrainError};

/// A group of training processes, usually one per machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// How many nodes train together.
    pub nodes: usize,
    /// This node's number, 0 to `nodes - 1`; node 0 coordinates (and alone writes sample
    /// grids and evaluates).
    pub rank: usize,
    /// `HOST:PORT` where node 0 listens and the others connect.
    pub coordinator: String,
    /// How long to wait for another node: to join at the start, and for its share of a step.
    pub timeout: Duration,
}

impl Cluster {
    /// The default wait for another node (10 minutes: a GPU's first steps may compile kernels for
    /// minutes).
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

    /// Node `rank` of `nodes`, whose node 0 listens at `coordinator` (`HOST:PORT`).
    pub fn new(nodes: usize, rank: usize, coordinator: impl Into<String>) -> Result<Self> {
        let coordinator = coordinator.into();
        if nodes == 0 {
            return Err(TrainError::Options("nodes must be at least 1".into()));
        }
        if rank >= nodes {
            return Err(TrainError::Options(format!(
                "node rank {rank} is not below the number of nodes {nodes} (ranks are 0 to {})",
                nodes - 1
            )));
        }
        if coordinator.rsplit_once(':').and_then(|(_, port)| port.parse::<u16>().ok()).is_none() {
            return Err(TrainError::Options(format!(
                "coordinator address {coordinator:?} is not HOST:PORT (e.g. 10.0.0.1:29500)"
            )));
        }
        Ok(Self { nodes, rank, coordinator, timeout: Self::DEFAULT_TIMEOUT })
    }

    /// Wait at most `timeout` for another node.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// What a node tells node 0 when it joins: everything that must agree for the nodes to train as
/// one.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Hello {
    /// The node's rank.
    pub rank: usize,
    /// The number of nodes it was told.
    pub nodes: usize,
    /// Its number of devices.
    pub devices: usize,
    /// Whether it resumes a run (`--resume`).
    pub resume: bool,
    /// When resuming: the steps of its complete checkpoints (the group resumes from the newest
    /// one every node has, so that a node killed while writing one costs nothing).
    pub checkpoints: Vec<usize>,
    /// The number of training images it sees.
    pub train_images: usize,
    /// Its run's options (`training.json`).
    pub options: serde_json::Value,
}

/// Message kinds on the wire: a frame is the kind (1 byte), the payload's length (8 bytes, little
/// endian) and the payload.
const HELLO: u8 = 1;
const WELCOME: u8 = 2;
const ABORT: u8 = 3;
const SHARE: u8 = 4;
const RESULT: u8 = 5;

/// What a [`SHARE`] carries, as its first byte: nodes at different points of a step are caught.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Exchange {
    Gradients = 1,
    Losses = 2,
    Stop = 3,
    Weights = 4,
}

impl Exchange {
    fn name(self) -> &'static str {
        match self {
            Exchange::Gradients => "the gradients",
            Exchange::Losses => "the losses",
            Exchange::Stop => "whether to stop",
            Exchange::Weights => "the weights' hash",
        }
    }
}

/// The connections of a node to the group: node 0 holds one to every other node, the others one
/// to node 0.
pub struct NodeLink {
    rank: usize,
    nodes: usize,
    coordinator: String,
    /// Node 0: the connections to nodes 1.., in rank order. Others: the connection to node 0.
    streams: Vec<TcpStream>,
}

impl std::fmt::Debug for NodeLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "node {} of {} (coordinator {})", self.rank, self.nodes, self.coordinator)
    }
}

fn cluster_error(message: impl Into<String>) -> TrainError {
    TrainError::Cluster(message.into())
}

impl NodeLink {
    /// Joins the group: node 0 waits for every other node and checks that their [`Hello`]s
    /// agree with its own (it answers each with the first disagreement), the others connect to
    /// it (retrying until the timeout while it starts). Also returns the step the group starts
    /// from: 0, or when resuming the newest checkpoint every node has.
    pub fn join(cluster: &Cluster, hello: &Hello) -> Result<(Self, usize)> {
        let mut link = Self {
            rank: cluster.rank,
            nodes: cluster.nodes,
            coordinator: cluster.coordinator.clone(),
            streams: Vec::new(),
        };
        if cluster.nodes == 1 {
            return Ok((link, hello.checkpoints.iter().copied().max().unwrap_or(0)));
        }
        let payload = serde_json::to_vec(hello).map_err(|e| cluster_error(format!("encoding the hello: {e}")))?;
        if cluster.rank == 0 {
            link.streams = accept_all(cluster)?;
            let mut hellos = Vec::with_capacity(cluster.nodes - 1);
            for (i, stream) in link.streams.iter_mut().enumerate() {
                let (kind, bytes) =
                    read_frame(stream).map_err(|e| cluster_error(format!("a joining node ({i}): {e}")))?;
                let theirs: Hello = match kind {
                    HELLO => serde_json::from_slice(&bytes)
                        .map_err(|e| cluster_error(format!("a joining node sent an unreadable hello: {e}")))?,
                    _ => {
                        return Err(cluster_error(format!(
                            "a joining node sent message kind {kind} instead of a hello"
                        )));
                    }
                };
                hellos.push(theirs);
            }
            let verdict = check_hellos(hello, &hellos);
            // Put the connections in rank order (they were accepted in arrival order).
            if verdict.is_ok() {
                let mut ordered: Vec<(usize, TcpStream)> =
                    hellos.iter().map(|h| h.rank).zip(std::mem::take(&mut link.streams)).collect();
                ordered.sort_by_key(|(rank, _)| *rank);
                link.streams = ordered.into_iter().map(|(_, s)| s).collect();
            }
            let (kind, message) = match &verdict {
                Ok(start) => (WELCOME, (*start as u64).to_le_bytes().to_vec()),
                Err(why) => (ABORT, why.clone().into_bytes()),
            };
            for stream in &mut link.streams {
                let _ = write_frame(stream, kind, &message);
            }
            let start = verdict.map_err(cluster_error)?;
            Ok((link, start))
        } else {
            let mut stream = connect(cluster)?;
            write_frame(&mut stream, HELLO, &payload).map_err(|e| link.lost_coordinator(e))?;
            let start = match read_frame(&mut stream).map_err(|e| link.lost_coordinator(e))? {
                (WELCOME, bytes) if bytes.len() == 8 => u64::from_le_bytes(bytes.try_into().expect("8 bytes")) as usize,
                (ABORT, why) => {
                    return Err(cluster_error(format!(
                        "node 0 refused node {}: {}",
                        cluster.rank,
                        String::from_utf8_lossy(&why)
                    )));
                }
                (kind, _) => return Err(cluster_error(format!("node 0 answered message kind {kind} to the hello"))),
            };
            link.streams.push(stream);
            Ok((link, start))
        }
    }

    /// This node's rank.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The number of nodes.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// The mean over the nodes of `values` (the same length on every node): node 0 sums them in
    /// rank order and divides by the number of nodes, and every node gets the same bytes.
    pub fn mean_f32(&mut self, values: Vec<f32>) -> Result<Vec<f32>> {
        let n = self.nodes as f32;
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let result = self.exchange(Exchange::Gradients, bytes, |parts| {
            let decoded = parts.iter().map(|p| f32s(p)).collect::<Vec<_>>();
            check_lengths(&decoded, "gradient values")?;
            let mut sum = decoded[0].clone();
            for other in &decoded[1..] {
                sum.iter_mut().zip(other).for_each(|(s, v)| *s += v);
            }
            Ok(sum.iter().flat_map(|s| (s / n).to_le_bytes()).collect())
        })?;
        Ok(f32s(&result))
    }

    /// The mean over the nodes of `values` in double precision (the step's losses).
    pub fn mean_f64(&mut self, values: Vec<f64>) -> Result<Vec<f64>> {
        let n = self.nodes as f64;
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let result = self.exchange(Exchange::Losses, bytes, |parts| {
            let decoded = parts.iter().map(|p| f64s(p)).collect::<Vec<_>>();
            check_lengths(&decoded, "losses")?;
            let mean = (0..decoded[0].len()).map(|k| decoded.iter().map(|d| d[k]).sum::<f64>() / n).collect::<Vec<_>>();
            Ok(mean.iter().flat_map(|m| m.to_le_bytes()).collect())
        })?;
        Ok(f64s(&result))
    }

    /// Whether any node wants to stop (a limit, Ctrl-C): then all stop at the same step.
    pub fn any(&mut self, wanted: bool) -> Result<bool> {
        let result =
            self.exchange(Exchange::Stop, vec![wanted as u8], |parts| Ok(vec![parts.iter().any(|p| p == &[1]) as u8]))?;
        Ok(result == [1])
    }

    /// Checks that every node's weights hash to node 0's `hash`; `when` says when (for the
    /// error: "at step 40").
    pub fn check_same_weights(&mut self, hash: u64, when: &str) -> Result<()> {
        let when = when.to_string();
        self.exchange(Exchange::Weights, hash.to_le_bytes().to_vec(), |parts| {
            match parts.iter().position(|p| p != &parts[0]) {
                Some(rank) => Err(format!(
                    "node {rank}'s weights differ from node 0's {when}: the nodes no longer train one model \
                     (different builds, data or backends?)"
                )),
                None => Ok(Vec::new()),
            }
        })?;
        Ok(())
    }

    /// One collective exchange: every node sends `payload`; node 0 combines all of them in rank
    /// order and sends the result (or why it failed) to every node.
    fn exchange(
        &mut self,
        what: Exchange,
        payload: Vec<u8>,
        combine: impl FnOnce(&[Vec<u8>]) -> std::result::Result<Vec<u8>, String>,
    ) -> Result<Vec<u8>> {
        if self.nodes == 1 {
            return combine(&[payload]).map_err(cluster_error);
        }
        let mut framed = Vec::with_capacity(payload.len() + 1);
        framed.push(what as u8);
        framed.extend_from_slice(&payload);
        if self.rank != 0 {
            let stream = &mut self.streams[0];
            let answer = write_frame(stream, SHARE, &framed).and_then(|()| read_frame(stream));
            return match answer.map_err(|e| self.lost_coordinator(e))? {
                (RESULT, bytes) => Ok(bytes),
                (ABORT, why) => Err(cluster_error(String::from_utf8_lossy(&why).into_owned())),
                (kind, _) => Err(cluster_error(format!("node 0 answered message kind {kind} to {}", what.name()))),
            };
        }
        let mut parts = vec![payload];
        let mut failure = None;
        for (i, stream) in self.streams.iter_mut().enumerate() {
            let rank = i + 1;
            match read_frame(stream) {
                Ok((SHARE, bytes)) if bytes.first() == Some(&(what as u8)) => parts.push(bytes[1..].to_vec()),
                Ok((SHARE, _)) => {
                    failure = Some(format!(
                        "node {rank} sent something else than {}: the nodes are at different points of the run \
                         (different options or data?)",
                        what.name()
                    ));
                    break;
                }
                Ok((kind, _)) => {
                    failure = Some(format!("node {rank} sent message kind {kind} instead of {}", what.name()));
                    break;
                }
                Err(e) => {
                    failure =
                        Some(format!("node {rank} stopped answering while the group exchanged {}: {e}", what.name()));
                    break;
                }
            }
        }
        let outcome = match failure {
            Some(why) => Err(why),
            None => combine(&parts),
        };
        match outcome {
            Ok(result) => {
                for (i, stream) in self.streams.iter_mut().enumerate() {
                    write_frame(stream, RESULT, &result).map_err(|e| {
                        cluster_error(format!(
                            "node {} stopped answering while the group exchanged {}: {e}",
                            i + 1,
                            what.name()
                        ))
                    })?;
                }
                Ok(result)
            }
            Err(why) => {
                for stream in &mut self.streams {
                    let _ = write_frame(stream, ABORT, why.as_bytes());
                }
                Err(cluster_error(why))
            }
        }
    }

    fn lost_coordinator(&self, e: std::io::Error) -> TrainError {
        cluster_error(format!(
            "node 0 (the coordinator at {}) stopped answering node {}: {e}; see node 0's output for why",
            self.coordinator, self.rank
        ))
    }
}

/// The first disagreement of any node's hello with node 0's, naming the node and the option; or
/// the step the group starts from.
fn check_hellos(mine: &Hello, theirs: &[Hello]) -> std::result::Result<usize, String> {
    let mut seen = vec![false; mine.nodes];
    seen[0] = true;
    for h in theirs.iter() {
        let r = h.rank;
        if h.nodes != mine.nodes {
            return Err(format!("node {r} was started with --nodes {} but node 0 with {}", h.nodes, mine.nodes));
        }
        if r == 0 || r >= mine.nodes || seen[r] {
            return Err(format!("two nodes were started as node {r}; give each node its own rank"));
        }
        seen[r] = true;
        if h.devices != mine.devices {
            return Err(format!(
                "node {r} has {} devices but node 0 has {}; every node needs as many",
                h.devices, mine.devices
            ));
        }
        if let Some(path) = first_difference(&mine.options, &h.options, String::new()) {
            return Err(format!(
                "node {r}'s option {path} differs from node 0's; start every node with the same options"
            ));
        }
        if h.train_images != mine.train_images {
            return Err(format!(
                "node {r} sees {} training images but node 0 sees {}; every node needs the same dataset",
                h.train_images, mine.train_images
            ));
        }
        if h.resume != mine.resume {
            let flag = |resume| if resume { "with --resume" } else { "without --resume" };
            return Err(format!("node {r} was started {} but node 0 {}", flag(h.resume), flag(mine.resume)));
        }
    }
    if !mine.resume {
        return Ok(0);
    }
    let common = mine.checkpoints.iter().filter(|step| theirs.iter().all(|h| h.checkpoints.contains(step))).max();
    common.copied().ok_or_else(|| {
        let all = std::iter::once(mine).chain(theirs).map(|h| format!("node {}: {:?}", h.rank, h.checkpoints));
        format!(
            "the nodes have no checkpoint in common to resume from (steps of each node's checkpoints: {})",
            all.collect::<Vec<_>>().join(", ")
        )
    })
}

/// The path of the first value where two JSON documents differ (`model.enc_dim`), if any.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let sub = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => first_difference(p, q, sub),
                    _ => Some(sub),
                }
            })
        }
        _ if a == b => None,
        _ => Some(if path.is_empty() { "(the whole options)".into() } else { path }),
    }
}

/// Node 0: waits until every other node has connected, or the timeout.
fn accept_all(cluster: &Cluster) -> Result<Vec<TcpStream>> {
    let address = &cluster.coordinator;
    let listener = TcpListener::bind(address).map_err(|e| {
        cluster_error(format!(
            "node 0 cannot listen at {address}: {e} (is it this machine's address, and the port free?)"
        ))
    })?;
    listener.set_nonblocking(true).map_err(|e| cluster_error(format!("listening at {address}: {e}")))?;
    let deadline = Instant::now() + cluster.timeout;
    let mut streams = Vec::with_capacity(cluster.nodes - 1);
    while streams.len() < cluster.nodes - 1 {
        match listener.accept() {
            Ok((stream, _)) => streams.push(configure(stream, cluster.timeout)?),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(cluster_error(format!(
                        "node 0 waited {:.0} s at {address} and {} of {} other nodes joined; start them with \
                         --coordinator {address}",
                        cluster.timeout.as_secs_f64(),
                        streams.len(),
                        cluster.nodes - 1
                    )));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(cluster_error(format!("accepting a node at {address}: {e}"))),
        }
    }
    Ok(streams)
}

/// The other nodes: connects to node 0, retrying while it starts, until the timeout.
fn connect(cluster: &Cluster) -> Result<TcpStream> {
    let address = &cluster.coordinator;
    let deadline = Instant::now() + cluster.timeout;
    loop {
        let last = match address.to_socket_addrs() {
            Ok(addrs) => {
                let mut last = None;
                for a in addrs {
                    match TcpStream::connect_timeout(&a, Duration::from_secs(5)) {
                        Ok(stream) => return configure(stream, cluster.timeout),
                        Err(e) => last = Some(e.to_string()),
                    }
                }
                last.unwrap_or_else(|| "no address".into())
            }
            Err(e) => e.to_string(),
        };
        if Instant::now() >= deadline {
            return Err(cluster_error(format!(
                "node {} could not reach node 0 at {address} within {:.0} s: {last}",
                cluster.rank,
                cluster.timeout.as_secs_f64()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn configure(stream: TcpStream, timeout: Duration) -> Result<TcpStream> {
    let set = || -> std::io::Result<()> {
        stream.set_nonblocking(false)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))
    };
    set().map_err(|e| cluster_error(format!("setting up a connection: {e}")))?;
    Ok(stream)
}

fn write_frame(stream: &mut TcpStream, kind: u8, payload: &[u8]) -> std::io::Result<()> {
    let mut header = [0u8; 9];
    header[0] = kind;
    header[1..].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    stream.write_all(&header)?;
    stream.write_all(payload)?;
    stream.flush()
}

/// The largest frame accepted: far above a model's gradients, far below a stray connection's
/// garbage length.
const MAX_FRAME: u64 = 1 << 34;

fn read_frame(stream: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    let mut header = [0u8; 9];
    stream.read_exact(&mut header).map_err(|e| match e.kind() {
        ErrorKind::UnexpectedEof => std::io::Error::new(ErrorKind::UnexpectedEof, "the connection was closed"),
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            std::io::Error::new(ErrorKind::TimedOut, "no answer within the timeout (--node-timeout)")
        }
        _ => e,
    })?;
    let len = u64::from_le_bytes(header[1..].try_into().expect("8 bytes"));
    if len > MAX_FRAME {
        return Err(std::io::Error::new(ErrorKind::InvalidData, format!("a frame of {len} bytes: not this program")));
    }
    let mut payload = vec![0u8; len as usize];
    stream.read_exact(&mut payload)?;
    Ok((header[0], payload))
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect()
}

fn f64s(bytes: &[u8]) -> Vec<f64> {
    bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()
}

fn check_lengths<T>(parts: &[Vec<T>], what: &str) -> std::result::Result<(), String> {
    match parts.iter().position(|p| p.len() != parts[0].len()) {
        Some(rank) => Err(format!(
            "node {rank} sent {} {what} but node 0 {}: the nodes train different models",
            parts[rank].len(),
            parts[0].len()
        )),
        None => Ok(()),
    }
}

/// A hash of weights (FNV-1a over every value's bits, in order): equal weights hash equally.
pub fn weights_hash(weights: &[(burn::module::ParamId, Vec<f32>)]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (_, values) in weights {
        for v in values {
            for b in v.to_bits().to_le_bytes() {
                h ^= b as u64;
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    h
}
