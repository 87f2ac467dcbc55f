//! The forward passes of the three norms, over Burn's own modules' parameters (so records,
//! imports and exports do not change), laid out for a fast CPU.
//!
//! **Why not Burn's `forward`.** The math is Burn's (batch norm's biased batch variance and
//! running statistics, group norm's per-group statistics, the affine per channel), but Burn
//! broadcasts per-channel values as `[1, C, 1, 1]` against `[N, C, H, W]`. The CPU backend
//! (Flex) has fast kernels for a value per row (`[N, C, 1]` against `[N, C, HW]`) and for a
//! row shared by all, but a broadcast along both the batch and the pixels falls back to a
//! strided iterator an order of magnitude slower, and batch norm's `swap_dims(0, 1)` copies
//! the whole activation twice. At batch 32 these were the largest item of a CPU training step
//! (32% of the synthetic quick run's time, `perf`). Here every per-channel value is repeated
//! over the batch first (`N * C` numbers), every statistic is taken along the last axis, and
//! normalisation and affine are folded into one scale and one shift where the math allows.

use burn::module::RunningState;
use burn::nn::{BatchNorm, GroupNorm, InstanceNorm};
use burn::tensor::{Tensor, backend::Backend};

/// `v` ([C], one value per channel) repeated for each of `n` images as [N, C, 1]: one value per
/// row of an [N, C, HW] activation.
fn per_row<B: Backend>(v: Tensor<B, 1>, n: usize) -> Tensor<B, 3> {
    let [c] = v.dims();
    let v = v.reshape([1, c, 1]);
    if n == 1 { v } else { v.repeat_dim(0, n) }
}

/// Batch norm of `x` [N, C, H, W] with `bn`'s parameters. With autodiff (training): the batch's
/// statistics, and `bn`'s running statistics updated with its momentum; without: the running
/// statistics. The same decision and update as [`BatchNorm::forward`].
pub fn batch_norm<B: Backend>(bn: &BatchNorm<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    let x = x.reshape([n, c, h * w]);
    let gamma = bn.gamma.val();
    let y = if B::ad_enabled(&x.device()) {
        let count = (n * h * w) as f64;
        // Statistics per channel: along the pixels (last axis), then over the batch (N * C values).
        let channel_mean = |t: Tensor<B, 3>| t.sum_dim(2).sum_dim(0).reshape([c]) / count;
        let mean = channel_mean(x.clone());
        let centred = x.sub(per_row(mean.clone(), n));
        let var = channel_mean(centred.clone().square());
        update(&bn.running_mean, mean, bn.momentum);
        update(&bn.running_var, var.clone(), bn.momentum);
        let scale = gamma.div(var.add_scalar(bn.epsilon).sqrt());
        centred.mul(per_row(scale, n)).add(per_row(bn.beta.val(), n))
    } else {
        let device = x.device();
        let mean = bn.running_mean.value().to_device(&device);
        let var = bn.running_var.value().to_device(&device);
        let scale = gamma.div(var.add_scalar(bn.epsilon).sqrt());
        let shift = bn.beta.val().sub(mean.mul(scale.clone()));
        x.mul(per_row(scale, n)).add(per_row(shift, n))
    };
    y.reshape([n, c, h, w])
}

/// `running <- (1 - momentum) running + momentum batch`, detached: Burn's update.
fn update<B: Backend>(running: &RunningState<Tensor<B, 1>>, batch: Tensor<B, 1>, momentum: f64) {
    let device = batch.device();
    let old = running.value_sync().to_device(&device);
    running.update(old.mul_scalar(1.0 - momentum).add(batch.detach().mul_scalar(momentum)).detach());
}

/// Instance norm of `x` [N, C, H, W] with `norm`'s parameters: each image's each channel
/// normalised over its pixels, then the per-channel affine (folded into one scale per row).
pub fn instance_norm<B: Backend>(norm: &InstanceNorm<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    let (centred, std) = centre(x.reshape([n, c, h * w]), norm.epsilon);
    let y = match (&norm.gamma, &norm.beta) {
        (Some(gamma), Some(beta)) if norm.affine => {
            centred.mul(per_row(gamma.val(), n).div(std)).add(per_row(beta.val(), n))
        }
        _ => centred.div(std),
    };
    y.reshape([n, c, h, w])
}

/// Group norm of `x` [N, C, H, W] with `norm`'s parameters: each image's each group of channels
/// normalised over its values, then the per-channel affine. Layer norm is group norm with one
/// group (each image normalised over all its values).
pub fn group_norm<B: Backend>(norm: &GroupNorm<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    let groups = norm.num_groups;
    let (centred, std) = centre(x.reshape([n, groups, c / groups * h * w]), norm.epsilon);
    let normalised = centred.div(std).reshape([n, c, h * w]);
    let y = match (&norm.gamma, &norm.beta) {
        (Some(gamma), Some(beta)) if norm.affine => normalised.mul(per_row(gamma.val(), n)).add(per_row(beta.val(), n)),
        _ => normalised,
    };
    y.reshape([n, c, h, w])
}

/// Each row of `x` [N, G, L] minus its mean, and each row's standard deviation (biased, plus
/// `epsilon` under the root) as [N, G, 1]: group norm's statistics.
fn centre<B: Backend>(x: Tensor<B, 3>, epsilon: f64) -> (Tensor<B, 3>, Tensor<B, 3>) {
    let len = x.dims()[2] as f64;
    let mean = x.clone().sum_dim(2) / len;
    let centred = x.sub(mean);
    let var = centred.clone().square().sum_dim(2) / len;
    (centred, var.add_scalar(epsilon).sqrt())
}
