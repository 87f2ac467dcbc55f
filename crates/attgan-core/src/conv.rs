//! The layers' convolutions: Burn's own, except on LibTorch, where the deep layers run as
//! matrix products.
//!
//! Why: two of LibTorch's ways with a convolution cost more than the arithmetic on the CPU.
//! Burn 0.21 computes a weight gradient, on every backend that does not override it (LibTorch
//! does not), as a second convolution: the input against the output gradient, batch and
//! channels swapped, which oneDNN runs slowly where the output has few positions and writes
//! twice (its blocked layout, then the plain one). And oneDNN reorders the weight into its
//! blocked layout on every forward pass and input gradient, which dominates where the weight is
//! large and the positions few (the 128 model's deep layers hold 8-65 MiB of weights and see
//! 4x4 to 16x16 positions). The same results as im2col + one GEMM, timed on the 2-core CPU with
//! PyTorch 2.15's kernels: the 512->1024 layer's weight gradient at batch 1 8.1 ms against 27.3
//! ms, its forward pass 1.4 ms against 11.9 ms, its input gradient 3.1 ms against 13.3 ms;
//! Gdec's first transposed convolution forward 6.5 ms against 33.5 ms. [`uses_gemm`] and
//! [`uses_gemm_for_data`] choose per call, from those timings. A critic step with the exact
//! gradient penalty takes three weight gradients of every critic layer.
//!
//! How: with the `tch` feature, [`conv2d`] and [`conv_transpose2d`] run their own kernels on
//! `LibTorch` (editing), build the autodiff node themselves on `Autodiff<LibTorch>` (training),
//! and [`conv2d`] also on `Autodiff<Autodiff<LibTorch>>` (the gradient penalty's outer pass,
//! whose input gradient is then a transposed convolution built by this module, so that its
//! second-order terms take these kernels too). The bias gradients, and every kernel the rules do
//! not pick, are LibTorch's own; every other backend runs Burn's op unchanged. The facade's
//! LibTorch suite checks outputs and first- and second-order gradients against Burn's ops.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};

/// `conv2d` as `burn::tensor::module::conv2d` computes it (LibTorch: see the module docs).
pub fn conv2d<B: Backend>(
    x: Tensor<B, 4>,
    weight: Tensor<B, 4>,
    bias: Option<Tensor<B, 1>>,
    options: ConvOptions<2>,
) -> Tensor<B, 4> {
    #[cfg(feature = "tch")]
    let (x, weight, bias) = match libtorch::convolution((x, weight, bias), libtorch::Kind::Conv(options.clone())) {
        Ok(y) => return y,
        Err(args) => args,
    };
    burn::tensor::module::conv2d(x, weight, bias, options)
}

/// `conv_transpose2d` as `burn::tensor::module::conv_transpose2d` computes it (LibTorch: see
/// the module docs).
pub fn conv_transpose2d<B: Backend>(
    x: Tensor<B, 4>,
    weight: Tensor<B, 4>,
    bias: Option<Tensor<B, 1>>,
    options: ConvTransposeOptions<2>,
) -> Tensor<B, 4> {
    #[cfg(feature = "tch")]
    let (x, weight, bias) = match libtorch::convolution((x, weight, bias), libtorch::Kind::Transpose(options.clone())) {
        Ok(y) => return y,
        Err(args) => args,
    };
    burn::tensor::module::conv_transpose2d(x, weight, bias, options)
}

/// A `Conv2d` module's forward pass through [`conv2d`] where its padding is explicit and the
/// same on both sides (AttGAN's always is); its own `forward` otherwise.
pub fn forward_conv2d<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let padding = match conv.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) if top == bottom && left == right => [top, left],
        PaddingConfig2d::Valid => [0, 0],
        _ => return conv.forward(x),
    };
    let options = ConvOptions::new(conv.stride, padding, conv.dilation, conv.groups);
    conv2d(x, conv.weight.val(), conv.bias.as_ref().map(|b| b.val()), options)
}

