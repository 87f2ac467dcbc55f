//! AttGAN's objectives (He et al., eqs. 10-11), term by term:
//!
//! - D-loss = -(E[D(xa)] - E[D(xb)]) + gp_weight * GP + d_attr_weight * BCE(C(xa), a)
//! - G-loss = adv_weight * -E[D(xb)] + g_attr_weight * BCE(C(xb), b)
//!   + rec_weight * mean|G(xa, a) - xa|
//!
//! GP is WGAN-GP's penalty E[(||grad_x D(x^)||_2 - 1)^2] at x^ = xa + alpha (xb - xa), computed
//! exactly: the input gradient comes from a second, nested autodiff pass over D, so the penalty
//! itself backpropagates into D's parameters.

use burn::backend::Autodiff;
use burn::config::Config;
use burn::module::{AutodiffModule, Module};
use burn::tensor::activation::log_sigmoid;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Distribution, Tensor};

use crate::attributes::{Targets, to_generator_input};
use crate::discriminator::Discriminator;
use crate::generator::Generator;

/// The weights of the loss terms; the defaults are the paper's.
#[derive(Config, Debug, PartialEq)]
pub struct LossConfig {
    /// Weight of the gradient penalty in the D-loss.
    #[config(default = 10.0)]
    pub gp_weight: f64,
    /// Weight of the attribute BCE on real images in the D-loss (the paper's lambda_3).
    #[config(default = 1.0)]
    pub d_attr_weight: f64,
    /// Weight of the adversarial term on fakes in the G-loss.
    #[config(default = 1.0)]
    pub adv_weight: f64,
    /// Weight of the attribute BCE on fakes in the G-loss (lambda_2).
    #[config(default = 10.0)]
    pub g_attr_weight: f64,
    /// Weight of the L1 reconstruction in the G-loss (lambda_1).
    #[config(default = 100.0)]
    pub rec_weight: f64,
}

impl Default for LossConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// Which step of training computes a term: the critic step (D/C) or the generator step (G).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// A critic (D/C) step: the D-loss.
    Critic,
    /// A generator step: the G-loss.
    Generator,
}

impl Phase {
    /// "critic" or "generator" (the `phase` column of `metrics.csv`).
    pub const fn name(self) -> &'static str {
        match self {
            Phase::Critic => "critic",
            Phase::Generator => "generator",
        }
    }
}

/// The terms of AttGAN's two objectives, named as the paper's training curves (Xa
/// reconstruction, Xa attribute, D gan, Xb gan, Xb attribute), plus the gradient penalty and the
/// two weighted totals. This is the one vocabulary: the loss structs below, the training's step
/// reports, the dashboard, the columns of `metrics.csv` and the panels of the curve plot all take
/// their names from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Term {
    /// -(E[D(xa)] - E[D(xb)]): the Wasserstein critic term.
    DGan,
    /// E[(||grad D(x^)|| - 1)^2]: the gradient penalty (unweighted).
    Gp,
    /// BCE(C(xa), a): the classifier on real images (unweighted).
    XaAttribute,
    /// The weighted D-loss.
    DTotal,
    /// -E[D(xb)]: the generator's adversarial term (unweighted).
    XbGan,
    /// BCE(C(xb), b): the classifier on edited images against the targets (unweighted).
    XbAttribute,
    /// mean|G(xa, a) - xa|: the reconstruction (unweighted).
    XaReconstruction,
    /// The weighted G-loss.
    GTotal,
}

impl Term {
    /// Every term, in the column order of `metrics.csv`: the critic step's four, then the
    /// generator step's four.
    pub const ALL: [Term; 8] = [
        Term::DGan,
        Term::Gp,
        Term::XaAttribute,
        Term::DTotal,
        Term::XbGan,
        Term::XbAttribute,
        Term::XaReconstruction,
        Term::GTotal,
    ];

    /// The seed's five curves and the penalty: the panels of the curve plot.
    pub const CURVES: [Term; 6] =
        [Term::XaReconstruction, Term::XaAttribute, Term::DGan, Term::XbGan, Term::XbAttribute, Term::Gp];

