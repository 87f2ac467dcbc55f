//! Data parallelism across the devices of one process, on burn-collective.
//!
//! Every device holds a replica of [`AttGan`] and its own Adam. At each step the leader (peer 0:
//! the Learner's model, on the first device) draws the whole batch's inputs once
//! ([`StepInputs::draw`]: flips, crops, targets, the penalty's alphas), every device takes its
//! equal shard, computes its gradients, and burn-collective's all-reduce averages them. Every
//! loss term of AttGAN is a mean over images, so the mean of the shards' gradients is the
//! gradient of the whole batch, up to float rounding. Then every device applies the same Adam
//! update, so the replicas stay identical: [`DataParallel::check_replicas`] compares them
//! (the trainer does at every checkpoint) instead of assuming it.
//!
//! Batch norm (only G has it): each device normalises its shard with the shard's own batch
//! statistics, as PyTorch's `DistributedDataParallel` without `SyncBatchNorm` does, so G's
//! forward pass on 2 devices x n images is not the one on 1 device x 2n (the critic, with
//! instance norm, is). The running statistics that inference uses are averaged over the devices
//! after every step with the same all-reduce (a few thousand numbers): the running mean is then
//! exactly the one a whole-batch mean would give, the running variance the mean of the shards'
//! variances (it leaves out the spread between the shards' means), and the replicas stay equal.
//! Synchronising the batch statistics inside the forward pass would need an all-reduce that
//! autodiff can differentiate through, which burn-collective does not offer.
//!
//! burn-collective keeps one collective per backend type and process: one [`DataParallel`] at a
//! time per backend.
//!
//! Across machines ([`super::cluster`]), each node's leader takes the node's part of the batch,
//! its devices average their gradients as above, and the leader averages that over the nodes
//! through its [`NodeLink`] and hands the result to its devices: every device of every node
//! applies the same update.

use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use attgan_core::Phase;
use burn::collective::{
    CollectiveConfig, CollectiveError, PeerId, ReduceOperation, all_reduce, finish_collective, register,
    reset_collective,
};
use burn::module::{AutodiffModule, Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData, TensorPrimitive};
use burn::train::TrainOutput;
use burn::train::checkpoint::Checkpointer;

use super::checkpoint::AtomicCheckpointer;
use super::cluster::{NodeLink, weights_hash};
use super::report::{StepLosses, StepOutput};
use super::step::{ShardData, StepInputs, grads_on, seeded_inputs};
use crate::data::TrainBatch;
use crate::error::{Result, TrainError};
use crate::model::{AttGan, adam};

/// Every float tensor of a model (weights and running statistics) with its parameter id, in id
/// order: what [`DataParallel::check_replicas`] compares.
pub type Weights = Vec<(ParamId, Vec<f32>)>;

/// A checkpoint for the replicas to start from: the directory and the index.
pub type ResumeFrom = (PathBuf, usize);

/// The replicas on the devices after the first, driven from the leader's thread, and the link to
/// the other nodes when several machines train together.
pub struct DataParallel<B: AutodiffBackend> {
    workers: Vec<Worker>,
    nodes: Option<Mutex<NodeLink>>,
    _backend: PhantomData<B>,
}

/// The nodes' average of a step's flat gradients, which the leader hands to its devices.
type GlobalMean = std::result::Result<Arc<Vec<f32>>, String>;

/// One replica's thread, and how to talk to it.
struct Worker {
    device: String,
    orders: Sender<Order>,
    reports: Receiver<Report>,
    /// Across machines: where the leader sends the nodes' average of each step.
    global: Option<Sender<GlobalMean>>,
    thread: Option<JoinHandle<()>>,
}

enum Order {
    Register,
    Step { phase: Phase, shard: Box<ShardData> },
    Apply { lr: f64 },
    Skip,
    Weights,
    Stop,
}

enum Report {
    Ready(std::result::Result<(), String>),
    Losses(std::result::Result<StepLosses, String>),
    Weights(Weights),
}

fn collective_error(what: &str, e: CollectiveError) -> TrainError {
    TrainError::Parallel(format!("{what}: burn-collective answered {e:?}"))
}

