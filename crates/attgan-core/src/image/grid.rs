//! A grid of equally sized images under a row of column labels: the layout of the sample grids
//! (input | reconstruction | one column per flipped attribute).

use ::image::{Rgb, RgbImage};
use font8x8::UnicodeFonts;

use crate::error::{AttGanError, Result};

const GAP: u32 = 2;
const GLYPH: u32 = 8;
const LINE_GAP: u32 = 2;
const BACKGROUND: Rgb<u8> = Rgb([255, 255, 255]);
const INK: Rgb<u8> = Rgb([0, 0, 0]);

/// Rows of images under labelled columns, rendered to one picture.
#[derive(Debug, Clone)]
pub struct SampleGrid {
    labels: Vec<String>,
    rows: Vec<Vec<RgbImage>>,
    zoom: u32,
}

impl SampleGrid {
    /// An empty grid with one label per column (e.g. "Input", "Reconstruction", "Bald", ...).
    pub fn new<S: Into<String>>(labels: impl IntoIterator<Item = S>) -> Self {
        Self { labels: labels.into_iter().map(Into::into).collect(), rows: Vec::new(), zoom: 1 }
    }

    /// Draws every cell at least `zoom` times larger (nearest neighbour), so that small images
    /// stay visible; the grid zooms further by itself where a label needs the room.
    pub fn with_zoom(mut self, zoom: u32) -> Self {
        self.zoom = zoom.max(1);
        self
    }

    /// Appends a row: one image per column, all of the size of the grid's first image.
    pub fn push_row(&mut self, row: Vec<RgbImage>) -> Result<()> {
        if row.len() != self.labels.len() {
            return Err(AttGanError::Shape(format!(
                "grid row {} has {} images for {} columns",
                self.rows.len(),
                row.len(),
                self.labels.len()
            )));
        }
        let size = self.rows.first().map(|r| r[0].dimensions()).unwrap_or(row[0].dimensions());
        if let Some((j, img)) = row.iter().enumerate().find(|(_, img)| img.dimensions() != size) {
            return Err(AttGanError::Shape(format!(
                "grid row {} column {j} is {}x{}, the grid's cells are {}x{}",
                self.rows.len(),
                img.width(),
                img.height(),
                size.0,
                size.1
            )));
        }
        self.rows.push(row);
        Ok(())
    }

    /// Number of rows so far.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row has been added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The size of a cell in the picture: the images' size times the zoom, the zoom raised when
    /// needed so that the longest word of any label fits over its cell (at 32 pixels,
    /// "Reconstruction" takes 112: such a grid is drawn 4 times larger).
    pub fn cell_size(&self) -> (u32, u32) {
        let (w, h) = self.rows.first().map(|r| r[0].dimensions()).unwrap_or((64, 64));
        let needed = self.longest_word() * GLYPH; // the longest word's pixels at the smallest letters
        let zoom = self.zoom.max(needed.div_ceil(w.max(1))).max(1);
        (w * zoom, h * zoom)
    }

    /// The number of characters in the longest word of the labels (words split at '_' and ' ').
    fn longest_word(&self) -> u32 {
        self.labels.iter().flat_map(|l| l.split(['_', ' '])).map(|w| w.chars().count() as u32).max().unwrap_or(0)
    }

    /// The picture: the header (labels split at '_' onto lines, every word whole), then the
    /// rows, with a white 2-pixel gap around every cell.
    pub fn render(&self) -> RgbImage {
        let (cw, ch) = self.cell_size();
        // Larger letters over large cells, as long as the longest word still fits.
        let scale = (cw / 128).min(cw / (self.longest_word() * GLYPH).max(1)).max(1);
        let max_chars = (cw / (GLYPH * scale)).max(1) as usize;
        let lines: Vec<Vec<String>> = self.labels.iter().map(|l| wrap(l, max_chars)).collect();
        let n_lines = lines.iter().map(Vec::len).max().unwrap_or(0) as u32;
        let header = n_lines * (GLYPH + LINE_GAP) * scale + GAP;
        let cols = self.labels.len() as u32;
        let width = GAP + cols * (cw + GAP);
        let height = header + GAP + self.rows.len() as u32 * (ch + GAP);
        let mut out = RgbImage::from_pixel(width, height, BACKGROUND);
        for (j, label_lines) in lines.iter().enumerate() {
            let x0 = GAP + j as u32 * (cw + GAP);
            for (k, line) in label_lines.iter().enumerate() {
                let text_w = line.chars().count() as u32 * GLYPH * scale;
                let x = x0 + cw.saturating_sub(text_w) / 2;
                let y = GAP + k as u32 * (GLYPH + LINE_GAP) * scale;
                draw_text(&mut out, line, x, y, scale);
            }
        }
        for (i, row) in self.rows.iter().enumerate() {
            let y0 = header + GAP + i as u32 * (ch + GAP);
            for (j, img) in row.iter().enumerate() {
                let x0 = GAP + j as u32 * (cw + GAP);
                if (cw, ch) == img.dimensions() {
                    ::image::imageops::replace(&mut out, img, x0 as i64, y0 as i64);
                } else {
                    let big = ::image::imageops::resize(img, cw, ch, ::image::imageops::FilterType::Nearest);
                    ::image::imageops::replace(&mut out, &big, x0 as i64, y0 as i64);
                }
            }
        }
        out
    }

    /// Renders and writes the grid atomically (PNG or JPEG by extension).
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        super::save::save_atomically(&self.render(), path)
    }
}

/// Splits a column label at '_' (and ' ') into header lines of at most `max_chars` characters,
/// joining short words back onto one line and cutting a word longer than a line: how
/// [`SampleGrid::render`] fits long attribute names such as `Mouth_Slightly_Open` over a narrow
/// cell (its cells are always wide enough for the longest word, so it cuts none). Public so that the layout can be checked without reading pixels.
pub fn wrap(label: &str, max_chars: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in label.split(['_', ' ']).filter(|w| !w.is_empty()) {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= max_chars => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.chars().take(max_chars).collect()),
        }
    }
    lines
}

/// Draws `text` with the 8x8 public-domain bitmap font, each font pixel `scale` pixels wide.
fn draw_text(img: &mut RgbImage, text: &str, x: u32, y: u32, scale: u32) {
    for (n, ch) in text.chars().enumerate() {
        let glyph = font8x8::BASIC_FONTS.get(ch).unwrap_or([0; 8]);
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8u32 {
                if bits & (1 << col) == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let px = x + (n as u32 * GLYPH + col) * scale + dx;
                        let py = y + row as u32 * scale + dy;
                        if px < img.width() && py < img.height() {
                            img.put_pixel(px, py, INK);
                        }
                    }
                }
            }
        }
    }
}
