# The cargo-built libmesos_sched.so as the imported target `mesos_sched`, shared by
# ctest/ and examples/: include() it from a project's CMakeLists.txt, configured with
# -DMESOS_SCHED_LIB_DIR=<crate>/target/debug. Also sets MESOS_SCHED_ROOT (the crate)
# and C99 without extensions.

set(MESOS_SCHED_LIB_DIR "" CACHE PATH "Directory holding libmesos_sched.so (cargo's target/debug)")
if(NOT MESOS_SCHED_LIB_DIR OR NOT EXISTS "${MESOS_SCHED_LIB_DIR}/libmesos_sched.so")
  message(FATAL_ERROR "libmesos_sched.so not found: pass -DMESOS_SCHED_LIB_DIR=<crate>/target/debug")
endif()
get_filename_component(MESOS_SCHED_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

# The dynamic loader looks for the soname, libmesos_sched.so.0; cargo writes only
# libmesos_sched.so, so link through a soname link in the build tree (found via RPATH).
file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/lib")
file(CREATE_LINK "${MESOS_SCHED_LIB_DIR}/libmesos_sched.so"
     "${CMAKE_BINARY_DIR}/lib/libmesos_sched.so.0" SYMBOLIC)
add_library(mesos_sched SHARED IMPORTED)
set_target_properties(mesos_sched PROPERTIES
  IMPORTED_LOCATION "${CMAKE_BINARY_DIR}/lib/libmesos_sched.so.0"
  IMPORTED_SONAME "libmesos_sched.so.0"
  INTERFACE_INCLUDE_DIRECTORIES "${MESOS_SCHED_ROOT}/include;${MESOS_SCHED_ROOT}/examples")

set(CMAKE_C_STANDARD 99)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS OFF)