impl<B: AutodiffBackend> DataParallel<B> {
    /// Starts a replica of `model` (the leader's, on `leader`) on each of `others`, with a fresh
    /// Adam or, with `resume`, the checkpoint's model and Adam state, and registers all of them
    /// with burn-collective. With `nodes`, the step is shared with the other machines too, and
    /// the nodes first check that they start from the same weights.
    pub fn start(
        model: &AttGan<B>,
        leader: &B::Device,
        others: &[B::Device],
        resume: Option<ResumeFrom>,
        nodes: Option<NodeLink>,
    ) -> Result<Self> {
        // Burn draws a parameter's initial values when it is first used: hashing them draws them
        // all now, so that every node starts from what the seed gives before any step (on one
        // machine the replicas' copies below draw them).
        let nodes = match nodes {
            Some(mut link) => {
                link.check_same_weights(weights_hash_of(model), "at the start")?;
                Some(Mutex::new(link))
            }
            None => None,
        };
        let across = nodes.is_some();
        let peers = others.len() + 1;
        let config = CollectiveConfig::default().with_num_devices(peers);
        let mut workers = Vec::with_capacity(others.len());
        for (i, device) in others.iter().enumerate() {
            let (orders, inbox) = channel();
            let (outbox, reports) = channel();
            let (global, global_inbox) = if across {
                let (tx, rx) = channel();
                (Some(tx), Some(rx))
            } else {
                (None, None)
            };
            // A copy through the inner backend: fresh autodiff tensors (sharing the leader's would
            // join both devices' autodiff graphs, which then wait on each other) and batch-norm
            // running statistics of its own (a clone shares the leader's: Burn keeps them behind
            // an Arc).
            let replica = model.valid();
            let settings = model.settings.clone();
            let (peer, device_c, resume, config) =
                (PeerId::from(i as u32 + 1), device.clone(), resume.clone(), config.clone());
            let thread = std::thread::Builder::new()
                .name(format!("attgan-peer-{}", i + 1))
                .spawn(move || {
                    let built = catch_unwind(AssertUnwindSafe(|| -> std::result::Result<_, String> {
                        let model = AttGan::<B>::from_inner(replica).fork(&device_c).with_settings(settings);
                        let mut optim = adam().init::<B, AttGan<B>>();
                        if let Some((dir, index)) = &resume {
                            let store = AtomicCheckpointer::new(dir, "optim");
                            let record = Checkpointer::<_, B>::restore(&store, *index, &device_c)
                                .map_err(|e| format!("reading {}: {e}", store.path(*index).display()))?;
                            optim = optim.load_record(record);
                        }
                        Ok((model, optim))
                    }))
                    .unwrap_or_else(|panic| Err(panic_message(panic)));
                    serve(peer, device_c, config, built, inbox, outbox, global_inbox);
                })
                .map_err(|e| TrainError::Parallel(format!("cannot start the thread of device {device:?}: {e}")))?;
            workers.push(Worker {
                device: format!("{} ({device:?})", i + 1),
                orders,
                reports,
                global,
                thread: Some(thread),
            });
        }
        let parallel = Self { workers, nodes, _backend: PhantomData };
        if parallel.workers.is_empty() {
            // One device on this node: nothing to register with burn-collective.
            return Ok(parallel);
        }
        // Register only once every replica is built: a replica that failed never registers, and
        // the others are told to stop instead of waiting for it.
        for w in &parallel.workers {
            match w.reports.recv() {
                Ok(Report::Ready(Ok(()))) => {}
                Ok(Report::Ready(Err(why))) => {
                    return Err(TrainError::Parallel(format!("the replica on device {} failed: {why}", w.device)));
                }
                _ => return Err(TrainError::Parallel(format!("the thread of device {} ended", w.device))),
            }
        }
        for w in &parallel.workers {
            let _ = w.orders.send(Order::Register);
        }
        register::<B::InnerBackend>(PeerId::from(0u32), leader.clone(), config)
            .map_err(|e| collective_error("registering the devices", e))?;
        Ok(parallel)
    }

    /// The number of devices of this node, the leader's included.
    pub fn devices(&self) -> usize {
        self.workers.len() + 1
    }

    /// This node's rank and the number of nodes ((0, 1) on one machine).
    pub fn node(&self) -> (usize, usize) {
        self.nodes.as_ref().map_or((0, 1), |link| {
            let link = link.lock().expect("node link lock");
            (link.rank(), link.nodes())
        })
    }

