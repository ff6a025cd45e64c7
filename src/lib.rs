//! mesos-sched: the classic Apache Mesos scheduler driver over the v1 scheduler HTTP API,
//! with a C ABI (`src/ffi`, header `include/mesos_sched.h`).
//!
//! Module map (one direction of flow):
//! - [`driver`]: the `Driver` handle, `Scheduler` callbacks, Status state machine.
//! - [`http`]: SUBSCRIBE stream + call connection over HTTP(S).
//! - [`detector`]: master strings (host:port, http(s)://, zk://, file://, local) -> leader.
//! - [`recordio`]: the event stream's framing.
//! - [`local`]: the in-process/standalone local cluster (`mesos-local`).
//! - [`proto`]: generated protobuf types.
//! - `ffi`: the C ABI (thin).

pub mod detector;
pub mod driver;
pub mod ffi;
pub mod http;
pub mod local;
pub mod log;
pub mod proto;
pub mod recordio;
mod small_file;
#[cfg(feature = "zookeeper")]
pub mod zk;

pub use driver::{Driver, Error, Scheduler, Status};

/// "MAJOR.MINOR.PATCH" of this library.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
