// The legacy C++ scheduler API of libmesos (Mesos 1.12 <mesos/scheduler.hpp>) over
// libmesos_sched: a framework written for libmesos compiles unchanged against this
// header and links with -lmesos_sched_cpp -lmesos_sched -lprotobuf instead of -lmesos.
//
// Semantics are those of the C ABI (include/mesos_sched.h), i.e. of the classic driver:
// - Callbacks run one at a time on the driver's own thread. Every SchedulerDriver method
//   may be called from any thread, also inside a callback, except join() and run().
// - A C++ exception escaping a Scheduler callback never unwinds into the library: it is
//   caught, its what() is printed to stderr and the driver is aborted (join() returns
//   DRIVER_ABORTED, no further callbacks run, the framework is not torn down). An event
//   whose message these generated classes cannot parse is handled the same way.
// - join() and run() return only after the callback in progress (if any) has returned.
//   One difference: when the driver aborts itself with an error (e.g. updateFramework()
//   with another framework's id), error() may run just after join() has returned.
// - Usage errors that made libmesos abort the process (a failed CHECK) or hang are
//   refused instead: nothing is done, the method returns the driver's current status, a
//   line goes to stderr and MesosSchedulerDriver::lastError() holds the reason. These
//   are: acknowledgeStatusUpdate() with implicit acknowledgements on; an
//   Offer::Operation with `id` set in acceptOffers(); join() or run() inside one of the
//   driver's own callbacks; strings that are not UTF-8.
#ifndef MESOS_SCHED_MESOS_SCHEDULER_HPP
#define MESOS_SCHED_MESOS_SCHEDULER_HPP

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <mesos/mesos.hpp>

// protoc marks the deprecated enum values of mesos.scheduler (e.g. RECONCILE_OPERATIONS)
// and then uses them in its own inline code; keep that out of the framework's warnings.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
#include <mesos/scheduler/scheduler.pb.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

struct mesos_sched_driver;

namespace mesos {

class SchedulerDriver;
struct DriverCallbacks;

// The framework's callbacks, exactly as in libmesos. `driver` is the driver that runs
// the callback; the references are valid only during the call.
class Scheduler
{
public:
  virtual ~Scheduler() {}

  // Subscribed to the leading master for the first time, as `frameworkId`.
  virtual void registered(
      SchedulerDriver* driver,
      const FrameworkID& frameworkId,
      const MasterInfo& masterInfo) = 0;

  // Subscribed again (e.g. to a newly elected master) under the same framework id.
  virtual void reregistered(
      SchedulerDriver* driver,
      const MasterInfo& masterInfo) = 0;

  // The connection to the master was lost; the driver keeps trying to reconnect.
  virtual void disconnected(SchedulerDriver* driver) = 0;

  virtual void resourceOffers(
      SchedulerDriver* driver,
      const std::vector<Offer>& offers) = 0;

  virtual void offerRescinded(
      SchedulerDriver* driver,
      const OfferID& offerId) = 0;

  virtual void statusUpdate(
      SchedulerDriver* driver,
      const TaskStatus& status) = 0;

  virtual void frameworkMessage(
      SchedulerDriver* driver,
      const ExecutorID& executorId,
      const SlaveID& slaveId,
      const std::string& data) = 0;

  virtual void slaveLost(
      SchedulerDriver* driver,
      const SlaveID& slaveId) = 0;

  virtual void executorLost(
      SchedulerDriver* driver,
      const ExecutorID& executorId,
      const SlaveID& slaveId,
      int status) = 0;

  // An unrecoverable error (e.g. the master refused the framework); the driver has
  // been aborted before this runs.
  virtual void error(
      SchedulerDriver* driver,
      const std::string& message) = 0;
};

// Optional events beyond the legacy API. Derive from this class instead of Scheduler to
// receive them; the defaults ignore them. A plain Scheduler never sees these events.
class ExtendedScheduler : public Scheduler
{
public:
  ~ExtendedScheduler() override {}

  virtual void inverseOffers(
      SchedulerDriver* /*driver*/,
      const std::vector<InverseOffer>& /*inverseOffers*/) {}

