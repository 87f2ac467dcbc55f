//! Training STGAN's attribute classifier ([`attgan_core::attribute_classifier`]) on CelebA with
//! Burn's Learner, and measuring its per-attribute accuracy.
//!
//! The setup is `att_classification/train.py` of csmliu/STGAN: sigmoid cross-entropy on the
//! logits plus an L2 penalty of 1e-4 on every convolution and FC weight (`slim.l2_regularizer`,
//! i.e. 1e-4 * sum(w^2) / 2), Adam with lr 2e-4, beta1 0.9 (TensorFlow's beta2 0.999 and epsilon
//! 1e-8), batch 64, 25 epochs, during 0-based epoch e the rate `lr * (1 - max(e - 8, 0) / 25)^0.75`
//! (2e-4 for the first nine epochs, down to 0.465 * 2e-4 in the last; `bth` in train.py), no
//! augmentation, images 128 x 128 in [-1, 1]. STGAN
//! trains on "most images of the official training and validation sets" and reports 94.5% mean
//! accuracy on the 13 attributes of the official test set; here the training split trains and the
//! validation split validates (Burn's loss and Hamming score each epoch).
//!
//! A run's output directory holds `classifier-training.json` (the options), Burn's metric logs
//! and `checkpoint/` (model, optimizer, scheduler each epoch, by Burn's file checkpointer), and at
//! the end the classifier itself: `attribute-classifier.mpk` + `attribute-classifier.json`, which
//! [`AttributeClassifier::load`] reads.

use std::fmt;
use std::path::{Path, PathBuf};

use attgan_core::atomic::write_atomically;
use attgan_core::attribute_classifier::{AttributeClassifier, AttributeClassifierConfig};
use attgan_core::loss::attribute_bce;
use burn::config::Config;
use burn::data::dataset::Dataset;
use burn::data::dataset::transform::PartialDataset;
use burn::module::Module;
use burn::optim::lr_scheduler::LrScheduler;
use burn::optim::{GradientsParams, LearningRate};
use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Distribution, Tensor};
use burn::train::metric::{HammingScore, LearningRateMetric, LossMetric};
use burn::train::{
    InferenceStep, Interrupter, Learner, MultiLabelClassificationOutput, SupervisedTraining, TrainOutput, TrainStep,
};

use crate::data::{CelebaBatch, CelebaDataset, CelebaItem, loader, worker_count};
use crate::error::TrainError;
use crate::optim::FusedAdamConfig;
use crate::progress::Display;
use crate::training::config::{check_run, check_splits};

/// The options of a classifier run, as written into its output directory.
pub const CLASSIFIER_TRAINING_FILE: &str = "classifier-training.json";
/// The accuracy table written by the `train_classifier` example.
pub const ACCURACY_FILE: &str = "accuracy.csv";
/// Exponent of STGAN's learning-rate decay.
pub const LR_DECAY_POWER: f64 = 0.75;

/// Everything that shapes a classifier run. [`ClassifierTrainingConfig::new`] with the default
/// model is STGAN's setup (see the module documentation).
#[derive(Config, Debug)]
pub struct ClassifierTrainingConfig {
    /// The classifier.
    pub model: AttributeClassifierConfig,
    /// Images per step (STGAN: 64).
    #[config(default = 64)]
    pub batch_size: usize,
    /// Epochs (STGAN: 25).
    #[config(default = 25)]
    pub epochs: usize,
    /// Adam's base learning rate (STGAN: 2e-4).
    #[config(default = 2e-4)]
    pub lr: f64,
    /// Where the decay starts: during 0-based epoch e the rate is
    /// `lr * (1 - max(e - lr_decay_start, 0) / epochs)^0.75` (STGAN: 8, so nine epochs at `lr`).
    #[config(default = 8)]
    pub lr_decay_start: usize,
    /// Weight of the L2 penalty `weight_decay * sum(w^2) / 2` on every convolution and FC weight
    /// (STGAN: `slim.l2_regularizer(1e-4)`); 0 turns it off.
    #[config(default = 1e-4)]
    pub weight_decay: f64,
    /// Random left-right mirroring of the training images. STGAN does not augment; the option
    /// is here for small datasets.
    #[config(default = false)]
    pub hflip: bool,
    /// Seed of the weights, the data order and the flips.
    #[config(default = 0)]
    pub seed: u64,
    /// Validation images scored at the end of each epoch (STGAN checks 100 batches of 100).
    #[config(default = 10_000)]
    pub valid_images: usize,
    /// Threads decoding images (0: one per core).
    #[config(default = 0)]
    pub workers: usize,
}

