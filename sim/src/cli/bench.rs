//! `zabsim bench`: the engine's speed figures.

use clap::Args;

#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
    /// Print machine-readable figures.
    #[arg(long)]
    json: bool,
    /// Wall seconds to spend per figure.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
}

/// `zabsim bench`: returns the exit code.
pub(crate) fn bench(args: BenchArgs) -> i32 {
    let figures = crate::campaign::bench::figures(args.seconds);
    if args.json {
        crate::say!("{}", serde_json::to_string_pretty(&figures).expect("json"));
    } else {
        for (k, v) in figures.as_object().expect("object") {
            crate::say!("{k:>40}: {v}");
        }
    }
    0
}
