//! The error-code table in proto/README.md lists every code with its number and retry class,
//! so the documentation cannot drift from the enum.

use sluice_proto::ErrorCode;

#[test]
fn readme_error_code_table_should_list_every_code() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("proto/README.md exists");
    for &code in ErrorCode::ALL {
        let retriable = if code.is_retriable() { "yes" } else { "no" };
        let row = format!("| {} | `{}` | {} |", code.as_u16(), code.name(), retriable);
        assert!(readme.contains(&row), "README is missing or disagrees on: {row}");
    }
}
