//! include/mesos_sched.h must be exactly what cbindgen (pinned in Cargo.toml) generates
//! from src/ffi with cbindgen.toml. `MESOS_SCHED_BLESS=1` rewrites the committed header.

use std::path::{Path, PathBuf};
use std::process::Command;

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generate_header() -> String {
    let root = crate_root();
    let config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml must parse");
    let bindings = cbindgen::Builder::new()
        .with_crate(&root)
        .with_config(config)
        .generate()
        .expect("cbindgen must generate the header");
    let mut output = Vec::new();
    bindings.write(&mut output);
    String::from_utf8(output).expect("the header is UTF-8")
}

#[test]
fn committed_header_matches_generated() {
    let generated = generate_header();
    let path = crate_root().join("include/mesos_sched.h");
    if std::env::var_os("MESOS_SCHED_BLESS").is_some_and(|value| value == "1") {
        std::fs::write(&path, &generated).expect("write include/mesos_sched.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(generated.lines().count()));
        panic!(
            "include/mesos_sched.h is out of date (first difference at line {}); \
             regenerate with MESOS_SCHED_BLESS=1 cargo test --test header_drift",
            first_difference + 1
        );
    }
}

/// Declares every enum, struct and function name the ABI promises, so a rename in
/// src/ffi breaks this test even if the header was re-blessed.
#[test]
fn header_declares_the_abi_names() {
    let header = generate_header();
    for name in [
        "typedef struct mesos_sched_driver mesos_sched_driver;",
        "typedef struct mesos_sched_scheduler {",
        "MESOS_SCHED_STATUS_DRIVER_NOT_STARTED = 1,",
        "MESOS_SCHED_STATUS_DRIVER_RUNNING = 2,",
        "MESOS_SCHED_STATUS_DRIVER_ABORTED = 3,",
        "MESOS_SCHED_STATUS_DRIVER_STOPPED = 4,",
        "MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT = -1,",
        "MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT = -2,",
        "MESOS_SCHED_STATUS_ERROR_CALLED_FROM_CALLBACK = -3,",
        "MESOS_SCHED_STATUS_ERROR_INVALID_STATE = -4,",
        "MESOS_SCHED_STATUS_ERROR_PANIC = -5,",
        "typedef int32_t mesos_sched_status;",
        "size_t struct_size;",
        "#ifndef MESOS_SCHED_H",
        "extern \"C\" {",
    ] {
        assert!(header.contains(name), "the header lacks `{name}`");
    }
}

fn compiler_available(compiler: &str) -> bool {
    Command::new(compiler)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Compiles a translation unit that includes the header and uses its types.
fn compile(compiler: &str, flags: &[&str], source_name: &str, out_dir: &Path) {
    let source = out_dir.join(source_name);
    std::fs::write(
        &source,
        "#include \"mesos_sched.h\"\n\
         #include \"mesos_sched.h\" /* twice: the include guard works */\n\
         #include <string.h>\n\
         static void on_heartbeat(void *user_data, mesos_sched_driver *driver) {\n\
           (void)user_data; (void)driver;\n\
         }\n\
         int main(void) {\n\
           mesos_sched_scheduler scheduler;\n\
           mesos_sched_status status = MESOS_SCHED_STATUS_DRIVER_RUNNING;\n\
           memset(&scheduler, 0, sizeof scheduler);\n\
           scheduler.struct_size = sizeof scheduler;\n\
           scheduler.heartbeat = on_heartbeat;\n\
           return (int)status == 2 && sizeof(mesos_sched_status) == 4 ? 0 : 1;\n\
         }\n",
    )
    .unwrap();
    let output = Command::new(compiler)
        .args(flags)
        .arg("-I")
        .arg(crate_root().join("include"))
        .arg("-c")
        .arg(&source)
        .arg("-o")
        .arg(out_dir.join(format!("{source_name}.o")))
        .output()
        .expect("run the compiler");
    assert!(
        output.status.success(),
        "{compiler} {flags:?} rejected the header:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn header_compiles_as_strict_c99_and_cpp11() {
    assert!(
        compiler_available("cc") && compiler_available("c++"),
        "a C and a C++ compiler (cc, c++) are needed to check the header"
    );
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("header_compile");
    std::fs::create_dir_all(&out_dir).unwrap();
    compile(
        "cc",
        &["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"],
        "check.c",
        &out_dir,
    );
    compile(
        "c++",
        &["-std=c++11", "-Wall", "-Wextra", "-Werror", "-x", "c++"],
        "check_cpp.c",
        &out_dir,
    );
}
