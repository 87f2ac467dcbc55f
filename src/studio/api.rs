//! The HTTP API behind the page. Every answer is JSON (images inside as `data:` URLs) except
//! the page's own files and the PNG downloads; every error is JSON `{"error", "code"}` with the
//! status of [`StudioError::status`].
//!
//! | route | what |
//! |---|---|
//! | `GET /` (`/studio.js`, `/studio.css`) | the page |
//! | `GET /api/model` | the model: attributes and their conflicts, intensities, limits |
//! | `POST /api/photos?name=N&frame=face\|crop` | open a photo (the body: its file) |
//! | `POST /api/dataset/{index}` | open a dataset image with its annotations |
//! | `POST /api/photos/{id}/render` | `{"seq": n, "edits": [["Bald", 1.0], ...]}`: render |
//! | `GET /api/photos/{id}/edited.png` | the whole photo with the newest rendering pasted in |
//! | `GET /api/photos/{id}/face.png` | the newest rendering alone |
//! | `DELETE /api/photos/{id}` | forget a photo |

use std::io::Cursor;
use std::sync::Arc;
use std::time::Instant;

use attgan_core::Edits;
use attgan_core::attributes::conflicts_of;
use attgan_core::editor::Framing;
use attgan_core::image::Region;
use attgan_core::session::paste;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use image::{DynamicImage, ImageDecoder, RgbImage, imageops};
use serde::Deserialize;
use serde_json::{Value, json};

use super::engine::{Frame, Opened, SessionId};
use super::photos::Photo;
use super::{Studio, StudioError, page};

/// The routes, over `studio`.
pub fn router(studio: Studio) -> axum::Router {
    let max_bytes = studio.options().max_bytes;
    axum::Router::new()
        .route("/", get(|| async { page::file("index.html") }))
        .route("/{file}", get(|Path(file): Path<String>| async move { page::file(&file) }))
        .route("/api/model", get(model))
        .route("/api/photos", post(open_photo))
        .route("/api/dataset/{index}", post(open_dataset))
        .route("/api/photos/{id}/render", post(render))
        .route("/api/photos/{id}/edited.png", get(edited_png))
        .route("/api/photos/{id}/face.png", get(face_png))
        .route("/api/photos/{id}", axum::routing::delete(close))
        // Room over the limit so that an upload just over it gets our message, not axum's.
        .layer(DefaultBodyLimit::max(max_bytes + 1))
        .with_state(studio)
}

impl IntoResponse for StudioError {
    fn into_response(self) -> Response {
        let status = self.status();
        (status, Json(json!({ "error": self.to_string(), "code": self.code() }))).into_response()
    }
}

type Answer<T> = Result<T, StudioError>;

async fn model(State(studio): State<Studio>) -> Json<Value> {
    let config = studio.config();
    let attributes: Vec<Value> = config
        .attributes
        .iter()
        .map(|a| {
            let conflicts: Vec<&str> =
                conflicts_of(a).into_iter().filter(|c| config.attributes.iter().any(|n| n == c)).collect();
            json!({ "name": a, "conflicts": conflicts })
        })
        .collect();
    let options = studio.options();
    let name = options.checkpoint.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    Json(json!({
        "name": name,
        "checkpoint": options.checkpoint.display().to_string(),
        "image_size": config.image_size,
        "attributes": attributes,
        "has_classifier": studio.shared.has_classifier,
        "thres_int": config.thres_int,
        "test_int": config.test_int,
        "intensity_max": studio.intensity_max(),
        "backend": studio.selected().to_string(),
        "dataset": options.dataset.as_ref().map(|d| json!({
            "split": "test",
            "source": d.root.as_ref().map_or("the synthetic world".to_string(), |r| r.display().to_string()),
        })),
        "limits": { "max_bytes": options.max_bytes, "max_pixels": options.max_pixels },
    }))
}

#[derive(Debug, Deserialize)]
struct OpenQuery {
    name: Option<String>,
    frame: Option<String>,
}

