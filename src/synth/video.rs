//! Rendered videos: frames along a [`CameraPath`] at t = i / fps, written
//! as a TUM-layout RGB-D folder (`rgb/*.png`, `depth/*.png` 16-bit with
//! 5000 per metre, `rgb.txt`, `depth.txt`, `groundtruth.txt`) and, with the
//! `video` feature, as `video.mp4` through OpenCV's VideoWriter.
//!
//! Frames render in parallel (rayon) in chunks and are written in order.
//! The folder is assembled under a temporary name and renamed into place,
//! so it appears whole or not at all; so does the mp4.

use super::camera::CameraPath;
use super::render::{Frame, Renderer};
use crate::trajectory::Trajectory;
use rayon::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Frames rendered in parallel before they are written in order.
const CHUNK_FRAMES: usize = 16;

/// Errors writing videos and RGB-D folders.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: PNG encoding failed: {message}")]
    Png { path: String, message: String },
    #[error("{path}: {message}")]
    Writer { path: String, message: String },
    #[error("frame rate must be positive and finite, got {fps}")]
    BadFps { fps: f64 },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> VideoError + '_ {
    move |source| VideoError::Io { path: path.display().to_string(), source }
}

/// Receives rendered frames in order (e.g. an mp4 encoder).
pub trait FrameSink {
    fn push(&mut self, frame: &Frame) -> Result<(), VideoError>;
}

/// The file name of frame `t` in the RGB-D folder (`0.033333.png`).
pub fn frame_name(t: f64) -> String {
    format!("{t:.6}.png")
}

/// Renders the path at `fps` (frame i at t = i / fps), writes the RGB-D
/// folder `dir` (created; replaced if it exists) and hands each frame to
/// `sink`. `progress` is called with the number of frames done. Returns
/// the ground-truth trajectory of the frames.
pub fn render_rgbd(
    renderer: &Renderer,
    path: &CameraPath,
    fps: f64,
    dir: &Path,
    mut sink: Option<&mut dyn FrameSink>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Trajectory, VideoError> {
    if !(fps.is_finite() && fps > 0.0) {
        return Err(VideoError::BadFps { fps });
    }
    let traj = path.trajectory(fps);
    let tmp = temp_sibling(dir);
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    let result = (|| {
        let rgb_dir = tmp.join("rgb");
        let depth_dir = tmp.join("depth");
        std::fs::create_dir_all(&rgb_dir).map_err(io_err(&rgb_dir))?;
        std::fs::create_dir_all(&depth_dir).map_err(io_err(&depth_dir))?;
        let shutter = renderer.config.shutter;
        let mut done = 0;
        for (c, chunk) in traj.poses.chunks(CHUNK_FRAMES).enumerate() {
            let frames: Vec<Result<Frame, VideoError>> = chunk
                .par_iter()
                .enumerate()
                .map(|(j, pose)| {
                    let index = (c * CHUNK_FRAMES + j) as u32;
                    let prev = renderer.config.motion_blur.then(|| path.pose_at(pose.t - shutter));
                    let frame = renderer.render(&pose.world_from_camera, prev.as_ref(), pose.t, index);
                    let name = frame_name(pose.t);
                    write_png_rgb(&rgb_dir.join(&name), &frame)?;
                    write_png_depth(&depth_dir.join(&name), &frame)?;
                    Ok(frame)
                })
                .collect();
            for f in frames {
                let f = f?;
                if let Some(s) = sink.as_deref_mut() {
                    s.push(&f)?;
                }
                done += 1;
                progress(done);
            }
        }
        let mut rgb_txt = String::from("# color images\n# file: roomscribe synth video\n# timestamp filename\n");
        let mut depth_txt = String::from("# depth maps (16-bit PNG, 5000 = 1 m, 0 = no depth)\n# file: roomscribe synth video\n# timestamp filename\n");
        for p in &traj.poses {
            let name = frame_name(p.t);
            let _ = writeln!(rgb_txt, "{:.6} rgb/{name}", p.t);
            let _ = writeln!(depth_txt, "{:.6} depth/{name}", p.t);
        }
        let write = |name: &str, text: &str| {
            let p = tmp.join(name);
            std::fs::write(&p, text).map_err(io_err(&p))
        };
        write("rgb.txt", &rgb_txt)?;
        write("depth.txt", &depth_txt)?;
        write("groundtruth.txt", &traj.to_tum())?;
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(io_err(dir))?;
        }
        std::fs::rename(&tmp, dir).map_err(io_err(dir))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result.map(|_| traj)
}

fn temp_sibling(dir: &Path) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "rgbd".into());
    dir.with_file_name(format!(".{name}.tmp{}", std::process::id()))
}

