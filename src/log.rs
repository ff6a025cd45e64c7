//! Minimal leveled logging to stderr: off by default, one line per event.
//!
//! Each driver owns a [`Logger`] whose level comes from the `log.level` option or the
//! `MESOS_SCHED_LOG` environment variable. Nothing that could hold a credential is ever
//! passed to it (the Authorization header is built in `crate::http` and never logged).

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Log levels, from quietest to noisiest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Off = 0,
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl Level {
    fn from_u8(value: u8) -> Level {
        match value {
            1 => Level::Error,
            2 => Level::Warn,
            3 => Level::Info,
            4 => Level::Debug,
            5 => Level::Trace,
            _ => Level::Off,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Level::Off => "OFF",
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        }
    }

    /// The level named by `MESOS_SCHED_LOG`, or `Off` when unset or invalid.
    pub fn from_env() -> Level {
        std::env::var("MESOS_SCHED_LOG")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(Level::Off)
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(value: &str) -> Result<Level, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "off" | "none" => Ok(Level::Off),
            "error" => Ok(Level::Error),
            "warn" | "warning" => Ok(Level::Warn),
            "info" => Ok(Level::Info),
            "debug" => Ok(Level::Debug),
            "trace" => Ok(Level::Trace),
            other => Err(format!(
                "unknown log level '{other}' (expected off, error, warn, info, debug or trace)"
            )),
        }
    }
}

/// A per-driver logger; the level can change at any time.
#[derive(Debug)]
pub struct Logger {
    level: AtomicU8,
    name: String,
}

impl Logger {
    pub fn new(name: impl Into<String>, level: Level) -> Logger {
        Logger {
            level: AtomicU8::new(level as u8),
            name: name.into(),
        }
    }

    pub fn set_level(&self, level: Level) {
        self.level.store(level as u8, Ordering::Relaxed);
    }

    pub fn level(&self) -> Level {
        Level::from_u8(self.level.load(Ordering::Relaxed))
    }

    pub fn enabled(&self, level: Level) -> bool {
        level != Level::Off && level <= self.level()
    }

    /// Writes one line if `level` is enabled.
    pub fn log(&self, level: Level, args: fmt::Arguments<'_>) {
        if !self.enabled(level) {
            return;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let line = format!(
            "{}.{:06} mesos-sched {} [{}] {}\n",
            now.as_secs(),
            now.subsec_micros(),
            level.label(),
            self.name,
            args
        );
        use std::io::Write;
        // One write per line so concurrent drivers do not interleave within a line.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// `log_at!(logger, Level::Info, "format", args...)`: formats only when enabled.
#[macro_export]
#[doc(hidden)]
macro_rules! log_at {
    ($logger:expr, $level:expr, $($arg:tt)+) => {{
        let logger: &$crate::log::Logger = &$logger;
        if logger.enabled($level) {
            logger.log($level, format_args!($($arg)+));
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_order() {
        assert_eq!("DEBUG".parse::<Level>(), Ok(Level::Debug));
        assert_eq!(" off ".parse::<Level>(), Ok(Level::Off));
        assert!("loud".parse::<Level>().is_err());
        let logger = Logger::new("t", Level::Warn);
        assert!(logger.enabled(Level::Error));
        assert!(logger.enabled(Level::Warn));
        assert!(!logger.enabled(Level::Info));
        logger.set_level(Level::Off);
        assert!(!logger.enabled(Level::Error));
    }
}