async fn open_photo(
    State(studio): State<Studio>,
    Query(q): Query<OpenQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Answer<Json<Value>> {
    let name = q.name.unwrap_or_else(|| "photo".into());
    let frame = match q.frame.as_deref() {
        None | Some("face") => Frame::Face,
        Some("crop") | Some("centre") | Some("center") => Frame::Crop,
        Some(other) => {
            return Err(StudioError::BadRequest(format!("frame `{other}`: expected `face` or `crop`")));
        }
    };
    let options = studio.options().clone();
    let bytes = body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(_) => too_large(&name, options.max_bytes),
        other => StudioError::BadRequest(other.body_text()),
    })?;
    if bytes.len() > options.max_bytes {
        return Err(too_large(&name, options.max_bytes));
    }
    let (photo, scaled_from) = {
        let name = name.clone();
        blocking(move || decode_photo(&bytes, &name, options.max_pixels, options.work_side)).await??
    };
    open(&studio, name, photo, scaled_from, frame, None).await
}

fn too_large(name: &str, max_bytes: usize) -> StudioError {
    StudioError::TooLarge(format!("`{name}` is larger than the studio's limit of {} per photo", mebibytes(max_bytes)))
}

/// `bytes` in MiB, e.g. `25 MiB` or `0.19 MiB`.
fn mebibytes(bytes: usize) -> String {
    let mib = bytes as f64 / f64::from(1 << 20);
    if bytes.is_multiple_of(1 << 20) { format!("{mib} MiB") } else { format!("{mib:.2} MiB") }
}

async fn open_dataset(State(studio): State<Studio>, Path(index): Path<usize>) -> Answer<Json<Value>> {
    let s = studio.clone();
    let (name, photo, source) = blocking(move || dataset_item(&s, index)).await??;
    open(&studio, name, photo, None, Frame::Whole, Some(source)).await
}

/// Dataset image `index` of the test split, its name and annotations.
fn dataset_item(studio: &Studio, index: usize) -> Answer<(String, RgbImage, Vec<f32>)> {
    let Some(data) = &studio.options().dataset else {
        return Err(StudioError::Dataset(
            "no dataset: start the studio with --celeba-dir DIR (or --synthetic) to open dataset images".into(),
        ));
    };
    let invalid = |e: attgan_train::data::DataError| StudioError::Dataset(e.to_string());
    let mut opened = studio.shared.dataset.lock().unwrap_or_else(|e| e.into_inner());
    if opened.is_none() {
        let root = data.root().map_err(invalid)?;
        let config = studio.config();
        let split = attgan_train::data::Split::Test;
        *opened = Some(data.open(&root, split, &config.attributes, config.image_size).map_err(invalid)?);
    }
    let dataset = opened.as_ref().expect("opened above");
    use burn::data::dataset::Dataset;
    if index >= dataset.len() {
        return Err(StudioError::Dataset(format!(
            "image index {index}: the test split has {} images (0 to {})",
            dataset.len(),
            dataset.len().saturating_sub(1)
        )));
    }
    let item = dataset.try_get(index).map_err(invalid)?;
    Ok((item.file, item.image, item.attributes))
}

/// Opens `photo` with the model and keeps it.
async fn open(
    studio: &Studio,
    name: String,
    photo: RgbImage,
    scaled_from: Option<(u32, u32)>,
    frame: Frame,
    source: Option<Vec<f32>>,
) -> Answer<Json<Value>> {
    let t = Instant::now();
    let id = studio.shared.photos.reserve();
    let annotated = source.is_some();
    let photo = Arc::new(photo);
    let opened = studio.shared.queue.open(id, name.clone(), (*photo).clone(), frame, source).await?;
    let preview_side = studio.options().preview_side;
    let has_classifier = studio.shared.has_classifier;
    let (kept, answer) = blocking(move || {
        let region = opened.framing.crop.region(photo.width(), photo.height());
        let (preview, preview_region) = preview(&photo, region, preview_side);
        let pasted = paste(&preview, &opened.rendered.image, preview_region);
        let mut answer = opened_json(id, &name, &photo, scaled_from, &opened, annotated, has_classifier);
        answer["original_photo"] = jpeg_data_url(&preview).into();
        answer["photo"] = jpeg_data_url(&pasted).into();
        let mut kept = Photo::new(name, photo, region, Arc::new(preview), preview_region);
        kept.last = Some((0, Arc::new(opened.rendered.image)));
        (kept, answer)
    })
    .await?;
    let mut answer = answer;
    answer["server_ms"] = (t.elapsed().as_secs_f64() * 1e3).into();
    answer["frame"] = match frame {
        Frame::Face => "face",
        Frame::Crop => "crop",
        Frame::Whole => "whole",
    }
    .into();
    studio.shared.photos.insert(id, kept);
    Ok(Json(answer))
}

