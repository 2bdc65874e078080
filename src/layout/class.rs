//! Object classes: SpatialLM's 59-class vocabulary, the 20 benchmark classes
//! it is evaluated on, and ScanNet's NYU40 names.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

macro_rules! object_classes {
    ($( $variant:ident => $name:literal ),* $(,)?) => {
        /// A furniture / object class. The named variants are SpatialLM's
        /// 59-class vocabulary, spelled exactly as SpatialLM spells them
        /// (note the hyphens in `micro-wave_oven` and `floor-standing_lamp`).
        /// Names outside the vocabulary are kept as [`ObjectClass::Other`]
        /// and written back as `other:<name>`, never silently dropped.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ObjectClass {
            $( $variant, )*
            /// A class name outside the vocabulary, kept verbatim.
            Other(String),
        }

        impl ObjectClass {
            /// The 59 vocabulary classes in SpatialLM's order.
            pub const VOCABULARY: &'static [ObjectClass] = &[ $( ObjectClass::$variant, )* ];

            /// The SpatialLM spelling of this class (`other:<name>` for others).
            pub fn name(&self) -> std::borrow::Cow<'_, str> {
                match self {
                    $( ObjectClass::$variant => std::borrow::Cow::Borrowed($name), )*
                    ObjectClass::Other(n) => std::borrow::Cow::Owned(format!("other:{n}")),
                }
            }

            /// Parses a class name. Vocabulary names (and the `other:` prefix
            /// form) map to their variant; anything else becomes `Other(name)`.
            pub fn parse(name: &str) -> ObjectClass {
                let name = name.trim();
                match name {
                    $( $name => ObjectClass::$variant, )*
                    _ => match name.strip_prefix("other:") {
                        Some(rest) => {
                            // `other:bed` written by a tool that did not know
                            // the class still maps back to the vocabulary.
                            match ObjectClass::parse(rest) {
                                ObjectClass::Other(_) => ObjectClass::Other(rest.to_string()),
                                known => known,
                            }
                        }
                        None => ObjectClass::Other(name.to_string()),
                    },
                }
            }
        }
    };
}

object_classes! {
    Sofa => "sofa",
    Chair => "chair",
    DiningChair => "dining_chair",
    BarChair => "bar_chair",
    Stool => "stool",
    Bed => "bed",
    Pillow => "pillow",
    Wardrobe => "wardrobe",
    Nightstand => "nightstand",
    TvCabinet => "tv_cabinet",
    WineCabinet => "wine_cabinet",
    BathroomCabinet => "bathroom_cabinet",
    ShoeCabinet => "shoe_cabinet",
    EntranceCabinet => "entrance_cabinet",
    DecorativeCabinet => "decorative_cabinet",
    WashingCabinet => "washing_cabinet",
    WallCabinet => "wall_cabinet",
    Sideboard => "sideboard",
    Cupboard => "cupboard",
    CoffeeTable => "coffee_table",
    DiningTable => "dining_table",
    SideTable => "side_table",
    DressingTable => "dressing_table",
    Desk => "desk",
    IntegratedStove => "integrated_stove",
    GasStove => "gas_stove",
    RangeHood => "range_hood",
    MicroWaveOven => "micro-wave_oven",
    Sink => "sink",
    Stove => "stove",
    Refrigerator => "refrigerator",
    HandSink => "hand_sink",
    Shower => "shower",
    ShowerRoom => "shower_room",
    Toilet => "toilet",
    Tub => "tub",
    Illumination => "illumination",
    Chandelier => "chandelier",
    FloorStandingLamp => "floor-standing_lamp",
    WallDecoration => "wall_decoration",
    Painting => "painting",
    Curtain => "curtain",
    Carpet => "carpet",
    Plants => "plants",
    PottedBonsai => "potted_bonsai",
    Tv => "tv",
    Computer => "computer",
    AirConditioner => "air_conditioner",
    WashingMachine => "washing_machine",
    ClothesRack => "clothes_rack",
    Mirror => "mirror",
    Bookcase => "bookcase",
    Cushion => "cushion",
    Bar => "bar",
    Screen => "screen",
    CombinationSofa => "combination_sofa",
    DiningTableCombination => "dining_table_combination",
    LeisureTableAndChairCombination => "leisure_table_and_chair_combination",
    MultifunctionalCombinationBed => "multifunctional_combination_bed",
}

