//! Small helpers: random UUIDs, clock, logging.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    static RNG: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let mut bytes = [0u8; 8];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut bytes);
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    u64::from_le_bytes(bytes) ^ nanos ^ (u64::from(std::process::id()) << 32) | 1
}

/// SplitMix64: fast, well distributed, not cryptographic (ids only).
pub fn random_u64() -> u64 {
    RNG.with(|state| {
        let mut z = state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        state.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}

/// 16 random bytes shaped as a version 4 UUID.
pub fn uuid_bytes() -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&random_u64().to_le_bytes());
    b[8..].copy_from_slice(&random_u64().to_le_bytes());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    b
}

pub fn uuid_string(b: &[u8]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

pub fn new_uuid() -> String {
    uuid_string(&uuid_bytes())
}

/// Seconds since the epoch (TaskStatus.timestamp).
pub fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Log levels: 0 off, 1 error, 2 warn, 3 info, 4 debug.
static LOG_LEVEL: AtomicU8 = AtomicU8::new(0);

pub fn parse_log_level(text: &str) -> Option<u8> {
    Some(match text.to_ascii_lowercase().as_str() {
        "off" | "none" | "0" => 0,
        "error" | "1" => 1,
        "warn" | "warning" | "2" => 2,
        "info" | "3" => 3,
        "debug" | "trace" | "4" => 4,
        _ => return None,
    })
}

pub fn set_log_level(level: u8) {
    LOG_LEVEL.store(level, Ordering::Relaxed);
}

/// Applies MESOS_LOCAL_LOG when set (once per cluster start).
pub fn init_log_from_env() {
    if let Ok(text) = std::env::var("MESOS_LOCAL_LOG") {
        if let Some(level) = parse_log_level(&text) {
            set_log_level(level);
        }
    }
}

#[inline]
pub fn log_enabled(level: u8) -> bool {
    LOG_LEVEL.load(Ordering::Relaxed) >= level
}

macro_rules! log_at {
    ($level:expr, $tag:expr, $($arg:tt)*) => {
        if $crate::local::util::log_enabled($level) {
            eprintln!("mesos-local {} {}", $tag, format_args!($($arg)*));
        }
    };
}
macro_rules! log_info { ($($arg:tt)*) => { $crate::local::util::log_at!(3, "INFO", $($arg)*) }; }
macro_rules! log_warn { ($($arg:tt)*) => { $crate::local::util::log_at!(2, "WARN", $($arg)*) }; }
macro_rules! log_debug { ($($arg:tt)*) => { $crate::local::util::log_at!(4, "DEBUG", $($arg)*) }; }
pub(crate) use {log_at, log_debug, log_info, log_warn};

#[cfg(test)]
mod tests {
    #[test]
    fn uuids() {
        let a = super::new_uuid();
        assert_eq!(a.len(), 36);
        assert_ne!(a, super::new_uuid());
        assert_eq!(&a[14..15], "4");
    }
}