    /// Whether any node wants to stop after this step (every node then stops); `wanted` on one
    /// machine.
    pub fn agree_to_stop(&self, wanted: bool) -> Result<bool> {
        match &self.nodes {
            Some(link) => link.lock().expect("node link lock").any(wanted),
            None => Ok(wanted),
        }
    }

    /// The Learner's step on every device: the batch's inputs drawn from its seeds as one device
    /// would ([`seeded_inputs`]), one shard per device, the gradients averaged over the devices
    /// (the leader's `model` gets the result), G's running statistics averaged, and the losses
    /// averaged over the shards. The replicas wait for [`DataParallel::apply`] or
    /// [`DataParallel::skip`].
    pub fn train_step(&self, model: &AttGan<B>, item: TrainBatch<B>) -> Result<TrainOutput<StepOutput>> {
        let (step, epoch) = (item.step, item.epoch);
        let (phase, inputs) = seeded_inputs(&model.settings, item);
        let (grads, losses) = self.grads(model, phase, inputs)?;
        Ok(TrainOutput { grads, item: StepOutput { step, epoch, losses } })
    }

    /// A `phase` step's averaged gradients and losses on `inputs` (the whole batch, which must
    /// split evenly over the devices of every node).
    pub fn grads(
        &self,
        model: &AttGan<B>,
        phase: Phase,
        inputs: StepInputs<B>,
    ) -> Result<(GradientsParams, StepLosses)> {
        let n = self.devices();
        let (rank, nodes) = self.node();
        if !inputs.len().is_multiple_of(n * nodes) {
            let over = match nodes {
                1 => format!("{n} devices"),
                _ => format!("{nodes} nodes x {n} devices"),
            };
            return Err(TrainError::Parallel(format!(
                "a batch of {} images does not split evenly over {over}",
                inputs.len()
            )));
        }
        // This node's part of the batch, which every node drew whole from the same seeds.
        let inputs = if nodes > 1 { inputs.part(rank, nodes) } else { inputs };
        for (i, w) in self.workers.iter().enumerate() {
            if w.orders.send(Order::Step { phase, shard: Box::new(inputs.shard(i + 1, n)) }).is_err() {
                return Err(self.failure());
            }
        }
        // Through plain data like the others' shards, as a contiguous copy: slicing in place
        // (strided inputs for the critic) measured slower on the CPU (1.31 s vs 1.05-1.20 s per
        // iteration at batch 32, two replicas; noisy machine).
        let mine = match n {
            1 => inputs,
            _ => StepInputs::from_shard(inputs.shard(0, n), &leader_device(model)),
        };
        let averaged = catch_unwind(AssertUnwindSafe(|| {
            let (grads, losses) = grads_on(model, phase, mine);
            let grads = average(model, grads, |flat| self.reduce(flat))?;
            Ok::<_, TrainError>((grads, losses))
        }));
        let (grads, mine) = match averaged {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => {
                self.abandon_step(&e.to_string());
                return Err(self.failure_or(e));
            }
            Err(panic) => {
                let why = format!("device 0 failed: {}", panic_message(panic));
                self.abandon_step(&why);
                return Err(TrainError::Parallel(why));
            }
        };
        let mut all = vec![mine];
        for w in &self.workers {
            match w.reports.recv() {
                Ok(Report::Losses(Ok(losses))) => all.push(losses),
                Ok(Report::Losses(Err(why))) => {
                    return Err(TrainError::Parallel(format!("device {} failed: {why}", w.device)));
                }
                _ => return Err(self.failure()),
            }
        }
        let mut losses = mean_losses(phase, &all);
        if let Some(link) = &self.nodes {
            let values = losses.values.iter().map(|(_, v)| *v).collect();
            let mean = link.lock().expect("node link lock").mean_f64(values)?;
            losses.values.iter_mut().zip(mean).for_each(|((_, v), m)| *v = m);
        }
        Ok((grads, losses))
    }