impl ClassifierTrainingConfig {
    /// STGAN's setup for `model`: batch 64, 25 epochs, Adam 2e-4 decaying after epoch 8, L2 1e-4.
    pub fn stgan(model: AttributeClassifierConfig) -> Self {
        Self::new(model)
    }

    /// The synthetic world's quick run: STGAN's network at 32 x 32 (the same five blocks, down to
    /// 1 x 1), batch 32, 3 epochs at lr 1e-3, 1e-3 and 7.4e-4 (decay start 1).
    /// Reaches near-perfect accuracy on the synthetic CelebA world (its attributes are drawn to be
    /// visible at 32 x 32) in a few minutes on a 2-core CPU.
    pub fn synthetic() -> Self {
        Self::new(AttributeClassifierConfig::new().with_image_size(32))
            .with_batch_size(32)
            .with_epochs(3)
            .with_lr(1e-3)
            .with_lr_decay_start(1)
    }

    /// Checks every option that a run needs to make sense; the message names the option.
    pub fn validate(&self) -> crate::error::Result<()> {
        self.model.validate()?;
        check_run(self.batch_size, self.epochs, self.lr)?;
        let bad = |m: String| Err(TrainError::Options(m));
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(format!("weight_decay must be 0 or positive, got {}", self.weight_decay));
        }
        if self.valid_images == 0 {
            return bad("valid_images must be at least 1".into());
        }
        Ok(())
    }

    /// STGAN's Adam: beta1 0.9, beta2 0.999, epsilon 1e-8 (TensorFlow's; Burn's default epsilon
    /// is 1e-5). The L2 penalty is part of the loss, as in STGAN, not the optimizer's. Burn's
    /// Adam, updated in one pass on the CPU backends ([`FusedAdamConfig`]).
    pub fn adam(&self) -> FusedAdamConfig {
        FusedAdamConfig::new().with_beta_1(0.9).with_beta_2(0.999).with_epsilon(1e-8)
    }
}

/// STGAN's learning-rate schedule, stepped once per batch by the Learner: during 0-based epoch e
/// the rate is `base * (1 - max(e - decay_start, 0) / epochs)^0.75` (train.py's
/// `lr * (1 - max(it // batch_epoch - 8, 0) / epoch_)**0.75`). The batch count is saved in
/// checkpoints.
#[derive(Debug, Clone)]
pub struct StganLrScheduler {
    base: f64,
    decay_start: usize,
    epochs: usize,
    batches_per_epoch: usize,
    batches_done: usize,
}

impl StganLrScheduler {
    /// A scheduler at the start of training.
    pub fn new(base: f64, decay_start: usize, epochs: usize, batches_per_epoch: usize) -> Self {
        Self { base, decay_start, epochs: epochs.max(1), batches_per_epoch: batches_per_epoch.max(1), batches_done: 0 }
    }

    /// The rate during (0-based) epoch `epoch`.
    pub fn rate(&self, epoch: usize) -> f64 {
        let decayed = epoch.saturating_sub(self.decay_start) as f64 / self.epochs as f64;
        self.base * (1.0 - decayed).max(0.0).powf(LR_DECAY_POWER)
    }
}

impl LrScheduler for StganLrScheduler {
    type Record<B: Backend> = usize;

    fn step(&mut self) -> LearningRate {
        let epoch = self.batches_done / self.batches_per_epoch;
        self.batches_done += 1;
        self.rate(epoch)
    }

    fn to_record<B: Backend>(&self) -> usize {
        self.batches_done
    }

    fn load_record<B: Backend>(mut self, record: usize) -> Self {
        self.batches_done = record;
        self
    }
}