  virtual void inverseOfferRescinded(
      SchedulerDriver* /*driver*/,
      const OfferID& /*inverseOfferId*/) {}

  // An update of an operation that was given an id (sent through a v1 ACCEPT).
  virtual void operationStatus(
      SchedulerDriver* /*driver*/,
      const OperationStatus& /*status*/) {}

  // The master's periodic HEARTBEAT event.
  virtual void heartbeat(SchedulerDriver* /*driver*/) {}
};

// The driver interface, exactly as in libmesos. Every method returns the driver's
// status after the call (DRIVER_NOT_STARTED, DRIVER_RUNNING, DRIVER_ABORTED or
// DRIVER_STOPPED); methods other than start/stop/abort/join/run act only while
// DRIVER_RUNNING.
class SchedulerDriver
{
public:
  virtual ~SchedulerDriver() {}

  virtual Status start() = 0;

  // failover = false tears the framework down (the master kills its tasks);
  // true leaves it and its tasks to a failover scheduler.
  virtual Status stop(bool failover = false) = 0;

  virtual Status abort() = 0;

  // Blocks until the driver is stopped or aborted.
  virtual Status join() = 0;

  // start() then join().
  virtual Status run() = 0;

  virtual Status requestResources(const std::vector<Request>& requests) = 0;

  virtual Status launchTasks(
      const std::vector<OfferID>& offerIds,
      const std::vector<TaskInfo>& tasks,
      const Filters& filters = Filters()) = 0;

  virtual Status launchTasks(
      const OfferID& offerId,
      const std::vector<TaskInfo>& tasks,
      const Filters& filters = Filters()) = 0;

  virtual Status killTask(const TaskID& taskId) = 0;

  virtual Status acceptOffers(
      const std::vector<OfferID>& offerIds,
      const std::vector<Offer::Operation>& operations,
      const Filters& filters = Filters()) = 0;

  virtual Status declineOffer(
      const OfferID& offerId,
      const Filters& filters = Filters()) = 0;

  // All roles of the framework.
  virtual Status reviveOffers() = 0;

  virtual Status reviveOffers(const std::vector<std::string>& roles) = 0;

  // All roles of the framework.
  virtual Status suppressOffers() = 0;

  virtual Status suppressOffers(const std::vector<std::string>& roles) = 0;

  // Only with implicit acknowledgements off.
  virtual Status acknowledgeStatusUpdate(const TaskStatus& status) = 0;

  virtual Status sendFrameworkMessage(
      const ExecutorID& executorId,
      const SlaveID& slaveId,
      const std::string& data) = 0;

  // No statuses = all tasks of the framework (implicit reconciliation).
  virtual Status reconcileTasks(const std::vector<TaskStatus>& statuses) = 0;

  virtual Status updateFramework(
      const FrameworkInfo& frameworkInfo,
      const std::vector<std::string>& suppressedRoles,
      ::mesos::scheduler::OfferConstraints&& offerConstraints) = 0;
};

// The driver: talks to the master through libmesos_sched (Mesos v1 HTTP API).
// `master` is host:port, http(s)://host:port, zk://host:port[,...]/path,
// file:///path (holding one of those) or "local" (an in-process test cluster).
// `scheduler` must outlive the driver. The driver cannot be copied or moved.
class MesosSchedulerDriver : public SchedulerDriver
{
public:
  MesosSchedulerDriver(
      Scheduler* scheduler,
      const FrameworkInfo& framework,
      const std::string& master);

  MesosSchedulerDriver(
      Scheduler* scheduler,
      const FrameworkInfo& framework,
      const std::string& master,
      const Credential& credential);

  MesosSchedulerDriver(
      Scheduler* scheduler,
      const FrameworkInfo& framework,
      const std::string& master,
      bool implicitAcknowledgements);

  MesosSchedulerDriver(
      Scheduler* scheduler,
      const FrameworkInfo& framework,
      const std::string& master,
      bool implicitAcknowledgements,
      const Credential& credential);

