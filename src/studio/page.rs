//! The page's files, inside the binary: plain HTML, JavaScript and CSS, no build step. Edit
//! them in `src/studio/page/` and rebuild.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The files: name, media type, content.
pub const FILES: [(&str, &str, &str); 3] = [
    ("index.html", "text/html; charset=utf-8", include_str!("page/index.html")),
    ("studio.js", "text/javascript; charset=utf-8", include_str!("page/studio.js")),
    ("studio.css", "text/css; charset=utf-8", include_str!("page/studio.css")),
];

/// The page's file `name`, or 404.
pub fn file(name: &str) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, media, text)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(media)),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            *text,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, format!("no such file: {name}")).into_response(),
    }
}
