//! Capture sources → one stream of [`Frame`]s: video files (OpenCV
//! VideoCapture), image folders, TUM RGB-D folders, Stray Scanner exports,
//! Record3D "EXR + JPG" exports and ARKit-style per-frame JSON folders.
//!
//! Poses a capture provides are converted to our conventions here (camera
//! OpenCV x right / y down / z forward; world z up); see docs/recon.md.
//! ARKit-family poses (Stray Scanner, Record3D, ARKit JSON) are
//! `world_from_camera` with the camera x right, y up, z backward and the
//! world y up: `world_from_cv = ZUP_FROM_YUP * world_from_arkit * CV_TO_ARKIT`.

use super::calib::Intrinsics;
use super::{cv, ReconError};
use nalgebra::{Isometry3, Matrix3, Matrix4, Quaternion, Rotation3, Translation3, UnitQuaternion, Vector3};
use opencv::core::{Mat, Size, CV_32F};
use opencv::prelude::*;
use opencv::{imgcodecs, imgproc, videoio};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One captured frame.
pub struct Frame {
    /// Index of the frame in the capture (video frame number, line of rgb.txt...).
    pub index: usize,
    /// Seconds on the capture's own clock.
    pub t: f64,
    /// Colour image, 8-bit BGR.
    pub image: Mat,
    /// Depth in metres (CV_32F, 0 = no measurement), same size as `image`.
    pub depth: Option<Mat>,
    /// `world_from_camera` given by the capture (OpenCV camera, world z up).
    pub pose: Option<Isometry3<f64>>,
}

/// The capture kinds we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Video,
    ImageFolder,
    TumRgbd,
    StrayScanner,
    Record3d,
    ArKit,
}

impl SourceKind {
    /// True when the capture carries depth.
    pub fn has_depth(self) -> bool {
        matches!(self, SourceKind::TumRgbd | SourceKind::StrayScanner | SourceKind::Record3d)
    }
}

/// A stream of frames from one capture (read on the pipeline's reader
/// thread, hence `Send`).
pub trait FrameSource: Send {
    /// What kind of capture this is.
    fn kind(&self) -> SourceKind;
    /// Intrinsics the capture itself carries, for its colour images.
    fn intrinsics(&self) -> Option<Intrinsics> {
        None
    }
    /// Frames per second when known.
    fn fps(&self) -> Option<f64> {
        None
    }
    /// Number of frames when known up front.
    fn len_hint(&self) -> Option<usize> {
        None
    }
    /// The next frame, `None` at the end. Unreadable single frames are
    /// skipped with a warning; only whole-capture problems are errors.
    fn next_frame(&mut self) -> Result<Option<Frame>, ReconError>;
    /// Warnings gathered so far (drained).
    fn take_warnings(&mut self) -> Vec<String>;
}

/// Rotation taking ARKit camera axes (x right, y up, z backward) to OpenCV
/// camera axes: 180° about x. Applied on the right of an ARKit
/// `world_from_camera`.
pub fn cv_to_arkit_camera() -> Rotation3<f64> {
    Rotation3::from_matrix_unchecked(Matrix3::new(1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, -1.0))
}

/// Rotation taking a y-up world (ARKit, Record3D, Stray Scanner) to our
/// z-up world: (x, y, z) → (x, -z, y).
pub fn zup_from_yup() -> Rotation3<f64> {
    Rotation3::from_matrix_unchecked(Matrix3::new(1.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 1.0, 0.0))
}

/// Converts an ARKit-convention `world_from_camera` (y-up world, camera
/// x right / y up / z back) to ours (z-up world, OpenCV camera).
pub fn arkit_pose_to_ours(world_from_arkit: &Isometry3<f64>) -> Isometry3<f64> {
    let w = zup_from_yup();
    let rot = w * world_from_arkit.rotation.to_rotation_matrix() * cv_to_arkit_camera();
    let t = w * world_from_arkit.translation.vector;
    Isometry3::from_parts(Translation3::from(t), UnitQuaternion::from_rotation_matrix(&rot))
}

/// Environment variable OpenCV (4.x) reads once, at its first EXR access,
/// before it will decode or encode OpenEXR images (off by default since
/// CVE-2021-3933 and friends).
pub const OPENEXR_ENV: &str = "OPENCV_IO_ENABLE_OPENEXR";

/// Lets OpenCV read EXR images (Record3D depth) unless the user set
/// [`OPENEXR_ENV`] themselves. OpenCV caches the variable at its first EXR
/// access, so this must run before that; it changes the process
/// environment, so call it early, while the process has one thread (the
/// CLI does in `main`; [`Record3dSource::open`] calls it too, once).
pub fn enable_openexr() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os(OPENEXR_ENV).is_none() {
            std::env::set_var(OPENEXR_ENV, "1");
        }
    });
}

