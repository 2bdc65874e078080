//! roomscribe: a phone video, RGB-D capture or point-cloud scan of a room in,
//! a structured, physically valid 3D layout (walls, doors, windows, furniture
//! boxes) out.
//!
//! The pipeline is `recon` → `cloud` → `model` → `solve` → `layout` →
//! `export`; `synth` makes ground-truth worlds and `eval` scores results.
//! See `DESIGN.md` in the shared docs for the module map: lower modules never
//! import higher ones.

pub mod io;
pub mod layout;
pub mod trajectory;
pub mod geom;
pub mod cloud;
pub mod synth;
#[cfg(feature = "video")]
pub mod recon;
pub mod model;
pub mod solve;
pub mod eval;
pub mod export;
pub mod pipeline;
pub mod cli;

/// The crate version, written into generated files.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
