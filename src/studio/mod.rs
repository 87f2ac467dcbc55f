//! AttGAN Studio: a local web page that edits a photo with a slider per attribute.
//!
//! The page (plain HTML, JavaScript and CSS inside the binary, [`page`]) talks to a small HTTP
//! API ([`api`], on axum): a photo is sent once, framed around its face as aligned CelebA frames
//! faces, classified by C and encoded by Genc; each slider move then costs one decoding by Gdec
//! ([`attgan_core::session::EditSession`]). The model runs on its own thread ([`engine`]), off
//! the async runtime, and keeps at most one waiting rendering per photo: a newer move replaces a
//! waiting one, so quick slider moves are dropped, never queued.
//!
//! ```no_run
//! use attgan::backend::Preference;
//! use attgan::studio::{Studio, StudioOptions};
//!
//! let studio = Studio::start(Preference::Auto, StudioOptions::new("out/synthetic"))?;
//! let runtime = tokio::runtime::Runtime::new()?;
//! runtime.block_on(async {
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:8787").await?;
//!     studio.serve(listener).await
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod api;
pub mod engine;
pub mod page;
mod photos;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use attgan_core::{AttGanConfig, AttGanError};
use axum::http::StatusCode;

use crate::backend::{self, Preference, Selected};
use crate::tasks::DataSource;
use engine::{Engine, Queue};
pub use photos::Photos;

/// What the studio serves and its limits.
#[derive(Debug, Clone, PartialEq)]
pub struct StudioOptions {
    /// The export: a training run's output directory, an imported model, a `.safetensors` file.
    pub checkpoint: PathBuf,
    /// Where dataset images by index come from; `None`: not offered.
    pub dataset: Option<DataSource>,
    /// The largest upload, in bytes.
    pub max_bytes: usize,
    /// The largest photo, in pixels (width x height), checked before it is decoded.
    pub max_pixels: u64,
    /// Photos are worked on at most this many pixels on their long side (larger ones are
    /// scaled down first: the face the model sees is far smaller anyway).
    pub work_side: u32,
    /// The whole photo shown on the page is at most this many pixels on its long side (the
    /// download has the working size).
    pub preview_side: u32,
    /// Photos kept open at once; opening one more forgets the least recently used.
    pub max_sessions: usize,
    /// The sliders' range is +-this (`None`: the model's `test_int`, 1 unless imported otherwise).
    pub intensity_max: Option<f64>,
}

impl StudioOptions {
    /// The defaults: 25 MiB uploads, 50 megapixels, worked on at 4096 pixels, shown at 1024,
    /// 12 photos open, sliders over +-test_int, no dataset.
    pub fn new(checkpoint: impl Into<PathBuf>) -> Self {
        Self {
            checkpoint: checkpoint.into(),
            dataset: None,
            max_bytes: 25 << 20,
            max_pixels: 50_000_000,
            work_side: 4096,
            preview_side: 1024,
            max_sessions: 12,
            intensity_max: None,
        }
    }

    /// With dataset images by index from `data`'s test split.
    pub fn with_dataset(mut self, data: DataSource) -> Self {
        self.dataset = Some(data);
        self
    }
}

