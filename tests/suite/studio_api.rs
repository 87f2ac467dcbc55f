//! AttGAN Studio's HTTP API, called as the page calls it (through the router, no socket).

use std::sync::Arc;

use attgan::Edits;
use attgan::studio::StudioError;
use attgan::studio::engine::{Queue, answered};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use http_body_util::BodyExt;
use image::{Rgb, RgbImage};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::{astronaut, scratch, tiny_studio};

/// The answer to one request: status, headers, body.
async fn call(router: &Router, request: Request<Body>) -> (StatusCode, header::HeaderMap, Bytes) {
    let response = router.clone().oneshot(request).await.expect("the router answers");
    let (parts, body) = response.into_parts();
    (parts.status, parts.headers, body.collect().await.expect("a body").to_bytes())
}

/// A JSON answer.
async fn call_json(router: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let (status, _, body) = call(router, request).await;
    let value = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
    (status, value)
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn upload(uri: &str, bytes: Vec<u8>) -> Request<Body> {
    Request::post(uri).body(Body::from(bytes)).unwrap()
}

fn render(id: u64, seq: u64, edits: Value) -> Request<Body> {
    Request::post(format!("/api/photos/{id}/render"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "seq": seq, "edits": edits }).to_string()))
        .unwrap()
}

/// The image inside a `data:` URL.
fn data_image(url: &Value) -> RgbImage {
    let url = url.as_str().expect("a data URL");
    let (_, b64) = url.split_once(";base64,").expect("a base64 data URL");
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
    image::load_from_memory(&bytes).expect("an image").to_rgb8()
}

