//! Master detection (see driver brief).
