//! Checkerboard calibration (`roomscribe calibrate`): finds a checkerboard
//! in frames of a video (or image folder) chosen for sharpness and for
//! coverage of board positions, sizes and tilts, refines the corners to
//! sub-pixel accuracy and runs OpenCV's `calibrateCamera`.
//!
//! Owns frame choice and the calibration call; reading the capture is
//! [`super::source`]'s job and writing the YAML is [`super::calib`]'s.
//! Knows nothing of the CLI.

use super::calib::Intrinsics;
use super::source::{self, SourceKind};
use super::{cv, ReconError};
use opencv::core::{Mat, Point2f, Point3f, Size, TermCriteria, TermCriteria_Type, Vector};
use opencv::prelude::*;
use opencv::{calib3d, imgproc};
use serde::Serialize;
use std::path::Path;

/// Calibration settings. `Default`: a 9x6 inner-corner board with 25 mm
/// squares, up to 40 views.
#[derive(Debug, Clone)]
pub struct CalibrateConfig {
    /// Inner corners per row and per column (OpenCV's pattern size; a board
    /// of 10 x 7 squares has 9 x 6 inner corners).
    pub board: (u32, u32),
    /// Square side in millimetres (only the board poses depend on it).
    pub square_mm: f64,
    /// Frames examined at most (spread evenly over the capture).
    pub max_candidates: usize,
    /// Views given to `calibrateCamera` at most.
    pub max_views: usize,
    /// Fewer views than this is an error.
    pub min_views: usize,
    /// The board is searched on frames downscaled to at most this width
    /// (corners are then refined on the full frame).
    pub detect_width: i32,
    /// Also estimate the third radial coefficient k3 (off by default: it
    /// overfits on few views and phone main cameras need k1, k2 only).
    pub estimate_k3: bool,
}

impl Default for CalibrateConfig {
    fn default() -> Self {
        CalibrateConfig { board: (9, 6), square_mm: 25.0, max_candidates: 200, max_views: 40, min_views: 6, detect_width: 960, estimate_k3: false }
    }
}

/// The outcome of a calibration.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub intrinsics: Intrinsics,
    /// RMS reprojection error over all corners of the views used (pixels).
    pub rms_px: f64,
    /// Frames read from the capture.
    pub frames_read: usize,
    /// Frames examined for a board (sharp candidates).
    pub frames_examined: usize,
    /// Frames in which the whole board was found.
    pub boards_found: usize,
    /// Views used by the final calibration.
    pub views_used: usize,
    /// Views dropped as outliers (per-view error > 3 x the median).
    pub views_rejected: usize,
    /// Per-view RMS error of the views used (pixels).
    pub per_view_rms_px: Vec<f64>,
}

impl Calibration {
    /// The YAML `roomscribe recon --calib` reads, with a header saying how
    /// it was made.
    pub fn to_yaml(&self, input: &str, cfg: &CalibrateConfig) -> String {
        let comment = format!(
            "roomscribe calibrate {input}\nboard {}x{} inner corners, {} mm squares; {} views of {} boards found in {} frames examined\nRMS reprojection error {:.4} px",
            cfg.board.0, cfg.board.1, cfg.square_mm, self.views_used, self.boards_found, self.frames_examined, self.rms_px
        );
        let mut s = self.intrinsics.to_yaml(&comment);
        s.push_str(&format!("avg_reprojection_error: {:?}\n", self.rms_px));
        s
    }
}

/// Progress: (frames read, total when known).
pub type CalibProgress<'a> = &'a mut dyn FnMut(usize, Option<usize>);

/// A board found in one frame.
struct View {
    corners: Vector<Point2f>,
    sharpness: f64,
    /// Where the board is and how it looks: centre x, y (fractions of the
    /// image), size (sqrt of area fraction), and the two side-length ratios
    /// that grow with tilt.
    descriptor: [f64; 5],
}

