//! AttGAN (He et al., "AttGAN: Facial Attribute Editing by Only Changing What You Want",
//! IEEE TIP 2019) on Burn, generic over the backend: the encoder Genc, the attribute-conditioned
//! decoder Gdec, the critic D and attribute classifier C with their shared trunk, the losses
//! with an exact WGAN-GP gradient penalty, CelebA attributes, and image conversion.
//!
//! ```no_run
//! use attgan_core::AttGanConfig;
//! use burn::backend::{Autodiff, Flex};
//!
//! type B = Autodiff<Flex>;
//! let config = AttGanConfig::default(); // the paper's 128x128, 13-attribute model
//! let device = Default::default();
//! let g = config.init_generator::<B>(&device);
//! let d = config.init_discriminator::<B>(&device);
//! println!("{}", config.layer_table_text());
//! # let _ = (g, d);
//! ```

pub mod allocator;
pub mod atomic;
pub mod attribute_classifier;
pub mod attributes;
pub mod config;
pub mod conv;
pub mod discriminator;
pub mod editor;
pub mod edits;
pub mod error;
pub mod export;
pub mod face;
pub mod generator;
pub mod image;
pub mod layers;
pub mod loss;
pub mod norm;
pub mod pytorch;
pub mod quality;
pub mod safetensors;
pub mod samples;
pub mod session;
pub mod specialize;
pub mod summary;

pub use config::{AttGanConfig, Nonlinearity, Norm, WeightInit};
pub use discriminator::{Classifier, Discriminator};
pub use editor::{Editor, Source};
pub use edits::{Change, Edits};
pub use error::{AttGanError, Result};
pub use generator::{Gdec, Genc, Generator};
pub use loss::{DiscriminatorLoss, GeneratorLoss, LossConfig, Phase, Term};
pub use summary::{LayerRow, ParamCounts};
