// test_lifecycle: the driver's life cycle through the C++ API: status sequences of
// start/stop/abort/join/run, calls before start, refused usage errors, a bad master,
// the destructor of a running driver; and, with the in-process cluster ("local"), stop
// and join inside a callback and a callback that throws.
#include <mesos/scheduler.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
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

// Nothing listens on port 1: the driver runs and keeps trying to connect.
const char* const UNREACHABLE_MASTER = "127.0.0.1:1";

// Records the callbacks; `onRegistered` runs inside registered().
class RecordingScheduler : public mesos::Scheduler
{
public:
  void registered(mesos::SchedulerDriver* driver, const mesos::FrameworkID&,
                  const mesos::MasterInfo&) override
  {
    {
      std::lock_guard<std::mutex> lock(mutex);
      registrations++;
    }
    if (onRegistered) {
      onRegistered(driver);
    }
  }
  void reregistered(mesos::SchedulerDriver*, const mesos::MasterInfo&) override {}
  void disconnected(mesos::SchedulerDriver*) override {}
  void resourceOffers(mesos::SchedulerDriver*, const std::vector<mesos::Offer>&) override
  {
    std::lock_guard<std::mutex> lock(mutex);
    offerCallbacks++;
  }
  void offerRescinded(mesos::SchedulerDriver*, const mesos::OfferID&) override {}
  void statusUpdate(mesos::SchedulerDriver*, const mesos::TaskStatus&) override {}
  void frameworkMessage(mesos::SchedulerDriver*, const mesos::ExecutorID&,
                        const mesos::SlaveID&, const std::string&) override {}
  void slaveLost(mesos::SchedulerDriver*, const mesos::SlaveID&) override {}
  void executorLost(mesos::SchedulerDriver*, const mesos::ExecutorID&,
                    const mesos::SlaveID&, int) override {}
  void error(mesos::SchedulerDriver*, const std::string& message) override
  {
    std::lock_guard<std::mutex> lock(mutex);
    errors.push_back(message);
  }

  std::function<void(mesos::SchedulerDriver*)> onRegistered;
  std::mutex mutex;
  int registrations = 0;
  int offerCallbacks = 0;
  std::vector<std::string> errors;
};

mesos::FrameworkInfo framework()
{
  mesos::FrameworkInfo info;
  info.set_user("");
  info.set_name("cpptest lifecycle");
  return info;
}

void callsBeforeStart()
{
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, framework(), UNREACHABLE_MASTER);
  mesos::TaskID task;
  task.set_value("t");
  EXPECT(driver.join() == mesos::DRIVER_NOT_STARTED);
  EXPECT(driver.killTask(task) == mesos::DRIVER_NOT_STARTED);
  EXPECT(driver.reviveOffers() == mesos::DRIVER_NOT_STARTED);
  EXPECT(driver.suppressOffers(std::vector<std::string>(1, "role")) ==
         mesos::DRIVER_NOT_STARTED);
  EXPECT(driver.reconcileTasks(std::vector<mesos::TaskStatus>()) ==
         mesos::DRIVER_NOT_STARTED);
  EXPECT(driver.stop() == mesos::DRIVER_NOT_STARTED);
  EXPECT(driver.abort() == mesos::DRIVER_NOT_STARTED);
  EXPECT(driver.lastError().empty());
}

void startStopJoin()
{
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, framework(), UNREACHABLE_MASTER);
  EXPECT(driver.start() == mesos::DRIVER_RUNNING);
  EXPECT(driver.start() == mesos::DRIVER_RUNNING);
  EXPECT(driver.reviveOffers() == mesos::DRIVER_RUNNING);
  mesos::OfferID offer;
  offer.set_value("no such offer");
  EXPECT(driver.declineOffer(offer) == mesos::DRIVER_RUNNING);
  EXPECT(driver.stop() == mesos::DRIVER_STOPPED);
  EXPECT(driver.join() == mesos::DRIVER_STOPPED);
  EXPECT(driver.start() == mesos::DRIVER_STOPPED);
  EXPECT(driver.reviveOffers() == mesos::DRIVER_STOPPED);
  EXPECT(scheduler.errors.empty());
}

