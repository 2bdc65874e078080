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

/// Horizontal field of view assumed for unknown phone main cameras in video
/// mode (16:9 crop of a 4:3 sensor with a ~26 mm-equivalent lens gives
/// about 65-70°; see calib/README.md).
pub const DEFAULT_HFOV_DEG: f64 = 66.0;

impl Intrinsics {
    /// Intrinsics for a distortion-free camera with horizontal field of view
    /// `hfov_deg`, square pixels and the principal point at the centre.
    pub fn from_hfov(width: u32, height: u32, hfov_deg: f64) -> Intrinsics {
        let f = 0.5 * width as f64 / (0.5 * hfov_deg.to_radians()).tan();
        Intrinsics { fx: f, fy: f, cx: 0.5 * width as f64, cy: 0.5 * height as f64, width, height, dist: vec![] }
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
    }
}