/// A `ConvTranspose2d` module's forward pass through [`conv_transpose2d`].
pub fn forward_conv_transpose2d<B: Backend>(conv: &ConvTranspose2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let options = ConvTransposeOptions::new(conv.stride, conv.padding, conv.padding_out, conv.dilation, conv.groups);
    conv_transpose2d(x, conv.weight.val(), conv.bias.as_ref().map(|b| b.val()), options)
}

/// Whether a weight gradient is computed as im2col + GEMM (true) or as Burn's swapped
/// convolution, for a convolution with `batch` samples, `positions` output positions per sample
/// and a weight of `weight` elements. Measured on the 2-core CPU (PyTorch 2.15's kernels, the 128
/// model's layers at batch 1 and 8): GEMM wins where batch x positions <= 512, by 1.5-7x in the
/// deep layers (the 512->1024 layer 8.1 ms against 27.3 ms at batch 1), and loses on large outputs
/// (the second layer at batch 8: 49 ms against 12 ms). Small weights keep LibTorch's kernels: the
/// quick run's 32x32 model (weights up to 0.5 M elements) trained in 298 s with these rules
/// without their weight-size condition, in 207 s with it (205 s before this module).
pub fn uses_gemm(batch: usize, positions: usize, weight: usize) -> bool {
    weight >= 1 << 20 && batch * positions <= 512
}

/// Whether a forward pass or an input gradient is computed as im2col + GEMM (true) or by
/// LibTorch's own (oneDNN) kernel, for `batch` samples, `positions` positions per sample on the
/// convolution's small side (a convolution's output, a transposed one's input) and a weight of
/// `weight` elements. oneDNN reorders the weight into its blocked layout on every call, which
/// dominates where the weight is large and the positions few. Measured on the 2-core CPU
/// (PyTorch 2.15's kernels): the 512->1024 layer (8.4 M elements) forward 1.4 ms against 11.9 ms
/// at batch 1 (16 positions) and 10.9 ms against 20.9 ms at batch 8, its input gradient 3.1 ms
/// against 13.3 ms and 10.4 ms against 19.3 ms; Gdec's first layer (17 M) 6.5 ms against 33.5
/// ms; the 256->512 layer (2.1 M) level at batch 1, oneDNN ahead from 256 positions on.
pub fn uses_gemm_for_data(batch: usize, positions: usize, weight: usize) -> bool {
    weight >= 1 << 22 && batch * positions <= 128
}

#[cfg(feature = "tch")]
mod libtorch {
    use super::{uses_gemm, uses_gemm_for_data};
    use crate::specialize::cast;
    use burn::backend::autodiff::NodeId;
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
    use burn::backend::libtorch::TchTensor;
    use burn::backend::{Autodiff, LibTorch};
    use burn::tensor::backend::Backend;
    use burn::tensor::ops::conv::calculate_padding_out;
    use burn::tensor::ops::{ConvOptions, ConvTransposeOptions, FloatTensor, ModuleOps};
    use burn::tensor::{Tensor, TensorMetadata, TensorPrimitive};

    /// LibTorch without autodiff: where the backward kernels run.
    type Plain = LibTorch;
    /// Training's backend.
    type Level1 = Autodiff<Plain>;
    /// The gradient penalty's outer pass.
    type Level2 = Autodiff<Level1>;

    type Args<B> = (Tensor<B, 4>, Tensor<B, 4>, Option<Tensor<B, 1>>);

    /// A convolution or a transposed one, with its options.
    #[derive(Debug, Clone)]
    pub(super) enum Kind {
        Conv(ConvOptions<2>),
        Transpose(ConvTransposeOptions<2>),
    }

    /// The convolution on LibTorch with or without autodiff, or `args` back for any other
    /// backend (and for a transposed convolution in the penalty's outer pass, which AttGAN does
    /// not take).
    pub(super) fn convolution<B: Backend>(args: Args<B>, kind: Kind) -> Result<Tensor<B, 4>, Args<B>> {
        let args = match cast::<Args<B>, Args<Plain>>(args) {
            Ok((x, w, b)) => return Ok(back(inference(x, w, b, kind))),
            Err(args) => args,
        };
        let args = match cast::<Args<B>, Args<Level1>>(args) {
            Ok((x, w, b)) => return Ok(back(level1(x, w, b, kind))),
            Err(args) => args,
        };
        let Kind::Conv(options) = kind else { return Err(args) };
        match cast::<Args<B>, Args<Level2>>(args) {
            Ok((x, w, b)) => Ok(back(level2_conv2d(x, w, b, options))),
            Err(args) => Err(args),
        }
    }

