//! The attgan-train test suite: one test binary (each test file used to be its own binary, compiled and
//! linked against the whole stack again; one binary builds in a fraction of the time).

mod bench;
mod classifier;
mod common;
mod data;
mod eval;
mod learns;
mod nodes;
mod optim;
mod parallel;
mod presets;
mod step;
mod synthetic_dataset;
mod synthetic_world;
mod training;
