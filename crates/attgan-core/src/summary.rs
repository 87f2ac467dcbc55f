//! The layer table of a config, computed from the config alone: what each layer takes and
//! returns and how many parameters it has. Tests check it against real forward passes and
//! `Module::num_params`, so it doubles as the architecture's specification.

use std::fmt::Write;

use crate::config::{AttGanConfig, Norm};

/// One layer of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRow {
    /// "Genc", "Gdec", "D/C trunk", "D head" or "C head".
    pub network: &'static str,
    /// What the layer is, e.g. "conv4x4 s2 + batch norm + lrelu".
    pub layer: String,
    /// Input channels (or features, for a fully connected layer).
    pub input: usize,
    /// Output shape per sample: `[C, H, W]` for convolutions, `[features]` for the heads.
    pub output: Vec<usize>,
    /// Trainable parameters.
    pub params: usize,
}

fn norm_name(norm: Norm) -> &'static str {
    match norm {
        Norm::None => "",
        Norm::Batch => " + batch norm",
        Norm::Instance => " + instance norm",
        Norm::Layer => " + layer norm",
    }
}

/// Parameters of a 4x4 (transposed) convolution with its norm; a bias only without a norm.
fn conv_params(c_in: usize, c_out: usize, norm: Norm) -> usize {
    c_in * c_out * 16 + if norm == Norm::None { c_out } else { 2 * c_out }
}

impl AttGanConfig {
    /// Every layer of Genc, Gdec and D/C, in forward order.
    pub fn layer_table(&self) -> Vec<LayerRow> {
        let s = self.image_size;
        let mut rows = Vec::new();
        rows.extend(self.down_rows("Genc", self.enc_layers, |i| self.enc_channels(i), |_| self.enc_norm));
        for i in 0..self.dec_layers {
            let last = i + 1 == self.dec_layers;
            let norm = if last { Norm::None } else { self.dec_norm };
            let (c_in, c) = (self.dec_in_channels(i), self.dec_channels(i));
            let side = s >> (self.dec_layers - 1 - i);
            rows.push(LayerRow {
                network: "Gdec",
                layer: format!("convT4x4 s2{} + {}", norm_name(norm), if last { "tanh" } else { "relu" }),
                input: c_in,
                output: vec![c, side, side],
                params: conv_params(c_in, c, norm),
            });
        }
        rows.extend(self.down_rows("D/C trunk", self.dis_layers, |i| self.dis_channels(i), |i| self.dis_layer_norm(i)));
        let (flat, fc) = (self.dis_flat_features(), self.dis_fc_dim);
        for (network, n_out) in [("D head", 1), ("C head", self.n_attrs())] {
            rows.push(LayerRow {
                network,
                layer: "fc + lrelu".into(),
                input: flat,
                output: vec![fc],
                params: flat * fc + fc,
            });
            rows.push(LayerRow {
                network,
                layer: "fc".into(),
                input: fc,
                output: vec![n_out],
                params: fc * n_out + n_out,
            });
        }
        rows
    }

    /// A stack of stride-2 convolutions from the RGB image: Genc or the D/C trunk.
    fn down_rows(
        &self,
        network: &'static str,
        layers: usize,
        channels: impl Fn(usize) -> usize,
        norm: impl Fn(usize) -> Norm,
    ) -> Vec<LayerRow> {
        let s = self.image_size;
        (0..layers)
            .map(|i| {
                let c_in = if i == 0 { 3 } else { channels(i - 1) };
                let c = channels(i);
                let norm = norm(i);
                LayerRow {
                    network,
                    layer: format!("conv4x4 s2{} + lrelu", norm_name(norm)),
                    input: c_in,
                    output: vec![c, s >> (i + 1), s >> (i + 1)],
                    params: conv_params(c_in, c, norm),
                }
            })
            .collect()
    }

    /// Parameters of G (Genc + Gdec) and of D/C, from the layer table.
    pub fn param_counts(&self) -> ParamCounts {
        let table = self.layer_table();
        let sum = |nets: &[&str]| table.iter().filter(|r| nets.contains(&r.network)).map(|r| r.params).sum();
        ParamCounts {
            genc: sum(&["Genc"]),
            gdec: sum(&["Gdec"]),
            discriminator: sum(&["D/C trunk", "D head", "C head"]),
        }
    }

    /// The layer table as aligned text, with per-network totals.
    pub fn layer_table_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{:<10} {:<36} {:>6}  {:<18} {:>12}", "network", "layer", "in", "out", "params");
        for row in self.layer_table() {
            let shape = row.output.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("x");
            let _ = writeln!(
                out,
                "{:<10} {:<36} {:>6}  {:<18} {:>12}",
                row.network,
                row.layer,
                row.input,
                shape,
                group(row.params)
            );
        }
        let c = self.param_counts();
        let _ = writeln!(
            out,
            "Genc {} + Gdec {} = G {}; D/C {}",
            group(c.genc),
            group(c.gdec),
            group(c.generator()),
            group(c.discriminator)
        );
        out
    }
}

/// Parameter counts of the networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamCounts {
    /// The encoder.
    pub genc: usize,
    /// The decoder.
    pub gdec: usize,
    /// D and C with their shared trunk.
    pub discriminator: usize,
}

impl ParamCounts {
    /// G = Genc + Gdec.
    pub fn generator(&self) -> usize {
        self.genc + self.gdec
    }
}

/// 44718990 -> "44,718,990".
pub fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Trainable parameters of a module on an autodiff backend: what the optimizer updates. Burn's
/// `num_params` also counts batch norm's running statistics, which the paper's figures do not.
pub fn trainable_params<B: burn::tensor::backend::AutodiffBackend, M: burn::module::Module<B>>(module: &M) -> usize {
    struct Count(usize);
    impl<B: burn::tensor::backend::Backend> burn::module::ModuleVisitor<B> for Count {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<burn::tensor::Tensor<B, D>>) {
            if param.val().is_require_grad() {
                self.0 += param.shape().num_elements();
            }
        }
    }
    let mut count = Count(0);
    module.visit(&mut count);
    count.0
}
