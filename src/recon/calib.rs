//! Camera intrinsics: the pinhole model with OpenCV distortion, reading and
//! writing OpenCV FileStorage YAML (`camera_matrix`, `distortion_coefficients`,
//! `image_width`, `image_height`), intrinsics from a field of view, and the
//! record of where the numbers came from.

use super::ReconError;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Pinhole intrinsics in pixels for an image of `width` x `height`, with
/// OpenCV distortion coefficients `(k1, k2, p1, p2[, k3...])` (may be empty).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Intrinsics {
    pub fx: f64,
    pub fy: f64,
    pub cx: f64,
    pub cy: f64,
    pub width: u32,
    pub height: u32,
    pub dist: Vec<f64>,
}

/// Where intrinsics came from (reported in `report.json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IntrinsicsSource {
    /// `--calib FILE` or a calibration file found beside the input.
    File { path: String },
    /// The capture format carries intrinsics (Stray Scanner, Record3D, ARKit).
    Capture { format: String },
    /// `--fov DEG` (horizontal field of view).
    Fov { horizontal_deg: f64 },
    /// Unknown: the focal length was estimated from the video (square
    /// pixels, principal point at the centre); `spread` is the relative
    /// spread of the per-frame estimates, `frames` how many gave one.
    Estimated { method: String, estimated_fx: f64, horizontal_deg: f64, spread: f64, frames: usize },
    /// Unknown and not estimated: the nominal field of view was assumed.
    Assumed { horizontal_deg: f64 },
}

/// Field of view (degrees) across the longer image side assumed for
/// unknown phone main cameras in video mode: horizontal in landscape,
/// vertical in a portrait video (16:9 crop of a 4:3 sensor with a
/// 24–26 mm-equivalent lens gives about 67–72°; see calib/README.md).
pub const DEFAULT_HFOV_DEG: f64 = 66.0;

/// Largest relative difference of aspect ratios for intrinsics of one image
/// size to be scaled to another (1 %: 1920x1080 vs 1280x720 is exact,
/// 1920x1088 encoder padding is 0.7 % off).
pub const ASPECT_TOLERANCE: f64 = 0.01;

impl Intrinsics {
    /// Intrinsics for a distortion-free camera with horizontal field of view
    /// `hfov_deg`, square pixels and the principal point at the centre.
    pub fn from_hfov(width: u32, height: u32, hfov_deg: f64) -> Intrinsics {
        let f = 0.5 * width as f64 / (0.5 * hfov_deg.to_radians()).tan();
        Intrinsics { fx: f, fy: f, cx: 0.5 * width as f64, cy: 0.5 * height as f64, width, height, dist: vec![] }
    }

    /// Intrinsics for a distortion-free camera whose field of view across
    /// the longer image side is `fov_deg` (what a phone's lens fixes,
    /// whichever way the phone is held), square pixels, principal point at
    /// the centre.
    pub fn from_long_side_fov(width: u32, height: u32, fov_deg: f64) -> Intrinsics {
        let f = 0.5 * width.max(height) as f64 / (0.5 * fov_deg.to_radians()).tan();
        Intrinsics { fx: f, fy: f, cx: 0.5 * width as f64, cy: 0.5 * height as f64, width, height, dist: vec![] }
    }

    /// The same camera for its image turned 90° clockwise (a phone video
    /// filmed upright, portrait, when the camera was calibrated in
    /// landscape): pixel `(x, y)` goes to `(height − 1 − y, x)`, so the focal
    /// lengths swap, the principal point follows, and the tangential
    /// distortion terms turn with the image (`p1' = p2`, `p2' = −p1`; the
    /// radial ones are unchanged).
    pub fn rotated_clockwise(&self) -> Intrinsics {
        let mut dist = self.dist.clone();
        if dist.len() >= 4 {
            let (p1, p2) = (dist[2], dist[3]);
            dist[2] = p2;
            dist[3] = -p1;
        }
        Intrinsics { fx: self.fy, fy: self.fx, cx: self.height as f64 - 1.0 - self.cy, cy: self.cx, width: self.height, height: self.width, dist }
    }