    /// The name people read (dashboard, plots, error messages), e.g. "Xa reconstruction".
    pub const fn label(self) -> &'static str {
        match self {
            Term::DGan => "D gan",
            Term::Gp => "GP",
            Term::XaAttribute => "Xa attribute",
            Term::DTotal => "D total",
            Term::XbGan => "Xb gan",
            Term::XbAttribute => "Xb attribute",
            Term::XaReconstruction => "Xa reconstruction",
            Term::GTotal => "G total",
        }
    }

    /// The column of `metrics.csv`, e.g. `xa_rec` (unchanged since the first runs, so old files
    /// still read).
    pub const fn column(self) -> &'static str {
        match self {
            Term::DGan => "d_gan",
            Term::Gp => "gp",
            Term::XaAttribute => "xa_attr",
            Term::DTotal => "d_total",
            Term::XbGan => "xb_gan",
            Term::XbAttribute => "xb_attr",
            Term::XaReconstruction => "xa_rec",
            Term::GTotal => "g_total",
        }
    }

    /// The step that computes the term.
    pub const fn phase(self) -> Phase {
        match self {
            Term::DGan | Term::Gp | Term::XaAttribute | Term::DTotal => Phase::Critic,
            Term::XbGan | Term::XbAttribute | Term::XaReconstruction | Term::GTotal => Phase::Generator,
        }
    }
}

/// The D-loss and its terms (each a one-element tensor; `total` is the one to backpropagate).
#[derive(Debug, Clone)]
pub struct DiscriminatorLoss<B: Backend> {
    /// [`Term::DGan`]: -(E[D(xa)] - E[D(xb)]).
    pub d_gan: Tensor<B, 1>,
    /// [`Term::Gp`]: the gradient penalty (unweighted).
    pub gp: Tensor<B, 1>,
    /// [`Term::XaAttribute`]: BCE(C(xa), a) (unweighted).
    pub xa_attribute: Tensor<B, 1>,
    /// [`Term::DTotal`]: the weighted sum.
    pub total: Tensor<B, 1>,
}

impl<B: Backend> DiscriminatorLoss<B> {
    /// The four terms with their names.
    pub fn terms(&self) -> [(Term, Tensor<B, 1>); 4] {
        [
            (Term::DGan, self.d_gan.clone()),
            (Term::Gp, self.gp.clone()),
            (Term::XaAttribute, self.xa_attribute.clone()),
            (Term::DTotal, self.total.clone()),
        ]
    }
}

/// The G-loss and its terms.
#[derive(Debug, Clone)]
pub struct GeneratorLoss<B: Backend> {
    /// [`Term::XbGan`]: -E[D(xb)] (unweighted).
    pub xb_gan: Tensor<B, 1>,
    /// [`Term::XbAttribute`]: BCE(C(xb), b) (unweighted).
    pub xb_attribute: Tensor<B, 1>,
    /// [`Term::XaReconstruction`]: mean|G(xa, a) - xa| (unweighted).
    pub xa_reconstruction: Tensor<B, 1>,
    /// [`Term::GTotal`]: the weighted sum.
    pub total: Tensor<B, 1>,
}

impl<B: Backend> GeneratorLoss<B> {
    /// The four terms with their names.
    pub fn terms(&self) -> [(Term, Tensor<B, 1>); 4] {
        [
            (Term::XbGan, self.xb_gan.clone()),
            (Term::XbAttribute, self.xb_attribute.clone()),
            (Term::XaReconstruction, self.xa_reconstruction.clone()),
            (Term::GTotal, self.total.clone()),
        ]
    }
}

/// The outputs of one generator pass that the G-loss needs, kept for sample grids and metrics.
#[derive(Debug, Clone)]
pub struct GeneratorPass<B: Backend> {
    /// G(xa, b): the edited images.
    pub xb: Tensor<B, 4>,
    /// G(xa, a): the reconstructions.
    pub xa_rec: Tensor<B, 4>,
}

/// Wasserstein critic term -(E\[real\] - E\[fake\]) from critic scores `[N, 1]`.
pub fn wgan_critic<B: Backend>(real_scores: Tensor<B, 2>, fake_scores: Tensor<B, 2>) -> Tensor<B, 1> {
    fake_scores.mean() - real_scores.mean()
}

/// Generator's adversarial term -E\[fake\] from critic scores `[N, 1]`.
pub fn wgan_generator<B: Backend>(fake_scores: Tensor<B, 2>) -> Tensor<B, 1> {
    fake_scores.mean().neg()
}