/// Recognises the capture kind of `path`.
pub fn detect(path: &Path) -> Result<SourceKind, ReconError> {
    let p = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| ReconError::Read { path: p.clone(), message: e.to_string() })?;
    if meta.is_dir() {
        let has = |n: &str| path.join(n).exists();
        if has("rgb.txt") && has("depth.txt") {
            return Ok(SourceKind::TumRgbd);
        }
        if has("camera_matrix.csv") && has("rgb.mp4") {
            return Ok(SourceKind::StrayScanner);
        }
        if has("metadata.json") && has("rgbd") {
            return Ok(SourceKind::Record3d);
        }
        let files = list_files(path)?;
        let images = files.iter().filter(|f| is_image(f)).count();
        let jsons = files.iter().filter(|f| has_ext(f, &["json"])).count();
        if images > 0 && jsons >= images.div_ceil(2) {
            return Ok(SourceKind::ArKit);
        }
        if images > 0 {
            return Ok(SourceKind::ImageFolder);
        }
        return Err(ReconError::Unrecognized {
            path: p,
            message: "folder holds no images and is not a TUM RGB-D, Stray Scanner, Record3D or ARKit capture".into(),
        });
    }
    if has_ext(path, VIDEO_EXTS) {
        return Ok(SourceKind::Video);
    }
    Err(ReconError::Unrecognized { path: p, message: format!("expected a video ({}) or a capture folder", VIDEO_EXTS.join(", ")) })
}

/// Opens `path` as a frame source. `fps` is used for folders without a clock.
pub fn open(path: &Path, fps: f64) -> Result<Box<dyn FrameSource>, ReconError> {
    Ok(match detect(path)? {
        SourceKind::Video => Box::new(VideoSource::open(path)?),
        SourceKind::ImageFolder => Box::new(ImageFolderSource::open(path, fps)?),
        SourceKind::TumRgbd => Box::new(TumSource::open(path)?),
        SourceKind::StrayScanner => Box::new(StraySource::open(path)?),
        SourceKind::Record3d => Box::new(Record3dSource::open(path)?),
        SourceKind::ArKit => Box::new(ArKitSource::open(path, fps)?),
    })
}

const VIDEO_EXTS: &[&str] = &["mp4", "mov", "avi", "mkv", "m4v", "webm"];
const IMAGE_EXTS: &[&str] = &["png", "jpg", "jpeg", "bmp", "tif", "tiff"];
/// TUM RGB-D depth PNGs: 5000 units per metre.
pub const TUM_DEPTH_PER_METRE: f64 = 5000.0;
/// Stray Scanner depth PNGs: millimetres.
pub const STRAY_DEPTH_PER_METRE: f64 = 1000.0;
/// TUM association tolerance between rgb and depth stamps (seconds; TUM's
/// associate.py default).
const TUM_MAX_DT: f64 = 0.02;
/// Aspect ratios closer than this are "the same" when upsampling depth.
const ASPECT_TOLERANCE: f64 = 0.02;

fn has_ext(p: &Path, exts: &[&str]) -> bool {
    p.extension().and_then(|e| e.to_str()).map(|e| exts.contains(&e.to_ascii_lowercase().as_str())).unwrap_or(false)
}

fn is_image(p: &Path) -> bool {
    has_ext(p, IMAGE_EXTS)
}

fn list_files(dir: &Path) -> Result<Vec<PathBuf>, ReconError> {
    let rd = std::fs::read_dir(dir).map_err(|e| ReconError::Read { path: dir.display().to_string(), message: e.to_string() })?;
    let mut v: Vec<PathBuf> = rd.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    v.sort();
    Ok(v)
}

fn read_text(path: &Path) -> Result<String, ReconError> {
    std::fs::read_to_string(path).map_err(|e| ReconError::Read { path: path.display().to_string(), message: e.to_string() })
}

/// Reads a colour image (BGR), `None` when it cannot be decoded.
fn read_color(path: &Path) -> Option<Mat> {
    let m = imgcodecs::imread(path.as_os_str(), imgcodecs::IMREAD_COLOR).ok()?;
    (!m.empty()).then_some(m)
}