    /// The camera for frames of `width` x `height`: scaled when the aspect
    /// ratio matches within [`ASPECT_TOLERANCE`]; turned to portrait with
    /// [`Intrinsics::rotated_clockwise`] and scaled when the frames have the
    /// transposed shape (the second value is then `true`); `None` when
    /// neither fits.
    pub fn fit_to(&self, width: u32, height: u32) -> Option<(Intrinsics, bool)> {
        if self.width == width && self.height == height {
            return Some((self.clone(), false));
        }
        let aspect = |x: u32, y: u32| x as f64 / y.max(1) as f64;
        let same = |k: &Intrinsics| (aspect(k.width, k.height) / aspect(width, height) - 1.0).abs() < ASPECT_TOLERANCE;
        if same(self) {
            return Some((self.scaled_to(width, height), false));
        }
        let turned = self.rotated_clockwise();
        same(&turned).then(|| (turned.scaled_to(width, height), true))
    }

    /// Horizontal field of view in degrees.
    pub fn hfov_deg(&self) -> f64 {
        2.0 * (0.5 * self.width as f64 / self.fx).atan().to_degrees()
    }

    /// The same camera for an image scaled to `width` x `height`
    /// (pixel-centre convention: coordinates scale about the corner).
    pub fn scaled_to(&self, width: u32, height: u32) -> Intrinsics {
        let sx = width as f64 / self.width.max(1) as f64;
        let sy = height as f64 / self.height.max(1) as f64;
        Intrinsics {
            fx: self.fx * sx,
            fy: self.fy * sy,
            cx: (self.cx + 0.5) * sx - 0.5,
            cy: (self.cy + 0.5) * sy - 0.5,
            width,
            height,
            dist: self.dist.clone(),
        }
    }

    /// The camera matrix K.
    pub fn k(&self) -> nalgebra::Matrix3<f64> {
        nalgebra::Matrix3::new(self.fx, 0.0, self.cx, 0.0, self.fy, self.cy, 0.0, 0.0, 1.0)
    }

    /// True when any distortion coefficient is non-zero.
    pub fn has_distortion(&self) -> bool {
        self.dist.iter().any(|d| d.abs() > 1e-12)
    }

    /// Checks that the numbers describe a usable camera.
    pub fn validate(&self, path: &str) -> Result<(), ReconError> {
        let bad = |m: &str| Err(ReconError::Calib { path: path.to_string(), message: m.to_string() });
        let all = [self.fx, self.fy, self.cx, self.cy];
        if all.iter().any(|v| !v.is_finite()) || self.dist.iter().any(|v| !v.is_finite()) {
            return bad("non-finite value");
        }
        if self.fx <= 0.0 || self.fy <= 0.0 {
            return bad("focal lengths must be positive");
        }
        if self.width == 0 || self.height == 0 {
            return bad("image size must be positive");
        }
        Ok(())
    }

    /// Reads OpenCV FileStorage YAML (what `cv::FileStorage` and
    /// `roomscribe calibrate` write). Accepts `camera_matrix` (or `K`),
    /// `distortion_coefficients` (or `dist_coeffs`, `D`; optional),
    /// `image_width`/`image_height` or `image_size: [w, h]`.
    pub fn read_yaml(path: &Path) -> Result<Intrinsics, ReconError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ReconError::Read { path: p.clone(), message: e.to_string() })?;
        Intrinsics::parse_yaml(&text, &p)
    }

    /// Parses FileStorage YAML text; `path` is for messages only.
    pub fn parse_yaml(text: &str, path: &str) -> Result<Intrinsics, ReconError> {
        let err = |m: String| ReconError::Calib { path: path.to_string(), message: m };
        let k = ["camera_matrix", "K", "cameraMatrix"]
            .iter()
            .find_map(|key| yaml_matrix(text, key))
            .ok_or_else(|| err("no camera_matrix entry (expected an !!opencv-matrix with 9 values)".into()))?
            .map_err(err)?;
        if k.len() != 9 {
            return Err(err(format!("camera_matrix has {} values, expected 9", k.len())));
        }
        let dist = match ["distortion_coefficients", "dist_coeffs", "distCoeffs", "D"].iter().find_map(|key| yaml_matrix(text, key)) {
            Some(d) => d.map_err(err)?,
            None => vec![],
        };
        let (width, height) = match (yaml_scalar(text, "image_width"), yaml_scalar(text, "image_height")) {
            (Some(w), Some(h)) => (w, h),
            _ => match yaml_inline_list(text, "image_size") {
                Some(v) if v.len() == 2 => (v[0], v[1]),
                _ => return Err(err("no image size (image_width and image_height, or image_size: [w, h])".into())),
            },
        };
        if !(width >= 1.0 && height >= 1.0 && width < 1e6 && height < 1e6) {
            return Err(err(format!("implausible image size {width}x{height}")));
        }
        let out = Intrinsics { fx: k[0], fy: k[4], cx: k[2], cy: k[5], width: width as u32, height: height as u32, dist };
        out.validate(path)?;
        Ok(out)
    }

    /// Formats as OpenCV FileStorage YAML, with `comment` lines (each
    /// prefixed by `# `) after the header.
    pub fn to_yaml(&self, comment: &str) -> String {
        let mut s = String::from("%YAML:1.0\n---\n");
        for line in comment.lines() {
            let _ = writeln!(s, "# {line}");
        }
        let _ = writeln!(s, "image_width: {}", self.width);
        let _ = writeln!(s, "image_height: {}", self.height);
        let _ = writeln!(s, "camera_matrix: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d");
        let _ = writeln!(
            s,
            "   data: [ {:?}, 0., {:?}, 0., {:?}, {:?}, 0., 0., 1. ]",
            self.fx, self.cx, self.fy, self.cy
        );
        let d: Vec<String> = if self.dist.is_empty() { vec!["0.".into(); 5] } else { self.dist.iter().map(|v| format!("{v:?}")).collect() };
        let _ = writeln!(s, "distortion_coefficients: !!opencv-matrix\n   rows: 1\n   cols: {}\n   dt: d", d.len());
        let _ = writeln!(s, "   data: [ {} ]", d.join(", "));
        s
    }
}