    /// Without autodiff (editing): the forward kernel alone.
    fn inference(
        x: Tensor<Plain, 4>,
        w: Tensor<Plain, 4>,
        b: Option<Tensor<Plain, 1>>,
        kind: Kind,
    ) -> Tensor<Plain, 4> {
        let y = forward(primitive(x), primitive(w), b.map(primitive), kind);
        Tensor::from_primitive(TensorPrimitive::Float(y))
    }

    /// A result of the concrete backend as the caller's (the same type, found by `cast`).
    fn back<C: Backend, B: Backend>(y: Tensor<C, 4>) -> Tensor<B, 4> {
        cast::<Tensor<C, 4>, Tensor<B, 4>>(y).unwrap_or_else(|_| unreachable!("C is B, checked by the caller"))
    }

    fn primitive<B: Backend, const D: usize>(t: Tensor<B, D>) -> FloatTensor<B> {
        t.into_primitive().tensor()
    }

    fn level1(
        x: Tensor<Level1, 4>,
        w: Tensor<Level1, 4>,
        b: Option<Tensor<Level1, 1>>,
        kind: Kind,
    ) -> Tensor<Level1, 4> {
        let y = level1_op(primitive(x), primitive(w), b.map(primitive), kind);
        Tensor::from_primitive(TensorPrimitive::Float(y))
    }

    fn level2_conv2d(
        x: Tensor<Level2, 4>,
        w: Tensor<Level2, 4>,
        b: Option<Tensor<Level2, 1>>,
        options: ConvOptions<2>,
    ) -> Tensor<Level2, 4> {
        let y = level2_op(primitive(x), primitive(w), b.map(primitive), options);
        Tensor::from_primitive(TensorPrimitive::Float(y))
    }

    fn dims(t: &TchTensor) -> [usize; 4] {
        t.shape().dims()
    }

    fn elements(t: &TchTensor) -> usize {
        t.shape().num_elements()
    }

    /// Whether the matrix-product kernels handle these options (dilation 1, one group).
    fn plain(dilation: [usize; 2], groups: usize) -> bool {
        dilation == [1, 1] && groups == 1
    }

    /// The forward kernel: im2col + GEMM where [`uses_gemm_for_data`] says so, Burn's otherwise.
    fn forward(x: TchTensor, w: TchTensor, b: Option<TchTensor>, kind: Kind) -> TchTensor {
        let [n, _, h, wd] = dims(&x);
        let [_, _, k_h, k_w] = dims(&w);
        let y = match kind {
            Kind::Conv(o) => {
                let out =
                    [(h + 2 * o.padding[0] - k_h) / o.stride[0] + 1, (wd + 2 * o.padding[1] - k_w) / o.stride[1] + 1];
                if !(plain(o.dilation, o.groups) && uses_gemm_for_data(n, out[0] * out[1], elements(&w))) {
                    return Plain::conv2d(x, w, b, o);
                }
                gemm_conv(&x, &w, o.stride, o.padding, out)
            }
            Kind::Transpose(o) => {
                if !(plain(o.dilation, o.groups) && uses_gemm_for_data(n, h * wd, elements(&w))) {
                    return Plain::conv_transpose2d(x, w, b, o);
                }
                let out = [
                    (h - 1) * o.stride[0] + k_h + o.padding_out[0] - 2 * o.padding[0],
                    (wd - 1) * o.stride[1] + k_w + o.padding_out[1] - 2 * o.padding[1],
                ];
                gemm_conv_adjoint(&x, &w, o.stride, o.padding, out)
            }
        };
        match b {
            Some(b) => {
                let c = b.tensor.size()[0];
                TchTensor::new(&y.tensor + b.tensor.reshape([1, c, 1, 1]))
            }
            None => y,
        }
    }

