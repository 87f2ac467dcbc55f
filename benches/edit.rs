//! Edit (inference) latency and throughput of the paper's 128x128 model on every backend
//! available: one encoding and one decoding per image, images already prepared, results back
//! as 8-bit images. Batch 1 (latency) and 8 by default; add 32 with `ATTGAN_BENCH=long`. And
//! `slider_move`: one change of an interactive edit of a 640x480 photo (a decoding of the stored
//! encoding, pasted back into the photo), what the studio pays per slider move; and
//! `studio_move_http`: the same move through AttGAN Studio's HTTP API, answer decoded.
//!
//! ```text
//! cargo bench --bench edit
//! ```

mod common;

use attgan::backend::{self, BackendJob, Preference, Selected};
use attgan::session::EditSession;
use attgan::{AttGanConfig, Editor, Edits, Source};
use burn::tensor::backend::AutodiffBackend;
use criterion::{BenchmarkId, Criterion, Throughput};
use image::{Rgb, RgbImage};

use common::{Plan, is_software, short_name};

struct EditJob<'a> {
    c: &'a mut Criterion,
    plan: &'a Plan,
}

impl BackendJob for EditJob<'_> {
    type Output = ();

    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) {
        let EditJob { c, plan } = self;
        let name = short_name(selected);
        if is_software(selected) && !plan.long && plan.devices.is_none() {
            println!("{name}: a software device, skipped in the default run (ATTGAN_BENCH=long runs it)");
            return;
        }
        let config = AttGanConfig::default();
        let editor = Editor::<B::InnerBackend>::new(config.init_generator(&device), config.clone(), &device);
        let edits = [Edits::new().set("Blond_Hair", 1.0)];
        let mut group = c.benchmark_group(format!("edit_128_{name}"));
        group.sample_size(if plan.long { 30 } else { 10 });
        let batches: &[usize] = if plan.long { &[1, 8, 32] } else { &[1, 8] };
        for &n in batches {
            let images: Vec<RgbImage> = (0..n)
                .map(|k| RgbImage::from_fn(128, 128, |x, y| Rgb([(x + k as u32) as u8, y as u8, (x ^ y) as u8])))
                .collect();
            let sources: Vec<Vec<f32>> = (0..n).map(|k| (0..13).map(|j| ((j + k) % 2) as f32).collect()).collect();
            let editor = editor.clone().with_batch_size(n);
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::new("batch", n), &images, |b, images| {
                b.iter(|| editor.edit_batch(images, Source::Given(&sources), &edits).expect("edit"))
            });
        }
        // A slider move in an interactive edit: the photo was framed and encoded once
        // (EditSession::new); each move decodes once and pastes the face back into the photo.
        let photo = RgbImage::from_fn(640, 480, |x, y| Rgb([x as u8, y as u8, (x ^ y) as u8]));
        let source: Vec<f32> = (0..13).map(|j| (j % 2) as f32).collect();
        let session = EditSession::new(&editor, photo, Some(source)).expect("a session");
        let mut intensity = 0.0;
        group.bench_function("slider_move", |b| {
            b.iter(|| {
                intensity = if intensity > 1.0 { -1.0 } else { intensity + 0.1 };
                let face = session.render(&editor, &Edits::new().set("Blond_Hair", intensity)).expect("render");
                session.paste_back(&face.image)
            })
        });
        // The same move through AttGAN Studio's HTTP API on this machine's loopback, as the page
        // makes it: the request, the model's decoding, the face pasted into the page's copy of
        // the photo (1024x1024 here), both encoded, the answer parsed and both pictures decoded.
        studio_move(&mut group, editor.with_classifier(config.init_classifier(&device)), selected);
        group.finish();
    }
}

/// Times one slider move through the studio's HTTP API.
fn studio_move<B: burn::tensor::backend::Backend>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    editor: Editor<B>,
    selected: &Selected,
) {
    use attgan::studio::{Studio, StudioOptions};
    use base64::Engine as _;
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    let dir = std::env::temp_dir().join(format!("attgan-bench-studio-{}", std::process::id()));
    editor.save(&dir).expect("the export is written");
    let studio = Studio::start(Preference::Only(selected.kind), StudioOptions::new(&dir)).expect("the studio starts");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let address = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let address = listener.local_addr().expect("an address");
        tokio::spawn(studio.serve(listener));
        address
    });
    let client: Client<_, Full<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let post = |path: String, body: Vec<u8>| {
        let client = client.clone();
        async move {
            let request = hyper::Request::post(format!("http://{address}{path}"))
                .header("content-type", "application/json")
                .body(Full::new(bytes::Bytes::from(body)))
                .expect("a request");
            let response = client.request(request).await.expect("the studio answers");
            assert!(response.status().is_success(), "{path}: {}", response.status());
            let body = response.into_body().collect().await.expect("a body").to_bytes();
            serde_json::from_slice::<serde_json::Value>(&body).expect("JSON")
        }
    };
    let astronaut =
        image::open(concat!(env!("CARGO_MANIFEST_DIR"), "/crates/attgan-core/tests/fixtures/faces/astronaut-256.png"))
            .expect("the fixture photo");
    let photo = astronaut.resize_exact(1024, 1024, image::imageops::FilterType::Triangle);
    let mut png = std::io::Cursor::new(Vec::new());
    photo.write_to(&mut png, image::ImageFormat::Png).expect("a PNG");
    let opened = runtime.block_on(post("/api/photos?name=astronaut.png".into(), png.into_inner()));
    let id = opened["id"].as_u64().expect("a photo id");
    let picture = |url: &serde_json::Value| {
        let (_, b64) = url.as_str().expect("a data URL").split_once(";base64,").expect("base64");
        image::load_from_memory(&base64::engine::general_purpose::STANDARD.decode(b64).expect("base64"))
            .expect("a picture")
    };
    let mut seq = 0u64;
    group.bench_function("studio_move_http", |b| {
        b.iter(|| {
            seq += 1;
            let intensity = (seq % 21) as f64 / 10.0 - 1.0;
            let body = serde_json::json!({ "seq": seq, "edits": [["Blond_Hair", intensity]] }).to_string();
            let done = runtime.block_on(post(format!("/api/photos/{id}/render"), body.into_bytes()));
            (picture(&done["face"]), picture(&done["photo"]))
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let plan = Plan::from_env();
    let mut c = Criterion::default().configure_from_args();
    for selected in plan.backends() {
        if let Err(e) = backend::run(Preference::Only(selected.kind), EditJob { c: &mut c, plan: &plan }) {
            println!("{}: {e}", selected.description);
        }
    }
    c.final_summary();
}
