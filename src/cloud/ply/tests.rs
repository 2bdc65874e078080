use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn read(text: &str) -> Result<PlyRead, PlyError> {
    read_ply_bytes(text.as_bytes(), "t.ply")
}

fn err(bytes: &[u8]) -> String {
    match read_ply_bytes(bytes, "bad.ply") {
        Ok(r) => panic!("expected an error, read {} points", r.cloud.len()),
        Err(e) => e.to_string(),
    }
}

/// A binary value of a given PLY type, for building test files.
#[derive(Clone, Copy)]
enum V {
    I8(i8),
    U8(u8),
    I16(i16),
    U16(u16),
    I32(i32),
    U32(u32),
    F32(f32),
    F64(f64),
}

fn encode_values(values: &[V], big: bool) -> Vec<u8> {
    let mut out = Vec::new();
    macro_rules! put {
        ($x:expr) => {
            out.extend_from_slice(&if big { $x.to_be_bytes() } else { $x.to_le_bytes() })
        };
    }
    for v in values {
        match *v {
            V::I8(x) => put!(x),
            V::U8(x) => put!(x),
            V::I16(x) => put!(x),
            V::U16(x) => put!(x),
            V::I32(x) => put!(x),
            V::U32(x) => put!(x),
            V::F32(x) => put!(x),
            V::F64(x) => put!(x),
        }
    }
    out
}

fn binary_file(header_body: &str, values: &[V], big: bool) -> Vec<u8> {
    let fmt = if big { "binary_big_endian" } else { "binary_little_endian" };
    let mut bytes = format!("ply\nformat {fmt} 1.0\n{header_body}end_header\n").into_bytes();
    bytes.extend(encode_values(values, big));
    bytes
}

#[test]
fn ascii_with_colours_normals_and_comments() {
    let text = "ply\nformat ascii 1.0\ncomment made by hand\nobj_info scanner x\nelement vertex 3\n\
        property float x\nproperty float y\nproperty float z\n\
        property uchar red\nproperty uchar green\nproperty uchar blue\n\
        property float nx\nproperty float ny\nproperty float nz\nend_header\n\
        0 0 0 255 0 0 0 0 1\n1.5 -2 3e-1 0 128 255 1 0 0\n\n  -1 2 3   1 2 3 0 1 0  \n";
    let r = read(text).unwrap();
    assert_eq!(r.cloud.points, vec![[0.0, 0.0, 0.0], [1.5, -2.0, 0.3], [-1.0, 2.0, 3.0]]);
    assert_eq!(r.cloud.colors, Some(vec![[255, 0, 0], [0, 128, 255], [1, 2, 3]]));
    assert_eq!(r.cloud.normals, Some(vec![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]));
    assert_eq!(r.dropped_nonfinite, 0);
    assert_eq!(r.skipped_faces, 0);
}

#[test]
fn crlf_header_and_lines() {
    let text = "ply\r\nformat ascii 1.0\r\nelement vertex 1\r\nproperty float x\r\nproperty float y\r\nproperty float z\r\nend_header\r\n1 2 3\r\n";
    let r = read(text).unwrap();
    assert_eq!(r.cloud.points, vec![[1.0, 2.0, 3.0]]);
    assert!(r.cloud.colors.is_none() && r.cloud.normals.is_none());
}

const XYZ_RGB: &str = "element vertex 2\nproperty float x\nproperty float y\nproperty float z\n\
    property uchar red\nproperty uchar green\nproperty uchar blue\n";

#[test]
fn binary_little_and_big_endian() {
    let values = [
        V::F32(1.0),
        V::F32(-2.5),
        V::F32(3.25),
        V::U8(10),
        V::U8(20),
        V::U8(30),
        V::F32(4.0),
        V::F32(5.0),
        V::F32(6.0),
        V::U8(200),
        V::U8(100),
        V::U8(0),
    ];
    for big in [false, true] {
        let r = read_ply_bytes(&binary_file(XYZ_RGB, &values, big), "b.ply").unwrap();
        assert_eq!(r.cloud.points, vec![[1.0, -2.5, 3.25], [4.0, 5.0, 6.0]], "big={big}");
        assert_eq!(r.cloud.colors, Some(vec![[10, 20, 30], [200, 100, 0]]), "big={big}");
        assert!(r.cloud.normals.is_none());
    }
}