void startAbortJoin()
{
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, framework(), UNREACHABLE_MASTER);
  EXPECT(driver.start() == mesos::DRIVER_RUNNING);
  EXPECT(driver.abort() == mesos::DRIVER_ABORTED);
  EXPECT(driver.join() == mesos::DRIVER_ABORTED);
  EXPECT(driver.stop() == mesos::DRIVER_ABORTED);
}

void runReleasedByStop()
{
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, framework(), UNREACHABLE_MASTER);
  std::future<mesos::Status> run =
    std::async(std::launch::async, [&] { return driver.run(); });
  EXPECT(run.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
  EXPECT(driver.stop(true) == mesos::DRIVER_STOPPED);
  EXPECT(run.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  EXPECT(run.get() == mesos::DRIVER_STOPPED);
}

void refusedUsageErrors()
{
  RecordingScheduler scheduler;
  // Implicit acknowledgements (the default): an explicit one crashed libmesos.
  mesos::MesosSchedulerDriver driver(&scheduler, framework(), UNREACHABLE_MASTER);
  EXPECT(driver.start() == mesos::DRIVER_RUNNING);
  mesos::TaskStatus status;
  status.mutable_task_id()->set_value("t");
  status.set_state(mesos::TASK_RUNNING);
  EXPECT(driver.acknowledgeStatusUpdate(status) == mesos::DRIVER_RUNNING);
  EXPECT(!driver.lastError().empty());
  std::cout << "refused acknowledgement: " << driver.lastError() << std::endl;

  // An operation with an id crashed libmesos too.
  mesos::Offer::Operation operation;
  operation.set_type(mesos::Offer::Operation::RESERVE);
  operation.mutable_id()->set_value("op");
  mesos::OfferID offer;
  offer.set_value("o");
  EXPECT(driver.acceptOffers(std::vector<mesos::OfferID>(1, offer),
                             std::vector<mesos::Offer::Operation>(1, operation)) ==
         mesos::DRIVER_RUNNING);
  EXPECT(driver.lastError().find("id") != std::string::npos);
  EXPECT(driver.stop() == mesos::DRIVER_STOPPED);
  EXPECT(driver.join() == mesos::DRIVER_STOPPED);
}

void badMaster()
{
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, framework(), "nonsense://where");
  EXPECT(!driver.lastError().empty());
  EXPECT(driver.killTask(mesos::TaskID()) == mesos::DRIVER_NOT_STARTED);
  EXPECT(driver.start() == mesos::DRIVER_ABORTED);
  EXPECT(scheduler.errors.size() == 1);
  EXPECT(driver.join() == mesos::DRIVER_ABORTED);
  EXPECT(driver.run() == mesos::DRIVER_ABORTED);
  EXPECT(scheduler.errors.size() == 1);
}

void destructorOfRunningDriver()
{
  RecordingScheduler scheduler;
  std::unique_ptr<mesos::MesosSchedulerDriver> driver(
      new mesos::MesosSchedulerDriver(&scheduler, framework(), UNREACHABLE_MASTER));
  EXPECT(driver->start() == mesos::DRIVER_RUNNING);
  // Must end the driver and join its threads (valgrind/ASan see leaks or races).
  driver.reset();
}

