//! Generated protobuf types (see proto/).

/// Typed `mesos.v1` messages.
pub mod mesos {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/mesos.v1.rs"));
        /// Typed `mesos.v1.scheduler` Call and Event.
        pub mod scheduler {
            include!(concat!(env!("OUT_DIR"), "/mesos.v1.scheduler.rs"));
        }
        /// Typed `mesos.v1.executor` Call and Event.
        pub mod executor {
            include!(concat!(env!("OUT_DIR"), "/mesos.v1.executor.rs"));
        }
    }
}

/// Opaque envelopes and field peeks used by the driver (wire-identical to mesos.v1.scheduler).
pub mod envelope {
    include!(concat!(env!("OUT_DIR"), "/mesos_sched.envelope.rs"));
}

pub use mesos::v1;
pub use mesos::v1::executor;
pub use mesos::v1::scheduler;
