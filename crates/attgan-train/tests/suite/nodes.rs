//! Training on several machines, tested as two processes on 127.0.0.1: node 0 in the test,
//! node 1 in a child process (this test binary run again, with `node_child` told what to do
//! through an environment variable). Two nodes with one device each train exactly as one process
//! with two devices, stop together, resume together, and a killed node fails the group with a
//! message instead of a hang.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use attgan_train::training::checkpoint::{CHECKPOINT_DIR, latest_complete, read_state};
use attgan_train::training::load_checkpoint;
use attgan_train::training::report::read_csv;
use attgan_train::{Cluster, Display, Limits, TrainError, TrainSummary, Trainer};
use burn::backend::{Autodiff, Flex};
use serde::{Deserialize, Serialize};

use crate::training::{data, fingerprint, fit_on_two, out_dir, tiny, without_time};

type B = Autodiff<Flex>;

/// The environment variable that makes `node_child` run a node.
const CHILD: &str = "ATTGAN_TEST_NODE";

/// One node's run: the training test suite's tiny run, as node `rank` of two.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NodeRun {
    rank: usize,
    coordinator: String,
    out: PathBuf,
    resume: bool,
    epochs: usize,
    steps: Option<usize>,
    n_d: usize,
    timeout_s: f64,
}

impl NodeRun {
    fn new(rank: usize, coordinator: &str, out: &Path) -> Self {
        Self {
            rank,
            coordinator: coordinator.into(),
            out: out.into(),
            resume: false,
            epochs: 2,
            steps: None,
            n_d: 2,
            timeout_s: 60.0,
        }
    }

    fn run(&self) -> Result<TrainSummary<B>, TrainError> {
        let config = tiny().with_epochs(self.epochs).with_n_d(self.n_d);
        let (train, valid) = data(&config);
        let cluster =
            Cluster::new(2, self.rank, &self.coordinator)?.with_timeout(Duration::from_secs_f64(self.timeout_s));
        Trainer::new(config, &self.out)
            .with_resume(self.resume)
            .with_limits(Limits { steps: self.steps, time: None })
            .with_display(Display::Quiet)
            .with_cluster(cluster)
            .fit::<B>(train, valid, &Default::default())
    }

    /// The run in a child process; its output goes to `<out>.log`.
    fn spawn(&self) -> Child {
        let log = std::fs::File::create(self.log()).unwrap();
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "nodes::node_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD, serde_json::to_string(self).unwrap())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .unwrap()
    }

    fn log(&self) -> PathBuf {
        self.out.with_extension("log")
    }

    /// Waits for the child `node`, which must have succeeded.
    fn expect_success(&self, mut node: Child) {
        let status = node.wait().unwrap();
        let log = std::fs::read_to_string(self.log()).unwrap_or_default();
        assert!(status.success(), "node {} failed ({status}):\n{log}", self.rank);
    }
}

/// Node 1 of the tests below, in a child process: does nothing unless `ATTGAN_TEST_NODE`
/// describes its run (so a plain `--ignored` run passes it by).
#[test]
#[ignore = "a child process of the tests in this module runs it"]
fn node_child() {
    let Ok(spec) = std::env::var(CHILD) else { return };
    let run: NodeRun = serde_json::from_str(&spec).unwrap();
    if let Err(e) = run.run() {
        eprintln!("node {}: {e}", run.rank);
        std::process::exit(3);
    }
}

/// A free port on 127.0.0.1 (free when asked; the test then binds it at once).
fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("127.0.0.1:{}", listener.local_addr().unwrap().port())
}

fn rows(out: &Path) -> usize {
    read_csv(out.join("metrics.csv")).map_or(0, |r| r.len())
}

fn pngs(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map_or(0, |d| d.filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "png")).count())
}

