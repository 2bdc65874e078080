use super::{print_json, Ctx, Outcome};
use serde_json::json;

/// Check the installation: ONNX Runtime library, execution providers, video support.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the findings as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args, _ctx: Ctx) -> anyhow::Result<Outcome> {
    let runtime = crate::model::runtime::runtime_info();
    let video = cfg!(feature = "video");
    let report = json!({
        "version": crate::VERSION,
        "onnxruntime": match &runtime {
            Ok(info) => json!({"ok": true, "library": info.library, "providers": info.providers}),
            Err(e) => json!({"ok": false, "error": e.to_string()}),
        },
        "video": video,
    });
    if a.json {
        print_json(&report)?;
    } else {
        eprintln!("roomscribe {}", crate::VERSION);
        match &runtime {
            Ok(info) => eprintln!(
                "  ONNX Runtime: {} (providers: {})",
                info.library.display(),
                info.providers.join(", ")
            ),
            Err(e) => eprintln!("  ONNX Runtime: missing: {e}"),
        }
        eprintln!("  video (OpenCV): {}", if video { "built in" } else { "not built (cargo feature `video`)" });
    }
    Ok(if runtime.is_ok() { Outcome::Success } else { Outcome::CheckFailed })
}
