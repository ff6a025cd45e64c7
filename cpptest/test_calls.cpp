// test_calls: the SchedulerDriver calls and the callbacks they lead to, against the
// in-process cluster ("local"): launch a long task, send its executor a framework
// message (the cluster echoes it back), reconcile an unknown task (TASK_LOST), kill the
// task (TASK_KILLED), updateFramework with the registered id (accepted) and with another
// id (the driver aborts and error() runs, as in libmesos).
#include <mesos/scheduler.hpp>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace {

int failures = 0;

#define EXPECT(condition)                                                   \
  do {                                                                      \
    if (!(condition)) {                                                     \
      std::cerr << __FILE__ << ":" << __LINE__ << ": failed: " #condition   \
                << std::endl;                                               \
      failures++;                                                           \
    }                                                                       \
  } while (0)

const char* const ECHO = "hello from C++ \x01\x02";

class CallsScheduler : public mesos::Scheduler
{
public:
  void registered(mesos::SchedulerDriver*, const mesos::FrameworkID& id,
                  const mesos::MasterInfo&) override
  {
    std::lock_guard<std::mutex> lock(mutex);
    frameworkId = id;
    changed.notify_all();
  }
  void reregistered(mesos::SchedulerDriver*, const mesos::MasterInfo&) override {}
  void disconnected(mesos::SchedulerDriver*) override {}

  void resourceOffers(mesos::SchedulerDriver* driver,
                      const std::vector<mesos::Offer>& offers) override
  {
    for (const mesos::Offer& offer : offers) {
      if (launched) {
        // A filter keeps the declined resources away for a while.
        mesos::Filters filters;
        filters.set_refuse_seconds(3600);
        EXPECT(driver->declineOffer(offer.id(), filters) == mesos::DRIVER_RUNNING);
        continue;
      }
      mesos::TaskInfo task;
      task.set_name("long");
      task.mutable_task_id()->set_value("long");
      task.mutable_slave_id()->CopyFrom(offer.slave_id());
      task.mutable_command()->set_value("sleep 60");
      for (const char* name : {"cpus", "mem"}) {
        mesos::Resource* resource = task.add_resources();
        resource->set_name(name);
        resource->set_type(mesos::Value::SCALAR);
        resource->mutable_scalar()->set_value(name[0] == 'c' ? 0.1 : 32);
      }
      EXPECT(driver->launchTasks(std::vector<mesos::OfferID>(1, offer.id()),
                                 std::vector<mesos::TaskInfo>(1, task)) ==
             mesos::DRIVER_RUNNING);
      launched = true;
    }
  }

  void offerRescinded(mesos::SchedulerDriver*, const mesos::OfferID&) override {}

  void statusUpdate(mesos::SchedulerDriver*, const mesos::TaskStatus& status) override
  {
    std::lock_guard<std::mutex> lock(mutex);
    states[status.task_id().value()].push_back(status.state());
    if (status.task_id().value() == "long" && status.state() == mesos::TASK_RUNNING) {
      running = status;
    }
    changed.notify_all();
  }

  void frameworkMessage(mesos::SchedulerDriver*, const mesos::ExecutorID& executorId,
                        const mesos::SlaveID& slaveId, const std::string& data) override
  {
    std::lock_guard<std::mutex> lock(mutex);
    messages.push_back(executorId.value() + "|" + slaveId.value() + "|" + data);
    changed.notify_all();
  }

  void slaveLost(mesos::SchedulerDriver*, const mesos::SlaveID&) override {}
  void executorLost(mesos::SchedulerDriver*, const mesos::ExecutorID&,
                    const mesos::SlaveID&, int) override {}

  void error(mesos::SchedulerDriver*, const std::string& message) override
  {
    std::lock_guard<std::mutex> lock(mutex);
    errors.push_back(message);
    changed.notify_all();
  }

  template <typename Done>
  bool waitFor(Done done)
  {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(60), [&] { return done(); });
  }

  bool saw(const std::string& task, mesos::TaskState state)
  {
    for (mesos::TaskState seen : states[task]) {
      if (seen == state) {
        return true;
      }
    }
    return false;
  }

  bool launched = false; // dispatcher thread only
  std::mutex mutex;
  std::condition_variable changed;
  mesos::FrameworkID frameworkId;
  mesos::TaskStatus running;
  std::map<std::string, std::vector<mesos::TaskState>> states;
  std::vector<std::string> messages;
  std::vector<std::string> errors;
};

} // namespace