/// The 20 classes SpatialLM's object benchmark reports (ScanNet-derived).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BenchmarkClass {
    Curtain,
    Nightstand,
    Chandelier,
    Wardrobe,
    Bed,
    Sofa,
    Chair,
    Cabinet,
    DiningTable,
    Plants,
    TvCabinet,
    CoffeeTable,
    SideTable,
    AirConditioner,
    Dresser,
    Stool,
    Refrigerator,
    Painting,
    Carpet,
    Tv,
}

impl BenchmarkClass {
    /// All 20 benchmark classes, in the order SpatialLM's tables list them.
    pub const ALL: [BenchmarkClass; 20] = [
        BenchmarkClass::Curtain,
        BenchmarkClass::Nightstand,
        BenchmarkClass::Chandelier,
        BenchmarkClass::Wardrobe,
        BenchmarkClass::Bed,
        BenchmarkClass::Sofa,
        BenchmarkClass::Chair,
        BenchmarkClass::Cabinet,
        BenchmarkClass::DiningTable,
        BenchmarkClass::Plants,
        BenchmarkClass::TvCabinet,
        BenchmarkClass::CoffeeTable,
        BenchmarkClass::SideTable,
        BenchmarkClass::AirConditioner,
        BenchmarkClass::Dresser,
        BenchmarkClass::Stool,
        BenchmarkClass::Refrigerator,
        BenchmarkClass::Painting,
        BenchmarkClass::Carpet,
        BenchmarkClass::Tv,
    ];

    /// The benchmark's spelling (with spaces, as in SpatialLM's tables).
    pub fn name(self) -> &'static str {
        match self {
            BenchmarkClass::Curtain => "curtain",
            BenchmarkClass::Nightstand => "nightstand",
            BenchmarkClass::Chandelier => "chandelier",
            BenchmarkClass::Wardrobe => "wardrobe",
            BenchmarkClass::Bed => "bed",
            BenchmarkClass::Sofa => "sofa",
            BenchmarkClass::Chair => "chair",
            BenchmarkClass::Cabinet => "cabinet",
            BenchmarkClass::DiningTable => "dining table",
            BenchmarkClass::Plants => "plants",
            BenchmarkClass::TvCabinet => "tv cabinet",
            BenchmarkClass::CoffeeTable => "coffee table",
            BenchmarkClass::SideTable => "side table",
            BenchmarkClass::AirConditioner => "air conditioner",
            BenchmarkClass::Dresser => "dresser",
            BenchmarkClass::Stool => "stool",
            BenchmarkClass::Refrigerator => "refrigerator",
            BenchmarkClass::Painting => "painting",
            BenchmarkClass::Carpet => "carpet",
            BenchmarkClass::Tv => "tv",
        }
    }

    /// Parses a benchmark class name (spaces or underscores).
    pub fn parse(name: &str) -> Option<BenchmarkClass> {
        let n = name.trim().replace('_', " ");
        BenchmarkClass::ALL.iter().copied().find(|c| c.name() == n)
    }
}

impl fmt::Display for BenchmarkClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl ObjectClass {
    /// The benchmark class this vocabulary class is scored as, if any.
    /// The table is also shipped as data in `eval/class_map_spatiallm59_to_20.json`.
    pub fn benchmark(&self) -> Option<BenchmarkClass> {
        use BenchmarkClass as B;
        use ObjectClass as O;
        Some(match self {
            O::Curtain => B::Curtain,
            O::Nightstand => B::Nightstand,
            O::Chandelier | O::Illumination => B::Chandelier,
            O::Wardrobe => B::Wardrobe,
            O::Bed | O::MultifunctionalCombinationBed => B::Bed,
            O::Sofa | O::CombinationSofa => B::Sofa,
            O::Chair | O::DiningChair | O::BarChair => B::Chair,
            O::WineCabinet
            | O::BathroomCabinet
            | O::ShoeCabinet
            | O::EntranceCabinet
            | O::DecorativeCabinet
            | O::WashingCabinet
            | O::WallCabinet
            | O::Sideboard
            | O::Cupboard
            | O::Bookcase => B::Cabinet,
            O::DiningTable | O::DiningTableCombination => B::DiningTable,
            O::Plants | O::PottedBonsai => B::Plants,
            O::TvCabinet => B::TvCabinet,
            O::CoffeeTable => B::CoffeeTable,
            O::SideTable => B::SideTable,
            O::AirConditioner => B::AirConditioner,
            O::DressingTable => B::Dresser,
            O::Stool => B::Stool,
            O::Refrigerator => B::Refrigerator,
            O::Painting | O::WallDecoration => B::Painting,
            O::Carpet => B::Carpet,
            O::Tv => B::Tv,
            _ => return None,
        })
    }