/// Calibrates the camera of `input` (a video, or an image folder) from the
/// checkerboard it shows.
pub fn calibrate(input: &Path, cfg: &CalibrateConfig, progress: CalibProgress) -> Result<Calibration, ReconError> {
    let p = input.display().to_string();
    if cfg.board.0 < 2 || cfg.board.1 < 2 || cfg.board.0 > 100 || cfg.board.1 > 100 {
        return Err(ReconError::Config(format!("board {}x{}: expected 2..100 inner corners each way", cfg.board.0, cfg.board.1)));
    }
    if !(cfg.square_mm.is_finite() && cfg.square_mm > 0.0) {
        return Err(ReconError::Config(format!("square size {} mm: must be positive", cfg.square_mm)));
    }
    let mut src = source::open(input, 30.0)?;
    if !matches!(src.kind(), SourceKind::Video | SourceKind::ImageFolder) {
        return Err(ReconError::Unrecognized { path: p, message: "calibration reads a video or a folder of images of a checkerboard".into() });
    }
    let total = src.len_hint();
    // Examine about max_candidates frames spread over the capture; in each
    // stride window the sharpest frame is the candidate.
    let stride = total.map(|n| n.div_ceil(cfg.max_candidates.max(1))).unwrap_or(1).max(1);
    let pattern = Size::new(cfg.board.0 as i32, cfg.board.1 as i32);
    let mut views: Vec<View> = vec![];
    let mut frames_read = 0usize;
    let mut examined = 0usize;
    let mut size: Option<Size> = None;
    let mut window_best: Option<(f64, Mat)> = None;
    let check = |gray: Mat, sharp: f64, views: &mut Vec<View>, examined: &mut usize| -> Result<(), ReconError> {
        *examined += 1;
        if let Some(v) = find_board(&gray, pattern, cfg.detect_width, sharp)? {
            views.push(v);
        }
        Ok(())
    };
    while let Some(frame) = src.next_frame()? {
        frames_read += 1;
        progress(frames_read, total);
        let s = frame.image.size().map_err(cv("image size"))?;
        match size {
            None => size = Some(s),
            Some(z) if z != s => {
                return Err(ReconError::Format { path: p, message: format!("frame {} is {}x{} but the first frame is {}x{}", frame.index, s.width, s.height, z.width, z.height) })
            }
            _ => {}
        }
        let mut gray = Mat::default();
        imgproc::cvt_color_def(&frame.image, &mut gray, imgproc::COLOR_BGR2GRAY).map_err(cv("grey conversion"))?;
        let sharp = sharpness(&gray)?;
        if window_best.as_ref().map(|(b, _)| sharp > *b).unwrap_or(true) {
            window_best = Some((sharp, gray));
        }
        if frames_read % stride == 0 {
            if let Some((sh, g)) = window_best.take() {
                check(g, sh, &mut views, &mut examined)?;
            }
        }
    }
    if let Some((sh, g)) = window_best.take() {
        check(g, sh, &mut views, &mut examined)?;
    }
    let Some(size) = size else {
        return Err(ReconError::NoFrames { path: p, detail: String::new() });
    };
    let boards_found = views.len();
    if boards_found == 0 {
        return Err(ReconError::Calib {
            path: p,
            message: format!(
                "no {}x{} checkerboard found in {examined} frames examined (is --board the number of INNER corners per row x column? is the whole board in view?)",
                cfg.board.0, cfg.board.1
            ),
        });
    }
    if boards_found < cfg.min_views {
        return Err(ReconError::Calib {
            path: p,
            message: format!("the board was found in only {boards_found} frames; at least {} views are needed (film the board from more positions and angles)", cfg.min_views),
        });
    }
    let chosen = choose_views(&views, cfg.max_views);
    let object: Vector<Point3f> = board_points(cfg);
    let mut corners: Vec<Vector<Point2f>> = chosen.iter().map(|&i| views[i].corners.clone()).collect();
    let (mut k, mut dist, mut rms, mut per_view) = run_calibration(&object, &corners, size, cfg)?;
    // One round of outlier rejection: views far worse than the median
    // (a mis-ordered detection, motion blur) are dropped.
    let mut rejected = 0;
    let median = crate::geom::stats::median(&mut per_view.clone()).unwrap_or(0.0);
    let keep: Vec<bool> = per_view.iter().map(|e| *e <= (3.0 * median).max(0.5)).collect();
    let kept = keep.iter().filter(|k| **k).count();
    if kept < corners.len() && kept >= cfg.min_views {
        rejected = corners.len() - kept;
        corners = corners.into_iter().zip(&keep).filter(|(_, k)| **k).map(|(c, _)| c).collect();
        (k, dist, rms, per_view) = run_calibration(&object, &corners, size, cfg)?;
    }
    let intrinsics = Intrinsics { fx: k[0], fy: k[4], cx: k[2], cy: k[5], width: size.width as u32, height: size.height as u32, dist };
    intrinsics.validate(&p)?;
    Ok(Calibration {
        intrinsics,
        rms_px: rms,
        frames_read,
        frames_examined: examined,
        boards_found,
        views_used: corners.len(),
        views_rejected: rejected,
        per_view_rms_px: per_view,
    })
}