    /// The leader's part of averaging a step's flat gradients: over this node's devices
    /// (burn-collective), then over the nodes (the node link), whose result goes to the devices.
    fn reduce(&self, flat: Tensor<B::InnerBackend, 1>) -> Result<Tensor<B::InnerBackend, 1>> {
        let local = match self.workers.is_empty() {
            true => flat,
            false => {
                let mean = all_reduce::<B::InnerBackend>(
                    PeerId::from(0u32),
                    flat.into_primitive().tensor(),
                    ReduceOperation::Mean,
                )
                .map_err(|e| collective_error("averaging the gradients", e))?;
                Tensor::from_primitive(TensorPrimitive::Float(mean))
            }
        };
        let Some(link) = &self.nodes else { return Ok(local) };
        let device = local.device();
        let values = local.into_data().convert::<f32>().into_vec::<f32>().unwrap_or_default();
        let len = values.len();
        let mean = Arc::new(link.lock().expect("node link lock").mean_f32(values)?);
        for w in &self.workers {
            if let Some(global) = &w.global {
                let _ = global.send(Ok(mean.clone()));
            }
        }
        Ok(Tensor::from_data(TensorData::new(mean.to_vec(), [len]), &device))
    }

    /// After the leader failed in a step: wakes the devices waiting for it (in burn-collective's
    /// all-reduce, or for the nodes' average).
    fn abandon_step(&self, why: &str) {
        for w in &self.workers {
            if let Some(global) = &w.global {
                let _ = global.send(Err(why.to_string()));
            }
        }
        if !self.workers.is_empty() {
            reset_collective::<B::InnerBackend>();
        }
    }

    /// Every replica applies the averaged gradients of the last step with Adam at `lr` (the
    /// leader applies them itself, through the Learner).
    pub fn apply(&self, lr: f64) -> Result<()> {
        self.order_all(|| Order::Apply { lr })
    }

    /// Every replica drops the last step's gradients (the run stops before a bad update).
    pub fn skip(&self) -> Result<()> {
        self.order_all(|| Order::Skip)
    }

    /// Checks that every replica holds exactly the leader's `model` (every weight and running
    /// statistic, bit for bit), and across machines that every node's weights hash to node 0's.
    pub fn check_replicas(&self, model: &AttGan<B>) -> Result<()> {
        if let Some(link) = &self.nodes {
            link.lock().expect("node link lock").check_same_weights(weights_hash_of(model), "at a checkpoint")?;
        }
        let mine = weights(model);
        for (w, theirs) in self.workers.iter().zip(self.replica_weights()?) {
            if let Some(k) = first_difference(&mine, &theirs) {
                return Err(TrainError::Parallel(format!(
                    "the replica on device {} differs from device 0's model at its parameter {k} of {}",
                    w.device,
                    mine.len()
                )));
            }
        }
        Ok(())
    }

    /// Every replica's weights, in parameter-id order (for tests and diagnostics).
    pub fn replica_weights(&self) -> Result<Vec<Weights>> {
        self.order_all(|| Order::Weights)?;
        self.workers
            .iter()
            .map(|w| match w.reports.recv() {
                Ok(Report::Weights(theirs)) => Ok(theirs),
                _ => Err(self.failure()),
            })
            .collect()
    }

    fn order_all(&self, order: impl Fn() -> Order) -> Result<()> {
        for w in &self.workers {
            if w.orders.send(order()).is_err() {
                return Err(self.failure());
            }
        }
        Ok(())
    }

    /// What a replica that stopped answering said last, if anything.
    fn failure(&self) -> TrainError {
        self.failure_or(TrainError::Parallel("a device's thread ended".into()))
    }

    fn failure_or(&self, otherwise: TrainError) -> TrainError {
        for w in &self.workers {
            if let Ok(Report::Losses(Err(why)) | Report::Ready(Err(why))) = w.reports.try_recv() {
                return TrainError::Parallel(format!("device {} failed: {why}", w.device));
            }
        }
        otherwise
    }
}

impl<B: AutodiffBackend> Drop for DataParallel<B> {
    fn drop(&mut self) {
        if self.workers.is_empty() {
            return;
        }
        for w in &self.workers {
            let _ = w.orders.send(Order::Stop);
        }
        let _ = finish_collective::<B::InnerBackend>(PeerId::from(0u32));
        for w in &mut self.workers {
            if let Some(t) = w.thread.take() {
                let _ = t.join();
            }
        }
        reset_collective::<B::InnerBackend>();
    }
}

