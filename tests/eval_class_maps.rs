//! The class-mapping data files under `eval/` agree with the code
//! (`ObjectClass::benchmark`, `ObjectClass::from_nyu40`). Regenerate them
//! after a deliberate change with `ROOMSCRIBE_WRITE_CLASS_MAPS=1 cargo test
//! --no-default-features --test eval_class_maps`.

use roomscribe::eval::scene::benchmark_class_of;
use roomscribe::layout::ObjectClass;
use serde_json::{json, Map, Value};

/// ScanNet's NYU40 label names, ids 1..=40 in order (ScanNet spells
/// "refridgerator").
const NYU40: [&str; 40] = [
    "wall", "floor", "cabinet", "bed", "chair", "sofa", "table", "door", "window", "bookshelf", "picture", "counter",
    "blinds", "desk", "shelves", "curtain", "dresser", "pillow", "mirror", "floor mat", "clothes", "ceiling", "books",
    "refridgerator", "television", "paper", "towel", "shower curtain", "box", "whiteboard", "person", "night stand",
    "toilet", "sink", "lamp", "bathtub", "bag", "otherstructure", "otherfurniture", "otherprop",
];

fn spatiallm_map() -> Value {
    let mut m = Map::new();
    for c in ObjectClass::VOCABULARY {
        m.insert(c.name().into_owned(), c.benchmark().map_or(Value::Null, |b| json!(b.name())));
    }
    json!({
        "description": "SpatialLM's 59 object classes -> the 20 benchmark classes its object F1 reports (null: not scored)",
        "source": "roomscribe::layout::ObjectClass::benchmark",
        "map": m,
    })
}

fn nyu40_map() -> Value {
    let mut m = Map::new();
    for (i, n) in NYU40.iter().enumerate() {
        let b = ObjectClass::from_nyu40(n).and_then(|c| c.benchmark());
        m.insert(n.to_string(), json!({"id": i + 1, "benchmark": b.map(|b| b.name())}));
    }
    json!({
        "description": "ScanNet NYU40 classes -> the 20 benchmark object classes (null: not scored as an object; wall/door/window are layout classes)",
        "source": "roomscribe::layout::ObjectClass::from_nyu40 then ObjectClass::benchmark",
        "map": m,
    })
}

fn check(file: &str, want: Value) {
    let path = format!("{}/eval/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = serde_json::to_string_pretty(&want).unwrap() + "\n";
    if std::env::var_os("ROOMSCRIBE_WRITE_CLASS_MAPS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let have: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(have, want, "{file} disagrees with the code; see this test's header");
}

#[test]
fn spatiallm59_to_20_file_matches_code() {
    check("class_map_spatiallm59_to_20.json", spatiallm_map());
    let v = spatiallm_map();
    assert_eq!(v["map"].as_object().unwrap().len(), 59);
    // Every benchmark class is reachable.
    let targets: std::collections::BTreeSet<&str> =
        v["map"].as_object().unwrap().values().filter_map(|x| x.as_str()).collect();
    assert_eq!(targets.len(), 20);
}

#[test]
fn nyu40_to_20_file_matches_code_and_the_box_list_reader() {
    check("class_map_nyu40_to_20.json", nyu40_map());
    for n in NYU40 {
        let via_file = ObjectClass::from_nyu40(n).and_then(|c| c.benchmark());
        // The box-list reader maps NYU40 names the same way (it tries our
        // and the benchmark's own spellings first, which agree where they
        // overlap).
        assert_eq!(benchmark_class_of(n), via_file, "{n}");
    }
}
