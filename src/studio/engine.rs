//! The model's thread: it owns the [`Editor`] and every photo's [`EditSession`], and takes jobs
//! from a queue that holds at most one rendering per photo. A newer rendering of a photo takes
//! the place of one still waiting, whose caller is told it was superseded: slider moves faster
//! than the model are dropped, never queued. Nothing here runs on the async runtime.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use attgan_core::editor::Framing;
use attgan_core::session::EditSession;
use attgan_core::{AttGanError, Editor, Edits};
use burn::tensor::backend::{AutodiffBackend, Backend};
use image::RgbImage;
use tokio::sync::oneshot;

use super::StudioError;
use crate::backend::{BackendJob, Selected};

/// A photo's number, unique for the studio's lifetime.
pub type SessionId = u64;

/// How to frame a photo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Frame {
    /// Around its face; a photo without one is refused ([`StudioError::NoFace`]).
    Face,
    /// By the editor's crop (the centred square).
    Crop,
    /// The whole image: dataset images, already cropped and resized.
    Whole,
}

/// A photo opened: its framing, its attributes and its first rendering (the reconstruction).
#[derive(Debug, Clone)]
pub struct Opened {
    /// How it was framed.
    pub framing: Framing,
    /// The model's input.
    pub face: RgbImage,
    /// Its attributes: annotations, or C's probabilities.
    pub source: Vec<f32>,
    /// G's reconstruction (no edit).
    pub rendered: attgan_core::session::Rendered,
}

/// One rendering, with how long the decoder took.
#[derive(Debug, Clone)]
pub struct Render {
    /// The rendering.
    pub rendered: attgan_core::session::Rendered,
    /// Milliseconds in the model.
    pub model_ms: f64,
}

type Reply<T> = oneshot::Sender<Result<T, StudioError>>;

enum Job {
    Open { id: SessionId, name: String, photo: RgbImage, frame: Frame, source: Option<Vec<f32>>, reply: Reply<Opened> },
    Render { id: SessionId, edits: Edits, reply: Reply<Render> },
    Close { id: SessionId },
}

/// The jobs waiting for the model.
#[derive(Default)]
struct Waiting {
    jobs: VecDeque<Job>,
    closed: bool,
}

/// The queue between the server and the model's thread.
#[derive(Default)]
pub struct Queue {
    waiting: Mutex<Waiting>,
    ready: Condvar,
}

impl Queue {
    fn push(&self, job: Job) {
        let mut w = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        if w.closed {
            refuse(job, StudioError::Stopped);
            return;
        }
        if let Job::Render { id, .. } = &job {
            let id = *id;
            if let Some(slot) = w.jobs.iter_mut().find(|j| matches!(j, Job::Render { id: other, .. } if *other == id)) {
                // The waiting rendering of this photo is stale: the new one takes its place.
                let stale = std::mem::replace(slot, job);
                refuse(stale, StudioError::Superseded);
                return;
            }
        }
        w.jobs.push_back(job);
        self.ready.notify_one();
    }

    fn pop(&self) -> Option<Job> {
        let mut w = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(job) = w.jobs.pop_front() {
                return Some(job);
            }
            if w.closed {
                return None;
            }
            w = self.ready.wait(w).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Stops the model's thread once the jobs already waiting are refused.
    pub fn close(&self) {
        let mut w = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        w.closed = true;
        for job in w.jobs.drain(..) {
            refuse(job, StudioError::Stopped);
        }
        self.ready.notify_all();
    }

    /// Opens a photo as session `id`.
    pub async fn open(
        &self,
        id: SessionId,
        name: String,
        photo: RgbImage,
        frame: Frame,
        source: Option<Vec<f32>>,
    ) -> Result<Opened, StudioError> {
        let (reply, answer) = oneshot::channel();
        self.push(Job::Open { id, name, photo, frame, source, reply });
        answered(answer).await
    }

    /// Asks for a rendering of session `id` with `edits`: the answer is
    /// [`StudioError::Superseded`] if a newer rendering of it arrives before this one starts.
    pub fn submit_render(&self, id: SessionId, edits: Edits) -> oneshot::Receiver<Result<Render, StudioError>> {
        let (reply, answer) = oneshot::channel();
        self.push(Job::Render { id, edits, reply });
        answer
    }

    /// Renders session `id` with `edits`, unless a newer rendering of it arrives first.
    pub async fn render(&self, id: SessionId, edits: Edits) -> Result<Render, StudioError> {
        answered(self.submit_render(id, edits)).await
    }

    /// Forgets session `id`.
    pub fn forget(&self, id: SessionId) {
        self.push(Job::Close { id });
    }
}

/// The answer, or [`StudioError::Stopped`] when the model's thread is gone.
pub async fn answered<T>(answer: oneshot::Receiver<Result<T, StudioError>>) -> Result<T, StudioError> {
    answer.await.unwrap_or(Err(StudioError::Stopped))
}

fn refuse(job: Job, why: StudioError) {
    match job {
        Job::Open { reply, .. } => drop(reply.send(Err(why))),
        Job::Render { reply, .. } => drop(reply.send(Err(why))),
        Job::Close { .. } => {}
    }
}

/// What the model's thread tells the server once the export is loaded.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The model's configuration.
    pub config: attgan_core::AttGanConfig,
    /// Whether the export has C.
    pub has_classifier: bool,
    /// The backend it runs on.
    pub selected: Selected,
}