/// A replica's thread: registers when told to, then runs the leader's orders until Stop.
fn serve<B: AutodiffBackend>(
    peer: PeerId,
    device: B::Device,
    config: CollectiveConfig,
    built: std::result::Result<(AttGan<B>, impl Optimizer<AttGan<B>, B>), String>,
    orders: Receiver<Order>,
    reports: Sender<Report>,
    global: Option<Receiver<GlobalMean>>,
) {
    let (mut model, mut optim) = match built {
        Ok(built) => {
            let _ = reports.send(Report::Ready(Ok(())));
            built
        }
        Err(why) => {
            let _ = reports.send(Report::Ready(Err(why)));
            return;
        }
    };
    let mut pending: Option<GradientsParams> = None;
    let mut registered = false;
    while let Ok(order) = orders.recv() {
        match order {
            Order::Register => {
                if let Err(e) = register::<B::InnerBackend>(peer, device.clone(), config.clone()) {
                    let _ = reports.send(Report::Losses(Err(format!("registering: {e:?}"))));
                    return;
                }
                registered = true;
            }
            Order::Step { phase, shard } => {
                let done = catch_unwind(AssertUnwindSafe(|| {
                    let (grads, losses) = grads_on(&model, phase, StepInputs::from_shard(*shard, &device));
                    let grads = average(&model, grads, |flat| {
                        let mean =
                            all_reduce::<B::InnerBackend>(peer, flat.into_primitive().tensor(), ReduceOperation::Mean)
                                .map_err(|e| collective_error("averaging the gradients", e))?;
                        let mean = Tensor::<B::InnerBackend, 1>::from_primitive(TensorPrimitive::Float(mean));
                        match &global {
                            None => Ok(mean),
                            Some(inbox) => match inbox.recv() {
                                Ok(Ok(values)) => Ok(Tensor::from_data(
                                    TensorData::new(values.to_vec(), [values.len()]),
                                    &mean.device(),
                                )),
                                Ok(Err(why)) => Err(TrainError::Cluster(why)),
                                Err(_) => Err(TrainError::Parallel("device 0's thread ended".into())),
                            },
                        }
                    })?;
                    Ok::<_, TrainError>((grads, losses))
                }));
                let report = match done {
                    Ok(Ok((grads, losses))) => {
                        pending = Some(grads);
                        Ok(losses)
                    }
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(panic) => Err(panic_message(panic)),
                };
                let failed = report.is_err();
                let _ = reports.send(Report::Losses(report));
                if failed {
                    // Wake the other devices, which wait for this one in the all-reduce.
                    reset_collective::<B::InnerBackend>();
                    return;
                }
            }
            Order::Apply { lr } => {
                if let Some(grads) = pending.take() {
                    model = optim.step(lr, model, grads);
                }
            }
            Order::Skip => pending = None,
            Order::Weights => {
                let _ = reports.send(Report::Weights(weights(&model)));
            }
            Order::Stop => break,
        }
    }
    if registered {
        let _ = finish_collective::<B::InnerBackend>(peer);
    }
}

/// Averages over the devices (and nodes), in one all-reduce (`reduce`) of one flat tensor: the
/// gradients in `grads` (of `model`'s parameters) and every batch-norm running statistic of
/// `model`, which is updated in place (the running statistics are shared by every clone of the
/// model), in the model's visiting order, which every replica shares. One exchange per step
/// instead of one per tensor.
fn average<B: AutodiffBackend>(
    model: &AttGan<B>,
    grads: GradientsParams,
    reduce: impl FnOnce(Tensor<B::InnerBackend, 1>) -> Result<Tensor<B::InnerBackend, 1>>,
) -> Result<GradientsParams> {
    // Merge this thread's pending running-statistics update into the stored value (into_record
    // syncs), so that the visitor below reads it.
    let _ = model.clone().into_record();
    let mut gather = Gather::<B> { grads: &grads, path: Vec::new(), parts: Vec::new() };
    model.visit(&mut gather);
    if gather.parts.is_empty() {
        return Ok(grads);
    }
    let mean = reduce(Tensor::cat(gather.parts, 0))?;
    let mut scatter = Scatter::<B> { grads, mean, offset: 0, path: Vec::new() };
    let _ = model.clone().map(&mut scatter);
    Ok(scatter.grads)
}

