//! HTTP transport (see driver brief).
