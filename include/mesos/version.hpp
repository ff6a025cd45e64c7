// The Mesos API version this C++ interface of libmesos_sched follows (the public Mesos
// 1.12 scheduler API), for frameworks that test MESOS_VERSION or its parts.
#ifndef MESOS_SCHED_MESOS_VERSION_HPP
#define MESOS_SCHED_MESOS_VERSION_HPP

#define MESOS_VERSION "1.12.0"
#define MESOS_MAJOR_VERSION "1"
#define MESOS_MINOR_VERSION "12"
#define MESOS_PATCH_VERSION "0"
#define MESOS_MAJOR_VERSION_NUM 1
#define MESOS_MINOR_VERSION_NUM 12
#define MESOS_PATCH_VERSION_NUM 0

#endif // MESOS_SCHED_MESOS_VERSION_HPP
