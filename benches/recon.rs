//! Reconstruction front-end speed, per 720p frame, on frames rendered by
//! `crate::synth` (a generated apartment, 1280x720): what the pipeline's
//! reading thread does to every frame (downscale to the 640 px tracking
//! width + grey, keyframe selection), ORB extraction on a kept frame, and
//! focal-length estimation on one frame; plus a whole short clip
//! (`reconstruct` on 2 s of 720p video, written to a temp mp4 in setup).
//! The 30 s end-to-end figure comes from `eval/recon_speed.sh`.
//! Run: `cargo bench --no-default-features --features video --bench recon`.

use criterion::{criterion_group, criterion_main, Criterion};
use opencv::core::{Mat, Scalar, Size, CV_8UC3};
use opencv::imgproc;
use opencv::prelude::*;
use rand::SeedableRng;
use roomscribe::recon::features::{match_brute, Extractor, OrbConfig, MATCH_MAX_HAMMING, MATCH_RATIO};
use roomscribe::recon::focal::{estimate_frame, FocalConfig};
use roomscribe::recon::select::{SelectConfig, Selector};
use roomscribe::recon::{reconstruct, Intrinsics, ReconConfig};
use roomscribe::synth::camera::{Intrinsics as SynthK, PathConfig};
use roomscribe::synth::capture::{rooms_of, Capture};
use roomscribe::synth::render::{RenderConfig, Renderer};
use roomscribe::synth::{generate, SceneConfig};
use std::hint::black_box;

const W: u32 = 1280;
const H: u32 = 720;
const FPS: f64 = 30.0;

fn to_mat(rgb: &[u8]) -> Mat {
    let mut m = Mat::new_rows_cols_with_default(H as i32, W as i32, CV_8UC3, Scalar::all(0.0)).unwrap();
    for (d, s) in m.data_bytes_mut().unwrap().chunks_exact_mut(3).zip(rgb.chunks_exact(3)) {
        d.copy_from_slice(&[s[2], s[1], s[0]]);
    }
    m
}

fn bench(c: &mut Criterion) {
    let scene = generate(0, &SceneConfig::default()).unwrap();
    let capture = Capture::new(&scene.world, &scene.layout, rooms_of(&scene), &PathConfig::default(), 0).unwrap();
    let r = Renderer { geometry: &capture.geometry, lighting: &capture.lighting, intrinsics: SynthK::for_size(W, H), config: RenderConfig::default() };
    let n = (2.0 * FPS) as usize;
    let frames: Vec<Mat> = (0..n)
        .map(|i| {
            let t = i as f64 / FPS;
            to_mat(&r.render(&capture.path.pose_at(t), None, t, i as u32).rgb)
        })
        .collect();
    let tsize = Size::new(640, 360);
    let mut g = c.benchmark_group("recon_720p");
    g.sample_size(10);
    g.bench_function("downscale_grey_select_per_frame", |b| {
        let mut sel = Selector::new(SelectConfig::default()).unwrap();
        let mut i = 0usize;
        b.iter(|| {
            let f = &frames[i % n];
            i += 1;
            let mut small = Mat::default();
            imgproc::resize(f, &mut small, tsize, 0.0, 0.0, imgproc::INTER_AREA).unwrap();
            let mut gray = Mat::default();
            imgproc::cvt_color_def(&small, &mut gray, imgproc::COLOR_BGR2GRAY).unwrap();
            black_box(sel.decide(&gray, i == 1).unwrap())
        })
    });
    let grays: Vec<Mat> = frames
        .iter()
        .map(|f| {
            let mut small = Mat::default();
            imgproc::resize(f, &mut small, tsize, 0.0, 0.0, imgproc::INTER_AREA).unwrap();
            let mut gray = Mat::default();
            imgproc::cvt_color_def(&small, &mut gray, imgproc::COLOR_BGR2GRAY).unwrap();
            gray
        })
        .collect();
    g.bench_function("select_only_per_frame", |b| {
        let mut sel = Selector::new(SelectConfig::default()).unwrap();
        let mut i = 0usize;
        b.iter(|| {
            i += 1;
            black_box(sel.decide(&grays[i % n], i == 1).unwrap())
        })
    });
    let mut gray = Mat::default();
    let mut small = Mat::default();
    imgproc::resize(&frames[0], &mut small, tsize, 0.0, 0.0, imgproc::INTER_AREA).unwrap();
    imgproc::cvt_color_def(&small, &mut gray, imgproc::COLOR_BGR2GRAY).unwrap();
    let k = Intrinsics::from_hfov(640, 360, 65.0);
    // The pipeline's count at 640x360: 1500 scaled to the area.
    let orb = OrbConfig { n_features: 1125, ..OrbConfig::default() };
    g.bench_function("orb1125_640x360", |b| {
        let mut x = Extractor::new(&orb).unwrap();
        b.iter(|| black_box(x.extract(&gray, &k).unwrap().len()))
    });
    // Brute-force matching of two neighbouring frames' features (what
    // initialisation does per frame; relocalisation per keyframe tried).
    let fa = Extractor::new(&orb).unwrap().extract(&gray, &k).unwrap();
    let mut gray_b = Mat::default();
    imgproc::resize(&frames[5], &mut small, tsize, 0.0, 0.0, imgproc::INTER_AREA).unwrap();
    imgproc::cvt_color_def(&small, &mut gray_b, imgproc::COLOR_BGR2GRAY).unwrap();
    let fb = Extractor::new(&orb).unwrap().extract(&gray_b, &k).unwrap();
    g.bench_function("match_brute_1125x1125", |b| b.iter(|| black_box(match_brute(&fa.desc, &fb.desc, MATCH_MAX_HAMMING, MATCH_RATIO).len())));
    let g640 = gray.try_clone().unwrap();
    g.bench_function("focal_vp_one_frame_640", |b| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        b.iter(|| black_box(estimate_frame(&g640, &FocalConfig::default(), &mut rng).unwrap()))
    });
    // A whole 2 s clip through reconstruct (true intrinsics beside it).
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("clip.mp4");
    {
        let fourcc = opencv::videoio::VideoWriter::fourcc('m', 'p', '4', 'v').unwrap();
        let mut w = opencv::videoio::VideoWriter::new(video.to_str().unwrap(), fourcc, FPS, Size::new(W as i32, H as i32), true).unwrap();
        for f in &frames {
            w.write(f).unwrap();
        }
        w.release().unwrap();
    }
    std::fs::write(dir.path().join("intrinsics.yaml"), SynthK::for_size(W, H).to_opencv_yaml()).unwrap();
    g.bench_function("reconstruct_2s_720p_clip", |b| b.iter(|| black_box(reconstruct(&video, &ReconConfig::default(), &mut |_| {}).map(|r| r.trajectory.poses.len()).unwrap_or(0))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