/// Two nodes of one device each train exactly as one process with two devices (the same shards,
/// the same averaged update): the same model (G's and D's outputs equal bit for bit), the same
/// metrics.csv. Node 0 stops at step 5 and node 1, which has no limit, stops with it; both resume
/// and end at the uninterrupted run's weights. Node 1 keeps its own checkpoints (equal to node 0's) and writes no
/// sample grids.
#[test]
fn two_processes_train_as_two_devices_stop_together_and_resume() {
    let _lock = crate::common::rng_lock();
    let config = tiny();
    let reference = fit_on_two(&config, &out_dir("nodes-reference"), false, Limits::default());

    let (out0, out1) = (out_dir("node0"), out_dir("node1"));
    let address = free_address();
    let node1 = NodeRun::new(1, &address, &out1);
    let child = node1.spawn();
    let stopped = NodeRun { steps: Some(5), ..NodeRun::new(0, &address, &out0) }.run().unwrap();
    node1.expect_success(child);
    assert!(stopped.interrupted);
    let state = |out: &Path| {
        let dir = out.join(CHECKPOINT_DIR);
        read_state(&dir, latest_complete(&dir).unwrap()).unwrap().steps
    };
    assert_eq!((state(&out0), state(&out1)), (5, 5), "both nodes checkpoint where node 0 stopped");
    assert_eq!((rows(&out0), rows(&out1)), (5, 5));

    let address = free_address();
    let node1 = NodeRun { resume: true, ..NodeRun::new(1, &address, &out1) };
    let child = node1.spawn();
    let resumed = NodeRun { resume: true, ..NodeRun::new(0, &address, &out0) }.run().unwrap();
    node1.expect_success(child);
    assert!(!resumed.interrupted);
    assert_eq!(fingerprint(&resumed.model), fingerprint(&reference.model), "two nodes differ from two devices");
    let (theirs, _) = load_checkpoint::<B>(&out1, &Default::default()).unwrap();
    assert_eq!(fingerprint(&theirs), fingerprint(&resumed.model), "node 1's checkpoint differs from node 0's model");
    let csv = |dir: &Path| without_time(read_csv(dir.join("metrics.csv")).unwrap());
    assert_eq!(csv(&out0), csv(&reference.out), "node 0's metrics.csv differs from the two-device run's");
    assert_eq!(csv(&out1), csv(&out0), "the nodes log the same averaged losses");
    assert!(pngs(&out0.join("samples")) > 0);
    assert_eq!(pngs(&out1.join("samples")), 0, "only node 0 writes sample grids");
}

/// Node 1 killed in the middle of a run: node 0 fails within seconds, naming it; then both
/// resume, from the newest checkpoint both have (node 1 may have died writing one), and agree.
#[test]
fn a_killed_node_fails_the_group_with_a_message_not_a_hang() {
    let _lock = crate::common::rng_lock();
    let (out0, out1) = (out_dir("node0-killed"), out_dir("node1-killed"));
    let address = free_address();
    let node1 = NodeRun { epochs: 500, ..NodeRun::new(1, &address, &out1) };
    let mut child = node1.spawn();
    let node0 = NodeRun { epochs: 500, ..NodeRun::new(0, &address, &out0) };
    let (done, outcome) = channel();
    std::thread::spawn(move || {
        let _ = done.send(node0.run().map(|_| ()).map_err(|e| e.to_string()));
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    // Past the first checkpoint (step 4), so that there is one to resume from.
    while rows(&out1) < 6 {
        assert!(Instant::now() < deadline, "node 1 did not train 6 steps within 120 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let err = outcome
        .recv_timeout(Duration::from_secs(60))
        .expect("node 0 still waits 60 s after node 1 was killed")
        .expect_err("node 0 finished a 500-epoch run without node 1");
    assert!(err.contains("training on several machines: node 1 stopped answering"), "{err}");

    // Both resume (the limit: one more step) and end with the same model.
    let address = free_address();
    let node1 = NodeRun { epochs: 500, resume: true, steps: Some(1), ..NodeRun::new(1, &address, &out1) };
    let child = node1.spawn();
    let node0 = NodeRun { epochs: 500, resume: true, steps: Some(1), ..NodeRun::new(0, &address, &out0) };
    let resumed = node0.run().unwrap();
    node1.expect_success(child);
    let (theirs, _) = load_checkpoint::<B>(&out1, &Default::default()).unwrap();
    assert_eq!(fingerprint(&theirs), fingerprint(&resumed.model), "the resumed nodes disagree");
}

/// Nodes that cannot train as one are refused at the start, naming what differs; a node that
/// finds no node 0 gives up after its timeout, naming the address; bad group settings are refused.
#[test]
fn nodes_that_disagree_or_cannot_meet_are_refused_with_the_reason() {
    let address = free_address();
    let out = |name: &str| out_dir(name);
    let node1 = NodeRun { n_d: 3, ..NodeRun::new(1, &address, &out("node1-n_d")) };
    let child = std::thread::spawn(move || node1.run().map(|_| ()).unwrap_err().to_string());
    let mine = NodeRun::new(0, &address, &out("node0-n_d")).run().map(|_| ()).unwrap_err().to_string();
    let theirs = child.join().unwrap();
    assert!(mine.contains("node 1's option n_d differs from node 0's"), "{mine}");
    assert!(theirs.contains("node 0 refused node 1: node 1's option n_d differs"), "{theirs}");

    let alone = NodeRun { timeout_s: 0.5, ..NodeRun::new(1, &free_address(), &out("node1-alone")) };
    let err = alone.run().map(|_| ()).unwrap_err().to_string();
    assert!(err.contains(&format!("node 1 could not reach node 0 at {}", alone.coordinator)), "{err}");

    let bad = |nodes, rank, address: &str| Cluster::new(nodes, rank, address).unwrap_err().to_string();
    assert!(bad(2, 2, "127.0.0.1:1").contains("node rank 2 is not below the number of nodes 2"));
    assert!(bad(2, 0, "localhost").contains("\"localhost\" is not HOST:PORT"));
}
