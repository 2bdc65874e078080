//! Recognizing what kind of input a path is.

use std::path::Path;

/// The kinds of input `run`, `recon` and `info` accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A point cloud (`.ply`).
    Ply,
    /// A layout file (`.json` native or `.txt` SpatialLM).
    Layout,
    /// A video file (mp4, mov, avi, mkv, m4v, webm).
    Video,
    /// A TUM RGB-D folder (`rgb.txt` + `depth.txt`).
    TumRgbd,
    /// A Stray Scanner export (`rgb.mp4` + `depth/` + `camera_matrix.csv`).
    StrayScanner,
    /// A Record3D export (`metadata.json` + `rgbd/`).
    Record3d,
    /// An ARKit-style folder (per-frame JSON beside images).
    ArKit,
    /// A folder of images.
    ImageFolder,
}

impl InputKind {
    /// A short human name.
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Ply => "point cloud (PLY)",
            InputKind::Layout => "layout",
            InputKind::Video => "video",
            InputKind::TumRgbd => "TUM RGB-D folder",
            InputKind::StrayScanner => "Stray Scanner export",
            InputKind::Record3d => "Record3D export",
            InputKind::ArKit => "ARKit-style capture folder",
            InputKind::ImageFolder => "image folder",
        }
    }
}

const VIDEO_EXTS: &[&str] = &["mp4", "mov", "avi", "mkv", "m4v", "webm"];
const IMAGE_EXTS: &[&str] = &["png", "jpg", "jpeg"];

fn ext_of(path: &Path) -> Option<String> {
    path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase())
}

/// Why an input was not recognized.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct InputError {
    pub path: String,
    pub message: String,
}

/// Decides what `path` holds, from its extension or its folder contents.
pub fn detect(path: &Path) -> Result<InputKind, InputError> {
    let fail = |message: String| InputError { path: path.display().to_string(), message };
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read input: {e}")))?;
    if meta.is_dir() {
        let has = |name: &str| path.join(name).exists();
        if has("rgb.txt") && has("depth.txt") {
            return Ok(InputKind::TumRgbd);
        }
        if has("camera_matrix.csv") && (has("rgb.mp4") || has("depth")) {
            return Ok(InputKind::StrayScanner);
        }
        if has("metadata.json") && has("rgbd") {
            return Ok(InputKind::Record3d);
        }
        let mut images = 0usize;
        let mut jsons = 0usize;
        for entry in std::fs::read_dir(path)
            .map_err(|e| fail(format!("cannot list folder: {e}")))?
            .flatten()
        {
            match ext_of(&entry.path()).as_deref() {
                Some(e) if IMAGE_EXTS.contains(&e) => images += 1,
                Some("json") => jsons += 1,
                _ => {}
            }
        }
        if images > 0 && jsons >= images {
            return Ok(InputKind::ArKit);
        }
        if images > 0 {
            return Ok(InputKind::ImageFolder);
        }
        return Err(fail(
            "folder holds no images and is not a TUM RGB-D, Stray Scanner, Record3D or ARKit capture".into(),
        ));
    }
    match ext_of(path).as_deref() {
        Some("ply") => Ok(InputKind::Ply),
        Some("json") | Some("txt") => Ok(InputKind::Layout),
        Some(e) if VIDEO_EXTS.contains(&e) => Ok(InputKind::Video),
        _ => Err(fail(format!(
            "unrecognized input (expected .ply, a video ({}), a layout (.json/.txt) or a capture folder)",
            VIDEO_EXTS.join(", ")
        ))),
    }
}