/// What went wrong with a request; each becomes an HTTP status and a message for the page.
#[derive(Debug, thiserror::Error)]
pub enum StudioError {
    /// The upload is not an image the studio can decode.
    #[error("`{name}` is not an image the studio can read (PNG or JPEG): {reason}")]
    NotAnImage {
        /// The file's name.
        name: String,
        /// The decoder's reason.
        reason: String,
    },
    /// The upload exceeds a limit.
    #[error("{0}")]
    TooLarge(String),
    /// No face was found in the photo.
    #[error("no face found in `{0}`: use the centred crop instead, or a photo with a frontal face")]
    NoFace(String),
    /// An attribute the model does not have.
    #[error("unknown attribute `{name}`; this model has: {}", known.join(", "))]
    UnknownAttribute {
        /// The name asked for.
        name: String,
        /// The model's attributes.
        known: Vec<String>,
    },
    /// A photo that is not (or no longer) open.
    #[error("photo {0} is not open (the studio keeps the most recent photos only): open it again")]
    UnknownSession(u64),
    /// A rendering overtaken by a newer one of the same photo before it started.
    #[error("superseded by a newer edit of the same photo")]
    Superseded,
    /// A request that cannot be understood.
    #[error("{0}")]
    BadRequest(String),
    /// Dataset images are not offered, or the index is out of range.
    #[error("{0}")]
    Dataset(String),
    /// The model failed.
    #[error("{0}")]
    Model(#[from] AttGanError),
    /// The studio is shutting down.
    #[error("the studio is stopping")]
    Stopped,
}

impl StudioError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotAnImage { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NoFace(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnknownAttribute { .. } | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::UnknownSession(_) | Self::Dataset(_) => StatusCode::NOT_FOUND,
            Self::Superseded => StatusCode::CONFLICT,
            Self::Model(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Stopped => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// A short machine-readable name for the page: `not_an_image`, `no_face`, ...
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAnImage { .. } => "not_an_image",
            Self::TooLarge(_) => "too_large",
            Self::NoFace(_) => "no_face",
            Self::UnknownAttribute { .. } => "unknown_attribute",
            Self::UnknownSession(_) => "unknown_photo",
            Self::Superseded => "superseded",
            Self::BadRequest(_) => "bad_request",
            Self::Dataset(_) => "dataset",
            Self::Model(_) => "model",
            Self::Stopped => "stopped",
        }
    }
}

/// A running studio: the model's thread and the open photos. Cheap to clone.
#[derive(Clone)]
pub struct Studio {
    shared: Arc<Shared>,
}

struct Shared {
    options: StudioOptions,
    config: AttGanConfig,
    has_classifier: bool,
    selected: Selected,
    queue: Arc<Queue>,
    photos: Photos,
    dataset: std::sync::Mutex<Option<attgan_train::data::CelebaDataset>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.queue.close();
    }
}

impl Studio {
    /// Loads the export on the preferred backend, on the model's own thread, and returns once
    /// it is ready (or with the reason it cannot load).
    pub fn start(device: Preference, options: StudioOptions) -> Result<Self, AttGanError> {
        let queue = Arc::new(Queue::default());
        let (loaded, ready) = std::sync::mpsc::channel();
        let engine = Engine { checkpoint: options.checkpoint.clone(), queue: queue.clone(), loaded: loaded.clone() };
        std::thread::Builder::new()
            .name("attgan-studio-model".into())
            .spawn(move || {
                if let Err(why) = backend::run(device, engine) {
                    let _ = loaded.send(Err(AttGanError::InvalidConfig(format!("no backend: {why}"))));
                }
            })
            .map_err(|source| AttGanError::Io { path: PathBuf::from("attgan-studio-model thread"), source })?;
        let loaded = ready.recv().map_err(|_| AttGanError::InvalidConfig("the model's thread stopped".into()))??;
        let photos = Photos::new(options.max_sessions, queue.clone());
        Ok(Self {
            shared: Arc::new(Shared {
                options,
                config: loaded.config,
                has_classifier: loaded.has_classifier,
                selected: loaded.selected,
                queue,
                photos,
                dataset: std::sync::Mutex::new(None),
            }),
        })
    }

    /// The model's configuration.
    pub fn config(&self) -> &AttGanConfig {
        &self.shared.config
    }

    /// The options it runs with.
    pub fn options(&self) -> &StudioOptions {
        &self.shared.options
    }

    /// The backend the model runs on.
    pub fn selected(&self) -> &Selected {
        &self.shared.selected
    }

    /// The sliders' range: +-this.
    pub fn intensity_max(&self) -> f64 {
        self.shared.options.intensity_max.unwrap_or(self.shared.config.test_int)
    }

    /// The HTTP routes: the page and the API.
    pub fn router(&self) -> axum::Router {
        api::router(self.clone())
    }

    /// Serves the page and the API on `listener` until the process ends.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        axum::serve(listener, self.router()).await
    }
}

/// The newest export under `dir` (a folder with `generator.mpk` and `generator.json`, or a
/// `.safetensors` file, up to two levels down), or `None`.
pub fn newest_export(dir: &Path) -> Option<PathBuf> {
    fn walk(dir: &Path, depth: usize, found: &mut Vec<(std::time::SystemTime, PathBuf)>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
            if path.is_dir() {
                let g = path.join(attgan_core::editor::GENERATOR_FILE);
                if path.join(attgan_core::editor::GENERATOR_CONFIG_FILE).is_file()
                    && let Some(t) = modified(&g)
                {
                    found.push((t, path.clone()));
                }
                if depth > 0 {
                    walk(&path, depth - 1, found);
                }
            } else if path.extension().is_some_and(|e| e == "safetensors")
                && let Some(t) = modified(&path)
            {
                found.push((t, path));
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, 2, &mut found);
    found.into_iter().max_by_key(|(t, _)| *t).map(|(_, p)| p)
}