/// Mean binary cross-entropy of logits [N, n] against 0/1 targets [N, n], computed stably as
/// -(t log s(x) + (1 - t) log s(-x)) (`sigmoid_cross_entropy` in the official code).
pub fn attribute_bce<B: Backend>(logits: Tensor<B, 2>, targets: Tensor<B, 2>) -> Tensor<B, 1> {
    let pos = targets.clone() * log_sigmoid(logits.clone());
    let neg = targets.neg().add_scalar(1.0) * log_sigmoid(logits.neg());
    (pos + neg).mean().neg()
}

/// Mean absolute error between reconstructions and inputs.
pub fn reconstruction_l1<B: Backend>(x_rec: Tensor<B, 4>, x: Tensor<B, 4>) -> Tensor<B, 1> {
    (x_rec - x).abs().mean()
}

/// x^ = real + alpha (fake - real), one alpha `[N]` per sample, detached from both inputs.
pub fn interpolate<B: Backend>(real: Tensor<B, 4>, fake: Tensor<B, 4>, alpha: Tensor<B, 1>) -> Tensor<B, 4> {
    let [n, _, _, _] = real.dims();
    assert_eq!(alpha.dims()[0], n, "one alpha per sample");
    let alpha = alpha.reshape([n, 1, 1, 1]);
    let real = real.detach();
    (real.clone() + (fake.detach() - real) * alpha).detach()
}

/// Per-sample Euclidean norms [N] of a gradient [N, ...]. A 1e-12 under the square root keeps
/// its derivative finite at zero; it shifts no norm above 1e-6 by a representable amount.
fn per_sample_norm<B: Backend>(g: Tensor<B, 4>) -> Tensor<B, 1> {
    g.flatten::<2>(1, 3).square().sum_dim(1).add_scalar(1e-12).sqrt().flatten(0, 1)
}

/// Mean of (||g_i|| - 1)^2 over the samples of a gradient [N, ...].
pub fn penalty_from_gradient<B: Backend>(g: Tensor<B, 4>) -> Tensor<B, 1> {
    per_sample_norm(g).sub_scalar(1.0).square().mean()
}

/// The exact gradient penalty at the points `x_hat`: E[(||grad_x D(x^)||_2 - 1)^2].
///
/// D is lifted onto `Autodiff<B>` (sharing its parameter tensors), the input gradient is taken
/// there, and it comes back as a `B` tensor that is still part of `B`'s graph: backpropagating
/// the result reaches D's parameters with the true second-order gradient.
pub fn gradient_penalty_at<B: AutodiffBackend>(d: &Discriminator<B>, x_hat: Tensor<B, 4>) -> Tensor<B, 1> {
    // The outer copy's parameters are untracked on the outer level (`no_grad` keeps each inner
    // tensor, so their inner tracking stays): the outer pass then computes the input gradient
    // only, not the weight gradients it would throw away (a batch-1 LibTorch critic step 0.308
    // -> 0.275 s). The core suite checks the result against finite differences.
    let d_outer = <Discriminator<Autodiff<B>> as AutodiffModule<Autodiff<B>>>::from_inner(d.clone()).no_grad();
    let x = Tensor::<Autodiff<B>, 4>::from_inner(x_hat.detach()).require_grad();
    let scores = d_outer.forward_adv(x.clone());
    let grads = scores.sum().backward();
    let g = x.grad(&grads).expect("the critic's output depends on its input");
    penalty_from_gradient(g)
}

/// The gradient penalty at random interpolates between `real` and `fake` (alpha ~ U(0, 1) per
/// sample, drawn from the backend's RNG; seed it with `B::seed`).
pub fn gradient_penalty<B: AutodiffBackend>(
    d: &Discriminator<B>,
    real: Tensor<B, 4>,
    fake: Tensor<B, 4>,
) -> Tensor<B, 1> {
    let n = real.dims()[0];
    let alpha = Tensor::random([n], Distribution::Uniform(0.0, 1.0), &real.device());
    gradient_penalty_at(d, interpolate(real, fake, alpha))
}

impl LossConfig {
    /// The weighted D-loss from its unweighted terms.
    pub fn discriminator_total<B: Backend>(
        &self,
        d_gan: Tensor<B, 1>,
        gp: Tensor<B, 1>,
        xa_attribute: Tensor<B, 1>,
    ) -> DiscriminatorLoss<B> {
        let total =
            d_gan.clone() + gp.clone().mul_scalar(self.gp_weight) + xa_attribute.clone().mul_scalar(self.d_attr_weight);
        DiscriminatorLoss { d_gan, gp, xa_attribute, total }
    }