/// Reads a depth image and converts it to metres (CV_32F). 16-bit PNGs are
/// divided by `units_per_metre`; float images (EXR) are taken as metres.
pub fn read_depth(path: &Path, units_per_metre: f64) -> Result<Mat, ReconError> {
    let p = path.display().to_string();
    let m = imgcodecs::imread(path.as_os_str(), imgcodecs::IMREAD_ANYDEPTH | imgcodecs::IMREAD_GRAYSCALE)
        .map_err(|e| ReconError::Read { path: p.clone(), message: e.message })?;
    if m.empty() {
        let hint = if has_ext(path, &["exr"]) {
            match std::env::var(OPENEXR_ENV) {
                Ok(v) if v != "0" && !v.eq_ignore_ascii_case("false") => " (OpenCV was built without OpenEXR, or the file is not a float EXR)",
                _ => " (EXR reading is off: run with OPENCV_IO_ENABLE_OPENEXR=1 in the environment)",
            }
        } else {
            ""
        };
        return Err(ReconError::Read { path: p, message: format!("cannot decode depth image{hint}") });
    }
    let mut out = Mat::default();
    let depth = m.depth();
    let scale = if depth == opencv::core::CV_32F || depth == opencv::core::CV_64F { 1.0 } else { 1.0 / units_per_metre };
    m.convert_to(&mut out, CV_32F, scale, 0.0).map_err(cv("depth conversion"))?;
    Ok(out)
}

/// Makes `depth` the size of `image`: equal sizes pass, same aspect ratio is
/// resized (nearest neighbour: no mixed depths at edges), otherwise an error.
fn fit_depth(depth: Mat, image: &Mat, path: &Path, allow_resize: bool) -> Result<Mat, ReconError> {
    let ds = depth.size().map_err(cv("depth size"))?;
    let is = image.size().map_err(cv("image size"))?;
    if ds == is {
        return Ok(depth);
    }
    let aspect = |s: Size| s.width as f64 / s.height.max(1) as f64;
    if allow_resize && (aspect(ds) / aspect(is) - 1.0).abs() < ASPECT_TOLERANCE {
        let mut out = Mat::default();
        imgproc::resize(&depth, &mut out, is, 0.0, 0.0, imgproc::INTER_NEAREST).map_err(cv("depth resize"))?;
        return Ok(out);
    }
    Err(ReconError::DepthSize { path: path.display().to_string(), depth_w: ds.width, depth_h: ds.height, image_w: is.width, image_h: is.height })
}

// ---------------------------------------------------------------- video

/// A video file through OpenCV VideoCapture (FFmpeg backend).
pub struct VideoSource {
    path: PathBuf,
    cap: videoio::VideoCapture,
    fps: f64,
    count: Option<usize>,
    next: usize,
    warnings: Vec<String>,
}

/// Frame rate assumed when a container does not say.
const DEFAULT_VIDEO_FPS: f64 = 30.0;

impl VideoSource {
    /// Opens a video; fails when the file is missing or cannot be decoded.
    pub fn open(path: &Path) -> Result<VideoSource, ReconError> {
        let p = path.display().to_string();
        if !path.is_file() {
            return Err(ReconError::Read { path: p, message: "no such file".into() });
        }
        let cap = videoio::VideoCapture::from_file(path.as_os_str(), videoio::CAP_ANY)
            .map_err(|e| ReconError::Read { path: p.clone(), message: e.message })?;
        if !cap.is_opened().unwrap_or(false) {
            return Err(ReconError::Read { path: p, message: "cannot open as a video (unknown container or codec)".into() });
        }
        let mut warnings = vec![];
        let fps = match cap.get(videoio::CAP_PROP_FPS) {
            Ok(f) if f.is_finite() && f > 0.5 && f < 1000.0 => f,
            _ => {
                warnings.push(format!("{p}: frame rate unknown, assuming {DEFAULT_VIDEO_FPS} fps"));
                DEFAULT_VIDEO_FPS
            }
        };
        let count = cap.get(videoio::CAP_PROP_FRAME_COUNT).ok().filter(|c| *c >= 1.0 && c.is_finite()).map(|c| c as usize);
        Ok(VideoSource { path: path.to_path_buf(), cap, fps, count, next: 0, warnings })
    }

    /// Reads the next raw frame (no `Frame` wrapping).
    fn read_mat(&mut self) -> Result<Option<Mat>, ReconError> {
        let mut m = Mat::default();
        let ok = self.cap.read(&mut m).map_err(|e| ReconError::Read { path: self.path.display().to_string(), message: e.message })?;
        Ok((ok && !m.empty()).then_some(m))
    }
}