/// Finds `key:` at the start of a line (after indentation) and returns the
/// rest of the text after the colon.
fn after_key<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key) {
            if let Some(rest2) = rest.trim_start().strip_prefix(':') {
                let start = offset + (line.len() - rest2.len());
                return text.get(start..);
            }
        }
        offset += line.len();
    }
    None
}

/// Parses the numbers between `[` and `]` at the start of `s`.
fn bracket_numbers(s: &str) -> Result<Vec<f64>, String> {
    let open = s.find('[').ok_or("expected '['")?;
    let close = s[open..].find(']').ok_or("missing ']'")? + open;
    s[open + 1..close]
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| t.parse::<f64>().map_err(|_| format!("{t:?} is not a number")))
        .collect()
}

/// An `!!opencv-matrix` (or plain list) under `key`: its `data` values.
fn yaml_matrix(text: &str, key: &str) -> Option<Result<Vec<f64>, String>> {
    let rest = after_key(text, key)?;
    let first_line = rest.lines().next().unwrap_or("");
    if first_line.contains('[') {
        return Some(bracket_numbers(rest));
    }
    let data = after_key(rest, "data")?;
    Some(bracket_numbers(data))
}

fn yaml_scalar(text: &str, key: &str) -> Option<f64> {
    after_key(text, key)?.lines().next()?.trim().parse().ok()
}