    /// The weighted G-loss from its unweighted terms.
    pub fn generator_total<B: Backend>(
        &self,
        xb_gan: Tensor<B, 1>,
        xb_attribute: Tensor<B, 1>,
        xa_reconstruction: Tensor<B, 1>,
    ) -> GeneratorLoss<B> {
        let total = xb_gan.clone().mul_scalar(self.adv_weight)
            + xb_attribute.clone().mul_scalar(self.g_attr_weight)
            + xa_reconstruction.clone().mul_scalar(self.rec_weight);
        GeneratorLoss { xb_gan, xb_attribute, xa_reconstruction, total }
    }

    /// The D-loss for real images `xa` with attributes `a` (0/1, [N, n_attrs]) and fakes `xb`
    /// (made by G in training mode and detached by this function), with the penalty at the
    /// interpolates given by `alpha` `[N]`. With `gp_weight` 0 the penalty is not computed and
    /// `gp` is 0.
    pub fn discriminator_loss_with_alpha<B: AutodiffBackend>(
        &self,
        d: &Discriminator<B>,
        xa: Tensor<B, 4>,
        xb: Tensor<B, 4>,
        a: Tensor<B, 2>,
        alpha: Tensor<B, 1>,
    ) -> DiscriminatorLoss<B> {
        let xb = xb.detach();
        let (real_scores, real_logits, fake_scores) = if d.is_per_sample() {
            // One pass over real and fake together: the scores are those of two passes, and
            // each weight gets one gradient instead of two to be summed.
            let n = xa.dims()[0];
            let (scores, logits) = d.forward(Tensor::cat(vec![xa.clone(), xb.clone()], 0));
            (scores.clone().narrow(0, 0, n), logits.narrow(0, 0, n), scores.narrow(0, n, n))
        } else {
            // Batch normalisation must see real and fake apart, as the paper's code does.
            let (real_scores, real_logits) = d.forward(xa.clone());
            (real_scores, real_logits, d.forward_adv(xb.clone()))
        };
        // A zero weight skips the nested pass (about half the step's time) and reports GP as 0.
        let gp = if self.gp_weight == 0.0 {
            Tensor::zeros([1], &xa.device())
        } else {
            gradient_penalty_at(d, interpolate(xa, xb, alpha))
        };
        self.discriminator_total(wgan_critic(real_scores, fake_scores), gp, attribute_bce(real_logits, a))
    }

    /// [`LossConfig::discriminator_loss_with_alpha`] with alpha ~ U(0, 1) from the backend's RNG.
    pub fn discriminator_loss<B: AutodiffBackend>(
        &self,
        d: &Discriminator<B>,
        xa: Tensor<B, 4>,
        xb: Tensor<B, 4>,
        a: Tensor<B, 2>,
    ) -> DiscriminatorLoss<B> {
        let n = xa.dims()[0];
        let alpha = Tensor::random([n], Distribution::Uniform(0.0, 1.0), &xa.device());
        self.discriminator_loss_with_alpha(d, xa, xb, a, alpha)
    }

    /// The G-loss for real images `xa` with attributes `a` (0/1, [N, n_attrs]) and `targets`
    /// (0/1 and G's input for them: [`Targets::new`] for the paper's (2b - 1) * `thres_int`);
    /// G sees `a` as (2a - 1) * `thres_int`. The edit and the reconstruction
    /// share one encoding. Gradients reach D as well: step only G's parameters with them.
    pub fn generator_loss<B: Backend>(
        &self,
        g: &Generator<B>,
        d: &Discriminator<B>,
        xa: Tensor<B, 4>,
        a: Tensor<B, 2>,
        targets: Targets<B>,
        thres_int: f64,
    ) -> (GeneratorLoss<B>, GeneratorPass<B>) {
        let zs = g.encode(xa.clone());
        let xb = g.decode(&zs, targets.input);
        let xa_rec = g.decode(&zs, to_generator_input(a, thres_int));
        let (fake_scores, fake_logits) = d.forward(xb.clone());
        let loss = self.generator_total(
            wgan_generator(fake_scores),
            attribute_bce(fake_logits, targets.b),
            reconstruction_l1(xa_rec.clone(), xa),
        );
        (loss, GeneratorPass { xb, xa_rec })
    }
}
