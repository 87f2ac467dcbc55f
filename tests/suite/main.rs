//! The facade's test suite, one binary: backend selection and AttGAN Studio (its HTTP API, and
//! the page driven in a real headless browser).

mod backend;
mod common;
#[cfg(feature = "tch")]
mod libtorch;
mod studio_api;
mod studio_browser;
