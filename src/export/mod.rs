//! Exports of a layout for people and design apps: SVG floor plan (more
//! formats — glTF, HTML viewer — belong here too).
//!
//! Reads `layout` only; knows nothing of clouds, models or video.

pub mod svg;
