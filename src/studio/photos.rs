//! The open photos as the server sees them: the picture (at working size and as shown on the
//! page), where the face was taken from, the newest edit asked for and the newest rendered.
//! Their encodings live with the model ([`super::engine`]); forgetting a photo here forgets it
//! there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use attgan_core::image::Region;
use image::RgbImage;

use super::StudioError;
use super::engine::{Queue, SessionId};

/// One open photo.
#[derive(Debug, Clone)]
pub struct Photo {
    /// Its file name, for downloads.
    pub name: String,
    /// The photo at working size.
    pub photo: Arc<RgbImage>,
    /// Where the model's face came from in `photo`.
    pub region: Region,
    /// The photo as shown on the page.
    pub preview: Arc<RgbImage>,
    /// `region` in `preview`.
    pub preview_region: Region,
    /// The newest rendering of the face, and its request's number.
    pub last: Option<(u64, Arc<RgbImage>)>,
    /// The newest request's number: older ones are stale.
    latest_seq: u64,
    used: u64,
}

impl Photo {
    /// A photo with nothing rendered yet.
    pub fn new(
        name: String,
        photo: Arc<RgbImage>,
        region: Region,
        preview: Arc<RgbImage>,
        preview_region: Region,
    ) -> Self {
        Self { name, photo, region, preview, preview_region, last: None, latest_seq: 0, used: 0 }
    }
}

/// The open photos, the least recently used forgotten beyond a maximum.
pub struct Photos {
    inner: Mutex<Inner>,
    max: usize,
    queue: Arc<Queue>,
}

#[derive(Default)]
struct Inner {
    next_id: SessionId,
    clock: u64,
    open: HashMap<SessionId, Photo>,
}

impl Photos {
    /// At most `max` photos open; forgotten ones are forgotten by the model's thread too.
    pub fn new(max: usize, queue: Arc<Queue>) -> Self {
        Self { inner: Mutex::new(Inner::default()), max: max.max(1), queue }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh number for a photo about to be opened.
    pub fn reserve(&self) -> SessionId {
        let mut inner = self.lock();
        inner.next_id += 1;
        inner.next_id
    }

    /// Keeps `photo` open as `id`, forgetting the least recently used beyond the maximum.
    pub fn insert(&self, id: SessionId, mut photo: Photo) {
        let mut inner = self.lock();
        inner.clock += 1;
        photo.used = inner.clock;
        inner.open.insert(id, photo);
        while inner.open.len() > self.max {
            let Some(oldest) = inner.open.iter().min_by_key(|(_, p)| p.used).map(|(id, _)| *id) else { break };
            inner.open.remove(&oldest);
            self.queue.forget(oldest);
        }
    }

    /// Photo `id` for request number `seq`, which becomes the newest; an older or repeated
    /// number is stale ([`StudioError::Superseded`]).
    pub fn claim(&self, id: SessionId, seq: u64) -> Result<Photo, StudioError> {
        let mut inner = self.lock();
        inner.clock += 1;
        let clock = inner.clock;
        let photo = inner.open.get_mut(&id).ok_or(StudioError::UnknownSession(id))?;
        if seq <= photo.latest_seq {
            return Err(StudioError::Superseded);
        }
        photo.latest_seq = seq;
        photo.used = clock;
        Ok(photo.clone())
    }

    /// Records the rendering of request `seq`, unless a newer one is already recorded.
    pub fn rendered(&self, id: SessionId, seq: u64, face: Arc<RgbImage>) {
        if let Some(photo) = self.lock().open.get_mut(&id)
            && photo.last.as_ref().is_none_or(|(s, _)| *s < seq)
        {
            photo.last = Some((seq, face));
        }
    }

    /// Photo `id` as it is.
    pub fn get(&self, id: SessionId) -> Result<Photo, StudioError> {
        self.lock().open.get(&id).cloned().ok_or(StudioError::UnknownSession(id))
    }

    /// Forgets photo `id`; whether it was open.
    pub fn remove(&self, id: SessionId) -> bool {
        let removed = self.lock().open.remove(&id).is_some();
        if removed {
            self.queue.forget(id);
        }
        removed
    }
}
