// test_header_cxx: include/mesos_sched.h used from C++11 and linked: extern "C" names
// resolve, the status enum is 4 bytes, the vtable is a plain struct.
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "mesos_sched.h"

static_assert(sizeof(mesos_sched_status) == 4, "mesos_sched_status is an int32_t");
static_assert(std::is_standard_layout<mesos_sched_scheduler>::value, "plain C struct");

int main() {
  mesos_sched_driver *driver = nullptr;
  mesos_sched_scheduler scheduler;
  std::memset(&scheduler, 0, sizeof scheduler);
  scheduler.struct_size = sizeof scheduler;
  mesos_sched_status status = mesos_sched_driver_new(&scheduler, nullptr, nullptr, 0, nullptr,
                                                     nullptr, 0, true, &driver);
  const char *version = mesos_sched_version();
  bool ok = status == MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT && driver == nullptr &&
            version != nullptr && std::strchr(version, '.') != nullptr;
  std::printf("test_header_cxx: %d passed, %d failed\n", ok ? 1 : 0, ok ? 0 : 1);
  return ok ? 0 : 1;
}
