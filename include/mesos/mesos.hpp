// The legacy `mesos` (v0) protobuf messages: mesos::FrameworkInfo, mesos::TaskInfo,
// mesos::SlaveID, mesos::Status (DRIVER_NOT_STARTED..DRIVER_STOPPED), ... They are
// generated at build time from this project's proto/ (renamed to the v0 names) with the
// system protoc, so they match the libprotobuf the framework links; on the wire they are
// identical to the v1 messages libmesos_sched speaks.
#ifndef MESOS_SCHED_MESOS_HPP
#define MESOS_SCHED_MESOS_HPP

#include <mesos/mesos.pb.h>
#include <mesos/version.hpp>

#endif // MESOS_SCHED_MESOS_HPP