  // `suppressedRoles` start suppressed (no offers for them until revived).
  MesosSchedulerDriver(
      Scheduler* scheduler,
      const FrameworkInfo& framework,
      const std::vector<std::string>& suppressedRoles,
      const std::string& master,
      bool implicitAcknowledgements);

  MesosSchedulerDriver(
      Scheduler* scheduler,
      const FrameworkInfo& framework,
      const std::vector<std::string>& suppressedRoles,
      const std::string& master,
      bool implicitAcknowledgements,
      const Credential& credential);

  // As in libmesos: a driver that was not stopped ends without tearing the framework
  // down (its tasks keep running, as after stop(true)); its threads are joined and no
  // callback runs once this returns. Destroying the driver inside one of its own
  // callbacks cannot wait for itself: the underlying handle is then leaked (a message
  // goes to stderr).
  ~MesosSchedulerDriver() override;

  MesosSchedulerDriver(const MesosSchedulerDriver&) = delete;
  MesosSchedulerDriver& operator=(const MesosSchedulerDriver&) = delete;

  // An invalid constructor argument (a malformed master string, a FrameworkInfo with
  // non-UTF-8 strings, unusable suppressed roles) is reported as libmesos reported a
  // master detector failure: start() returns DRIVER_ABORTED after calling
  // Scheduler::error with the reason.
  Status start() override;
  Status stop(bool failover = false) override;
  Status abort() override;
  Status join() override;
  Status run() override;

  Status requestResources(const std::vector<Request>& requests) override;

  Status launchTasks(
      const OfferID& offerId,
      const std::vector<TaskInfo>& tasks,
      const Filters& filters = Filters()) override;

  Status launchTasks(
      const std::vector<OfferID>& offerIds,
      const std::vector<TaskInfo>& tasks,
      const Filters& filters = Filters()) override;

  Status killTask(const TaskID& taskId) override;

  Status acceptOffers(
      const std::vector<OfferID>& offerIds,
      const std::vector<Offer::Operation>& operations,
      const Filters& filters = Filters()) override;

  Status declineOffer(
      const OfferID& offerId,
      const Filters& filters = Filters()) override;

  Status reviveOffers() override;
  Status reviveOffers(const std::vector<std::string>& roles) override;
  Status suppressOffers() override;
  Status suppressOffers(const std::vector<std::string>& roles) override;

  Status acknowledgeStatusUpdate(const TaskStatus& status) override;

  Status sendFrameworkMessage(
      const ExecutorID& executorId,
      const SlaveID& slaveId,
      const std::string& data) override;

  Status reconcileTasks(const std::vector<TaskStatus>& statuses) override;

  Status updateFramework(
      const FrameworkInfo& frameworkInfo,
      const std::vector<std::string>& suppressedRoles,
      ::mesos::scheduler::OfferConstraints&& offerConstraints) override;

  // Not in libmesos: why the latest refused call (see the top of this header) or the
  // construction was refused; empty if none was.
  std::string lastError() const;

private:
  // The C callbacks that call `scheduler` (cpp/src/scheduler_driver.cpp).
  friend struct DriverCallbacks;

  void initialize(
      const FrameworkInfo& framework,
      const std::vector<std::string>& suppressedRoles,
      const std::string& master,
      bool implicitAcknowledgements,
      const Credential* credential);

  // Maps a libmesos_sched status code to a Status, reporting usage errors.
  Status result(int code, const char* method);

  // The status of a driver whose construction failed (no handle).
  Status unusableStatus();

  // Waits until no callback of this driver is running (join() and run() return only
  // then, as in libmesos).
  void awaitCallbacks();

  Scheduler* scheduler;
  ::mesos_sched_driver* handle;

  mutable std::mutex mutex;
  std::condition_variable callbackReturned;
  int callbacksRunning; // guarded by `mutex`
  // Used only when `handle` is null; guarded by `mutex`.
  std::string constructionError;
  Status unusable;
};

} // namespace mesos

#endif // MESOS_SCHED_MESOS_SCHEDULER_HPP
