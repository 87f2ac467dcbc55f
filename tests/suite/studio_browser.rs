//! AttGAN Studio driven as a person drives it: a real headless Chromium, through WebDriver
//! (Debian's `chromium` and `chromium-driver`, which `.ci/run` installs), loads the page, picks
//! a photo, moves a slider with the keyboard, sees the edited face change and downloads it.
//!
//! It also opens a dataset image by its index.
//!
//! Without chromedriver the test says so and passes, except under CI (`CI` set), where it fails.
//! `ATTGAN_STUDIO_CHECKPOINT` (an export), `ATTGAN_STUDIO_PHOTO` and `ATTGAN_STUDIO_DATASET` (a
//! CelebA-format root) serve another model, photo and dataset than the tiny ones; `ATTGAN_STUDIO_SCREENSHOTS=DIR` saves the page's screenshots there
//! (the ones in docs/ were made so).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use attgan::backend::{Kind, Preference};
use attgan::studio::{Studio, StudioOptions};
use attgan::tasks::DataSource;
use attgan::train::synthetic::{SyntheticOptions, write_synthetic_celeba};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::common::{astronaut, scratch, tiny_export};

/// chromedriver, and the browser it drives, if installed.
fn chromedriver() -> Option<(PathBuf, PathBuf)> {
    let find = |names: &[&str]| {
        names
            .iter()
            .flat_map(|n| ["/usr/bin", "/usr/local/bin", "/snap/bin"].map(|d| Path::new(d).join(n)))
            .find(|p| p.is_file())
    };
    Some((find(&["chromedriver"])?, find(&["chromium", "chromium-browser", "google-chrome"])?))
}

/// A free port on the loopback interface.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// chromedriver, stopped when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits up to `limit` for `check` to give a value.
async fn until<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> F,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < limit, "waited {limit:?} for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{script}: {e}"))
}

async fn screenshot(client: &Client, name: &str) {
    if let Some(dir) = std::env::var_os("ATTGAN_STUDIO_SCREENSHOTS") {
        let png = client.screenshot().await.expect("a screenshot");
        let path = Path::new(&dir).join(name);
        std::fs::write(&path, png).expect("the screenshot is written");
        eprintln!("screenshot: {}", path.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_edits_a_photo_in_the_browser() {
    let Some((driver_bin, browser_bin)) = chromedriver() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser test: install Debian's chromium and chromium-driver (.ci/run does)"
        );
        eprintln!("skipped: no chromedriver (apt-get install chromium chromium-driver)");
        return;
    };
    let checkpoint = std::env::var_os("ATTGAN_STUDIO_CHECKPOINT").map_or_else(tiny_export, PathBuf::from);
    let photo = std::env::var_os("ATTGAN_STUDIO_PHOTO").map_or_else(astronaut, PathBuf::from);
    // Dataset images too: those of ATTGAN_STUDIO_DATASET (a CelebA-format root), or a small
    // synthetic world.
    let dataset = std::env::var_os("ATTGAN_STUDIO_DATASET").map_or_else(
        || {
            let root = scratch("browser-world");
            write_synthetic_celeba(&root, SyntheticOptions { n_images: 60, ..Default::default() }).expect("a world");
            root
        },
        PathBuf::from,
    );
    let options = StudioOptions::new(checkpoint).with_dataset(DataSource { root: Some(dataset), ..Default::default() });
    let studio = Studio::start(Preference::Only(Kind::Cpu), options).expect("the studio starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let page = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(studio.serve(listener));

    let port = free_port();
    let _driver = Driver(
        Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let downloads = scratch("browser-downloads");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": browser_bin,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1440,1000"],
            "prefs": { "download.default_directory": downloads, "download.prompt_for_download": false },
        }),
    );
    let webdriver = format!("http://127.0.0.1:{port}");
    let client = until("chromedriver to start a session", Duration::from_secs(30), || {
        let caps = caps.clone();
        let webdriver = webdriver.clone();
        async move {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            ClientBuilder::new(connector).capabilities(caps).connect(&webdriver).await.ok()
        }
    })
    .await;

    let result = drive(&client, &page, &photo, &downloads).await;
    let _ = client.close().await;
    result.unwrap_or_else(|e| panic!("{e}"));
}