impl FrameSource for VideoSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Video
    }
    fn fps(&self) -> Option<f64> {
        Some(self.fps)
    }
    fn len_hint(&self) -> Option<usize> {
        self.count
    }
    fn next_frame(&mut self) -> Result<Option<Frame>, ReconError> {
        let Some(image) = self.read_mat()? else { return Ok(None) };
        let index = self.next;
        self.next += 1;
        Ok(Some(Frame { index, t: index as f64 / self.fps, image, depth: None, pose: None }))
    }
    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

// --------------------------------------------------------- image folder

/// A folder of images, in file-name order; `t = i / fps`.
pub struct ImageFolderSource {
    files: Vec<PathBuf>,
    fps: f64,
    next: usize,
    warnings: Vec<String>,
}

impl ImageFolderSource {
    /// Lists the images of `dir`.
    pub fn open(dir: &Path, fps: f64) -> Result<ImageFolderSource, ReconError> {
        let files: Vec<PathBuf> = list_files(dir)?.into_iter().filter(|f| is_image(f)).collect();
        if files.is_empty() {
            return Err(ReconError::NoFrames { path: dir.display().to_string(), detail: ": no image files".into() });
        }
        Ok(ImageFolderSource { files, fps, next: 0, warnings: vec![] })
    }
}

impl FrameSource for ImageFolderSource {
    fn kind(&self) -> SourceKind {
        SourceKind::ImageFolder
    }
    fn fps(&self) -> Option<f64> {
        Some(self.fps)
    }
    fn len_hint(&self) -> Option<usize> {
        Some(self.files.len())
    }
    fn next_frame(&mut self) -> Result<Option<Frame>, ReconError> {
        while let Some(f) = self.files.get(self.next).cloned() {
            let index = self.next;
            self.next += 1;
            match read_color(&f) {
                Some(image) => return Ok(Some(Frame { index, t: index as f64 / self.fps, image, depth: None, pose: None })),
                None => self.warnings.push(format!("{}: cannot decode image, skipped", f.display())),
            }
        }
        Ok(None)
    }
    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

// ------------------------------------------------------------ TUM RGB-D

/// A TUM RGB-D folder: `rgb.txt` and `depth.txt` (`timestamp path` lines),
/// depth PNGs with 5000 units per metre, associated by nearest timestamp.
pub struct TumSource {
    dir: PathBuf,
    pairs: Vec<(f64, PathBuf, Option<PathBuf>)>,
    next: usize,
    warnings: Vec<String>,
}

fn parse_stamp_list(path: &Path) -> Result<Vec<(f64, String)>, ReconError> {
    let text = read_text(path)?;
    let mut v = vec![];
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let mut it = l.split_whitespace();
        let (Some(t), Some(f)) = (it.next(), it.next()) else {
            return Err(ReconError::Format { path: path.display().to_string(), message: format!("line {}: expected 'timestamp filename'", i + 1) });
        };
        let t: f64 = t.parse().ok().filter(|t: &f64| t.is_finite()).ok_or_else(|| ReconError::Format {
            path: path.display().to_string(),
            message: format!("line {}: {t:?} is not a timestamp", i + 1),
        })?;
        v.push((t, f.to_string()));
    }
    Ok(v)
}

impl TumSource {
    /// Reads and associates `rgb.txt` / `depth.txt`.
    pub fn open(dir: &Path) -> Result<TumSource, ReconError> {
        let rgb = parse_stamp_list(&dir.join("rgb.txt"))?;
        let mut depth = parse_stamp_list(&dir.join("depth.txt"))?;
        if rgb.is_empty() {
            return Err(ReconError::NoFrames { path: dir.join("rgb.txt").display().to_string(), detail: ": rgb.txt lists no images".into() });
        }
        depth.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut warnings = vec![];
        let mut unmatched = 0usize;
        let pairs = rgb
            .into_iter()
            .map(|(t, f)| {
                let j = depth.partition_point(|d| d.0 < t);
                let best = [j.checked_sub(1), Some(j)]
                    .into_iter()
                    .flatten()
                    .filter_map(|k| depth.get(k))
                    .min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs()))
                    .filter(|d| (d.0 - t).abs() <= TUM_MAX_DT)
                    .map(|d| dir.join(&d.1));
                if best.is_none() {
                    unmatched += 1;
                }
                (t, dir.join(f), best)
            })
            .collect();
        if unmatched > 0 {
            warnings.push(format!("{}: {unmatched} colour images have no depth within {TUM_MAX_DT} s", dir.display()));
        }
        Ok(TumSource { dir: dir.to_path_buf(), pairs, next: 0, warnings })
    }
}

