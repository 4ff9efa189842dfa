//! Charts and HTML reports from zabsim metrics. The charts arrive with the reports issue; this crate
//! exists now so the workspace has its final shape.

pub mod schema;