fn png_err(path: &Path) -> impl FnOnce(png::EncodingError) -> VideoError + '_ {
    move |e| VideoError::Png { path: path.display().to_string(), message: e.to_string() }
}

/// Writes the frame's colour as an 8-bit RGB PNG.
pub fn write_png_rgb(path: &Path, frame: &Frame) -> Result<(), VideoError> {
    write_png(path, frame.width, frame.height, png::ColorType::Rgb, png::BitDepth::Eight, &frame.rgb)
}

/// Writes the frame's depth as a 16-bit grey PNG (5000 per metre).
pub fn write_png_depth(path: &Path, frame: &Frame) -> Result<(), VideoError> {
    let bytes: Vec<u8> = frame.depth.iter().flat_map(|d| d.to_be_bytes()).collect();
    write_png(path, frame.width, frame.height, png::ColorType::Grayscale, png::BitDepth::Sixteen, &bytes)
}

fn write_png(path: &Path, w: u32, h: u32, color: png::ColorType, depth: png::BitDepth, data: &[u8]) -> Result<(), VideoError> {
    let file = std::fs::File::create(path).map_err(io_err(path))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(color);
    enc.set_depth(depth);
    enc.set_compression(png::Compression::Fast);
    let mut writer = enc.write_header().map_err(png_err(path))?;
    writer.write_image_data(data).map_err(png_err(path))?;
    writer.finish().map_err(png_err(path))
}

/// Reads a 16-bit depth PNG back (for tests and tools): (width, height, values).
pub fn read_png_depth(path: &Path) -> Result<(u32, u32, Vec<u16>), VideoError> {
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let dec = png::Decoder::new(std::io::BufReader::new(file));
    let perr = |e: png::DecodingError| VideoError::Png { path: path.display().to_string(), message: e.to_string() };
    let mut reader = dec.read_info().map_err(perr)?;
    let size = reader.output_buffer_size().ok_or_else(|| VideoError::Png { path: path.display().to_string(), message: "image too large".into() })?;
    let mut buf = vec![0u8; size];
    let info = reader.next_frame(&mut buf).map_err(perr)?;
    if info.bit_depth != png::BitDepth::Sixteen || info.color_type != png::ColorType::Grayscale {
        return Err(VideoError::Png { path: path.display().to_string(), message: "expected a 16-bit grey PNG".into() });
    }
    let vals = buf[..info.buffer_size()].chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
    Ok((info.width, info.height, vals))
}

/// An mp4 encoder (OpenCV VideoWriter; H.264 `avc1` when the FFmpeg
/// backend offers it, else MPEG-4 Part 2 `mp4v`). Writes to a temporary
/// file and renames it into place in [`Mp4Writer::finish`].
#[cfg(feature = "video")]
pub struct Mp4Writer {
    writer: opencv::videoio::VideoWriter,
    tmp: PathBuf,
    path: PathBuf,
    width: u32,
    height: u32,
    /// The fourcc actually used.
    pub fourcc: &'static str,
}

#[cfg(feature = "video")]
impl Mp4Writer {
    /// Opens `path` for `width` x `height` frames at `fps`.
    pub fn create(path: &Path, width: u32, height: u32, fps: f64) -> Result<Mp4Writer, VideoError> {
        use opencv::prelude::*;
        use opencv::videoio::VideoWriter;
        let werr = |m: String| VideoError::Writer { path: path.display().to_string(), message: m };
        let tmp = path.with_file_name(format!(".{}.tmp{}.mp4", path.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default(), std::process::id()));
        let tmp_s = tmp.to_str().ok_or_else(|| werr("path is not valid UTF-8".into()))?.to_string();
        let size = opencv::core::Size::new(width as i32, height as i32);
        for (name, cc) in [("avc1", ['a', 'v', 'c', '1']), ("mp4v", ['m', 'p', '4', 'v'])] {
            let fourcc = VideoWriter::fourcc(cc[0], cc[1], cc[2], cc[3]).map_err(|e| werr(e.to_string()))?;
            let writer = VideoWriter::new(&tmp_s, fourcc, fps, size, true).map_err(|e| werr(e.to_string()))?;
            if writer.is_opened().unwrap_or(false) {
                return Ok(Mp4Writer { writer, tmp, path: path.to_path_buf(), width, height, fourcc: name });
            }
        }
        let _ = std::fs::remove_file(&tmp);
        Err(werr("OpenCV could not open an mp4 writer (neither avc1 nor mp4v); is OpenCV built with FFmpeg?".into()))
    }

