//! The built libmesos_sched.so exports exactly the `mesos_sched_*` functions the header
//! declares, which include every function ABI.md lists except those still pending in an
//! open issue (named below), and its soname is libmesos_sched.so.0.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

/// The functions ABI.md fixes (names may be added to, never removed).
const ABI_FUNCTIONS: &[&str] = &[
    "mesos_sched_driver_new",
    "mesos_sched_driver_set_option",
    "mesos_sched_driver_start",
    "mesos_sched_driver_stop",
    "mesos_sched_driver_abort",
    "mesos_sched_driver_join",
    "mesos_sched_driver_run",
    "mesos_sched_driver_request_resources",
    "mesos_sched_driver_launch_tasks",
    "mesos_sched_driver_kill_task",
    "mesos_sched_driver_accept_offers",
    "mesos_sched_driver_decline_offer",
    "mesos_sched_driver_revive_offers",
    "mesos_sched_driver_suppress_offers",
    "mesos_sched_driver_acknowledge_status_update",
    "mesos_sched_driver_send_framework_message",
    "mesos_sched_driver_reconcile_tasks",
    "mesos_sched_driver_update_framework",
    "mesos_sched_driver_free",
    "mesos_sched_driver_last_error",
    "mesos_sched_version",
    "mesos_sched_driver_poll",
    "mesos_sched_driver_event_fd",
];

/// Functions ABI.md specifies whose implementation is still an open issue: not exported
/// yet, and named here so that the gap is explicit. A name leaves this list when its
/// issue lands (the test fails once it is exported and still listed).
const ABI_FUNCTIONS_PENDING: &[(&str, &str)] = &[
    (
        "mesos_sched_executor_driver_new",
        "issue 13: executor driver",
    ),
    (
        "mesos_sched_executor_driver_set_option",
        "issue 13: executor driver",
    ),
    (
        "mesos_sched_executor_driver_start",
        "issue 13: executor driver",
    ),
    (
        "mesos_sched_executor_driver_stop",
        "issue 13: executor driver",
    ),
    (
        "mesos_sched_executor_driver_abort",
        "issue 13: executor driver",
    ),
    (
        "mesos_sched_executor_driver_join",
        "issue 13: executor driver",
    ),
    (
        "mesos_sched_executor_driver_run",
        "issue 13: executor driver",
    ),
    (
        "mesos_sched_executor_driver_send_status_update",
        "issue 13: executor driver",
    ),
    (
        "mesos_sched_executor_driver_send_framework_message",
        "issue 13: executor driver",
    ),
    (
        "mesos_sched_executor_driver_poll",
        "issue 13: executor driver",
    ),
    (
        "mesos_sched_executor_driver_event_fd",
        "issue 13: executor driver",
    ),
    (
        "mesos_sched_executor_driver_free",
        "issue 13: executor driver",
    ),
    (
        "mesos_sched_executor_driver_last_error",
        "issue 13: executor driver",
    ),
];

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The libmesos_sched.so built with this test: cargo builds the library target with all
/// its crate types into target/<profile>/deps (beside this test binary); `cargo build`
/// copies it up to target/<profile>.
fn shared_library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps_dir = exe.parent().unwrap();
    let candidates = [
        deps_dir.join("libmesos_sched.so"),
        deps_dir.parent().unwrap().join("libmesos_sched.so"),
    ];
    candidates
        .iter()
        .find(|path| path.exists())
        .unwrap_or_else(|| panic!("libmesos_sched.so not found in {candidates:?}"))
        .clone()
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {program}: {error}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn exported_functions() -> BTreeSet<String> {
    let library = shared_library();
    let table = run("nm", &["-D", "--defined-only", library.to_str().unwrap()]);
    table
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_address, kind, name) = (fields.next()?, fields.next()?, fields.next()?);
            (kind == "T" && name.starts_with("mesos_sched_")).then(|| name.to_string())
        })
        .collect()
}

/// Function names declared in the committed header: `<type> name(` at a line start.
fn header_functions() -> BTreeSet<String> {
    let header = std::fs::read_to_string(crate_root().join("include/mesos_sched.h")).unwrap();
    header
        .lines()
        .filter(|line| !line.starts_with(' ') && !line.starts_with('#'))
        .filter_map(|line| {
            let before_paren = line.split('(').next()?;
            if !line.contains('(') {
                return None;
            }
            let name = before_paren
                .rsplit(|c: char| c.is_whitespace() || c == '*')
                .next()?;
            name.starts_with("mesos_sched_").then(|| name.to_string())
        })
        .collect()
}

/// Function names in ABI.md's C blocks when the shared docs sit beside the checkout.
fn abi_md_functions() -> Option<BTreeSet<String>> {
    let candidates = [
        crate_root().join("../shared/ABI.md"),
        PathBuf::from("/work/shared/ABI.md"),
    ];
    let text = candidates
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())?;
    let mut names = BTreeSet::new();
    for line in text.lines() {
        for (index, _) in line.match_indices("mesos_sched_") {
            let rest = &line[index..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if rest[name.len()..].starts_with('(') {
                names.insert(name);
            }
        }
    }
    Some(names)
}

#[test]
fn exports_match_header_declarations() {
    let exported = exported_functions();
    let declared = header_functions();
    assert!(!declared.is_empty(), "no function found in the header");
    let missing: Vec<_> = declared.difference(&exported).collect();
    let undeclared: Vec<_> = exported.difference(&declared).collect();
    assert!(missing.is_empty(), "declared but not exported: {missing:?}");
    assert!(
        undeclared.is_empty(),
        "exported but not declared in the header: {undeclared:?}"
    );
}

#[test]
fn every_abi_function_is_exported() {
    let exported = exported_functions();
    for name in ABI_FUNCTIONS {
        assert!(exported.contains(*name), "{name} is not exported");
    }
    if let Some(documented) = abi_md_functions() {
        assert!(
            documented.len() >= ABI_FUNCTIONS.len(),
            "ABI.md parsing found only {documented:?}"
        );
        let pending: BTreeSet<&str> = ABI_FUNCTIONS_PENDING.iter().map(|(n, _)| *n).collect();
        for name in &documented {
            assert!(
                exported.contains(name) || pending.contains(name.as_str()),
                "ABI.md's {name} is not exported"
            );
        }
        for (name, issue) in ABI_FUNCTIONS_PENDING {
            assert!(
                documented.contains(*name),
                "{name} is listed as pending ({issue}) but ABI.md does not name it"
            );
        }
    }
    for (name, issue) in ABI_FUNCTIONS_PENDING {
        assert!(
            !exported.contains(*name),
            "{name} is exported now: remove it from the pending list ({issue})"
        );
    }
}

#[test]
fn soname_is_versioned() {
    let library = shared_library();
    let dynamic = run("readelf", &["-d", library.to_str().unwrap()]);
    assert!(
        dynamic
            .lines()
            .any(|line| line.contains("(SONAME)") && line.contains("[libmesos_sched.so.0]")),
        "SONAME is not libmesos_sched.so.0:\n{dynamic}"
    );
}