fn opened_json(
    id: SessionId,
    name: &str,
    photo: &RgbImage,
    scaled_from: Option<(u32, u32)>,
    opened: &Opened,
    annotated: bool,
    has_classifier: bool,
) -> Value {
    let Framing { crop, face } = opened.framing;
    let r = crop.region(photo.width(), photo.height());
    json!({
        "id": id,
        "name": name,
        "width": photo.width(),
        "height": photo.height(),
        "scaled_from": scaled_from.map(|(w, h)| [w, h]),
        "face_box": face.map(|f| json!({ "left": f.left, "top": f.top, "side": f.side, "score": f.score })),
        "crop": { "left": r.left, "top": r.top, "width": r.width, "height": r.height },
        "source": opened.source,
        "source_kind": if annotated { "annotations" } else if has_classifier { "classifier" } else { "none" },
        "original_face": data_url(&opened.face),
        "face": data_url(&opened.rendered.image),
        "attributes": opened.rendered.attributes,
        "input": opened.rendered.input,
    })
}

#[derive(Debug, Deserialize)]
struct RenderRequest {
    seq: u64,
    #[serde(default)]
    edits: Vec<(String, f64)>,
}

async fn render(
    State(studio): State<Studio>,
    Path(id): Path<SessionId>,
    request: Result<Json<RenderRequest>, axum::extract::rejection::JsonRejection>,
) -> Answer<Json<Value>> {
    let t = Instant::now();
    let Json(request) = request.map_err(|e| StudioError::BadRequest(e.body_text()))?;
    let edits = edits_of(&studio, &request.edits)?;
    let photo = studio.shared.photos.claim(id, request.seq)?;
    let render = studio.shared.queue.render(id, edits).await?;
    let face = Arc::new(render.rendered.image);
    studio.shared.photos.rendered(id, request.seq, face.clone());
    let (face_url, photo_url) = blocking(move || {
        let pasted = paste(&photo.preview, &face, photo.preview_region);
        (data_url(&face), jpeg_data_url(&pasted))
    })
    .await?;
    Ok(Json(json!({
        "seq": request.seq,
        "face": face_url,
        "photo": photo_url,
        "attributes": render.rendered.attributes,
        "input": render.rendered.input,
        "model_ms": render.model_ms,
        "server_ms": t.elapsed().as_secs_f64() * 1e3,
    })))
}

/// The requested edits, in the order given (later ones win conflicts), each attribute checked
/// against the model's and each intensity finite.
fn edits_of(studio: &Studio, requested: &[(String, f64)]) -> Answer<Edits> {
    let names = &studio.config().attributes;
    let mut edits = Edits::new();
    for (name, value) in requested {
        if !names.iter().any(|n| n == name) {
            return Err(StudioError::UnknownAttribute { name: name.clone(), known: names.clone() });
        }
        if !value.is_finite() {
            return Err(StudioError::BadRequest(format!("{name}: the intensity {value} is not a finite number")));
        }
        edits = edits.set(name.clone(), *value);
    }
    Ok(edits)
}

async fn edited_png(State(studio): State<Studio>, Path(id): Path<SessionId>) -> Answer<Response> {
    let photo = studio.shared.photos.get(id)?;
    let (_, face) = photo.last.clone().ok_or(StudioError::UnknownSession(id))?;
    let name = format!("{}-edited.png", stem(&photo.name));
    let png = blocking(move || png_bytes(&paste(&photo.photo, &face, photo.region))).await?;
    Ok(attachment(png, &name))
}