void extendedSchedulerDefaults()
{
  // The extension callbacks have defaults: a legacy scheduler derives from
  // ExtendedScheduler with nothing else to write.
  class Extended : public mesos::ExtendedScheduler
  {
  public:
    void registered(mesos::SchedulerDriver*, const mesos::FrameworkID&,
                    const mesos::MasterInfo&) override {}
    void reregistered(mesos::SchedulerDriver*, const mesos::MasterInfo&) override {}
    void disconnected(mesos::SchedulerDriver*) override {}
    void resourceOffers(mesos::SchedulerDriver*, const std::vector<mesos::Offer>&) override {}
    void offerRescinded(mesos::SchedulerDriver*, const mesos::OfferID&) override {}
    void statusUpdate(mesos::SchedulerDriver*, const mesos::TaskStatus&) override {}
    void frameworkMessage(mesos::SchedulerDriver*, const mesos::ExecutorID&,
                          const mesos::SlaveID&, const std::string&) override {}
    void slaveLost(mesos::SchedulerDriver*, const mesos::SlaveID&) override {}
    void executorLost(mesos::SchedulerDriver*, const mesos::ExecutorID&,
                      const mesos::SlaveID&, int) override {}
    void error(mesos::SchedulerDriver*, const std::string&) override {}
  };
  Extended scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, framework(), UNREACHABLE_MASTER);
  EXPECT(driver.start() == mesos::DRIVER_RUNNING);
  EXPECT(driver.stop() == mesos::DRIVER_STOPPED);
}

void stopAndJoinInsideCallback()
{
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, framework(), "local");
  mesos::Status joinInside = mesos::DRIVER_NOT_STARTED;
  mesos::Status stopInside = mesos::DRIVER_NOT_STARTED;
  std::string joinError;
  scheduler.onRegistered = [&](mesos::SchedulerDriver* self) {
    EXPECT(self == &driver);
    // join() here would wait for itself: refused with the current status.
    joinInside = self->join();
    joinError = driver.lastError();
    stopInside = self->stop();
  };
  EXPECT(driver.run() == mesos::DRIVER_STOPPED);
  EXPECT(joinInside == mesos::DRIVER_RUNNING);
  EXPECT(!joinError.empty());
  EXPECT(stopInside == mesos::DRIVER_STOPPED);
  if (stopInside != mesos::DRIVER_STOPPED) {
    std::cerr << "stop() inside the callback returned " << mesos::Status_Name(stopInside) << std::endl;
  }
  EXPECT(scheduler.registrations == 1);
  // No callback begins once stop() has returned.
  std::lock_guard<std::mutex> lock(scheduler.mutex);
  EXPECT(scheduler.offerCallbacks == 0);
}

void throwingCallback()
{
  RecordingScheduler scheduler;
  mesos::MesosSchedulerDriver driver(&scheduler, framework(), "local");
  scheduler.onRegistered = [](mesos::SchedulerDriver*) {
    throw std::runtime_error("deliberately thrown by the test");
  };
  EXPECT(driver.start() == mesos::DRIVER_RUNNING);
  // The exception aborts the driver: join returns without anyone calling stop.
  EXPECT(driver.join() == mesos::DRIVER_ABORTED);
  EXPECT(scheduler.registrations == 1);
  EXPECT(driver.stop() == mesos::DRIVER_ABORTED);
  std::lock_guard<std::mutex> lock(scheduler.mutex);
  EXPECT(scheduler.offerCallbacks == 0);
}

} // namespace

int main()
{
  GOOGLE_PROTOBUF_VERIFY_VERSION;
  const std::vector<std::pair<const char*, void (*)()>> tests = {
    {"callsBeforeStart", callsBeforeStart},
    {"startStopJoin", startStopJoin},
    {"startAbortJoin", startAbortJoin},
    {"runReleasedByStop", runReleasedByStop},
    {"refusedUsageErrors", refusedUsageErrors},
    {"badMaster", badMaster},
    {"destructorOfRunningDriver", destructorOfRunningDriver},
    {"extendedSchedulerDefaults", extendedSchedulerDefaults},
    {"stopAndJoinInsideCallback", stopAndJoinInsideCallback},
    {"throwingCallback", throwingCallback},
  };
  for (const auto& test : tests) {
    const int before = failures;
    test.second();
    std::cout << test.first << ": " << (failures == before ? "ok" : "FAILED") << std::endl;
  }
  google::protobuf::ShutdownProtobufLibrary();
  std::cout << "test_lifecycle: " << (failures == 0 ? "ok" : "FAILED") << std::endl;
  return failures == 0 ? 0 : 1;
}
