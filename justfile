# Everyday tasks. Plain cargo works too: each recipe is one cargo command.

# Run every test (what CI runs).
test:
    cargo test --workspace --release

# The default campaign: random faults over 3- and 5-server clusters.
run *ARGS:
    cargo run --release -- {{ARGS}}

# A larger campaign; pass e.g. `just campaign --seeds 100000 --variant zk-1419`.
campaign *ARGS:
    cargo run --release -- campaign {{ARGS}}

# Replay one seed as a readable server log.
replay NODES SEED:
    cargo run --release -- run --nodes {{NODES}} --seed {{SEED}} --faults random --describe

# Engine speed figures for the README.
bench:
    cargo run --release -- bench --json

# Formatting, lints, tests and the bounded campaign, exactly as CI runs them.
ci:
    bash .ci/run