async fn face_png(State(studio): State<Studio>, Path(id): Path<SessionId>) -> Answer<Response> {
    let photo = studio.shared.photos.get(id)?;
    let (_, face) = photo.last.clone().ok_or(StudioError::UnknownSession(id))?;
    let name = format!("{}-face.png", stem(&photo.name));
    Ok(attachment(png_bytes(&face), &name))
}

async fn close(State(studio): State<Studio>, Path(id): Path<SessionId>) -> Answer<StatusCode> {
    if studio.shared.photos.remove(id) { Ok(StatusCode::NO_CONTENT) } else { Err(StudioError::UnknownSession(id)) }
}

/// A PNG download named `name`.
fn attachment(png: Vec<u8>, name: &str) -> Response {
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    ([(header::CONTENT_TYPE, HeaderValue::from_static("image/png")), (header::CONTENT_DISPOSITION, disposition)], png)
        .into_response()
}

fn stem(name: &str) -> &str {
    std::path::Path::new(name).file_stem().and_then(|s| s.to_str()).unwrap_or("photo")
}

/// Runs `f` off the async runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Answer<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| StudioError::BadRequest(format!("the request failed: {e}")))
}

/// Decodes an uploaded photo: its size checked before decoding, turned upright by its EXIF
/// orientation (as phones save portraits), scaled down to `work_side` on its long side.
/// Returns the photo and, if it was scaled, its original size.
pub fn decode_photo(
    bytes: &[u8],
    name: &str,
    max_pixels: u64,
    work_side: u32,
) -> Answer<(RgbImage, Option<(u32, u32)>)> {
    let not_an_image = |reason: String| StudioError::NotAnImage { name: name.to_string(), reason };
    let reader =
        image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| not_an_image(e.to_string()))?;
    if reader.format().is_none() {
        return Err(not_an_image("its first bytes match no image format".into()));
    }
    let mut decoder = reader.into_decoder().map_err(|e| not_an_image(e.to_string()))?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(StudioError::TooLarge(format!(
            "`{name}` is {w}x{h} pixels ({:.1} megapixels); the studio takes photos up to {:.1} megapixels",
            (u64::from(w) * u64::from(h)) as f64 / 1e6,
            max_pixels as f64 / 1e6
        )));
    }
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| not_an_image(e.to_string()))?;
    if let Some(o) = orientation {
        image.apply_orientation(o);
    }
    let (w, h) = (image.width(), image.height());
    if w.max(h) <= work_side {
        return Ok((image.to_rgb8(), None));
    }
    let scaled = image.resize(work_side, work_side, imageops::FilterType::Triangle);
    Ok((scaled.to_rgb8(), Some((w, h))))
}

/// `photo` scaled down to `side` on its long side for the page, and `region` in it.
fn preview(photo: &RgbImage, region: Region, side: u32) -> (RgbImage, Region) {
    let long = photo.width().max(photo.height());
    if long <= side {
        return (photo.clone(), region);
    }
    let s = f64::from(side) / f64::from(long);
    let px = |v: u32| (f64::from(v) * s).round() as u32;
    let small =
        imageops::resize(photo, px(photo.width()).max(1), px(photo.height()).max(1), imageops::FilterType::Triangle);
    let r = Region {
        left: px(region.left),
        top: px(region.top),
        width: px(region.width).max(1),
        height: px(region.height).max(1),
    };
    (small, r)
}

/// `image` as PNG, compressed for speed (these go to a page on the same machine).
pub fn png_bytes(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Sub,
    );
    image.write_with_encoder(encoder).expect("encoding a PNG in memory cannot fail");
    out
}

/// `image` as a `data:image/png;base64,...` URL.
fn data_url(image: &RgbImage) -> String {
    format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png_bytes(image)))
}

/// The quality of the whole photo on the page: sent on every move, so JPEG (a tenth of the
/// PNG's bytes, and faster to encode and decode); the download is PNG.
const PREVIEW_JPEG_QUALITY: u8 = 92;

/// `image` as a `data:image/jpeg;base64,...` URL.
fn jpeg_data_url(image: &RgbImage) -> String {
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, PREVIEW_JPEG_QUALITY);
    image.write_with_encoder(encoder).expect("encoding a JPEG in memory cannot fail");
    format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(out))
}