/// The classifier as Burn's Learner trains it: the network and how its steps compute the loss
/// (not saved in records).
#[derive(Module, Debug)]
pub struct ClassifierModel<B: Backend> {
    /// The network.
    pub classifier: AttributeClassifier<B>,
    /// Weight of the L2 penalty on the convolution and FC weights.
    pub weight_decay: f64,
    /// Random left-right mirroring of the training images.
    pub hflip: bool,
}

impl<B: Backend> ClassifierModel<B> {
    /// The network with the step settings of `config`.
    pub fn new(classifier: AttributeClassifier<B>, config: &ClassifierTrainingConfig) -> Self {
        Self { classifier, weight_decay: config.weight_decay, hflip: config.hflip }
    }

    /// `sum(w^2) / 2` over every convolution and FC weight (not the biases or BatchNorm's scale
    /// and shift), as TensorFlow's `l2_loss` that STGAN's regulariser sums.
    pub fn l2_penalty(&self) -> Tensor<B, 1> {
        let c = &self.classifier;
        let square = |w: Tensor<B, 1>| w.powi_scalar(2).sum();
        let mut total = square(c.fc.weight.val().flatten(0, 1)) + square(c.logits.weight.val().flatten(0, 1));
        for block in &c.blocks {
            for layer in &block.convs {
                total = total + square(layer.conv.weight.val().flatten(0, 3));
            }
        }
        total.div_scalar(2.0)
    }

    /// The classification loss (mean sigmoid cross-entropy), the total loss with the L2 penalty,
    /// and the logits, for images [N, 3, S, S] in [-1, 1] and 0/1 attributes [N, n_attrs].
    pub fn losses(&self, images: Tensor<B, 4>, attributes: Tensor<B, 2>) -> (Tensor<B, 1>, Tensor<B, 1>, Tensor<B, 2>) {
        let logits = self.classifier.forward(images);
        let bce = attribute_bce(logits.clone(), attributes);
        let total =
            if self.weight_decay > 0.0 { bce.clone() + self.l2_penalty() * self.weight_decay } else { bce.clone() };
        (bce, total, logits)
    }
}

/// Mirrors each image of `x` [N, C, H, W] left-right with probability 1/2, drawing from the
/// backend's generator (seeded at the start of a run).
fn random_hflip<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    let n = x.dims()[0];
    let m = Tensor::<B, 4>::random([n, 1, 1, 1], Distribution::Bernoulli(0.5), &x.device());
    x.clone().flip([3]) * m.clone() + x * m.neg().add_scalar(1.0)
}

/// One optimisation step: the gradients of the total loss; the output carries the
/// cross-entropy (the `Loss` metric), the logits and the targets (the Hamming score).
impl<B: AutodiffBackend> TrainStep for ClassifierModel<B> {
    type Input = CelebaBatch<B>;
    type Output = MultiLabelClassificationOutput<B>;

    fn step(&self, batch: CelebaBatch<B>) -> TrainOutput<MultiLabelClassificationOutput<B>> {
        let images = if self.hflip { random_hflip(batch.images) } else { batch.images };
        let (bce, total, logits) = self.losses(images, batch.attributes.clone());
        let grads = GradientsParams::from_grads(total.backward(), self);
        let output = MultiLabelClassificationOutput::new(bce.detach(), logits.detach(), batch.attributes.int());
        TrainOutput { grads, item: output }
    }
}

/// Validation: the cross-entropy and the logits with BatchNorm's running statistics.
impl<B: Backend> InferenceStep for ClassifierModel<B> {
    type Input = CelebaBatch<B>;
    type Output = MultiLabelClassificationOutput<B>;

    fn step(&self, batch: CelebaBatch<B>) -> MultiLabelClassificationOutput<B> {
        let logits = self.classifier.forward(batch.images);
        let bce = attribute_bce(logits.clone(), batch.attributes.clone());
        MultiLabelClassificationOutput::new(bce, logits, batch.attributes.int())
    }
}

