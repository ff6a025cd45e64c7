# Sets MESOS_SCHED_VERSION from Cargo.toml's [package] version: the one version of the
# project (mesos_sched_version() returns it too), shared by the C library and the C++ API.
file(STRINGS "${CMAKE_CURRENT_LIST_DIR}/../Cargo.toml" cargo_version_line
     REGEX "^version = \"[0-9]+\\.[0-9]+\\.[0-9]+\"" LIMIT_COUNT 1)
if(NOT cargo_version_line MATCHES "\"([0-9]+\\.[0-9]+\\.[0-9]+)\"")
  message(FATAL_ERROR "no `version = \"X.Y.Z\"` line in ${CMAKE_CURRENT_LIST_DIR}/../Cargo.toml")
endif()
set(MESOS_SCHED_VERSION "${CMAKE_MATCH_1}")