impl FrameSource for TumSource {
    fn kind(&self) -> SourceKind {
        SourceKind::TumRgbd
    }
    fn len_hint(&self) -> Option<usize> {
        Some(self.pairs.len())
    }
    fn next_frame(&mut self) -> Result<Option<Frame>, ReconError> {
        while let Some((t, rgb, depth)) = self.pairs.get(self.next).cloned() {
            let index = self.next;
            self.next += 1;
            let Some(image) = read_color(&rgb) else {
                self.warnings.push(format!("{}: cannot decode image, skipped", rgb.display()));
                continue;
            };
            let depth = match depth {
                Some(d) => Some(fit_depth(read_depth(&d, TUM_DEPTH_PER_METRE)?, &image, &d, false)?),
                None => None,
            };
            return Ok(Some(Frame { index, t, image, depth, pose: None }));
        }
        let _ = &self.dir;
        Ok(None)
    }
    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

// -------------------------------------------------------- Stray Scanner

/// A Stray Scanner export: `rgb.mp4`, `depth/NNNNNN.png` (mm),
/// `camera_matrix.csv` (3x3, for the video resolution), `odometry.csv`
/// (`timestamp, frame, x, y, z, qx, qy, qz, qw`, ARKit convention).
pub struct StraySource {
    dir: PathBuf,
    video: VideoSource,
    k: Intrinsics,
    /// Frame number (the `frame` column) → (timestamp, pose).
    odometry: std::collections::BTreeMap<usize, (f64, Isometry3<f64>)>,
    warnings: Vec<String>,
}

fn parse_csv_numbers(path: &Path, skip_header: bool) -> Result<Vec<Vec<f64>>, ReconError> {
    let text = read_text(path)?;
    let mut rows = vec![];
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || (skip_header && i == 0 && l.chars().any(|c| c.is_ascii_alphabetic())) {
            continue;
        }
        let row: Result<Vec<f64>, _> = l.split(',').map(|s| s.trim().parse::<f64>()).collect();
        let row = row.map_err(|_| ReconError::Format { path: path.display().to_string(), message: format!("line {}: expected comma-separated numbers", i + 1) })?;
        rows.push(row);
    }
    Ok(rows)
}

impl StraySource {
    /// Reads the camera matrix and odometry, opens the video.
    pub fn open(dir: &Path) -> Result<StraySource, ReconError> {
        let video = VideoSource::open(&dir.join("rgb.mp4"))?;
        let km = dir.join("camera_matrix.csv");
        let rows = parse_csv_numbers(&km, false)?;
        let flat: Vec<f64> = rows.concat();
        if flat.len() != 9 {
            return Err(ReconError::Format { path: km.display().to_string(), message: format!("expected a 3x3 matrix, found {} values", flat.len()) });
        }
        let (w, h) = (
            video.cap.get(videoio::CAP_PROP_FRAME_WIDTH).unwrap_or(0.0) as u32,
            video.cap.get(videoio::CAP_PROP_FRAME_HEIGHT).unwrap_or(0.0) as u32,
        );
        let k = Intrinsics { fx: flat[0], fy: flat[4], cx: flat[2], cy: flat[5], width: w.max(1), height: h.max(1), dist: vec![] };
        k.validate(&km.display().to_string())?;
        let od = dir.join("odometry.csv");
        let mut odometry = std::collections::BTreeMap::new();
        let mut warnings = vec![];
        if od.exists() {
            for (i, r) in parse_csv_numbers(&od, true)?.into_iter().enumerate() {
                if r.len() < 9 {
                    return Err(ReconError::Format { path: od.display().to_string(), message: format!("row {}: expected 9 columns", i + 1) });
                }
                let q = UnitQuaternion::from_quaternion(Quaternion::new(r[8], r[5], r[6], r[7]));
                let arkit = Isometry3::from_parts(Translation3::new(r[2], r[3], r[4]), q);
                if !(r[1].is_finite() && r[1] >= 0.0 && r[1] < 1e9) || r.iter().any(|v| !v.is_finite()) {
                    return Err(ReconError::Format { path: od.display().to_string(), message: format!("row {}: bad frame number or non-finite value", i + 1) });
                }
                odometry.insert(r[1].round() as usize, (r[0], arkit_pose_to_ours(&arkit)));
            }
        } else {
            warnings.push(format!("{}: missing, poses will be estimated", od.display()));
        }
        Ok(StraySource { dir: dir.to_path_buf(), video, k, odometry, warnings })
    }
}

