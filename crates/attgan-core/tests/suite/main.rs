//! The attgan-core test suite: one test binary (each test file used to be its own binary, compiled and
//! linked against the whole stack again; one binary builds in a fraction of the time).

mod activation;
mod allocator;
mod attributes;
mod common;
mod config;
mod editor;
mod faces;
mod gradient_penalty;
mod images;
mod losses;
mod norm;
mod pytorch_import;
mod quality;
mod resize;
mod samples;
mod session;
mod shapes;