    /// The input gradient: im2col + GEMM where [`uses_gemm_for_data`] says so, Burn's otherwise.
    fn input_grad(x: TchTensor, w: TchTensor, grad: TchTensor, kind: &Kind) -> TchTensor {
        let [_, _, h, wd] = dims(&x);
        match kind {
            Kind::Conv(o) => {
                let [n, _, out_h, out_w] = dims(&grad);
                if plain(o.dilation, o.groups) && uses_gemm_for_data(n, out_h * out_w, elements(&w)) {
                    gemm_conv_adjoint(&grad, &w, o.stride, o.padding, [h, wd])
                } else {
                    Plain::conv2d_x_backward(x, w, grad, o.clone())
                }
            }
            Kind::Transpose(o) => {
                let n = dims(&x)[0];
                if plain(o.dilation, o.groups) && uses_gemm_for_data(n, h * wd, elements(&w)) {
                    gemm_conv(&grad, &w, o.stride, o.padding, [h, wd])
                } else {
                    Plain::conv_transpose2d_x_backward(w, grad, o.clone())
                }
            }
        }
    }

    /// The convolution (stride, padding, dilation 1) of `x [N, cols, h, w]` with the weight
    /// `[rows, cols, k_h, k_w]`, output side `out`: `weight [rows, cols k_h k_w] x im2col(x)`.
    fn gemm_conv(x: &TchTensor, w: &TchTensor, stride: [usize; 2], padding: [usize; 2], out: [usize; 2]) -> TchTensor {
        let [rows, cols, k_h, k_w] = dims(w).map(|d| d as i64);
        let n = dims(x)[0] as i64;
        let columns = x.tensor.im2col([k_h, k_w], [1, 1], padding.map(|p| p as i64), stride.map(|s| s as i64));
        TchTensor::new(w.tensor.reshape([rows, cols * k_h * k_w]).matmul(&columns).reshape([
            n,
            rows,
            out[0] as i64,
            out[1] as i64,
        ]))
    }

    /// The adjoint of [`gemm_conv`] (its input gradient, a transposed convolution) applied to
    /// `g [N, rows, ...]`, output side `out`: `col2im(weight^T x g)`.
    fn gemm_conv_adjoint(
        g: &TchTensor,
        w: &TchTensor,
        stride: [usize; 2],
        padding: [usize; 2],
        out: [usize; 2],
    ) -> TchTensor {
        let [rows, cols, k_h, k_w] = dims(w).map(|d| d as i64);
        let n = dims(g)[0] as i64;
        let patch = cols * k_h * k_w;
        let weight_t = w.tensor.reshape([rows, patch]).transpose(0, 1);
        let columns = if n == 1 {
            weight_t.matmul(&g.tensor.reshape([1, rows, -1]))
        } else {
            // One product over all samples reads the weight once (measured at batch 8: 10.4 ms
            // against 16.2 ms a sample at a time for the 512->1024 layer).
            let g = g.tensor.reshape([n, rows, -1]).permute([1, 0, 2]).reshape([rows, -1]);
            weight_t.mm(&g).reshape([patch, n, -1]).permute([1, 0, 2])
        };
        TchTensor::new(columns.col2im(
            out.map(|d| d as i64),
            [k_h, k_w],
            [1, 1],
            padding.map(|p| p as i64),
            stride.map(|s| s as i64),
        ))
    }

    /// The (transposed) convolution on `Autodiff<LibTorch>`: parents x, weight and, when
    /// there is one, bias.
    #[derive(Debug)]
    struct Level1Op;

    impl<const N: usize> Backward<Plain, N> for Level1Op {
        type State = (NodeId, NodeId, Option<NodeId>, Kind);

        fn backward(self, ops: Ops<Self::State, N>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
            let grad = grads.consume::<Plain>(&ops.node);
            let (x, w, b, kind) = ops.state;
            let x = checkpointer.retrieve_node_output::<FloatTensor<Plain>>(x);
            let w = checkpointer.retrieve_node_output::<FloatTensor<Plain>>(w);
            if let (Some(node), Some(b)) = (ops.parents.get(2).cloned().flatten(), b) {
                let b = checkpointer.retrieve_node_output::<FloatTensor<Plain>>(b);
                let g = match &kind {
                    Kind::Conv(_) => Plain::conv2d_bias_backward(x.clone(), b, grad.clone()),
                    Kind::Transpose(_) => Plain::conv_transpose2d_bias_backward(x.clone(), b, grad.clone()),
                };
                grads.register::<Plain>(node.id, g);
            }
            if let Some(node) = &ops.parents[0] {
                grads.register::<Plain>(node.id, input_grad(x.clone(), w.clone(), grad.clone(), &kind));
            }
            if let Some(node) = &ops.parents[1] {
                grads.register::<Plain>(node.id, weight_grad(x, w, grad, kind));
            }
        }
    }