/// Variance of the Laplacian (focus measure) on a downscaled copy.
fn sharpness(gray: &Mat) -> Result<f64, ReconError> {
    let s = gray.size().map_err(cv("size"))?;
    let f = (320.0 / s.width.max(1) as f64).min(1.0);
    let mut small = Mat::default();
    imgproc::resize(gray, &mut small, Size::new(((s.width as f64 * f).round() as i32).max(1), ((s.height as f64 * f).round() as i32).max(1)), 0.0, 0.0, imgproc::INTER_AREA)
        .map_err(cv("resize"))?;
    let mut lap = Mat::default();
    imgproc::laplacian_def(&small, &mut lap, opencv::core::CV_64F).map_err(cv("laplacian"))?;
    let mut mean = opencv::core::Scalar::default();
    let mut sd = opencv::core::Scalar::default();
    opencv::core::mean_std_dev_def(&lap, &mut mean, &mut sd).map_err(cv("mean_std_dev"))?;
    Ok(sd[0] * sd[0])
}

/// Looks for the board on a downscaled copy, refines the corners on the
/// full image.
fn find_board(gray: &Mat, pattern: Size, detect_width: i32, sharpness: f64) -> Result<Option<View>, ReconError> {
    let s = gray.size().map_err(cv("size"))?;
    let f = (detect_width as f64 / s.width.max(1) as f64).min(1.0);
    let small = if f < 1.0 {
        let mut m = Mat::default();
        let sz = Size::new(((s.width as f64 * f).round() as i32).max(1), ((s.height as f64 * f).round() as i32).max(1));
        imgproc::resize(gray, &mut m, sz, 0.0, 0.0, imgproc::INTER_AREA).map_err(cv("resize"))?;
        m
    } else {
        gray.clone()
    };
    let mut corners: Vector<Point2f> = Vector::new();
    let flags = calib3d::CALIB_CB_ADAPTIVE_THRESH | calib3d::CALIB_CB_NORMALIZE_IMAGE | calib3d::CALIB_CB_FAST_CHECK;
    let found = calib3d::find_chessboard_corners(&small, pattern, &mut corners, flags).map_err(cv("findChessboardCorners"))?;
    if !found || corners.len() != (pattern.width * pattern.height) as usize {
        return Ok(None);
    }
    if f < 1.0 {
        // Pixel-centre convention: full = (small + 0.5) / f - 0.5.
        let scaled: Vector<Point2f> = corners.iter().map(|c| Point2f::new(((c.x as f64 + 0.5) / f - 0.5) as f32, ((c.y as f64 + 0.5) / f - 0.5) as f32)).collect();
        corners = scaled;
    }
    // Sub-pixel window: a third of the smallest corner spacing, 2..11 px.
    let pts: Vec<Point2f> = corners.to_vec();
    let w = pattern.width as usize;
    let mut min_gap = f64::MAX;
    for (i, c) in pts.iter().enumerate() {
        if (i + 1) % w != 0 {
            if let Some(n) = pts.get(i + 1) {
                min_gap = min_gap.min(((n.x - c.x) as f64).hypot((n.y - c.y) as f64));
            }
        }
        if let Some(n) = pts.get(i + w) {
            min_gap = min_gap.min(((n.x - c.x) as f64).hypot((n.y - c.y) as f64));
        }
    }
    let win = ((min_gap / 3.0).floor() as i32).clamp(2, 11);
    let crit = TermCriteria::new(TermCriteria_Type::COUNT as i32 + TermCriteria_Type::EPS as i32, 40, 0.001).map_err(cv("criteria"))?;
    imgproc::corner_sub_pix(gray, &mut corners, Size::new(win, win), Size::new(-1, -1), crit).map_err(cv("cornerSubPix"))?;
    let pts: Vec<Point2f> = corners.to_vec();
    let (iw, ih) = (s.width as f64, s.height as f64);
    let n = pts.len() as f64;
    let cxm = pts.iter().map(|c| c.x as f64).sum::<f64>() / n / iw;
    let cym = pts.iter().map(|c| c.y as f64).sum::<f64>() / n / ih;
    let h = pattern.height as usize;
    let corner = |r: usize, c: usize| pts.get(r * w + c).map(|p| (p.x as f64, p.y as f64)).unwrap_or((0.0, 0.0));
    let (a, b, c, d) = (corner(0, 0), corner(0, w - 1), corner(h - 1, w - 1), corner(h - 1, 0));
    let len = |p: (f64, f64), q: (f64, f64)| (p.0 - q.0).hypot(p.1 - q.1);
    let area = 0.5 * ((a.0 * b.1 - b.0 * a.1) + (b.0 * c.1 - c.0 * b.1) + (c.0 * d.1 - d.0 * c.1) + (d.0 * a.1 - a.0 * d.1)).abs();
    let tilt_x = (len(a, d) / len(b, c).max(1e-9)).ln();
    let tilt_y = (len(a, b) / len(d, c).max(1e-9)).ln();
    let size_frac = (area / (iw * ih)).sqrt();
    Ok(Some(View { corners, sharpness, descriptor: [cxm, cym, size_frac, 3.0 * tilt_x, 3.0 * tilt_y] }))
}

