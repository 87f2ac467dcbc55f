//! The generator: the encoder Genc and the attribute-conditioned decoder Gdec.

use burn::module::Module;
use burn::tensor::{Tensor, backend::Backend};

use crate::config::AttGanConfig;
use crate::layers::{Activation, ConvBlock, down_stack, materialize, tile};

/// Genc: `enc_layers` x [conv 4x4 s2 -> norm -> activation (LeakyReLU)], keeping every layer's output.
#[derive(Module, Debug)]
pub struct Genc<B: Backend> {
    /// The blocks, from the image inwards.
    pub layers: Vec<ConvBlock<B>>,
}

impl<B: Backend> Genc<B> {
    /// Every layer's output, shallowest first: the last is the latent, the others feed the
    /// decoder's shortcuts. Input: images [N, 3, S, S] in [-1, 1].
    pub fn forward(&self, x: Tensor<B, 4>) -> Vec<Tensor<B, 4>> {
        let mut zs = Vec::with_capacity(self.layers.len());
        let mut z = x;
        for layer in &self.layers {
            z = layer.forward(z);
            zs.push(z.clone());
        }
        zs
    }
}

/// Gdec: transposed convolutions from the latent (with the tiled attributes) back to an image,
/// taking the mirrored encoder output (shortcut) and the tiled attributes again (injection)
/// after each of its first `shortcut_layers` / `inject_layers` layers.
#[derive(Module, Debug)]
pub struct Gdec<B: Backend> {
    /// The blocks, from the latent outwards; the last one ends in tanh.
    pub layers: Vec<ConvBlock<B>>,
    /// How many layers take the mirrored encoder output.
    pub shortcut_layers: usize,
    /// How many layers take the attributes again.
    pub inject_layers: usize,
}

impl<B: Backend> Gdec<B> {
    /// Every layer's output (the last is the image in [-1, 1]). `zs` are Genc's outputs and `b`
    /// the conditioning attributes [N, n_attrs] as G sees them, i.e. already scaled by
    /// [`crate::attributes::to_generator_input`].
    pub fn forward_all(&self, zs: &[Tensor<B, 4>], b: Tensor<B, 2>) -> Vec<Tensor<B, 4>> {
        let n = self.layers.len();
        assert_eq!(zs.len(), n, "Gdec has {n} layers but got {} encoder outputs", zs.len());
        let with_attrs = |z: Tensor<B, 4>| {
            let [_, _, h, w] = z.dims();
            Tensor::cat(vec![z, tile(b.clone(), h, w)], 1)
        };
        let mut outs = Vec::with_capacity(n);
        let mut z = with_attrs(zs[n - 1].clone());
        for (i, layer) in self.layers.iter().enumerate() {
            z = layer.forward(z);
            outs.push(z.clone());
            if i + 1 < n {
                if self.shortcut_layers > i {
                    z = Tensor::cat(vec![z, zs[n - 2 - i].clone()], 1);
                }
                if self.inject_layers > i {
                    z = with_attrs(z);
                }
            }
        }
        outs
    }

    /// The decoded image [N, 3, S, S] in [-1, 1].
    pub fn forward(&self, zs: &[Tensor<B, 4>], b: Tensor<B, 2>) -> Tensor<B, 4> {
        self.forward_all(zs, b).pop().expect("Gdec has at least one layer")
    }
}

/// The AttGAN generator G = Gdec(Genc(x), b).
#[derive(Module, Debug)]
pub struct Generator<B: Backend> {
    /// The encoder.
    pub enc: Genc<B>,
    /// The decoder.
    pub dec: Gdec<B>,
    /// Number of attributes G is conditioned on.
    pub n_attrs: usize,
    /// Side of the images G takes and returns.
    pub image_size: usize,
}

impl<B: Backend> Generator<B> {
    /// Genc's outputs for images [N, 3, S, S] in [-1, 1], shallowest first.
    pub fn encode(&self, x: Tensor<B, 4>) -> Vec<Tensor<B, 4>> {
        let [_, c, h, w] = x.dims();
        assert!(
            c == 3 && h == self.image_size && w == self.image_size,
            "G expects images [N, 3, {s}, {s}], got [_, {c}, {h}, {w}]",
            s = self.image_size
        );
        self.enc.forward(x)
    }

    /// Gdec's image for the encoding `zs` and the scaled attributes `b` [N, n_attrs].
    pub fn decode(&self, zs: &[Tensor<B, 4>], b: Tensor<B, 2>) -> Tensor<B, 4> {
        self.check_attrs(&b);
        self.dec.forward(zs, b)
    }

    /// Gdec's every layer output, for inspection.
    pub fn decode_all(&self, zs: &[Tensor<B, 4>], b: Tensor<B, 2>) -> Vec<Tensor<B, 4>> {
        self.check_attrs(&b);
        self.dec.forward_all(zs, b)
    }

    /// G(x, b): the image x re-rendered with the scaled attributes b.
    pub fn forward(&self, x: Tensor<B, 4>, b: Tensor<B, 2>) -> Tensor<B, 4> {
        let zs = self.encode(x);
        self.decode(&zs, b)
    }

    fn check_attrs(&self, b: &Tensor<B, 2>) {
        let [_, n] = b.dims();
        assert_eq!(n, self.n_attrs, "G is conditioned on {} attributes, got {n}", self.n_attrs);
    }
}

impl AttGanConfig {
    /// Builds G with freshly initialised weights. Panics with the validation message if the
    /// config is invalid; call [`AttGanConfig::validate`] first to handle that as an error.
    pub fn init_generator<B: Backend>(&self, device: &B::Device) -> Generator<B> {
        self.validate().unwrap_or_else(|e| panic!("{e}"));
        let enc_act = self.enc_activation.activation(self.leaky_slope);
        let enc =
            down_stack(self.enc_layers, |i| self.enc_channels(i), |_| self.block_spec(self.enc_norm, enc_act), device);
        let dec = (0..self.dec_layers)
            .map(|i| {
                let last = i + 1 == self.dec_layers;
                let spec = if last {
                    self.block_spec(crate::config::Norm::None, Activation::Tanh)
                } else {
                    self.block_spec(self.dec_norm, self.dec_activation.activation(self.leaky_slope))
                };
                ConvBlock::up(self.dec_in_channels(i), self.dec_channels(i), spec, device)
            })
            .collect();
        materialize(Generator {
            enc: Genc { layers: enc },
            dec: Gdec { layers: dec, shortcut_layers: self.shortcut_layers, inject_layers: self.inject_layers },
            n_attrs: self.n_attrs(),
            image_size: self.image_size,
        })
    }
}