/// Whether a module path ends in a batch norm's running statistic.
fn is_running_state(path: &[String]) -> bool {
    path.last().is_some_and(|name| name == "running_mean" || name == "running_var")
}

/// Collects, in visiting order, each parameter's gradient (where `grads` has one) and each
/// running statistic, flattened.
struct Gather<'a, B: AutodiffBackend> {
    grads: &'a GradientsParams,
    path: Vec<String>,
    parts: Vec<Tensor<B::InnerBackend, 1>>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Gather<'_, B> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if is_running_state(&self.path) {
            self.parts.push(param.val().inner().flatten(0, D - 1));
        } else if let Some(g) = self.grads.get::<B::InnerBackend, D>(param.id) {
            self.parts.push(g.flatten(0, D - 1));
        }
    }
}

/// Puts the averaged values back where [`Gather`] took them, in the same visiting order.
struct Scatter<B: AutodiffBackend> {
    grads: GradientsParams,
    mean: Tensor<B::InnerBackend, 1>,
    offset: usize,
    path: Vec<String>,
}

impl<B: AutodiffBackend> Scatter<B> {
    fn take<const D: usize>(&mut self, dims: [usize; D]) -> Tensor<B::InnerBackend, D> {
        let n: usize = dims.iter().product();
        let part = self.mean.clone().slice(self.offset..self.offset + n);
        self.offset += n;
        part.reshape(dims)
    }
}

impl<B: AutodiffBackend> ModuleMapper<B> for Scatter<B> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        if is_running_state(&self.path) {
            let (id, tensor, mapper) = param.consume();
            let mean = self.take(tensor.dims());
            return Param::from_mapped_value(id, Tensor::from_inner(mean), mapper);
        }
        if let Some(g) = self.grads.remove::<B::InnerBackend, D>(param.id) {
            let mean = self.take(g.dims());
            self.grads.register::<B::InnerBackend, D>(param.id, mean);
        }
        param
    }
}

/// The device `model` lives on (the first device).
fn leader_device<B: AutodiffBackend>(model: &AttGan<B>) -> B::Device {
    model.devices().into_iter().next().unwrap_or_default()
}

/// Every float tensor of `model` (weights and running statistics), by parameter id.
pub fn weights<B: AutodiffBackend>(model: &AttGan<B>) -> Weights {
    let mut all = weights_in_visiting_order(model);
    all.sort_by_key(|(id, _)| *id);
    all
}

/// A hash of every weight and running statistic of `model` in its visiting order, which every
/// process shares (parameter ids differ between processes).
fn weights_hash_of<B: AutodiffBackend>(model: &AttGan<B>) -> u64 {
    weights_hash(&weights_in_visiting_order(model))
}

fn weights_in_visiting_order<B: AutodiffBackend>(model: &AttGan<B>) -> Weights {
    struct Collect(Weights);
    impl<B: Backend> ModuleVisitor<B> for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let values = param.val().into_data().convert::<f32>().into_vec::<f32>().unwrap_or_default();
            self.0.push((param.id, values));
        }
    }
    let _ = model.clone().into_record();
    let mut c = Collect(Vec::new());
    model.visit(&mut c);
    c.0
}

/// The index of the first parameter whose id or values differ (bit for bit), if any.
fn first_difference(a: &Weights, b: &Weights) -> Option<usize> {
    let same = |x: &(ParamId, Vec<f32>), y: &(ParamId, Vec<f32>)| {
        x.0 == y.0 && x.1.len() == y.1.len() && x.1.iter().zip(&y.1).all(|(p, q)| p.to_bits() == q.to_bits())
    };
    a.iter().zip(b).position(|(x, y)| !same(x, y)).or((a.len() != b.len()).then_some(a.len().min(b.len())))
}

/// The mean of the shards' losses: the whole batch's, since each term is a mean over images.
fn mean_losses(phase: Phase, all: &[StepLosses]) -> StepLosses {
    let mut values = all[0].values;
    for (k, (_, v)) in values.iter_mut().enumerate() {
        *v = all.iter().map(|l| l.values[k].1).sum::<f64>() / all.len() as f64;
    }
    StepLosses { phase, values }
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "it panicked".into())
}