    fn level1_op(
        x: FloatTensor<Level1>,
        w: FloatTensor<Level1>,
        b: Option<FloatTensor<Level1>>,
        kind: Kind,
    ) -> FloatTensor<Level1> {
        match b {
            Some(b) => match <Level1Op as Backward<Plain, 3>>::prepare::<NoCheckpointing>(
                Level1Op,
                [x.node.clone(), w.node.clone(), b.node.clone()],
            )
            .compute_bound()
            .stateful()
            {
                OpsKind::Tracked(mut prep) => {
                    let state = (prep.checkpoint(&x), prep.checkpoint(&w), Some(prep.checkpoint(&b)), kind.clone());
                    prep.finish(state, forward(x.primitive, w.primitive, Some(b.primitive), kind))
                }
                OpsKind::UnTracked(prep) => prep.finish(forward(x.primitive, w.primitive, Some(b.primitive), kind)),
            },
            None => match <Level1Op as Backward<Plain, 2>>::prepare::<NoCheckpointing>(
                Level1Op,
                [x.node.clone(), w.node.clone()],
            )
            .compute_bound()
            .stateful()
            {
                OpsKind::Tracked(mut prep) => {
                    let state = (prep.checkpoint(&x), prep.checkpoint(&w), None, kind.clone());
                    prep.finish(state, forward(x.primitive, w.primitive, None, kind))
                }
                OpsKind::UnTracked(prep) => prep.finish(forward(x.primitive, w.primitive, None, kind)),
            },
        }
    }

    /// The convolution on `Autodiff<Autodiff<LibTorch>>`: its input gradient is a transposed
    /// convolution on `Autodiff<LibTorch>` built by [`level1_op`] (Burn's formula, this
    /// module's node), its weight and bias gradients Burn's.
    #[derive(Debug)]
    struct Level2Op;

    impl<const N: usize> Backward<Level1, N> for Level2Op {
        type State = (NodeId, NodeId, Option<NodeId>, ConvOptions<2>);

        fn backward(self, ops: Ops<Self::State, N>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
            let grad = grads.consume::<Level1>(&ops.node);
            let (x, w, b, options) = ops.state;
            let x = checkpointer.retrieve_node_output::<FloatTensor<Level1>>(x);
            let w = checkpointer.retrieve_node_output::<FloatTensor<Level1>>(w);
            if let (Some(node), Some(b)) = (ops.parents.get(2).cloned().flatten(), b) {
                let b = checkpointer.retrieve_node_output::<FloatTensor<Level1>>(b);
                grads.register::<Level1>(node.id, Level1::conv2d_bias_backward(x.clone(), b, grad.clone()));
            }
            if let Some(node) = &ops.parents[0] {
                let [_, _, height_in, width_in] = x.shape().dims();
                let [_, _, height_out, width_out] = grad.shape().dims();
                let [_, _, kernel_h, kernel_w] = w.shape().dims();
                let padding_out = [
                    calculate_padding_out(
                        kernel_h,
                        options.stride[0],
                        options.padding[0],
                        options.dilation[0],
                        height_in,
                        height_out,
                    ),
                    calculate_padding_out(
                        kernel_w,
                        options.stride[1],
                        options.padding[1],
                        options.dilation[1],
                        width_in,
                        width_out,
                    ),
                ];
                let transpose = ConvTransposeOptions::new(
                    options.stride,
                    options.padding,
                    padding_out,
                    options.dilation,
                    options.groups,
                );
                let g = level1_op(grad.clone(), w.clone(), None, Kind::Transpose(transpose));
                grads.register::<Level1>(node.id, g);
            }
            if let Some(node) = &ops.parents[1] {
                grads.register::<Level1>(node.id, Level1::conv2d_weight_backward(x, w, grad, options));
            }
        }
    }