fn yaml_inline_list(text: &str, key: &str) -> Option<Vec<f64>> {
    let rest = after_key(text, key)?;
    bracket_numbers(rest.lines().next()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_round_trip_and_opencv_style() {
        let k = Intrinsics { fx: 900.5, fy: 901.0, cx: 640.0, cy: 359.5, width: 1280, height: 720, dist: vec![0.1, -0.2, 0.0, 0.0, 0.01] };
        let back = Intrinsics::parse_yaml(&k.to_yaml("test"), "x").unwrap();
        assert_eq!(back, k);
        let cv = "%YAML:1.0\n---\nimage_width: 640\nimage_height: 480\ncamera_matrix: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ 5.2e+02, 0., 3.195e+02, 0.,\n       5.2e+02, 2.395e+02, 0., 0., 1. ]\n";
        let c = Intrinsics::parse_yaml(cv, "x").unwrap();
        assert_eq!((c.fx, c.cy, c.width, c.dist.len()), (520.0, 239.5, 640, 0));
    }

    #[test]
    fn yaml_errors_are_clear() {
        assert!(Intrinsics::parse_yaml("foo: 1\n", "x").unwrap_err().to_string().contains("camera_matrix"));
        let no_size = "camera_matrix: [1, 0, 1, 0, 1, 1, 0, 0, 1]\n";
        assert!(Intrinsics::parse_yaml(no_size, "x").unwrap_err().to_string().contains("image size"));
        let neg = "image_size: [10, 10]\ncamera_matrix: [-1, 0, 1, 0, 1, 1, 0, 0, 1]\n";
        assert!(Intrinsics::parse_yaml(neg, "x").is_err());
    }

    #[test]
    fn fov_and_scaling() {
        let k = Intrinsics::from_hfov(1280, 720, 60.0);
        assert!((k.hfov_deg() - 60.0).abs() < 1e-9);
        let s = k.scaled_to(640, 360);
        assert!((s.fx - k.fx / 2.0).abs() < 1e-9 && (s.hfov_deg() - 60.0).abs() < 1e-9);
        // The assumed field of view spans the longer side: the same lens in
        // a portrait frame has the same focal length in pixels.
        let land = Intrinsics::from_long_side_fov(1920, 1080, 66.0);
        let port = Intrinsics::from_long_side_fov(1080, 1920, 66.0);
        assert!((land.hfov_deg() - 66.0).abs() < 1e-9 && (land.fx - port.fx).abs() < 1e-9);
        assert!((port.hfov_deg() - 40.1).abs() < 0.1, "{}", port.hfov_deg());
    }

    #[test]
    fn shipped_calibration_files_parse_and_say_where_their_numbers_come_from() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("calib");
        let mut n = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().and_then(|x| x.to_str()) != Some("yaml") {
                continue;
            }
            let k = Intrinsics::read_yaml(&p).unwrap();
            k.validate(&p.display().to_string()).unwrap();
            // Phone main cameras in video mode: 60-80 degrees across the long side.
            assert!((60.0..80.0).contains(&k.hfov_deg()), "{}: {}", p.display(), k.hfov_deg());
            let text = std::fs::read_to_string(&p).unwrap();
            // Measured (written by `roomscribe calibrate`) or derived from a
            // published figure, named in the comment.
            let derived = text.contains("Nominal, DERIVED") && ["specifications", "tech specs", "makers publish"].iter().any(|s| text.contains(s));
            assert!(derived || text.contains("avg_reprojection_error"), "{}: does not say where its numbers come from", p.display());
            n += 1;
        }
        assert!(n >= 3, "{n} calibration files");
    }

    /// Projects a camera-frame point with OpenCV's model (k1, k2, p1, p2).
    fn project(k: &Intrinsics, p: [f64; 3]) -> [f64; 2] {
        let (x, y) = (p[0] / p[2], p[1] / p[2]);
        let d = |i: usize| k.dist.get(i).copied().unwrap_or(0.0);
        let r2 = x * x + y * y;
        let radial = 1.0 + d(0) * r2 + d(1) * r2 * r2;
        let xd = x * radial + 2.0 * d(2) * x * y + d(3) * (r2 + 2.0 * x * x);
        let yd = y * radial + d(2) * (r2 + 2.0 * y * y) + 2.0 * d(3) * x * y;
        [k.fx * xd + k.cx, k.fy * yd + k.cy]
    }

    #[test]
    fn rotating_to_portrait_moves_every_projection_with_the_image() {
        let k = Intrinsics { fx: 1400.0, fy: 1410.0, cx: 950.0, cy: 545.0, width: 1920, height: 1080, dist: vec![0.1, -0.05, 0.002, -0.001] };
        let r = k.rotated_clockwise();
        assert_eq!((r.width, r.height), (1080, 1920));
        for p in [[0.3, -0.2, 1.0], [-0.5, 0.25, 2.0], [0.1, 0.4, 1.5]] {
            let [u, v] = project(&k, p);
            // The camera turned with the phone: in its frame the point sits at
            // (−y, x) — image x' = height − 1 − y must hold for every pixel.
            let [u2, v2] = project(&r, [-p[1], p[0], p[2]]);
            assert!((u2 - (1079.0 - v)).abs() < 1e-9 && (v2 - u).abs() < 1e-9, "{p:?}: ({u2}, {v2}) vs ({}, {u})", 1079.0 - v);
        }
        // Fitting: same shape, scaled, portrait, and no fit.
        assert_eq!(k.fit_to(1920, 1080), Some((k.clone(), false)));
        let (s, turned) = k.fit_to(1280, 720).unwrap();
        assert!(!turned && (s.fx - 1400.0 * 2.0 / 3.0).abs() < 1e-9);
        let (p, turned) = k.fit_to(720, 1280).unwrap();
        assert!(turned && (p.fx - 1410.0 * 2.0 / 3.0).abs() < 1e-9 && (p.fy - 1400.0 * 2.0 / 3.0).abs() < 1e-9);
        assert!(k.fit_to(640, 480).is_none() && k.fit_to(480, 640).is_none());
    }
}
