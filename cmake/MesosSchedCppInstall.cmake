# Installs the C++ API built by cpp/ (included by the top-level CMakeLists.txt after
# add_subdirectory(cpp)): libmesos_sched_cpp.so.X.Y.Z with its links, the headers
# (include/mesos/*.hpp, the generated mesos/*.pb.h and the v0 .proto files they come
# from), the pkg-config module mesos_sched_cpp and MesosSched::mesos_sched_cpp in the
# CMake package (MesosSchedCppTargets.cmake, loaded by MesosSchedConfig.cmake).
install(TARGETS mesos_sched_cpp EXPORT MesosSchedCppTargets
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  PUBLIC_HEADER DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/mesos"
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
# Generated headers and protos keep their paths relative to their roots
# (mesos/mesos.pb.h, mesos/scheduler/scheduler.pb.h, mesos/scheduler/scheduler.proto).
foreach(generated IN LISTS MESOS_SCHED_CPP_GENERATED_HEADERS MESOS_SCHED_CPP_GENERATED_PROTOS)
  get_filename_component(generated_dir "${generated}" DIRECTORY)
  string(REGEX REPLACE "^.*/(mesos(/.*)?)$" "\\1" relative_dir "${generated_dir}")
  install(FILES "${generated}" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/${relative_dir}")
endforeach()
install(EXPORT MesosSchedCppTargets NAMESPACE MesosSched:: DESTINATION "${cmake_package_dir}")

# The generated code needs a protobuf runtime at least as new as the protoc that wrote it.
configure_file("${CMAKE_CURRENT_LIST_DIR}/mesos_sched_cpp.pc.in"
               "${CMAKE_CURRENT_BINARY_DIR}/mesos_sched_cpp.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/mesos_sched_cpp.pc" DESTINATION "${pkgconfig_dir}")