#[test]
fn mixed_property_types_both_endians() {
    // double xyz, an int extra, float normals, uchar colours, short and char extras,
    // in an unusual order.
    let header = "element vertex 2\nproperty int id\nproperty double x\nproperty float nx\nproperty double y\n\
        property uchar red\nproperty double z\nproperty short s\nproperty float ny\nproperty uchar green\n\
        property char c\nproperty float nz\nproperty uchar blue\nproperty uint u\nproperty ushort us\nproperty int8 i8\n";
    let rec = |id: i32, p: [f64; 3], n: [f32; 3], c: [u8; 3]| {
        vec![
            V::I32(id),
            V::F64(p[0]),
            V::F32(n[0]),
            V::F64(p[1]),
            V::U8(c[0]),
            V::F64(p[2]),
            V::I16(-7),
            V::F32(n[1]),
            V::U8(c[1]),
            V::I8(-1),
            V::F32(n[2]),
            V::U8(c[2]),
            V::U32(u32::MAX),
            V::U16(9),
            V::I8(3),
        ]
    };
    let mut values = rec(7, [0.5, 1.5, 2.5], [0.0, 0.0, 1.0], [1, 2, 3]);
    values.extend(rec(-3, [-10.0, 1e3, 0.125], [1.0, 0.0, 0.0], [250, 251, 252]));
    for big in [false, true] {
        let r = read_ply_bytes(&binary_file(header, &values, big), "m.ply").unwrap();
        assert_eq!(r.cloud.points, vec![[0.5, 1.5, 2.5], [-10.0, 1000.0, 0.125]]);
        assert_eq!(r.cloud.normals, Some(vec![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]));
        assert_eq!(r.cloud.colors, Some(vec![[1, 2, 3], [250, 251, 252]]));
    }
}

#[test]
fn integer_coordinates_and_float_colours() {
    let header = "element vertex 2\nproperty short x\nproperty int y\nproperty uint8 z\n\
        property float red\nproperty float32 green\nproperty double blue\nproperty float alpha\n";
    let values = [
        V::I16(-3),
        V::I32(100000),
        V::U8(7),
        V::F32(1.0),
        V::F32(0.5),
        V::F64(0.0),
        V::F32(1.0),
        V::I16(1),
        V::I32(-2),
        V::U8(0),
        V::F32(2.0), // out of 0..1: clamped
        V::F32(-1.0),
        V::F64(0.2),
        V::F32(1.0),
    ];
    let r = read_ply_bytes(&binary_file(header, &values, false), "i.ply").unwrap();
    assert_eq!(r.cloud.points, vec![[-3.0, 100000.0, 7.0], [1.0, -2.0, 0.0]]);
    assert_eq!(r.cloud.colors, Some(vec![[255, 128, 0], [255, 0, 51]]));
}