/// Greedy farthest-point choice over the view descriptors, starting from
/// the sharpest view: spreads the views over positions, sizes and tilts.
fn choose_views(views: &[View], max_views: usize) -> Vec<usize> {
    if views.len() <= max_views {
        return (0..views.len()).collect();
    }
    let dist = |a: &[f64; 5], b: &[f64; 5]| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>();
    let first = (0..views.len()).max_by(|&a, &b| views[a].sharpness.total_cmp(&views[b].sharpness)).unwrap_or(0);
    let mut chosen = vec![first];
    let mut nearest: Vec<f64> = views.iter().map(|v| dist(&v.descriptor, &views[first].descriptor)).collect();
    while chosen.len() < max_views {
        let Some(next) = (0..views.len()).filter(|i| !chosen.contains(i)).max_by(|&a, &b| nearest[a].total_cmp(&nearest[b])) else { break };
        chosen.push(next);
        for (i, v) in views.iter().enumerate() {
            nearest[i] = nearest[i].min(dist(&v.descriptor, &views[next].descriptor));
        }
    }
    chosen.sort_unstable();
    chosen
}

/// Board corners in the board frame (millimetres, z = 0), row by row.
fn board_points(cfg: &CalibrateConfig) -> Vector<Point3f> {
    let mut v = Vector::new();
    for r in 0..cfg.board.1 {
        for c in 0..cfg.board.0 {
            v.push(Point3f::new((c as f64 * cfg.square_mm) as f32, (r as f64 * cfg.square_mm) as f32, 0.0));
        }
    }
    v
}

/// What one `calibrateCamera` call gives: K (row-major), distortion, RMS
/// and per-view RMS (pixels).
type CalibOutput = ([f64; 9], Vec<f64>, f64, Vec<f64>);

