//! Saving images so that a reader never sees half a file.

use ::image::RgbImage;

use crate::error::{AttGanError, Result};

/// Writes an image (format from the extension) through a temporary file and a rename, so that
/// a reader never sees half a file.
pub fn save_atomically(img: &RgbImage, path: impl AsRef<std::path::Path>) -> Result<()> {
    let path = path.as_ref();
    let format = ::image::ImageFormat::from_path(path)
        .map_err(|source| AttGanError::Image { path: path.to_path_buf(), source })?;
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, format).map_err(|source| AttGanError::Image { path: path.to_path_buf(), source })?;
    crate::atomic::write_atomically(path, bytes.get_ref())
}
