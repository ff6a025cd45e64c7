//! Reading the small files a user names (a `file://` master string, a CA bundle): only
//! regular files, only up to a size limit, opened without blocking. A FIFO, a device
//! such as /dev/zero or a huge file fails at once with a message instead of blocking or
//! filling memory.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;

/// The content of the regular file at `path`, at most `max_bytes` long.
pub fn read(path: &str, max_bytes: u64) -> Result<Vec<u8>, String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| e.to_string())?;
    // The type is checked on the opened file, not on the path, so it cannot change between.
    let metadata = file.metadata().map_err(|e| e.to_string())?;
    if !metadata.is_file() {
        return Err("not a regular file".to_string());
    }
    let too_large = || format!("larger than the {max_bytes} bytes allowed");
    if metadata.len() > max_bytes {
        return Err(format!("{} bytes, {}", metadata.len(), too_large()));
    }
    let mut content = Vec::new();
    // Bounded even if the file grows after the check.
    file.take(max_bytes + 1)
        .read_to_end(&mut content)
        .map_err(|e| e.to_string())?;
    if content.len() as u64 > max_bytes {
        return Err(too_large());
    }
    Ok(content)
}