/// Runs a [`ClassifierTrainingConfig`] on a dataset, writing into an output directory.
#[derive(Clone)]
pub struct ClassifierTrainer {
    config: ClassifierTrainingConfig,
    out: PathBuf,
    display: Display,
    interrupter: Interrupter,
}

impl ClassifierTrainer {
    /// A trainer writing into `out`.
    pub fn new(config: ClassifierTrainingConfig, out: impl Into<PathBuf>) -> Self {
        Self { config, out: out.into(), display: Display::Auto, interrupter: Interrupter::new() }
    }

    /// How to show progress.
    pub fn with_display(mut self, display: Display) -> Self {
        self.display = display;
        self
    }

    /// A handle that stops the run after the current step from another thread (e.g. on
    /// Ctrl-C); the classifier trained so far is still saved and returned.
    pub fn interrupter(&self) -> Interrupter {
        self.interrupter.clone()
    }

    /// The run's options.
    pub fn config(&self) -> &ClassifierTrainingConfig {
        &self.config
    }

    /// The output directory.
    pub fn out(&self) -> &Path {
        &self.out
    }

    fn check_data(&self, train: &CelebaDataset, valid: &CelebaDataset) -> crate::error::Result<()> {
        let c = &self.config;
        c.validate()?;
        check_splits("classifier", (c.model.image_size, c.model.image_size), &c.model.attributes, train, valid)
    }

    /// Trains on `train`, validating on (the first `valid_images` of) `valid`, on `device`;
    /// saves the classifier into the output directory and returns it in inference mode.
    pub fn fit<B: AutodiffBackend>(
        &self,
        train: CelebaDataset,
        valid: CelebaDataset,
        device: &B::Device,
    ) -> crate::error::Result<AttributeClassifier<B::InnerBackend>> {
        self.check_data(&train, &valid)?;
        let c = &self.config;
        write_atomically(self.out.join(CLASSIFIER_TRAINING_FILE), c.to_string().as_bytes())?;
        self.interrupter.reset();
        B::seed(device, c.seed);
        let model = ClassifierModel::new(c.model.init::<B>(device), c);
        let batches_per_epoch = train.len().div_ceil(c.batch_size);
        let scheduler = StganLrScheduler::new(c.lr, c.lr_decay_start, c.epochs, batches_per_epoch);
        let learner = Learner::new(model, c.adam().init(), scheduler);

        let workers = worker_count(c.workers);
        let valid_len = c.valid_images.min(valid.len());
        let train_loader = loader::<B, _>(train, c.batch_size, Some(c.seed), workers, device);
        let valid_loader =
            loader::<B::InnerBackend, _>(PartialDataset::new(valid, 0, valid_len), c.batch_size, None, workers, device);

        let training = SupervisedTraining::new(&self.out, train_loader, valid_loader)
            .num_epochs(c.epochs)
            .with_interrupter(self.interrupter.clone())
            .with_file_checkpointer(NamedMpkFileRecorder::<FullPrecisionSettings>::new())
            .metric_train_numeric(LossMetric::new())
            .metric_valid_numeric(LossMetric::new())
            .metric_train_numeric(HammingScore::new().with_sigmoid(true))
            .metric_valid_numeric(HammingScore::new().with_sigmoid(true))
            .metric_train_numeric(LearningRateMetric::new());
        let result = self.display.install(training).launch(learner);
        let classifier = result.model.classifier;
        classifier.save(&c.model, &self.out)?;
        Ok(classifier)
    }
}

/// The accuracy of a classifier on a set of images, attribute by attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AccuracyReport {
    /// The attributes, in the classifier's order.
    pub attributes: Vec<String>,
    /// Share of images where the prediction (logit > 0) equals the label, per attribute.
    pub accuracy: Vec<f64>,
    /// Share of images that have the attribute, per attribute (the majority-class baseline is
    /// the larger of this and its complement).
    pub positive_rate: Vec<f64>,
    /// Number of images judged.
    pub images: usize,
}

impl AccuracyReport {
    /// The mean of the per-attribute accuracies (STGAN's "mean accuracy").
    pub fn mean(&self) -> f64 {
        self.accuracy.iter().sum::<f64>() / self.accuracy.len().max(1) as f64
    }