impl FrameSource for StraySource {
    fn kind(&self) -> SourceKind {
        SourceKind::StrayScanner
    }
    fn intrinsics(&self) -> Option<Intrinsics> {
        Some(self.k.clone())
    }
    fn fps(&self) -> Option<f64> {
        Some(self.video.fps)
    }
    fn len_hint(&self) -> Option<usize> {
        self.video.count
    }
    fn next_frame(&mut self) -> Result<Option<Frame>, ReconError> {
        let Some(image) = self.video.read_mat()? else { return Ok(None) };
        let index = self.video.next;
        self.video.next += 1;
        let dpath = self.dir.join("depth").join(format!("{index:06}.png"));
        let depth = if dpath.exists() {
            Some(fit_depth(read_depth(&dpath, STRAY_DEPTH_PER_METRE)?, &image, &dpath, true)?)
        } else {
            None
        };
        let (t, pose) = match self.odometry.get(&index) {
            Some((t, p)) => (*t, Some(*p)),
            None => (index as f64 / self.video.fps, None),
        };
        Ok(Some(Frame { index, t, image, depth, pose }))
    }
    fn take_warnings(&mut self) -> Vec<String> {
        let mut w = std::mem::take(&mut self.warnings);
        w.extend(self.video.take_warnings());
        w
    }
}

// ------------------------------------------------------------- Record3D

/// A Record3D "EXR + JPG" export: `metadata.json` (`K` column-major, `w`,
/// `h`, `fps`, `poses` as `[qx, qy, qz, qw, tx, ty, tz]` in the ARKit
/// convention, optional `frameTimestamps`), `rgbd/N.jpg`, `rgbd/N.exr`.
pub struct Record3dSource {
    dir: PathBuf,
    k: Intrinsics,
    fps: f64,
    poses: Vec<Isometry3<f64>>,
    stamps: Vec<f64>,
    count: usize,
    next: usize,
    warnings: Vec<String>,
}

fn json_numbers(v: &serde_json::Value) -> Option<Vec<f64>> {
    v.as_array()?.iter().map(|x| x.as_f64()).collect()
}

impl Record3dSource {
    /// Reads `metadata.json`; enables OpenCV's EXR reader
    /// ([`enable_openexr`]).
    pub fn open(dir: &Path) -> Result<Record3dSource, ReconError> {
        enable_openexr();
        let mp = dir.join("metadata.json");
        let ps = mp.display().to_string();
        let fmt = |m: &str| ReconError::Format { path: ps.clone(), message: m.to_string() };
        let meta: serde_json::Value = serde_json::from_str(&read_text(&mp)?).map_err(|e| fmt(&format!("invalid JSON: {e}")))?;
        let k = meta.get("K").and_then(json_numbers).filter(|k| k.len() == 9).ok_or_else(|| fmt("missing K (9 numbers, column-major)"))?;
        let w = meta.get("w").and_then(|v| v.as_u64()).ok_or_else(|| fmt("missing w"))? as u32;
        let h = meta.get("h").and_then(|v| v.as_u64()).ok_or_else(|| fmt("missing h"))? as u32;
        let fps = meta.get("fps").and_then(|v| v.as_f64()).filter(|f| *f > 0.0).unwrap_or(DEFAULT_VIDEO_FPS);
        // Column-major: K[0]=fx, K[4]=fy, K[6]=cx, K[7]=cy.
        let intr = Intrinsics { fx: k[0], fy: k[4], cx: k[6], cy: k[7], width: w, height: h, dist: vec![] };
        intr.validate(&ps)?;
        let mut poses = vec![];
        if let Some(arr) = meta.get("poses").and_then(|v| v.as_array()) {
            for (i, p) in arr.iter().enumerate() {
                let v = json_numbers(p).filter(|v| v.len() == 7).ok_or_else(|| fmt(&format!("poses[{i}]: expected 7 numbers")))?;
                let q = UnitQuaternion::from_quaternion(Quaternion::new(v[3], v[0], v[1], v[2]));
                poses.push(arkit_pose_to_ours(&Isometry3::from_parts(Translation3::new(v[4], v[5], v[6]), q)));
            }
        }
        let stamps = meta.get("frameTimestamps").and_then(json_numbers).unwrap_or_default();
        let rgbd = dir.join("rgbd");
        let count = list_files(&rgbd)?.iter().filter(|f| has_ext(f, &["jpg", "jpeg", "png"])).count();
        if count == 0 {
            return Err(ReconError::NoFrames { path: rgbd.display().to_string(), detail: ": no N.jpg images".into() });
        }
        Ok(Record3dSource { dir: dir.to_path_buf(), k: intr, fps, poses, stamps, count, next: 0, warnings: vec![] })
    }
}