/// The person's session; an error says which step failed.
async fn drive(client: &Client, page: &str, photo: &Path, downloads: &Path) -> Result<(), String> {
    let wait = Duration::from_secs(60);
    client.goto(page).await.map_err(|e| format!("loading the page: {e}"))?;
    // The page lists the model's attributes, a row each.
    let rows = until("the attribute rows", wait, || async {
        let n = js(client, "return document.querySelectorAll('#attributes tbody tr').length").await.as_u64()?;
        (n > 0).then_some(n)
    })
    .await;
    let names: Vec<String> = serde_json::from_value(
        js(client, "return [...document.querySelectorAll('#attributes tbody tr')].map(r => r.dataset.name)").await,
    )
    .map_err(|e| e.to_string())?;
    assert_eq!(names.len() as u64, rows);
    screenshot(client, "studio-empty.png").await;

    // Pick the photo.
    let file = client.find(Locator::Id("file")).await.map_err(|e| format!("the file input: {e}"))?;
    file.send_keys(&photo.canonicalize().map_err(|e| e.to_string())?.to_string_lossy())
        .await
        .map_err(|e| format!("choosing the photo: {e}"))?;
    let before = until("the edited face", wait, || async {
        let shown = js(client, "return !document.getElementById('work').hidden").await.as_bool()?;
        let src = js(client, "return document.getElementById('edited').src").await.as_str()?.to_string();
        (shown && src.starts_with("data:image/png")).then_some(src)
    })
    .await;
    let caption = js(client, "return document.getElementById('photo-caption').textContent").await;
    assert!(caption.as_str().unwrap_or("").contains("the face found"), "{caption}");
    screenshot(client, "studio-opened.png").await;

    // Switch Bangs on with its toggle, then drag Bald's slider to the top with the keyboard:
    // a burst of moves, each an input event.
    let row = |name: &str| format!("#attributes tr[data-name='{name}']");
    if names.iter().any(|n| n == "Bangs") && names.iter().any(|n| n == "Bald") {
        let bangs = client.find(Locator::Css(&format!("{} .toggle", row("Bangs")))).await.map_err(|e| e.to_string())?;
        if !bangs.is_selected().await.map_err(|e| e.to_string())? {
            bangs.click().await.map_err(|e| format!("clicking Bangs: {e}"))?;
        }
    }
    let target = if names.iter().any(|n| n == "Bald") { "Bald" } else { names[0].as_str() };
    let slider = client.find(Locator::Css(&format!("{} .slider", row(target)))).await.map_err(|e| e.to_string())?;
    for _ in 0..8 {
        slider.send_keys(&Key::Right.to_string()).await.map_err(|e| format!("moving the slider: {e}"))?;
    }
    slider.send_keys(&Key::End.to_string()).await.map_err(|e| format!("moving the slider: {e}"))?;
    // The newest position wins: the face changes and the controls settle on Bald on, Bangs off.
    let settled = format!(
        "const r = (n) => document.querySelector(\"#attributes tr[data-name='\" + n + \"']\");
         const s = window.studioStats;
         return !!(s.renders.length && r('{target}').querySelector('.toggle').checked
             && (!r('Bangs') || '{target}' !== 'Bald' || !r('Bangs').querySelector('.toggle').checked)
             && document.getElementById('edited').src !== arguments[0]);"
    );
    until("the edited face to follow the slider", wait, || async {
        client.execute(&settled, vec![json!(before)]).await.ok()?.as_bool()?.then_some(())
    })
    .await;
    // Let the last request land, then read what the page measured.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let value = js(client, &format!("return document.querySelector(\"{} .slider\").value", row(target))).await;
    let max = js(client, &format!("return document.querySelector(\"{} .slider\").max", row(target))).await;
    assert_eq!(value, max, "the slider sits at its top");
    let stats = js(client, "return window.studioStats").await;
    let errors = stats["errors"].as_array().map_or(0, Vec::len);
    assert_eq!(errors, 0, "the page reported errors: {stats}");
    let screen: Vec<f64> =
        stats["renders"].as_array().unwrap().iter().filter_map(|r| r["screen_ms"].as_f64()).collect();
    eprintln!("renderings on screen after a move: {} in ms {:?}", screen.len(), screen);
    if target == "Bald" && names.iter().any(|n| n == "Bangs") {
        let note = js(client, "return document.getElementById('conflicts').textContent").await;
        assert!(note.as_str().unwrap_or("").contains("turns off Bangs"), "the conflict is shown: {note}");
    }
    screenshot(client, "studio-edited.png").await;

    // Download the edited photo.
    for old in std::fs::read_dir(downloads).map_err(|e| e.to_string())?.flatten() {
        let _ = std::fs::remove_file(old.path());
    }
    client.find(Locator::Id("download")).await.map_err(|e| e.to_string())?.click().await.map_err(|e| e.to_string())?;
    let saved = until("the download", wait, || async {
        std::fs::read_dir(downloads)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "png"))
    })
    .await;
    let bytes = until("the download to finish", wait, || async {
        let b = std::fs::read(&saved).ok()?;
        image::load_from_memory(&b).is_ok().then_some(b)
    })
    .await;
    let downloaded = image::load_from_memory(&bytes).map_err(|e| e.to_string())?;
    let original = image::open(photo).map_err(|e| e.to_string())?;
    assert_eq!((downloaded.width(), downloaded.height()), (original.width(), original.height()));
    assert!(saved.file_name().unwrap().to_string_lossy().ends_with("-edited.png"), "{}", saved.display());

    // A dataset image by index: its annotations are the starting point.
    let index = client.find(Locator::Id("index")).await.map_err(|e| e.to_string())?;
    index.clear().await.map_err(|e| e.to_string())?;
    index.send_keys("3").await.map_err(|e| e.to_string())?;
    client
        .find(Locator::Id("open-index"))
        .await
        .map_err(|e| e.to_string())?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    until("the dataset image", wait, || async {
        let kind = js(client, "return document.getElementById('source-kind').textContent").await;
        kind.as_str()?.contains("annotations").then_some(())
    })
    .await;
    // Glasses on, with their toggle: the face changes.
    let shown = js(client, "return document.getElementById('edited').src").await;
    let glasses = if names.iter().any(|n| n == "Eyeglasses") { "Eyeglasses" } else { target };
    let toggle = client.find(Locator::Css(&format!("{} .toggle", row(glasses)))).await.map_err(|e| e.to_string())?;
    toggle.click().await.map_err(|e| format!("clicking {glasses}: {e}"))?;
    until("the edited face to follow the toggle", wait, || async {
        let src = js(client, "return document.getElementById('edited').src").await;
        (src != shown).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    screenshot(client, "studio-dataset.png").await;
    let stats = js(client, "return window.studioStats").await;
    assert_eq!(stats["errors"].as_array().map_or(0, Vec::len), 0, "the page reported errors: {stats}");
    Ok(())
}
