//! The C ABI (see ABI.md).