/// Loads the export and serves the queue until it closes (a [`BackendJob`], so that it runs on
/// the backend chosen at run time).
pub struct Engine {
    /// The export.
    pub checkpoint: PathBuf,
    /// The queue to serve.
    pub queue: Arc<Queue>,
    /// Where to say that the model is loaded, or why it is not.
    pub loaded: std::sync::mpsc::Sender<Result<Loaded, AttGanError>>,
}

impl BackendJob for Engine {
    type Output = ();

    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) {
        let editor = match Editor::<B::InnerBackend>::load(&self.checkpoint, &device) {
            Ok(e) => e.with_face_alignment(),
            Err(e) => {
                let _ = self.loaded.send(Err(e));
                return;
            }
        };
        let loaded = Loaded {
            config: editor.config().clone(),
            has_classifier: editor.has_classifier(),
            selected: selected.clone(),
        };
        if self.loaded.send(Ok(loaded)).is_err() {
            return;
        }
        let mut sessions: HashMap<SessionId, EditSession<B::InnerBackend>> = HashMap::new();
        while let Some(job) = self.queue.pop() {
            match job {
                Job::Open { id, name, photo, frame, source, reply } => {
                    let opened = open(&editor, &name, photo, frame, source).map(|(session, opened)| {
                        sessions.insert(id, session);
                        opened
                    });
                    let _ = reply.send(opened);
                }
                Job::Render { id, edits, reply } => {
                    let t = Instant::now();
                    let result = match sessions.get(&id) {
                        Some(s) => s.render(&editor, &edits).map_err(StudioError::from),
                        None => Err(StudioError::UnknownSession(id)),
                    };
                    let model_ms = t.elapsed().as_secs_f64() * 1e3;
                    let _ = reply.send(result.map(|rendered| Render { rendered, model_ms }));
                }
                Job::Close { id } => {
                    sessions.remove(&id);
                }
            }
        }
    }
}

/// Frames, encodes and reconstructs `photo`.
fn open<B: Backend>(
    editor: &Editor<B>,
    name: &str,
    photo: RgbImage,
    frame: Frame,
    source: Option<Vec<f32>>,
) -> Result<(EditSession<B>, Opened), StudioError> {
    let framing = match frame {
        Frame::Face => {
            let framing = editor.framing(&photo);
            if framing.face.is_none() {
                return Err(StudioError::NoFace(name.to_string()));
            }
            framing
        }
        Frame::Crop => Framing { crop: editor.crop(), face: None },
        Frame::Whole => Framing { crop: attgan_core::image::Crop::Whole, face: None },
    };
    let source = match source {
        Some(s) => Some(s),
        None if editor.has_classifier() => None,
        // Without C nothing says what the photo has: every attribute starts off.
        None => Some(vec![0.0; editor.config().n_attrs()]),
    };
    let session = EditSession::framed(editor, photo, framing, source)?;
    let rendered = session.render(editor, &Edits::new())?;
    let opened = Opened { framing, face: session.face().clone(), source: session.source().to_vec(), rendered };
    Ok((session, opened))
}
