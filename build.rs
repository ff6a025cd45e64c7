//! Compiles the project's own .proto files with a vendored protoc (a fresh machine needs
//! no protobuf install) and gives the cdylib its soname.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [
        "proto/mesos/v1/mesos.proto",
        "proto/mesos/v1/scheduler/scheduler.proto",
        "proto/mesos/v1/executor/executor.proto",
        "proto/mesos_sched/envelope.proto",
    ];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    // Opaque payloads are slices of the received buffer: no copy per nested message.
    config.bytes([".mesos_sched.envelope"]);
    // The compiled schema, for tests/schema_golden.rs (which pins numbers and types).
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    config.file_descriptor_set_path(out_dir.join("schema_descriptors.bin"));
    config.compile_protos(&protos, &["proto"])?;

    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmesos_sched.so.0");
    }
    Ok(())
}
