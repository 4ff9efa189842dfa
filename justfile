# Everyday tasks. Plain cargo works too: each recipe is one cargo command.

# Run every test as CI does: release speed with debug assertions on (the protocol's per-step
# invariants); `cargo test --workspace --release` runs the same tests without them.
test:
    cargo test --workspace --profile ci

# The default campaign (no arguments), or any zabsim command: `just run run --nodes 5 --seed 1`.
run *ARGS:
    cargo run --release -- {{ARGS}}

# A fuzz campaign; e.g. `just fuzz --time 60s --nodes 3..7 --variant zk-1419`.
fuzz *ARGS:
    cargo run --release -- fuzz {{ARGS}}

# Replay a scenario or a saved failure as a readable server log.
replay FILE:
    cargo run --release -- replay {{FILE}}

# Engine speed figures for the README.
bench:
    cargo run --release -- bench --json

# Formatting, lints, tests and the bounded campaign, exactly as CI runs them.
ci:
    bash .ci/run

# Sweep, report, and look at the report in a real headless browser (Debian's chromium:
# `apt-get install chromium`); the screenshot lands in target/report/screenshot.png.
report-check:
    cargo run --release -- sweep scenarios/sweeps/default.json --out target/results.json
    cargo run --release -- report target/results.json --out target/report
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d)" --window-size=1280,3000 \
        --screenshot="$(pwd)/target/report/screenshot.png" "file://$(pwd)/target/report/index.html"

# Real ZooKeeper 3.8 (Debian's package: `apt-get install -y zookeeper`) against the model on
# the same schedule: `just conform --nodes 5 --trials 10`, `just conform --case cold-start`.
conform *ARGS:
    cargo run --release -- conform {{ARGS}}

# Real ZooKeeper 3.8 (apt-get install -y zookeeper): kill-leader trials on 3 and 5 servers,
# per-trial figures and the timing distributions; CONFORM_TRIALS / CONFORM_NODES to change.
conform-real:
    cargo test --release -p zabsim-sim --test conform_live -- --ignored --nocapture
