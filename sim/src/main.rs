//! The `zabsim` command line.

fn main() {
    std::process::exit(zabsim_sim::cli::main());
}