    /// Maps a ScanNet NYU40 class name to our vocabulary, where one exists.
    pub fn from_nyu40(name: &str) -> Option<ObjectClass> {
        use ObjectClass as O;
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "cabinet" => O::Cupboard,
            "bed" => O::Bed,
            "chair" => O::Chair,
            "sofa" => O::Sofa,
            "table" => O::DiningTable,
            "bookshelf" => O::Bookcase,
            "picture" => O::Painting,
            "counter" => O::Bar,
            "desk" => O::Desk,
            "curtain" => O::Curtain,
            "dresser" => O::DressingTable,
            "pillow" => O::Pillow,
            "mirror" => O::Mirror,
            "floor mat" => O::Carpet,
            "refridgerator" | "refrigerator" => O::Refrigerator,
            "television" => O::Tv,
            "night stand" | "nightstand" => O::Nightstand,
            "toilet" => O::Toilet,
            "sink" => O::Sink,
            "lamp" => O::FloorStandingLamp,
            "bathtub" => O::Tub,
            "shower curtain" => O::Curtain,
            _ => return None,
        })
    }

    /// Where an object of this class is normally supported.
    pub fn support(&self) -> Support {
        use ObjectClass as O;
        match self {
            O::Painting
            | O::WallDecoration
            | O::Tv
            | O::AirConditioner
            | O::Curtain
            | O::WallCabinet
            | O::Mirror
            | O::RangeHood => Support::Wall,
            O::Chandelier | O::Illumination => Support::Ceiling,
            O::Pillow | O::Cushion | O::Computer | O::MicroWaveOven | O::GasStove | O::HandSink => {
                Support::Any
            }
            _ => Support::Floor,
        }
    }
}

/// Where a class of object rests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Stands on the floor (or on another object).
    Floor,
    /// Hangs on a wall.
    Wall,
    /// Hangs from the ceiling.
    Ceiling,
    /// Floor, another object or a wall (small items).
    Any,
}

impl fmt::Display for ObjectClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for ObjectClass {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for ObjectClass {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(ObjectClass::parse(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_has_59_unique_names_that_round_trip() {
        assert_eq!(ObjectClass::VOCABULARY.len(), 59);
        let mut names: Vec<_> = ObjectClass::VOCABULARY.iter().map(|c| c.name().to_string()).collect();
        for (c, n) in ObjectClass::VOCABULARY.iter().zip(&names) {
            assert_eq!(&ObjectClass::parse(n), c);
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 59);
        assert_eq!(ObjectClass::MicroWaveOven.name(), "micro-wave_oven");
    }

    #[test]
    fn unknown_names_are_kept() {
        let c = ObjectClass::parse("hammock");
        assert_eq!(c, ObjectClass::Other("hammock".into()));
        assert_eq!(c.name(), "other:hammock");
        assert_eq!(ObjectClass::parse("other:hammock"), c);
        assert_eq!(ObjectClass::parse("other:bed"), ObjectClass::Bed);
    }

    #[test]
    fn every_benchmark_class_has_a_source() {
        for b in BenchmarkClass::ALL {
            assert!(
                ObjectClass::VOCABULARY.iter().any(|c| c.benchmark() == Some(b)),
                "{b} has no vocabulary class"
            );
            assert_eq!(BenchmarkClass::parse(b.name()), Some(b));
        }
    }
}