#[test]
fn extra_properties_are_skipped_in_ascii() {
    let text = "ply\nformat ascii 1.0\nelement vertex 2\nproperty float confidence\nproperty float x\n\
        property float y\nproperty float intensity\nproperty float z\nproperty list uchar int tags\nend_header\n\
        0.9 1 2 77 3 2 5 6\n0.1 4 5 78 6 0\n";
    let r = read(text).unwrap();
    assert_eq!(r.cloud.points, vec![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
}

const MESH_HEADER: &str = "element vertex 4\nproperty float x\nproperty float y\nproperty float z\n\
    element face 2\nproperty list uchar int vertex_indices\nproperty uchar flags\n\
    element edge 1\nproperty int vertex1\nproperty int vertex2\n";

#[test]
fn ascii_mesh_with_faces_and_edges() {
    let text = format!(
        "ply\nformat ascii 1.0\n{MESH_HEADER}end_header\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2 9\n4 0 1 2 3 1\n0 1\n"
    );
    let r = read(&text).unwrap();
    assert_eq!(r.cloud.len(), 4);
    assert_eq!(r.skipped_faces, 2);
}

#[test]
fn binary_mesh_with_faces_both_endians() {
    let mut values = vec![];
    for p in [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]] {
        values.extend(p.map(V::F32));
    }
    values.extend([V::U8(3), V::I32(0), V::I32(1), V::I32(2), V::U8(0)]);
    values.extend([V::U8(4), V::I32(0), V::I32(1), V::I32(2), V::I32(3), V::U8(1)]);
    values.extend([V::I32(0), V::I32(1)]);
    for big in [false, true] {
        let r = read_ply_bytes(&binary_file(MESH_HEADER, &values, big), "mesh.ply").unwrap();
        assert_eq!(r.cloud.points[2], [1.0, 1.0, 0.0]);
        assert_eq!(r.cloud.len(), 4);
        assert_eq!(r.skipped_faces, 2);
    }
}

#[test]
fn faces_before_vertices_and_vertex_with_list() {
    // Faces first, then a vertex element that itself carries a list property.
    let header = "element face 1\nproperty list uchar uint idx\n\
        element vertex 2\nproperty float x\nproperty list ushort float extra\nproperty float y\nproperty float z\n";
    let values = [
        V::U8(2),
        V::U32(0),
        V::U32(1),
        V::F32(1.0),
        V::U16(2),
        V::F32(9.0),
        V::F32(9.0),
        V::F32(2.0),
        V::F32(3.0),
        V::F32(4.0),
        V::U16(0),
        V::F32(5.0),
        V::F32(6.0),
    ];
    let r = read_ply_bytes(&binary_file(header, &values, false), "f.ply").unwrap();
    assert_eq!(r.cloud.points, vec![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    assert_eq!(r.skipped_faces, 1);
}

#[test]
fn nonfinite_points_are_dropped_and_counted() {
    let text = "ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\nproperty float z\n\
        property uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n\
        1 2 3 1 1 1\nnan 0 0 2 2 2\n0 inf 0 3 3 3\n4 5 6 4 4 4\n";
    let r = read(text).unwrap();
    assert_eq!(r.cloud.points, vec![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    assert_eq!(r.cloud.colors, Some(vec![[1, 1, 1], [4, 4, 4]]));
    assert_eq!(r.dropped_nonfinite, 2);

    // Binary: NaN, and a double too large for f32.
    let header = "element vertex 3\nproperty double x\nproperty double y\nproperty double z\n";
    let values = [1.0, 2.0, 3.0, f64::NAN, 0.0, 0.0, 1e300, 0.0, 0.0].map(V::F64);
    let r = read_ply_bytes(&binary_file(header, &values, false), "n.ply").unwrap();
    assert_eq!(r.cloud.points, vec![[1.0, 2.0, 3.0]]);
    assert_eq!(r.dropped_nonfinite, 2);
}

fn sample_cloud(n: usize, colors: bool, normals: bool) -> PointCloud {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let points: Vec<[f32; 3]> = (0..n).map(|_| [rng.random::<f32>() * 10.0 - 5.0, rng.random(), -rng.random::<f32>() * 1e-6]).collect();
    PointCloud {
        colors: colors.then(|| (0..n).map(|_| [rng.random(), rng.random(), rng.random()]).collect()),
        normals: normals.then(|| (0..n).map(|_| [rng.random(), rng.random::<f32>() - 0.5, 1e20]).collect()),
        points,
    }
}

#[test]
fn round_trip_all_encodings() {
    let dir = tempfile::tempdir().unwrap();
    for enc in [PlyEncoding::Ascii, PlyEncoding::BinaryLittleEndian, PlyEncoding::BinaryBigEndian] {
        for (colors, normals) in [(true, true), (false, false), (true, false), (false, true)] {
            let cloud = sample_cloud(257, colors, normals);
            let path = dir.path().join(format!("{enc:?}-{colors}-{normals}.ply"));
            write_ply(&path, &cloud, enc).unwrap();
            let r = read_ply(&path).unwrap();
            assert_eq!(r.cloud, cloud, "{enc:?} colors={colors} normals={normals}");
            assert_eq!(r.dropped_nonfinite, 0);
        }
        // Empty cloud.
        let path = dir.path().join("empty.ply");
        write_ply(&path, &PointCloud::default(), enc).unwrap();
        assert!(read_ply(&path).unwrap().cloud.is_empty());
    }
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(names.iter().all(|n| !n.to_string_lossy().starts_with('.')), "{names:?}");
}

#[test]
fn write_rejects_inconsistent_cloud_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.ply");
    let mut cloud = sample_cloud(3, true, false);
    cloud.colors.as_mut().unwrap().pop();
    let e = write_ply(&path, &cloud, PlyEncoding::BinaryLittleEndian).unwrap_err().to_string();
    assert!(e.contains("3 points but 2 colours"), "{e}");
    assert!(!path.exists());
}

#[test]
fn default_encoding_is_binary_little_endian() {
    let mut buf = Vec::new();
    write_ply_to(&mut buf, &sample_cloud(2, true, true), PlyEncoding::default()).unwrap();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("ply\nformat binary_little_endian 1.0\n"));
    let order: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("property ")).collect();
    assert_eq!(
        order,
        ["float x", "float y", "float z", "uchar red", "uchar green", "uchar blue", "float nx", "float ny", "float nz"]
    );
}

const ASCII_HEAD: &str = "ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nend_header\n";

#[test]
fn corruption_not_a_ply() {
    let e = err(b"PK\x03\x04 zip file");
    assert!(e.contains("bad.ply") && e.contains("not a PLY file"), "{e}");
    assert!(err(b"").contains("not a PLY file"));
    assert!(err(b"plyx\n").contains("not a PLY file"));
}

#[test]
fn corruption_bad_header_lines() {
    let e = err(b"ply\nformat ascii 1.0\nelement vertex two\nend_header\n");
    assert!(e.contains("header line 3") && e.contains("`two` is not a non-negative integer"), "{e}");
    let e = err(b"ply\nformat ascii 1.0\nproperty float x\nend_header\n");
    assert!(e.contains("header line 3") && e.contains("before any `element`"), "{e}");
    let e = err(b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float128 x\nend_header\n");
    assert!(e.contains("header line 4") && e.contains("unknown property type `float128`"), "{e}");
    let e = err(b"ply\nformat ascii 1.0\nelement vertex 1\nfoo bar\nend_header\n");
    assert!(e.contains("unknown header keyword `foo`"), "{e}");
    let e = err(b"ply\nelement vertex 0\nend_header\n");
    assert!(e.contains("no `format` line"), "{e}");
    let e = err(b"ply\nformat ascii 1.0\nelement vertex 1\nproperty list float int x\nend_header\n");
    assert!(e.contains("non-integer count type"), "{e}");
}

#[test]
fn corruption_unsupported_format() {
    let e = err(b"ply\nformat binary_middle_endian 1.0\nend_header\n");
    assert!(e.contains("header line 2") && e.contains("unsupported format `binary_middle_endian 1.0`"), "{e}");
    let e = err(b"ply\nformat ascii 2.0\nend_header\n");
    assert!(e.contains("unsupported format `ascii 2.0`"), "{e}");
}

#[test]
fn corruption_missing_end_header() {
    let e = err(b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n");
    assert!(e.contains("no `end_header`"), "{e}");
}

#[test]
fn corruption_missing_coordinate_or_vertex() {
    let e = err(b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nend_header\n1 2\n");
    assert!(e.contains("no scalar property `z`"), "{e}");
    let e = err(b"ply\nformat ascii 1.0\nelement face 0\nproperty list uchar int vertex_indices\nend_header\n");
    assert!(e.contains("no `vertex` element"), "{e}");
}

#[test]
fn corruption_truncated_binary_and_ascii() {
    let values = [1.0f32, 2.0, 3.0, 4.0, 5.0].map(V::F32);
    let bytes = binary_file("element vertex 2\nproperty float x\nproperty float y\nproperty float z\n", &values, false);
    let e = err(&bytes);
    assert!(e.contains("truncated") && e.contains("declares 2 records but only 1 are present"), "{e}");
    assert!(e.contains("record 1 of `vertex`"), "{e}");

    let e = err(format!("{ASCII_HEAD}1 2 3\n").as_bytes());
    assert!(e.contains("truncated at end of file (line 9)") && e.contains("only 1 are present"), "{e}");

    // A face list running off the end.
    let mut values = vec![V::F32(0.0), V::F32(0.0), V::F32(0.0)];
    values.extend([V::U8(3), V::I32(0)]);
    let bytes = binary_file(
        "element vertex 1\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\n",
        &values,
        true,
    );
    let e = err(&bytes);
    assert!(e.contains("truncated") && e.contains("`face` declares 1 records but only 0"), "{e}");
}

#[test]
fn corruption_wrong_value_counts() {
    let e = err(format!("{ASCII_HEAD}1 2 3\n4 5\n").as_bytes());
    assert!(e.contains("line 9") && e.contains("needs 3 values but the line has 2"), "{e}");
    let e = err(format!("{ASCII_HEAD}1 2 3 4\n4 5 6\n").as_bytes());
    assert!(e.contains("line 8") && e.contains("needs 3 values but the line has 4"), "{e}");
    let e = err(format!("{ASCII_HEAD}1 2 3\n4 5 6\n7 8 9\n").as_bytes());
    assert!(e.contains("line 10") && e.contains("header's element counts are wrong"), "{e}");
    let values = [1.0f32, 2.0, 3.0, 4.0].map(V::F32);
    let e = err(&binary_file("element vertex 1\nproperty float x\nproperty float y\nproperty float z\n", &values, false));
    assert!(e.contains("unexpected data after the last declared record (4 bytes)"), "{e}");
    // Zero padding looks like extra records: rejected. A trailing newline is fine.
    let header = "element vertex 1\nproperty float x\nproperty float y\nproperty float z\n";
    let mut zeros = binary_file(header, &[V::F32(0.0); 3], false);
    zeros.extend([0u8; 12]);
    assert!(err(&zeros).contains("(12 bytes)"));
    let mut newline = binary_file(header, &[V::F32(0.0); 3], false);
    newline.push(b'\n');
    assert_eq!(read_ply_bytes(&newline, "nl.ply").unwrap().cloud.len(), 1);
    let e = err(
        b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\n\
          element face 1\nproperty list uchar int v\nend_header\n0 0 0\n3 1 2\n",
    );
    assert!(e.contains("line 11") && e.contains("needs 4 values but the line has 3"), "{e}");
}

#[test]
fn corruption_non_numeric_values() {
    let e = err(format!("{ASCII_HEAD}1 2 3\n4 five 6\n").as_bytes());
    assert!(e.contains("line 9") && e.contains("`five` is not a number (property `y` of `vertex`)"), "{e}");
    let e = err(
        b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\n\
          element face 1\nproperty list uchar int v\nend_header\n0 0 0\n-1 1 2\n",
    );
    assert!(e.contains("invalid length -1"), "{e}");
}

#[test]
fn ascii_vertex_without_newline_at_end_and_zero_vertices() {
    let r = read(&format!("{ASCII_HEAD}1 2 3\n4 5 6")).unwrap();
    assert_eq!(r.cloud.len(), 2);
    let r = read("ply\nformat binary_little_endian 1.0\nelement vertex 0\nproperty float x\nproperty float y\nproperty float z\nend_header").unwrap();
    assert!(r.cloud.is_empty());
}

#[test]
fn no_panic_on_truncations_and_random_bytes() {
    let mut files = Vec::new();
    for enc in [PlyEncoding::Ascii, PlyEncoding::BinaryLittleEndian, PlyEncoding::BinaryBigEndian] {
        let mut buf = Vec::new();
        write_ply_to(&mut buf, &sample_cloud(5, true, true), enc).unwrap();
        files.push(buf);
    }
    let mut mesh = MESH_HEADER.to_string();
    mesh.insert_str(0, "ply\nformat binary_big_endian 1.0\n");
    mesh.push_str("end_header\n");
    let mut mesh = mesh.into_bytes();
    mesh.extend(std::iter::repeat_n(7u8, 100));
    files.push(mesh);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut errors = 0usize;
    for f in &files {
        for cut in 0..f.len() {
            errors += read_ply_bytes(&f[..cut], "cut.ply").is_err() as usize;
        }
        for _ in 0..300 {
            let mut g = f.clone();
            for _ in 0..rng.random_range(1..6) {
                let i = rng.random_range(0..g.len());
                g[i] = rng.random();
            }
            let _ = read_ply_bytes(&g, "flip.ply");
        }
    }
    for _ in 0..300 {
        let n = rng.random_range(0..200);
        let mut g: Vec<u8> = (0..n).map(|_| rng.random()).collect();
        if rng.random_bool(0.5) {
            g.splice(0..0, b"ply\n".iter().copied());
        }
        let _ = read_ply_bytes(&g, "rand.ply");
    }
    // Nearly every cut of a file is an error (some cuts of ascii still parse).
    assert!(errors > files.iter().map(Vec::len).sum::<usize>() / 2);
}

#[test]
fn huge_declared_counts_do_not_allocate_or_hang() {
    let e = err(b"ply\nformat binary_little_endian 1.0\nelement vertex 18446744073709551615\nproperty float x\nproperty float y\nproperty float z\nend_header\n\x00\x00");
    assert!(e.contains("truncated"), "{e}");
    let e = err(b"ply\nformat ascii 1.0\nelement vertex 18446744073709551615\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 2 3\n");
    assert!(e.contains("truncated"), "{e}");
}

#[test]
fn read_ply_missing_file_names_the_path() {
    let e = read_ply(Path::new("/nonexistent/dir/scan.ply")).unwrap_err().to_string();
    assert!(e.contains("/nonexistent/dir/scan.ply") && e.contains("cannot read"), "{e}");
}