/// `calibrateCamera` on the views' corners.
fn run_calibration(object: &Vector<Point3f>, corners: &[Vector<Point2f>], size: Size, cfg: &CalibrateConfig) -> Result<CalibOutput, ReconError> {
    let obj: Vector<Vector<Point3f>> = corners.iter().map(|_| object.clone()).collect();
    let img: Vector<Vector<Point2f>> = corners.iter().cloned().collect();
    let mut k = Mat::default();
    let mut d = Mat::default();
    let mut rvecs: Vector<Mat> = Vector::new();
    let mut tvecs: Vector<Mat> = Vector::new();
    let mut sd_i = Mat::default();
    let mut sd_e = Mat::default();
    let mut per_view = Mat::default();
    let flags = if cfg.estimate_k3 { 0 } else { calib3d::CALIB_FIX_K3 };
    let crit = TermCriteria::new(TermCriteria_Type::COUNT as i32 + TermCriteria_Type::EPS as i32, 100, f64::EPSILON).map_err(cv("criteria"))?;
    let rms = calib3d::calibrate_camera_extended(&obj, &img, size, &mut k, &mut d, &mut rvecs, &mut tvecs, &mut sd_i, &mut sd_e, &mut per_view, flags, crit)
        .map_err(cv("calibrateCamera"))?;
    let mut km = [0.0; 9];
    for (i, v) in km.iter_mut().enumerate() {
        *v = *k.at_2d::<f64>((i / 3) as i32, (i % 3) as i32).map_err(cv("camera matrix"))?;
    }
    let dist: Vec<f64> = (0..d.total() as i32).map(|i| d.at::<f64>(i).copied()).collect::<Result<_, _>>().map_err(cv("distortion"))?;
    let pv: Vec<f64> = (0..per_view.total() as i32).map(|i| per_view.at::<f64>(i).copied()).collect::<Result<_, _>>().map_err(cv("per-view errors"))?;
    Ok((km, dist, rms, pv))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recon::testscene::{board_poses, render_board_views as render_views};

    #[test]
    fn calibrates_a_synthetic_board_sequence() {
        let k = Intrinsics { fx: 560.0, fy: 565.0, cx: 330.0, cy: 236.0, width: 640, height: 480, dist: vec![] };
        let frames = render_views(&k, 9, 6, &board_poses(24, 9, 6)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for (i, f) in frames.iter().enumerate() {
            opencv::imgcodecs::imwrite_def(dir.path().join(format!("f{i:03}.png")).to_str().unwrap(), f).unwrap();
        }
        let c = calibrate(dir.path(), &CalibrateConfig::default(), &mut |_, _| {}).unwrap();
        let ki = &c.intrinsics;
        let rel = |a: f64, b: f64| (a / b - 1.0).abs();
        assert!(rel(ki.fx, k.fx) < 0.01 && rel(ki.fy, k.fy) < 0.01, "{ki:?}");
        assert!((ki.cx - k.cx).abs() < 4.0 && (ki.cy - k.cy).abs() < 4.0, "{ki:?}");
        assert!(c.rms_px < 0.3, "rms {}", c.rms_px);
        assert!(c.boards_found >= 18, "{} boards", c.boards_found);
        eprintln!("calibration: {ki:?} rms {:.3} views {}", c.rms_px, c.views_used);
        // What it writes is what recon reads.
        let back = Intrinsics::parse_yaml(&c.to_yaml("x", &CalibrateConfig::default()), "x").unwrap();
        assert_eq!(back, c.intrinsics);
    }

    #[test]
    fn no_board_and_too_few_views_are_clear_errors() {
        let k = Intrinsics { fx: 280.0, fy: 280.0, cx: 160.0, cy: 120.0, width: 320, height: 240, dist: vec![] };
        let frames = render_views(&k, 9, 6, &board_poses(3, 9, 6)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for (i, f) in frames.iter().enumerate() {
            opencv::imgcodecs::imwrite_def(dir.path().join(format!("f{i:03}.png")).to_str().unwrap(), f).unwrap();
        }
        let e = calibrate(dir.path(), &CalibrateConfig::default(), &mut |_, _| {}).unwrap_err().to_string();
        assert!(e.contains("only 3 frames"), "{e}");
        let cfg = CalibrateConfig { board: (7, 5), ..Default::default() };
        let e = calibrate(dir.path(), &cfg, &mut |_, _| {}).unwrap_err().to_string();
        assert!(e.contains("no 7x5 checkerboard"), "{e}");
        let cfg = CalibrateConfig { board: (1, 5), ..Default::default() };
        assert!(calibrate(dir.path(), &cfg, &mut |_, _| {}).is_err());
    }

    #[test]
    fn views_are_spread() {
        let mk = |x: f64| View { corners: Vector::new(), sharpness: x, descriptor: [x, 0.0, 0.0, 0.0, 0.0] };
        let views: Vec<View> = [0.0, 0.01, 0.02, 0.5, 0.51, 1.0].iter().map(|&x| mk(x)).collect();
        let c = choose_views(&views, 3);
        assert_eq!(c, vec![0, 3, 5]);
    }
}
