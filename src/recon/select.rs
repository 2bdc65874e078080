//! Frame selection: which frames of a stream the tracker sees. A frame is
//! kept when the image moved enough since the last kept frame (median
//! displacement of ORB features matched on small thumbnails) and it is
//! sharp (variance of the Laplacian against the running typical value), so
//! the stride adapts to the camera's motion instead of being fixed. Black
//! and frozen frames are counted for the report's warnings.

use crate::geom::stats::median;
use super::calib::Intrinsics;
use super::features::{match_brute, Extractor, Features, OrbConfig, MATCH_MAX_HAMMING, MATCH_RATIO};
use super::{cv, ReconError};
use opencv::core::{Mat, Size};
use opencv::prelude::*;
use opencv::{core, imgproc};

/// Selection settings.
#[derive(Debug, Clone)]
pub struct SelectConfig {
    /// Thumbnail width (pixels) used for the motion and sharpness tests.
    pub thumb_width: i32,
    /// Keep a frame once features moved this fraction of the image width.
    pub min_motion: f64,
    /// Keep regardless of sharpness beyond this fraction (tracking would
    /// otherwise break).
    pub force_motion: f64,
    /// A frame is blurry below this fraction of the running sharpness.
    pub blur_ratio: f64,
    /// Mean grey level below which a frame counts as black.
    pub black_level: f64,
    /// Mean absolute thumbnail difference below which a frame is frozen.
    pub frozen_mad: f64,
}

impl Default for SelectConfig {
    fn default() -> Self {
        SelectConfig { thumb_width: 320, min_motion: 0.012, force_motion: 0.03, blur_ratio: 0.6, black_level: 8.0, frozen_mad: 0.3 }
    }
}

/// Why a frame was kept or dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Keep,
    TooLittleMotion,
    Blurry,
    Black,
    Frozen,
}

/// Counters for the report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SelectStats {
    pub kept: usize,
    pub little_motion: usize,
    pub blurry: usize,
    pub black: usize,
    pub frozen: usize,
}

/// The streaming selector.
pub struct Selector {
    cfg: SelectConfig,
    orb: Extractor,
    last: Option<(Mat, Features)>,
    prev_thumb: Option<Mat>,
    sharp_ema: Option<f64>,
    pub stats: SelectStats,
}

/// Smoothing of the running sharpness (per frame).
const SHARP_EMA_ALPHA: f64 = 0.1;

impl Selector {
    pub fn new(cfg: SelectConfig) -> Result<Selector, ReconError> {
        let orb = Extractor::new(&OrbConfig { n_features: 300, scale_factor: 1.2, n_levels: 3, fast_threshold: 10 })?;
        Ok(Selector { cfg, orb, last: None, prev_thumb: None, sharp_ema: None, stats: SelectStats::default() })
    }

    /// Decides about `gray` (8-bit grey, any size). Frames with `force` (e.g.
    /// the first one) are kept unless black.
    pub fn decide(&mut self, gray: &Mat, force: bool) -> Result<Decision, ReconError> {
        let s = gray.size().map_err(cv("frame size"))?;
        let tw = self.cfg.thumb_width.min(s.width).max(16);
        let th = ((s.height as f64) * tw as f64 / s.width.max(1) as f64).round().max(8.0) as i32;
        let mut thumb = Mat::default();
        imgproc::resize(gray, &mut thumb, Size::new(tw, th), 0.0, 0.0, imgproc::INTER_AREA).map_err(cv("thumbnail"))?;
        let mean = core::mean_def(&thumb).map_err(cv("mean"))?[0];
        if mean < self.cfg.black_level {
            self.stats.black += 1;
            return Ok(Decision::Black);
        }
        if let Some(prev) = &self.prev_thumb {
            let mut diff = Mat::default();
            core::absdiff(&thumb, prev, &mut diff).map_err(cv("absdiff"))?;
            let mad = core::mean_def(&diff).map_err(cv("mean"))?[0];
            if mad < self.cfg.frozen_mad && !force {
                self.stats.frozen += 1;
                return Ok(Decision::Frozen);
            }
        }
        self.prev_thumb = Some(thumb.try_clone().map_err(cv("copy"))?);
        let mut lap = Mat::default();
        imgproc::laplacian_def(&thumb, &mut lap, core::CV_32F).map_err(cv("Laplacian"))?;
        let (mut m, mut sd) = (Mat::default(), Mat::default());
        core::mean_std_dev_def(&lap, &mut m, &mut sd).map_err(cv("meanStdDev"))?;
        let sharp = sd.at::<f64>(0).map(|v| v * v).unwrap_or(0.0);
        let ema = *self.sharp_ema.get_or_insert(sharp);
        self.sharp_ema = Some(ema + SHARP_EMA_ALPHA * (sharp - ema));
        let k = Intrinsics::from_hfov(tw as u32, th as u32, 60.0);
        let feats = self.orb.extract(&thumb, &k)?;
        let motion = match &self.last {
            None => f64::INFINITY,
            Some((_, lf)) => {
                let m = match_brute(&lf.desc, &feats.desc, MATCH_MAX_HAMMING, MATCH_RATIO);
                if m.len() < 10 {
                    f64::INFINITY
                } else {
                    let mut d: Vec<f64> = m.iter().map(|&(i, j)| (lf.points[i] - feats.points[j]).norm()).collect();
                    median(&mut d).unwrap_or(f64::INFINITY) / tw as f64
                }
            }
        };
        let decision = if force {
            Decision::Keep
        } else if motion < self.cfg.min_motion {
            Decision::TooLittleMotion
        } else if motion < self.cfg.force_motion && sharp < self.cfg.blur_ratio * ema {
            Decision::Blurry
        } else {
            Decision::Keep
        };
        match decision {
            Decision::Keep => {
                self.stats.kept += 1;
                self.last = Some((thumb, feats));
            }
            Decision::TooLittleMotion => self.stats.little_motion += 1,
            Decision::Blurry => self.stats.blurry += 1,
            _ => {}
        }
        Ok(decision)
    }
}