impl FrameSource for Record3dSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Record3d
    }
    fn intrinsics(&self) -> Option<Intrinsics> {
        Some(self.k.clone())
    }
    fn fps(&self) -> Option<f64> {
        Some(self.fps)
    }
    fn len_hint(&self) -> Option<usize> {
        Some(self.count)
    }
    fn next_frame(&mut self) -> Result<Option<Frame>, ReconError> {
        while self.next < self.count {
            let index = self.next;
            self.next += 1;
            let rgbd = self.dir.join("rgbd");
            let img = ["jpg", "jpeg", "png"].iter().map(|e| rgbd.join(format!("{index}.{e}"))).find(|p| p.exists());
            let Some(image) = img.as_deref().and_then(read_color) else {
                self.warnings.push(format!("{}: frame {index}: no readable image, skipped", rgbd.display()));
                continue;
            };
            let dpath = rgbd.join(format!("{index}.exr"));
            let depth = if dpath.exists() {
                match read_depth(&dpath, 1.0) {
                    Ok(d) => Some(fit_depth(d, &image, &dpath, true)?),
                    Err(e) => {
                        if self.warnings.len() < 5 {
                            self.warnings.push(e.to_string());
                        }
                        None
                    }
                }
            } else {
                None
            };
            let t = self.stamps.get(index).copied().unwrap_or(index as f64 / self.fps);
            return Ok(Some(Frame { index, t, image, depth, pose: self.poses.get(index).copied() }));
        }
        Ok(None)
    }
    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

// ---------------------------------------------------------------- ARKit

/// An ARKit-style folder: `NAME.jpg|png` beside `NAME.json` holding
/// `timestamp`, `intrinsics` (3x3, row- or column-major: detected from
/// where cx sits), `transform` / `cameraTransform` (4x4 `world_from_camera`
/// in the ARKit convention, row- or column-major: detected from where
/// `[0, 0, 0, 1]` sits) and optionally `depth` (a 16-bit PNG path relative
/// to the folder, `depth_scale` units per metre, default 1000).
pub struct ArKitSource {
    frames: Vec<(PathBuf, PathBuf)>,
    fps: f64,
    k: Option<Intrinsics>,
    next: usize,
    warnings: Vec<String>,
}

/// Reads a 3x3 matrix given as 9 numbers in either order.
fn k_from_nine(v: &[f64], w: u32, h: u32) -> Option<Intrinsics> {
    if v.len() != 9 {
        return None;
    }
    // Row-major: [fx 0 cx; 0 fy cy; 0 0 1]; column-major: cx at index 6.
    let (cx, cy) = if v[2].abs() > 1.0 { (v[2], v[5]) } else { (v[6], v[7]) };
    Some(Intrinsics { fx: v[0], fy: v[4], cx, cy, width: w, height: h, dist: vec![] })
}

/// Reads a 4x4 rigid transform given as 16 numbers in either order.
fn pose_from_sixteen(v: &[f64]) -> Option<Isometry3<f64>> {
    if v.len() != 16 {
        return None;
    }
    let m = Matrix4::from_row_slice(v);
    let m = if m[(3, 0)].abs() < 1e-9 && m[(3, 1)].abs() < 1e-9 && m[(3, 2)].abs() < 1e-9 { m } else { m.transpose() };
    let r = m.fixed_view::<3, 3>(0, 0).into_owned();
    if (r.determinant() - 1.0).abs() > 0.05 {
        return None;
    }
    let rot = UnitQuaternion::from_matrix(&r);
    Some(Isometry3::from_parts(Translation3::from(Vector3::new(m[(0, 3)], m[(1, 3)], m[(2, 3)])), rot))
}

impl ArKitSource {
    /// Lists image + JSON pairs.
    pub fn open(dir: &Path, fps: f64) -> Result<ArKitSource, ReconError> {
        let frames: Vec<(PathBuf, PathBuf)> = list_files(dir)?
            .into_iter()
            .filter(|f| is_image(f))
            .filter_map(|img| {
                let js = img.with_extension("json");
                js.exists().then_some((img, js))
            })
            .collect();
        if frames.is_empty() {
            return Err(ReconError::NoFrames { path: dir.display().to_string(), detail: ": no image with a matching .json".into() });
        }
        Ok(ArKitSource { frames, fps, k: None, next: 0, warnings: vec![] })
    }
}