    fn level2_op(
        x: FloatTensor<Level2>,
        w: FloatTensor<Level2>,
        b: Option<FloatTensor<Level2>>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Level2> {
        let kind = Kind::Conv(options.clone());
        match b {
            Some(b) => match <Level2Op as Backward<Level1, 3>>::prepare::<NoCheckpointing>(
                Level2Op,
                [x.node.clone(), w.node.clone(), b.node.clone()],
            )
            .compute_bound()
            .stateful()
            {
                OpsKind::Tracked(mut prep) => {
                    let state = (prep.checkpoint(&x), prep.checkpoint(&w), Some(prep.checkpoint(&b)), options);
                    prep.finish(state, level1_op(x.primitive, w.primitive, Some(b.primitive), kind))
                }
                OpsKind::UnTracked(prep) => prep.finish(level1_op(x.primitive, w.primitive, Some(b.primitive), kind)),
            },
            None => match <Level2Op as Backward<Level1, 2>>::prepare::<NoCheckpointing>(
                Level2Op,
                [x.node.clone(), w.node.clone()],
            )
            .compute_bound()
            .stateful()
            {
                OpsKind::Tracked(mut prep) => {
                    let state = (prep.checkpoint(&x), prep.checkpoint(&w), None, options);
                    prep.finish(state, level1_op(x.primitive, w.primitive, None, kind))
                }
                OpsKind::UnTracked(prep) => prep.finish(level1_op(x.primitive, w.primitive, None, kind)),
            },
        }
    }

    /// A weight gradient on LibTorch: im2col + GEMM where [`uses_gemm`] says so (dilation 1,
    /// one group), Burn's otherwise. A transposed convolution's weight gradient is the one of the
    /// convolution that maps its output gradient back onto its input.
    fn weight_grad(x: TchTensor, w: TchTensor, grad: TchTensor, kind: Kind) -> TchTensor {
        match kind {
            Kind::Conv(o)
                if plain(o.dilation, o.groups) && {
                    let [n, _, h, w_] = dims(&grad);
                    uses_gemm(n, h * w_, elements(&w))
                } =>
            {
                gemm_weight_grad(&x, &grad, dims(&w), o.stride, o.padding)
            }
            Kind::Conv(o) => Plain::conv2d_weight_backward(x, w, grad, o),
            Kind::Transpose(o)
                if plain(o.dilation, o.groups) && {
                    let [n, _, h, w_] = dims(&x);
                    uses_gemm(n, h * w_, elements(&w))
                } =>
            {
                gemm_weight_grad(&grad, &x, dims(&w), o.stride, o.padding)
            }
            Kind::Transpose(o) => Plain::conv_transpose2d_weight_backward(x, w, grad, o),
        }
    }

    /// The gradient of the weight `[rows, cols, k_h, k_w]` of the convolution (stride, padding,
    /// dilation 1) that maps `input` to an output whose gradient is `output_grad`:
    /// `output_grad [rows, N L] x im2col(input) [N L, cols k_h k_w]`, L the output positions.
    fn gemm_weight_grad(
        input: &TchTensor,
        output_grad: &TchTensor,
        weight: [usize; 4],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> TchTensor {
        let [rows, cols, k_h, k_w] = weight.map(|d| d as i64);
        let [n, _, h, w] = output_grad.shape().dims::<4>().map(|d| d as i64);
        let (l, patch) = (h * w, cols * k_h * k_w);
        let columns = input.tensor.im2col([k_h, k_w], [1, 1], padding.map(|p| p as i64), stride.map(|s| s as i64));
        let product = if n == 1 {
            output_grad.tensor.reshape([rows, l]).mm(&columns.reshape([patch, l]).transpose(0, 1))
        } else {
            let g = output_grad.tensor.transpose(0, 1).reshape([rows, n * l]);
            g.mm(&columns.transpose(1, 2).reshape([n * l, patch]))
        };
        TchTensor::new(product.reshape([rows, cols, k_h, k_w]))
    }
}
