//! Images in and out of the networks: `image::RgbImage` <-> NCHW tensors with values in [-1, 1].

use ::image::RgbImage;
use burn::tensor::{Tensor, TensorData, backend::Backend};

use crate::error::{AttGanError, Result};

/// One image as a [1, 3, H, W] tensor with values v / 127.5 - 1 in [-1, 1].
pub fn to_tensor<B: Backend>(img: &RgbImage, device: &B::Device) -> Tensor<B, 4> {
    batch_to_tensor(std::slice::from_ref(img), device).expect("one image is always a uniform batch")
}

/// Equally sized images as one [N, 3, H, W] tensor in [-1, 1].
pub fn batch_to_tensor<B: Backend>(imgs: &[RgbImage], device: &B::Device) -> Result<Tensor<B, 4>> {
    let Some(first) = imgs.first() else {
        return Err(AttGanError::Shape("cannot make a batch of no images".into()));
    };
    let (w, h) = first.dimensions();
    let (w, h) = (w as usize, h as usize);
    let mut data = vec![0f32; imgs.len() * 3 * h * w];
    for (n, img) in imgs.iter().enumerate() {
        if img.dimensions() != first.dimensions() {
            return Err(AttGanError::Shape(format!(
                "image {n} is {}x{}, image 0 is {w}x{h}; a batch needs one size",
                img.width(),
                img.height()
            )));
        }
        let base = n * 3 * h * w;
        for (i, px) in img.pixels().enumerate() {
            for c in 0..3 {
                data[base + c * h * w + i] = px.0[c] as f32 / 127.5 - 1.0;
            }
        }
    }
    Ok(Tensor::from_data(TensorData::new(data, [imgs.len(), 3, h, w]), device))
}

/// A [N, 3, H, W] tensor in [-1, 1] back to N images; values are clamped to [-1, 1] and rounded
/// to the nearest grey level.
pub fn tensor_to_batch<B: Backend>(x: Tensor<B, 4>) -> Vec<RgbImage> {
    let [n, c, h, w] = x.dims();
    assert_eq!(c, 3, "images need 3 channels, got {c}");
    let data: Vec<f32> = x.into_data().convert::<f32>().into_vec().expect("float tensor data");
    (0..n)
        .map(|k| {
            let base = k * 3 * h * w;
            RgbImage::from_fn(w as u32, h as u32, |x, y| {
                let i = y as usize * w + x as usize;
                let px = |c: usize| ((data[base + c * h * w + i].clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8;
                ::image::Rgb([px(0), px(1), px(2)])
            })
        })
        .collect()
}