    /// Closes the file and moves it into place.
    pub fn finish(mut self) -> Result<(), VideoError> {
        use opencv::prelude::*;
        self.writer
            .release()
            .map_err(|e| VideoError::Writer { path: self.path.display().to_string(), message: e.to_string() })?;
        std::fs::rename(&self.tmp, &self.path).map_err(io_err(&self.path))
    }
}

#[cfg(feature = "video")]
impl FrameSink for Mp4Writer {
    fn push(&mut self, frame: &Frame) -> Result<(), VideoError> {
        use opencv::prelude::*;
        let werr = |m: String| VideoError::Writer { path: self.path.display().to_string(), message: m };
        if frame.width != self.width || frame.height != self.height {
            return Err(werr(format!("frame is {}x{}, the video {}x{}", frame.width, frame.height, self.width, self.height)));
        }
        let mut mat = opencv::core::Mat::new_rows_cols_with_default(
            self.height as i32,
            self.width as i32,
            opencv::core::CV_8UC3,
            opencv::core::Scalar::all(0.0),
        )
        .map_err(|e| werr(e.to_string()))?;
        let bytes = mat.data_bytes_mut().map_err(|e| werr(e.to_string()))?;
        for (dst, src) in bytes.chunks_exact_mut(3).zip(frame.rgb.chunks_exact(3)) {
            dst[0] = src[2];
            dst[1] = src[1];
            dst[2] = src[0];
        }
        self.writer.write(&mat).map_err(|e| werr(e.to_string()))
    }
}

#[cfg(feature = "video")]
impl Drop for Mp4Writer {
    fn drop(&mut self) {
        // A writer dropped without finish() leaves no half-written file.
        if self.tmp.exists() {
            use opencv::prelude::*;
            let _ = self.writer.release();
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::bvh::{Bvh, Geometry};
    use crate::synth::camera::{plan_path, tests::two_room_world, Intrinsics, PathConfig};
    use crate::synth::render::RenderConfig;
    use crate::synth::texture::Lighting;

    #[test]
    fn rgbd_folder_layout_and_depth_round_trip() {
        let (w, layout, rooms) = two_room_world();
        let g = Geometry::from_world(&w);
        let bvh = Bvh::build(&g);
        let lighting = Lighting::from_rooms(&rooms);
        let mut path = plan_path(&g, &bvh, &layout, &rooms, &PathConfig::default(), 2).unwrap();
        path.truncate(0.5);
        let r = Renderer {
            geometry: &g,
            lighting: &lighting,
            intrinsics: Intrinsics::for_size(64, 48),
            config: RenderConfig { motion_blur: true, ..RenderConfig::default() },
        };
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("rgbd");
        let traj = render_rgbd(&r, &path, 10.0, &dir, None, &|_| {}).unwrap();
        assert_eq!(traj.poses.len(), 6);
        let rgb_txt = std::fs::read_to_string(dir.join("rgb.txt")).unwrap();
        assert!(rgb_txt.contains("0.100000 rgb/0.100000.png"));
        let gt = Trajectory::read_tum(&dir.join("groundtruth.txt")).unwrap();
        assert_eq!(gt.poses.len(), 6);
        assert!((gt.poses[3].t - 0.3).abs() < 1e-9);
        let (dw, dh, d) = read_png_depth(&dir.join("depth/0.300000.png")).unwrap();
        assert_eq!((dw, dh), (64, 48));
        let f = r.render(&traj.poses[3].world_from_camera, None, 0.3, 3);
        assert_eq!(d, f.depth);
        assert!(d.iter().all(|&v| v > 0));
        assert!(render_rgbd(&r, &path, 0.0, &dir, None, &|_| {}).is_err());
    }
}
