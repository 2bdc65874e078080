//! Synthetic apartments: procedural scenes, simulated scans and rendered
//! RGB-D videos with ground truth; training-data shards.
//!
//! `world` is the contract between scene generation (which builds a
//! [`world::World`] of labelled, textured triangle meshes beside the ground
//! truth [`crate::layout::Layout`]) and the sensors (scan simulation by ray
//! casting, video rendering by rasterization), which only read the world.
//! Everything here builds without OpenCV; only mp4 writing needs `video`.

pub mod world;
pub mod bvh;
pub mod texture;
pub mod camera;
pub mod scan;
pub mod render;
pub mod video;
pub mod capture;
pub mod dataset;
pub mod scene;
pub mod stats;
mod error;
mod furnish;
mod plan;
mod primitives;
mod shapes;
mod structure;

pub use error::SynthError;
pub use scene::{generate, Room, RoomKind, Scene, SceneConfig, SceneKind};