fn png_of(image: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn index_of(model: &Value, name: &str) -> usize {
    model["attributes"].as_array().unwrap().iter().position(|a| a["name"] == name).unwrap()
}

/// Opens the astronaut and returns the studio's answer.
async fn open_astronaut(router: &Router) -> Value {
    let bytes = std::fs::read(astronaut()).unwrap();
    let (status, opened) = call_json(router, upload("/api/photos?name=astronaut-256.png", bytes)).await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    opened
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_the_model_description_are_served() {
    let studio = tiny_studio(|_| {});
    let router = studio.router();
    let (status, headers, body) = call(&router, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let html = String::from_utf8(body.to_vec()).unwrap();
    assert!(html.contains("AttGAN Studio") && html.contains("studio.js"), "{html}");
    for file in ["studio.js", "studio.css"] {
        assert_eq!(call(&router, get(&format!("/{file}"))).await.0, StatusCode::OK, "{file}");
    }
    assert_eq!(call(&router, get("/secrets.txt")).await.0, StatusCode::NOT_FOUND);

    let (status, model) = call_json(&router, get("/api/model")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(model["attributes"].as_array().unwrap().len(), 13);
    assert_eq!(model["image_size"], 16);
    assert_eq!(model["has_classifier"], true);
    assert_eq!(model["intensity_max"], model["test_int"]);
    let bald = &model["attributes"][index_of(&model, "Bald")];
    assert_eq!(bald["conflicts"], json!(["Bangs"]));
    assert_eq!(model["dataset"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_opens_around_its_face_and_each_edit_renders() {
    let studio = tiny_studio(|_| {});
    let router = studio.router();
    let opened = open_astronaut(&router).await;
    // The detector found the astronaut's face; the frame lies inside the photo around it.
    let face = &opened["face_box"];
    assert!(face["side"].as_f64().unwrap() > 40.0, "{opened}");
    let crop = &opened["crop"];
    let (left, top, side) =
        (crop["left"].as_u64().unwrap(), crop["top"].as_u64().unwrap(), crop["width"].as_u64().unwrap());
    assert!(left + side <= 256 && top + side <= 256 && side > face["side"].as_f64().unwrap() as u64, "{crop}");
    assert_eq!(opened["source_kind"], "classifier");
    let source = opened["source"].as_array().unwrap();
    assert_eq!(source.len(), 13);
    assert!(source.iter().all(|p| (0.0..=1.0).contains(&p.as_f64().unwrap())));
    assert_eq!(data_image(&opened["original_face"]).dimensions(), (16, 16));
    assert_eq!(data_image(&opened["photo"]).dimensions(), (256, 256));
    let reconstruction = data_image(&opened["face"]);

    let id = opened["id"].as_u64().unwrap();
    let (status, done) = call_json(&router, render(id, 1, json!([["Bald", 1.0]]))).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["seq"], 1);
    assert_eq!(done["input"][0], 1.0);
    assert_eq!(done["attributes"][0], true);
    let edited = data_image(&done["face"]);
    assert_eq!(edited.dimensions(), (16, 16));
    assert_ne!(edited, reconstruction, "an edit changes the face");
    // The same edits render the same face; no edit renders the reconstruction.
    let (_, again) = call_json(&router, render(id, 2, json!([["Bald", 1.0]]))).await;
    assert_eq!(data_image(&again["face"]), edited);
    let (_, reset) = call_json(&router, render(id, 3, json!([]))).await;
    assert_eq!(data_image(&reset["face"]), reconstruction);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conflict_rules_apply_and_the_newest_edit_wins() {
    let studio = tiny_studio(|_| {});
    let router = studio.router();
    let (_, model) = call_json(&router, get("/api/model")).await;
    let (bald, bangs) = (index_of(&model, "Bald"), index_of(&model, "Bangs"));
    let id = open_astronaut(&router).await["id"].as_u64().unwrap();
    // Bangs on, then Bald on: Bald turns Bangs off, which keeps its intensity, negated.
    let (_, done) = call_json(&router, render(id, 1, json!([["Bangs", 0.8], ["Bald", 1.0]]))).await;
    assert_eq!((done["attributes"][bald].clone(), done["attributes"][bangs].clone()), (json!(true), json!(false)));
    assert!((done["input"][bangs].as_f64().unwrap() + 0.8).abs() < 1e-6, "{}", done["input"]);
    // The other way round, Bangs wins.
    let (_, done) = call_json(&router, render(id, 2, json!([["Bald", 1.0], ["Bangs", 0.8]]))).await;
    assert_eq!((done["attributes"][bald].clone(), done["attributes"][bangs].clone()), (json!(false), json!(true)));
    assert_eq!(done["input"][bald], -1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_message_and_breaks_nothing() {
    let studio = tiny_studio(|o| {
        o.max_bytes = 200_000;
        o.max_pixels = 300 * 300;
    });
    let router = studio.router();
    let expect = |(status, body): (StatusCode, Value), want: StatusCode, code: &str, words: &[&str]| {
        assert_eq!(status, want, "{body}");
        assert_eq!(body["code"], code, "{body}");
        let message = body["error"].as_str().unwrap();
        for w in words {
            assert!(message.contains(w), "`{w}` not in: {message}");
        }
    };
    // Not an image.
    let text = b"name,smiling\nalice,1\n".to_vec();
    expect(
        call_json(&router, upload("/api/photos?name=people.csv", text)).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "not_an_image",
        &["`people.csv`", "PNG or JPEG"],
    );
    // Too many bytes, and too many pixels (told before decoding).
    let noise = RgbImage::from_fn(400, 400, |x, y| Rgb([(x * 7 + y * 13) as u8, (x * y) as u8, (x ^ y) as u8]));
    expect(
        call_json(&router, upload("/api/photos?name=noise.png", png_of(&noise))).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        &["`noise.png`", "0.19 MiB"],
    );
    let flat = RgbImage::from_pixel(400, 300, Rgb([120, 120, 120]));
    expect(
        call_json(&router, upload("/api/photos?name=wall.png", png_of(&flat))).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        &["`wall.png`", "400x300", "0.1 megapixels"],
    );
    // No face: refused with the centred crop offered, which then opens.
    let wall = RgbImage::from_pixel(200, 150, Rgb([120, 120, 120]));
    expect(
        call_json(&router, upload("/api/photos?name=wall.png", png_of(&wall))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no_face",
        &["no face found in `wall.png`", "centred crop"],
    );
    let (status, opened) = call_json(&router, upload("/api/photos?name=wall.png&frame=crop", png_of(&wall))).await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    assert_eq!((opened["face_box"].clone(), opened["frame"].clone()), (Value::Null, json!("crop")));
    assert_eq!(opened["crop"], json!({ "left": 25, "top": 0, "width": 150, "height": 150 }));
    expect(
        call_json(&router, upload("/api/photos?frame=square", png_of(&wall))).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
        &["`square`", "`face` or `crop`"],
    );
    // An attribute the model does not have, and a photo that is not open.
    let id = opened["id"].as_u64().unwrap();
    expect(
        call_json(&router, render(id, 1, json!([["Bald", 1.0], ["Smiling", 1.0]]))).await,
        StatusCode::BAD_REQUEST,
        "unknown_attribute",
        &["`Smiling`", "Bald, Bangs"],
    );
    expect(call_json(&router, render(999, 1, json!([]))).await, StatusCode::NOT_FOUND, "unknown_photo", &["999"]);
    let garbled = Request::post(format!("/api/photos/{id}/render"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"seq\": \"one\"}"))
        .unwrap();
    expect(call_json(&router, garbled).await, StatusCode::BAD_REQUEST, "bad_request", &["seq"]);
    let dataset = Request::post("/api/dataset/0").body(Body::empty()).unwrap();
    expect(call_json(&router, dataset).await, StatusCode::NOT_FOUND, "dataset", &["--celeba-dir"]);
    // After all that the photo still edits.
    let (status, done) = call_json(&router, render(id, 2, json!([["Bald", 1.0]]))).await;
    assert_eq!(status, StatusCode::OK, "{done}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_moves_are_refused_and_a_storm_of_them_wedges_nothing() {
    let studio = tiny_studio(|_| {});
    let router = studio.router();
    let a = open_astronaut(&router).await["id"].as_u64().unwrap();
    let b = open_astronaut(&router).await["id"].as_u64().unwrap();
    // An older or repeated request number than one already asked for is stale.
    assert_eq!(call_json(&router, render(a, 5, json!([]))).await.0, StatusCode::OK);
    for stale in [3, 5] {
        let (status, body) = call_json(&router, render(a, stale, json!([["Bald", 1.0]]))).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("superseded")), "{body}");
    }
    // Two "tabs" move sliders as fast as they can, all at once: every request is answered,
    // rendered or superseded, and the newest of each photo is always rendered.
    let mut tasks = Vec::new();
    for seq in 6..46u64 {
        for id in [a, b] {
            let router = router.clone();
            let v = (seq as f64 / 45.0) * 2.0 - 1.0;
            tasks.push(tokio::spawn(async move {
                (id, seq, call_json(&router, render(id, seq, json!([["Young", v]]))).await)
            }));
        }
    }
    let mut newest_rendered = std::collections::HashMap::new();
    for task in tasks {
        let (id, seq, (status, body)) = task.await.unwrap();
        assert!(status == StatusCode::OK || status == StatusCode::CONFLICT, "{status}: {body}");
        if status == StatusCode::OK {
            let e = newest_rendered.entry(id).or_insert(0);
            *e = seq.max(*e);
        }
    }
    assert_eq!(newest_rendered.get(&a), Some(&45));
    assert_eq!(newest_rendered.get(&b), Some(&45));
    // The studio still answers at once, and the download is the newest rendering.
    let (status, done) = call_json(&router, render(a, 46, json!([["Young", 1.0]]))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, face) = call(&router, get(&format!("/api/photos/{a}/face.png"))).await;
    assert_eq!(image::load_from_memory(&face).unwrap().to_rgb8(), data_image(&done["face"]));
}

#[test]
fn a_waiting_rendering_is_replaced_by_a_newer_one_of_the_same_photo() {
    // A queue nobody serves: what waits stays waiting.
    let queue = Arc::new(Queue::default());
    let first = queue.submit_render(1, Edits::new().set("Bald", 0.1));
    let other = queue.submit_render(2, Edits::new());
    let second = queue.submit_render(1, Edits::new().set("Bald", 0.2));
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    // The first is answered at once: superseded, never run.
    assert!(matches!(runtime.block_on(answered(first)), Err(StudioError::Superseded)));
    // The others wait until the queue closes.
    queue.close();
    assert!(matches!(runtime.block_on(answered(second)), Err(StudioError::Stopped)));
    assert!(matches!(runtime.block_on(answered(other)), Err(StudioError::Stopped)));
    // A closed queue refuses at once.
    assert!(matches!(runtime.block_on(answered(queue.submit_render(3, Edits::new()))), Err(StudioError::Stopped)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_are_pngs_and_old_photos_are_forgotten() {
    let studio = tiny_studio(|o| o.max_sessions = 2);
    let router = studio.router();
    let id = open_astronaut(&router).await["id"].as_u64().unwrap();
    let (_, done) = call_json(&router, render(id, 1, json!([["Eyeglasses", 1.0]]))).await;
    let (status, headers, png) = call(&router, get(&format!("/api/photos/{id}/edited.png"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(headers[header::CONTENT_DISPOSITION], "attachment; filename=\"astronaut-256-edited.png\"");
    let whole = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap().to_rgb8();
    assert_eq!(whole.dimensions(), (256, 256));
    // Outside the frame the photo is untouched; inside, the edited face is pasted.
    let original = image::open(astronaut()).unwrap().to_rgb8();
    assert_eq!(whole.get_pixel(2, 250), original.get_pixel(2, 250));
    let (_, _, face) = call(&router, get(&format!("/api/photos/{id}/face.png"))).await;
    assert_eq!(image::load_from_memory(&face).unwrap().to_rgb8(), data_image(&done["face"]));
    // Two more photos: the least recently used (the first) is forgotten, with a message.
    open_astronaut(&router).await;
    open_astronaut(&router).await;
    let (status, body) = call_json(&router, render(id, 2, json!([]))).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_photo")), "{body}");
    assert!(body["error"].as_str().unwrap().contains("open it again"));
    let delete = |id: u64| Request::delete(format!("/api/photos/{id}")).body(Body::empty()).unwrap();
    assert_eq!(call(&router, delete(id + 1)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(call(&router, delete(id + 1)).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dataset_images_open_with_their_annotations() {
    use attgan::tasks::DataSource;
    use attgan::train::synthetic::{SyntheticOptions, write_synthetic_celeba};
    let root = scratch("synthetic-world");
    write_synthetic_celeba(&root, SyntheticOptions { n_images: 60, ..Default::default() }).unwrap();
    let studio = tiny_studio(|o| o.dataset = Some(DataSource { root: Some(root.clone()), ..Default::default() }));
    let router = studio.router();
    let (_, model) = call_json(&router, get("/api/model")).await;
    assert_eq!(model["dataset"]["split"], "test");
    let (status, opened) = call_json(&router, Request::post("/api/dataset/0").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    assert_eq!(opened["source_kind"], "annotations");
    assert_eq!(opened["frame"], "whole");
    let source = opened["source"].as_array().unwrap();
    assert!(source.iter().all(|v| v == 0.0 || v == 1.0), "{source:?}");
    // G's reconstruction input is the annotations at +-thres_int.
    for (s, x) in source.iter().zip(opened["input"].as_array().unwrap()) {
        assert_eq!(x.as_f64().unwrap(), if s == 1.0 { 0.5 } else { -0.5 });
    }
    let (status, body) = call_json(&router, Request::post("/api/dataset/100000").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("image index 100000: the test split has"), "{body}");
}

#[test]
fn a_phone_photo_is_turned_upright_by_its_exif_orientation_and_scaled_to_the_working_size() {
    use attgan::studio::api::decode_photo;
    use image::ImageEncoder;
    // 40x20, left half red, right half blue, saved as a phone does: pixels as the sensor read
    // them, and EXIF orientation 6 ("rotate 90 degrees clockwise to display").
    let sensor = RgbImage::from_fn(40, 20, |x, _| if x < 20 { Rgb([255, 0, 0]) } else { Rgb([0, 0, 255]) });
    let mut exif = b"MM\0\x2a\0\0\0\x08\0\x01".to_vec();
    exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]);
    let mut jpeg = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95);
    encoder.set_exif_metadata(exif).unwrap();
    encoder.write_image(sensor.as_raw(), 40, 20, image::ExtendedColorType::Rgb8).unwrap();
    let (upright, scaled) = decode_photo(&jpeg, "phone.jpg", 1_000_000, 4096).unwrap();
    assert_eq!((upright.dimensions(), scaled), ((20, 40), None));
    // Turned clockwise: the sensor's left (red) is now on top.
    assert!(upright.get_pixel(10, 5)[0] > 200 && upright.get_pixel(10, 35)[2] > 200);
    // Over the working size: scaled to it on the long side, the original size reported.
    let (small, scaled) = decode_photo(&jpeg, "phone.jpg", 1_000_000, 16).unwrap();
    assert_eq!((small.dimensions(), scaled), ((8, 16), Some((20, 40))));
}
