//! The `zabsim` command line.

/// mimalloc instead of the system allocator: a simulated run allocates and frees many small
/// messages, txns and tree nodes, and glibc's malloc was about a tenth of a lock-client run's
/// profile. Allocation never feeds back into a simulation, so results are unchanged.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(zabsim_sim::cli::main());
}
