//! Bad input is an error that says what was wrong, never a panic.

mod common;

use common::{sweep, Gen, REAL_TRACE};
use zabsim_reports::{parse_sweep, render_sweep, render_trace, render_trace_with, ReportError, TraceOptions};

/// The error's message, checked to contain every fragment.
fn expect_err(r: Result<Vec<std::path::PathBuf>, ReportError>, fragments: &[&str]) {
    let e = r.expect_err("bad input is an error");
    let msg = e.to_string();
    for f in fragments {
        assert!(msg.contains(f), "error {msg:?} should mention {f:?}");
    }
}

fn trace_err(trace: &str, fragments: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    expect_err(render_trace(trace, dir.path()), fragments);
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing written for bad input");
}

const HEADER: &str =
    r#"{"kind":"zabsim-trace","schema":2,"version":"0.1.0","seed":1,"scenario_hash":"x","nodes":3,"variants":[]}"#;

#[test]
fn malformed_traces() {
    trace_err("", &["bad input", "trace", "empty"]);
    trace_err("\n  \n", &["empty"]);
    trace_err("hello", &["trace line 1", "header"]);
    trace_err(
        r#"{"kind":"zabsim-sweep","schema":1,"version":"0","seed":1,"scenario_hash":"x","nodes":3}"#,
        &["trace line 1", "\"zabsim-sweep\"", "expected \"zabsim-trace\""],
    );
    trace_err(&HEADER.replace("\"schema\":2", "\"schema\":7"), &["trace line 1", "schema 7"]);
    // Schema 1 (English inputs and outputs) is refused, naming the schema this reader wants.
    trace_err(&HEADER.replace("\"schema\":2", "\"schema\":1"), &["trace line 1", "schema 1", "expected 2"]);
    trace_err(&HEADER.replace("\"nodes\":3", "\"nodes\":0"), &["trace line 1", "nodes is 0"]);
    trace_err(&format!("{HEADER}\n[1,2]"), &["trace line 2", "JSON object"]);
    trace_err(
        &format!("{HEADER}\n{{\"i\":1,\"t_us\":0,\"node\":1,\"input\":{{\"type\":\"start\",\"text\":\"start\"}}"),
        &["trace line 2", "not valid JSON"],
    );
    trace_err(
        &format!("{HEADER}\n{{\"i\":1,\"node\":1,\"input\":{{\"type\":\"start\",\"text\":\"start\"}}}}"),
        &["trace line 2", "missing field `t_us`"],
    );
    trace_err(
        &format!("{HEADER}\n{{\"i\":1,\"t_us\":\"soon\",\"input\":{{\"type\":\"x\",\"text\":\"x\"}}}}"),
        &["trace line 2", "t_us"],
    );
    trace_err(
        &format!("{HEADER}\n{{\"i\":1,\"t_us\":50,\"input\":{{\"type\":\"x\",\"text\":\"x\"}}}}\n{{\"i\":2,\"t_us\":40,\"input\":{{\"type\":\"y\",\"text\":\"y\"}}}}"),
        &["trace line 3", "time goes backwards", "40", "50"],
    );
    trace_err(
        &format!("{HEADER}\n{{\"i\":1,\"t_us\":5,\"node\":4,\"input\":{{\"type\":\"start\",\"text\":\"start\"}}}}"),
        &["trace line 2", "node 4", "3-server"],
    );
    trace_err(&format!("{HEADER}\n{{\"kind\":\"middle\"}}"), &["trace line 2", "unexpected kind \"middle\""]);
    trace_err(&format!("{HEADER}\n{{\"kind\":\"end\",\"lines\":\"x\"}}"), &["trace line 2", "closing line"]);
    trace_err(
        &format!("{HEADER}\n{{\"kind\":\"end\",\"lines\":1,\"hash\":\"0\"}}\n{{\"i\":1,\"t_us\":5,\"input\":{{\"type\":\"x\",\"text\":\"x\"}}}}"),
        &["trace line 3", "after the closing line (line 2)"],
    );
    // A line that is cut in the middle, inside a real trace: the line is named.
    let mut lines: Vec<&str> = REAL_TRACE.lines().collect();
    let cut = &lines[100][..40];
    lines[100] = cut;
    trace_err(&lines.join("\n"), &["trace line 101", "not valid JSON"]);
}