int main()
{
  GOOGLE_PROTOBUF_VERIFY_VERSION;
  CallsScheduler scheduler;
  mesos::FrameworkInfo framework;
  framework.set_user("");
  framework.set_name("cpptest calls");
  framework.add_roles("*");
  framework.add_capabilities()->set_type(mesos::FrameworkInfo::Capability::MULTI_ROLE);
  {
    mesos::MesosSchedulerDriver driver(&scheduler, framework, "local");
    EXPECT(driver.start() == mesos::DRIVER_RUNNING);
    EXPECT(scheduler.waitFor([&] { return scheduler.running.has_task_id(); }));

    mesos::TaskStatus running;
    {
      std::lock_guard<std::mutex> lock(scheduler.mutex);
      running = scheduler.running;
    }
    EXPECT(running.has_executor_id() && running.has_slave_id());
    const std::string data(ECHO, ECHO + 17);
    EXPECT(driver.sendFrameworkMessage(running.executor_id(), running.slave_id(), data) ==
           mesos::DRIVER_RUNNING);
    EXPECT(scheduler.waitFor([&] { return !scheduler.messages.empty(); }));
    {
      std::lock_guard<std::mutex> lock(scheduler.mutex);
      EXPECT(scheduler.messages.size() == 1 &&
             scheduler.messages[0] == running.executor_id().value() + "|" +
                                          running.slave_id().value() + "|" + data);
    }

    mesos::TaskStatus unknown;
    unknown.mutable_task_id()->set_value("no such task");
    unknown.set_state(mesos::TASK_RUNNING);
    EXPECT(driver.reconcileTasks(std::vector<mesos::TaskStatus>(1, unknown)) ==
           mesos::DRIVER_RUNNING);
    EXPECT(scheduler.waitFor([&] { return scheduler.saw("no such task", mesos::TASK_LOST); }));

    // The registered id with the same roles: accepted, nothing happens.
    mesos::FrameworkInfo updated = framework;
    {
      std::lock_guard<std::mutex> lock(scheduler.mutex);
      updated.mutable_id()->CopyFrom(scheduler.frameworkId);
    }
    mesos::scheduler::OfferConstraints constraints;
    (*constraints.mutable_role_constraints())["*"];
    EXPECT(driver.updateFramework(updated, std::vector<std::string>(),
                                  std::move(constraints)) == mesos::DRIVER_RUNNING);

    mesos::TaskID task;
    task.set_value("long");
    EXPECT(driver.killTask(task) == mesos::DRIVER_RUNNING);
    EXPECT(scheduler.waitFor([&] { return scheduler.saw("long", mesos::TASK_KILLED); }));
    {
      std::lock_guard<std::mutex> lock(scheduler.mutex);
      EXPECT(scheduler.errors.empty());
    }

    // Another framework's id: refused by the driver itself, which aborts.
    mesos::FrameworkInfo other = updated;
    other.mutable_id()->set_value("someone else");
    EXPECT(driver.updateFramework(other, std::vector<std::string>(),
                                  mesos::scheduler::OfferConstraints()) ==
           mesos::DRIVER_RUNNING);
    EXPECT(driver.join() == mesos::DRIVER_ABORTED);
    // libmesos ran error() before join() returned; libmesos_sched aborts first, so
    // error() may still be on its way here.
    EXPECT(scheduler.waitFor([&] { return !scheduler.errors.empty(); }));
    std::lock_guard<std::mutex> lock(scheduler.mutex);
    EXPECT(scheduler.errors.size() == 1);
    EXPECT(!scheduler.errors.empty() &&
           scheduler.errors[0].find("someone else") != std::string::npos);
  }
  google::protobuf::ShutdownProtobufLibrary();
  std::cout << "test_calls: " << (failures == 0 ? "ok" : "FAILED") << std::endl;
  return failures == 0 ? 0 : 1;
}