    /// The accuracy of one attribute, by name.
    pub fn get(&self, attribute: &str) -> Option<f64> {
        self.attributes.iter().position(|a| a == attribute).map(|i| self.accuracy[i])
    }

    /// The report as CSV: a header `attribute,accuracy`, one row per attribute, and a last row
    /// `mean`; accuracies are fractions in [0, 1].
    pub fn to_csv(&self) -> String {
        let mut csv = String::from("attribute,accuracy\n");
        for (name, acc) in self.attributes.iter().zip(&self.accuracy) {
            csv += &format!("{name},{acc:.6}\n");
        }
        csv += &format!("mean,{:.6}\n", self.mean());
        csv
    }

    /// Writes [`AccuracyReport::to_csv`] to `path` atomically.
    pub fn write_csv(&self, path: impl AsRef<Path>) -> crate::error::Result<()> {
        Ok(write_atomically(path, self.to_csv().as_bytes())?)
    }
}

impl fmt::Display for AccuracyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.attributes.iter().map(String::len).max().unwrap_or(0).max("attribute".len());
        writeln!(f, "{:<width$}  {:>8}  {:>9}", "attribute", "accuracy", "positives")?;
        for ((name, acc), pos) in self.attributes.iter().zip(&self.accuracy).zip(&self.positive_rate) {
            writeln!(f, "{name:<width$}  {:>7.2}%  {:>8.1}%", acc * 100.0, pos * 100.0)?;
        }
        writeln!(f, "{:<width$}  {:>7.2}%", "mean", self.mean() * 100.0)?;
        write!(f, "({} images)", self.images)
    }
}

/// The per-attribute accuracy of `model` (in inference mode: BatchNorm's running statistics)
/// on every item of `dataset`, read in order in batches of `batch_size`. The items' attributes
/// must be the classifier's, in its order (compare `CelebaDataset::options().attributes` with
/// [`AttributeClassifier::require_attributes`]); a different count or image size is an error.
pub fn accuracy<B: Backend, D: Dataset<CelebaItem> + 'static>(
    model: &AttributeClassifier<B>,
    dataset: D,
    batch_size: usize,
    device: &B::Device,
) -> crate::error::Result<AccuracyReport> {
    if batch_size == 0 {
        return Err(TrainError::Options("batch_size must be at least 1".into()));
    }
    if dataset.is_empty() {
        return Err(TrainError::Options("cannot measure accuracy on no images".into()));
    }
    let n = model.n_attrs();
    let mut correct = vec![0u64; n];
    let mut positives = vec![0u64; n];
    let mut images = 0usize;
    let counts = |t: Tensor<B, 2>| -> Vec<u64> {
        let v: Vec<f32> = t.sum_dim(0).into_data().convert::<f32>().into_vec().expect("float tensor data");
        v.into_iter().map(|x| x.round() as u64).collect()
    };
    for batch in loader::<B, _>(dataset, batch_size, None, 0, device).iter() {
        let [b, a] = batch.attributes.dims();
        let [_, c, h, w] = batch.images.dims();
        if a != n {
            return Err(attgan_core::AttGanError::Shape(format!(
                "the data has {a} attributes per image, the classifier predicts {n} ([{}])",
                model.attributes().join(", ")
            ))
            .into());
        }
        if (c, h, w) != (3, model.image_size, model.image_size) {
            return Err(attgan_core::AttGanError::Shape(format!(
                "the data has images [{c}, {h}, {w}], the classifier takes [3, {s}, {s}]",
                s = model.image_size
            ))
            .into());
        }
        let predicted = model.forward(batch.images).greater_elem(0.0).float();
        let hits = counts(predicted.equal(batch.attributes.clone()).float());
        let pos = counts(batch.attributes);
        for i in 0..n {
            correct[i] += hits[i];
            positives[i] += pos[i];
        }
        images += b;
    }
    Ok(AccuracyReport {
        attributes: model.attributes().to_vec(),
        accuracy: correct.iter().map(|&k| k as f64 / images as f64).collect(),
        positive_rate: positives.iter().map(|&k| k as f64 / images as f64).collect(),
        images,
    })
}