#[test]
fn mangled_traces_never_panic() {
    let bytes = REAL_TRACE.as_bytes();
    let mut g = Gen::new(7);
    for _ in 0..24 {
        let mut b = bytes[..g.below(bytes.len() as u64) as usize + 1].to_vec();
        for _ in 0..g.below(4) {
            let at = g.below(b.len() as u64) as usize;
            b[at] = {
                let alphabet = b"{}[]\":,0123456789 xs\n";
                alphabet[g.below(alphabet.len() as u64) as usize]
            };
        }
        let text = String::from_utf8_lossy(&b);
        let dir = tempfile::tempdir().unwrap();
        // Ok or Err, both fine: the point is no panic.
        let _ = render_trace(&text, dir.path());
    }
}

#[test]
fn bad_trace_options() {
    let dir = tempfile::tempdir().unwrap();
    let opts = TraceOptions { max_arrows: 10, window_us: Some((5_000, 5_000)) };
    expect_err(render_trace_with(REAL_TRACE, dir.path(), &opts), &["window_us", "5000"]);
    // A cap of zero draws no arrow, and is not an error.
    let opts = TraceOptions { max_arrows: 0, window_us: None };
    render_trace_with(REAL_TRACE, dir.path(), &opts).unwrap();
}

#[test]
fn malformed_sweeps() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sweep(1);
    s.schema = 1;
    expect_err(render_sweep(&s, dir.path()), &["schema", "version 1", "expected 3"]);

    let mut s = sweep(1);
    s.runs.clear();
    expect_err(render_sweep(&s, dir.path()), &["runs", "no runs"]);

    let mut s = sweep(1);
    s.runs[5].nodes = 0;
    expect_err(render_sweep(&s, dir.path()), &["runs[5].nodes", "at least 1"]);

    let mut s = sweep(1);
    s.runs[7].fault = " ".into();
    expect_err(render_sweep(&s, dir.path()), &["runs[7].fault", "empty"]);

    let mut s = sweep(1);
    s.runs[9].fault_windows = vec![(10, 20), (50, 40)];
    expect_err(render_sweep(&s, dir.path()), &["runs[9].fault_windows[1]", "before it starts"]);

    let mut s = sweep(1);
    s.runs[11].fault_at_us = 100;
    s.runs[11].fault_end_us = Some(50);
    expect_err(render_sweep(&s, dir.path()), &["runs[11].fault_end_us", "before fault_at_us"]);
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing written for bad input");
}

#[test]
fn malformed_sweep_json() {
    let e = parse_sweep("{\"schema\":1,").unwrap_err().to_string();
    assert!(e.contains("sweep results JSON") && e.contains("line 1"), "{e}");
    let e = parse_sweep("{\"schema\":1,\"command\":\"c\",\"grid_name\":\"g\",\"seeds\":1,\"runs\":[],\"extra\":2}")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `extra`"), "{e}");
    let e = parse_sweep("{\"schema\":1,\"command\":\"c\",\"grid_name\":\"g\",\"seeds\":1,\"runs\":[{\"nodes\":3}]}")
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing field"), "{e}");
    let e = parse_sweep("[]").unwrap_err().to_string();
    assert!(e.contains("sweep results JSON"), "{e}");
}

#[test]
fn unwritable_output_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let target = file.join("report");
    let e = render_sweep(&sweep(1), &target).unwrap_err();
    assert!(matches!(e, ReportError::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("not-a-dir"), "{e}");
    let e = render_trace(REAL_TRACE, &target).unwrap_err();
    assert!(e.to_string().contains("not-a-dir"), "{e}");
}
