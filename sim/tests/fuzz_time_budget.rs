//! `zabsim fuzz --time`: wall-time budgets read as a person writes them, and a bad one says
//! what was expected.

use zabsim_sim::cli::fuzz::parse_duration;

#[test]
fn time_budgets_read_as_a_person_writes_them() {
    assert_eq!(parse_duration("60s"), Ok(60.0));
    assert_eq!(parse_duration("2m"), Ok(120.0));
    assert_eq!(parse_duration("1h 30m"), Ok(5400.0));
    assert_eq!(parse_duration("90"), Ok(90.0));
    assert_eq!(parse_duration("1500ms"), Ok(1.5));
}

#[test]
fn a_bad_time_budget_says_what_was_expected() {
    for bad in ["abc", "", "5 parsecs", "-3s"] {
        let e = parse_duration(bad).expect_err(bad);
        assert!(e.starts_with("--time: expected a duration like 60s"), "{bad}: {e}");
    }
    assert_eq!(parse_duration("0s"), Err("--time: expected a positive duration, got '0s'".to_string()));
}