impl FrameSource for ArKitSource {
    fn kind(&self) -> SourceKind {
        SourceKind::ArKit
    }
    fn intrinsics(&self) -> Option<Intrinsics> {
        if self.k.is_some() {
            return self.k.clone();
        }
        // Peek the first frame's JSON.
        let (img, js) = self.frames.first()?;
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(js).ok()?).ok()?;
        let image = read_color(img)?;
        let s = image.size().ok()?;
        k_from_nine(&json_numbers(v.get("intrinsics").or(v.get("K"))?)?, s.width as u32, s.height as u32)
    }
    fn fps(&self) -> Option<f64> {
        Some(self.fps)
    }
    fn len_hint(&self) -> Option<usize> {
        Some(self.frames.len())
    }
    fn next_frame(&mut self) -> Result<Option<Frame>, ReconError> {
        while let Some((img, js)) = self.frames.get(self.next).cloned() {
            let index = self.next;
            self.next += 1;
            let Some(image) = read_color(&img) else {
                self.warnings.push(format!("{}: cannot decode image, skipped", img.display()));
                continue;
            };
            let ps = js.display().to_string();
            let v: serde_json::Value = serde_json::from_str(&read_text(&js)?)
                .map_err(|e| ReconError::Format { path: ps.clone(), message: format!("invalid JSON: {e}") })?;
            let t = v.get("timestamp").or(v.get("t")).and_then(|x| x.as_f64()).unwrap_or(index as f64 / self.fps);
            let pose = ["transform", "cameraTransform", "camera_transform", "pose"]
                .iter()
                .find_map(|k| v.get(*k))
                .and_then(|p| json_numbers(p).or_else(|| p.as_array().map(|rows| rows.iter().filter_map(json_numbers).flatten().collect())))
                .map(|n| pose_from_sixteen(&n).ok_or_else(|| ReconError::Format { path: ps.clone(), message: "transform is not a 4x4 rigid transform".into() }))
                .transpose()?
                .map(|p| arkit_pose_to_ours(&p));
            let depth = match v.get("depth").and_then(|d| d.as_str()) {
                Some(rel) => {
                    let dp = img.parent().unwrap_or(Path::new(".")).join(rel);
                    let scale = v.get("depth_scale").and_then(|x| x.as_f64()).unwrap_or(STRAY_DEPTH_PER_METRE);
                    Some(fit_depth(read_depth(&dp, scale)?, &image, &dp, false)?)
                }
                None => None,
            };
            if self.k.is_none() {
                let s = image.size().map_err(cv("image size"))?;
                self.k = v.get("intrinsics").or(v.get("K")).and_then(json_numbers).and_then(|n| k_from_nine(&n, s.width as u32, s.height as u32));
            }
            return Ok(Some(Frame { index, t, image, depth, pose }));
        }
        Ok(None)
    }
    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arkit_conversion_maps_axes() {
        // ARKit camera at the origin looking along -z (its forward), world y up.
        let id = Isometry3::identity();
        let ours = arkit_pose_to_ours(&id);
        // Our camera's forward (+z cam) is ARKit's -z world, i.e. our +y world... (x,-z,y): (0,0,-1)->(0,1,0).
        let fwd = ours.rotation * Vector3::z();
        assert!((fwd - Vector3::y()).norm() < 1e-12);
        // Our camera's down (+y cam) is ARKit world -y, i.e. our -z world.
        let down = ours.rotation * Vector3::y();
        assert!((down + Vector3::z()).norm() < 1e-12);
        // Translation: ARKit (1, 2, 3) (y up) -> ours (1, -3, 2).
        let p = arkit_pose_to_ours(&Isometry3::translation(1.0, 2.0, 3.0));
        assert!((p.translation.vector - Vector3::new(1.0, -3.0, 2.0)).norm() < 1e-12);
    }

    #[test]
    fn matrix_orders_are_detected() {
        let row = [500.0, 0.0, 320.0, 0.0, 510.0, 240.0, 0.0, 0.0, 1.0];
        let col = [500.0, 0.0, 0.0, 0.0, 510.0, 0.0, 320.0, 240.0, 1.0];
        for v in [row, col] {
            let k = k_from_nine(&v, 640, 480).unwrap();
            assert_eq!((k.cx, k.cy, k.fy), (320.0, 240.0, 510.0));
        }
        let mut m = [0.0; 16];
        m[0] = 1.0;
        m[5] = 1.0;
        m[10] = 1.0;
        m[15] = 1.0;
        m[3] = 2.0; // row-major tx
        assert_eq!(pose_from_sixteen(&m).unwrap().translation.vector.x, 2.0);
        m[3] = 0.0;
        m[12] = 2.0; // column-major tx
        assert_eq!(pose_from_sixteen(&m).unwrap().translation.vector.x, 2.0);
        m[0] = 3.0;
        assert!(pose_from_sixteen(&m).is_none());
    }
}
