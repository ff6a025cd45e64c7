// mesos::MesosSchedulerDriver over the C ABI of libmesos_sched: messages cross as
// serialized bytes in both directions; the C callbacks parse them and call the
// framework's mesos::Scheduler.
#include <mesos/scheduler.hpp>

#include <cstdio>
#include <exception>
#include <utility>

#include <mesos_sched.h>

namespace mesos {

namespace {

// A message serialized for one call; partial serialization, as libmesos sent messages
// with missing required fields on and left the judgement to the master.
std::string serialized(const google::protobuf::MessageLite& message)
{
  std::string bytes;
  message.SerializePartialToString(&bytes);
  return bytes;
}

const uint8_t* bytesOf(const std::string& bytes)
{
  return reinterpret_cast<const uint8_t*>(bytes.data());
}

// A vector of messages as the C ABI's (pointers, lengths, count) arrays.
class SerializedArray
{
public:
  template <typename Message>
  explicit SerializedArray(const std::vector<Message>& messages)
  {
    storage.reserve(messages.size());
    for (const Message& message : messages) {
      storage.push_back(serialized(message));
    }
    for (const std::string& bytes : storage) {
      pointers.push_back(bytesOf(bytes));
      lengths.push_back(bytes.size());
    }
  }

  const uint8_t* const* data() const { return pointers.empty() ? nullptr : pointers.data(); }
  const size_t* lens() const { return lengths.empty() ? nullptr : lengths.data(); }
  size_t count() const { return pointers.size(); }

private:
  std::vector<std::string> storage;
  std::vector<const uint8_t*> pointers;
  std::vector<size_t> lengths;
};

// Strings as the C ABI's (pointers, count); an empty list is NULL, 0.
class CStringArray
{
public:
  explicit CStringArray(const std::vector<std::string>& strings)
  {
    for (const std::string& s : strings) {
      pointers.push_back(s.c_str());
    }
  }

  const char* const* data() const { return pointers.empty() ? nullptr : pointers.data(); }
  size_t count() const { return pointers.size(); }

private:
  std::vector<const char*> pointers;
};

std::string lastErrorOf(const mesos_sched_driver* handle)
{
  size_t length = mesos_sched_driver_last_error(handle, nullptr, 0);
  if (length == 0) {
    return std::string();
  }
  std::vector<char> buffer(length + 1);
  mesos_sched_driver_last_error(handle, buffer.data(), buffer.size());
  return std::string(buffer.data());
}

// The driver whose callback runs on this thread (null outside callbacks): its
// destructor must not wait for the callback it is called from.
thread_local const MesosSchedulerDriver* callbackDriver = nullptr;

bool isStatus(int code)
{
  return code >= DRIVER_NOT_STARTED && code <= DRIVER_STOPPED;
}

} // namespace

// The C vtable's functions. Each parses the library's bytes into mesos::* messages and
// calls the framework; nothing thrown may cross back into the library.
struct DriverCallbacks
{
  // Runs `call` for `driver`; an escaping exception or unparsable bytes abort the driver.
  template <typename Call>
  static void guarded(void* userData, mesos_sched_driver* handle, const char* name, Call call)
  {
    MesosSchedulerDriver* driver = static_cast<MesosSchedulerDriver*>(userData);
    const char* failure = nullptr;
    std::string what;
    const MesosSchedulerDriver* outer = callbackDriver;
    callbackDriver = driver;
    {
      std::lock_guard<std::mutex> lock(driver->mutex);
      driver->callbacksRunning++;
    }
    try {
      if (!call(driver)) {
        failure = "could not parse the event's protobuf message";
      }
    } catch (const std::exception& e) {
      failure = "exception";
      what = e.what();
    } catch (...) {
      failure = "exception";
      what = "(not a std::exception)";
    }
    if (failure != nullptr) {
      std::fprintf(
          stderr,
          "mesos::MesosSchedulerDriver: %s in Scheduler::%s%s%s; aborting the driver\n",
          failure, name, what.empty() ? "" : ": ", what.c_str());
      std::fflush(stderr);
      mesos_sched_driver_abort(handle);
    }
    // The callback destroyed the driver (its destructor cleared callbackDriver).
    const bool destroyed = callbackDriver != driver;
    callbackDriver = outer;
    if (destroyed) {
      return;
    }
    // The driver may be destroyed as soon as this is signalled: touch it no more.
    std::lock_guard<std::mutex> lock(driver->mutex);
    driver->callbacksRunning--;
    driver->callbackReturned.notify_all();
  }

  template <typename Message>
  static bool parse(Message* message, const uint8_t* data, size_t length)
  {
    return message->ParsePartialFromArray(data, static_cast<int>(length));
  }

  template <typename Message>
  static bool parseAll(
      std::vector<Message>* messages,
      const uint8_t* const* data,
      const size_t* lengths,
      size_t count)
  {
    messages->resize(count);
    for (size_t i = 0; i < count; i++) {
      if (!parse(&(*messages)[i], data[i], lengths[i])) {
        return false;
      }
    }
    return true;
  }

  static ExtendedScheduler* extended(MesosSchedulerDriver* driver)
  {
    return dynamic_cast<ExtendedScheduler*>(driver->scheduler);
  }

  static void registered(
      void* userData, mesos_sched_driver* handle,
      const uint8_t* frameworkId, size_t frameworkIdLength,
      const uint8_t* masterInfo, size_t masterInfoLength)
  {
    guarded(userData, handle, "registered", [&](MesosSchedulerDriver* driver) {
      FrameworkID id;
      MasterInfo master;
      if (!parse(&id, frameworkId, frameworkIdLength) ||
          !parse(&master, masterInfo, masterInfoLength)) {
        return false;
      }
      driver->scheduler->registered(driver, id, master);
      return true;
    });
  }

  static void reregistered(
      void* userData, mesos_sched_driver* handle,
      const uint8_t* masterInfo, size_t masterInfoLength)
  {
    guarded(userData, handle, "reregistered", [&](MesosSchedulerDriver* driver) {
      MasterInfo master;
      if (!parse(&master, masterInfo, masterInfoLength)) {
        return false;
      }
      driver->scheduler->reregistered(driver, master);
      return true;
    });
  }

  static void disconnected(void* userData, mesos_sched_driver* handle)
  {
    guarded(userData, handle, "disconnected", [&](MesosSchedulerDriver* driver) {
      driver->scheduler->disconnected(driver);
      return true;
    });
  }

  static void resourceOffers(
      void* userData, mesos_sched_driver* handle,
      const uint8_t* const* offers, const size_t* lengths, size_t count)
  {
    guarded(userData, handle, "resourceOffers", [&](MesosSchedulerDriver* driver) {
      std::vector<Offer> parsed;
      if (!parseAll(&parsed, offers, lengths, count)) {
        return false;
      }
      driver->scheduler->resourceOffers(driver, parsed);
      return true;
    });
  }

  static void offerRescinded(
      void* userData, mesos_sched_driver* handle, const uint8_t* offerId, size_t length)
  {
    guarded(userData, handle, "offerRescinded", [&](MesosSchedulerDriver* driver) {
      OfferID id;
      if (!parse(&id, offerId, length)) {
        return false;
      }
      driver->scheduler->offerRescinded(driver, id);
      return true;
    });
  }

  static void statusUpdate(
      void* userData, mesos_sched_driver* handle, const uint8_t* taskStatus, size_t length)
  {
    guarded(userData, handle, "statusUpdate", [&](MesosSchedulerDriver* driver) {
      TaskStatus status;
      if (!parse(&status, taskStatus, length)) {
        return false;
      }
      driver->scheduler->statusUpdate(driver, status);
      return true;
    });
  }

  static void frameworkMessage(
      void* userData, mesos_sched_driver* handle,
      const uint8_t* executorId, size_t executorIdLength,
      const uint8_t* agentId, size_t agentIdLength,
      const uint8_t* data, size_t dataLength)
  {
    guarded(userData, handle, "frameworkMessage", [&](MesosSchedulerDriver* driver) {
      ExecutorID executor;
      SlaveID slave;
      if (!parse(&executor, executorId, executorIdLength) ||
          !parse(&slave, agentId, agentIdLength)) {
        return false;
      }
      const std::string message(reinterpret_cast<const char*>(data), dataLength);
      driver->scheduler->frameworkMessage(driver, executor, slave, message);
      return true;
    });
  }

  static void slaveLost(
      void* userData, mesos_sched_driver* handle, const uint8_t* agentId, size_t length)
  {
    guarded(userData, handle, "slaveLost", [&](MesosSchedulerDriver* driver) {
      SlaveID slave;
      if (!parse(&slave, agentId, length)) {
        return false;
      }
      driver->scheduler->slaveLost(driver, slave);
      return true;
    });
  }

  static void executorLost(
      void* userData, mesos_sched_driver* handle,
      const uint8_t* executorId, size_t executorIdLength,
      const uint8_t* agentId, size_t agentIdLength, int32_t status)
  {
    guarded(userData, handle, "executorLost", [&](MesosSchedulerDriver* driver) {
      ExecutorID executor;
      SlaveID slave;
      if (!parse(&executor, executorId, executorIdLength) ||
          !parse(&slave, agentId, agentIdLength)) {
        return false;
      }
      driver->scheduler->executorLost(driver, executor, slave, status);
      return true;
    });
  }

  static void error(
      void* userData, mesos_sched_driver* handle, const char* message, size_t length)
  {
    guarded(userData, handle, "error", [&](MesosSchedulerDriver* driver) {
      driver->scheduler->error(driver, std::string(message, length));
      return true;
    });
  }

  static void inverseOffers(
      void* userData, mesos_sched_driver* handle,
      const uint8_t* const* offers, const size_t* lengths, size_t count)
  {
    guarded(userData, handle, "inverseOffers", [&](MesosSchedulerDriver* driver) {
      std::vector<InverseOffer> parsed;
      if (!parseAll(&parsed, offers, lengths, count)) {
        return false;
      }
      extended(driver)->inverseOffers(driver, parsed);
      return true;
    });
  }

  static void inverseOfferRescinded(
      void* userData, mesos_sched_driver* handle, const uint8_t* offerId, size_t length)
  {
    guarded(userData, handle, "inverseOfferRescinded", [&](MesosSchedulerDriver* driver) {
      OfferID id;
      if (!parse(&id, offerId, length)) {
        return false;
      }
      extended(driver)->inverseOfferRescinded(driver, id);
      return true;
    });
  }

  static void operationStatus(
      void* userData, mesos_sched_driver* handle, const uint8_t* operationStatus,
      size_t length)
  {
    guarded(userData, handle, "operationStatus", [&](MesosSchedulerDriver* driver) {
      OperationStatus status;
      if (!parse(&status, operationStatus, length)) {
        return false;
      }
      extended(driver)->operationStatus(driver, status);
      return true;
    });
  }

  static void heartbeat(void* userData, mesos_sched_driver* handle)
  {
    guarded(userData, handle, "heartbeat", [&](MesosSchedulerDriver* driver) {
      extended(driver)->heartbeat(driver);
      return true;
    });
  }

  static mesos_sched_scheduler vtable(bool withExtensions)
  {
    mesos_sched_scheduler callbacks = mesos_sched_scheduler();
    callbacks.struct_size = sizeof callbacks;
    callbacks.registered = registered;
    callbacks.reregistered = reregistered;
    callbacks.disconnected = disconnected;
    callbacks.resource_offers = resourceOffers;
    callbacks.offer_rescinded = offerRescinded;
    callbacks.status_update = statusUpdate;
    callbacks.framework_message = frameworkMessage;
    callbacks.slave_lost = slaveLost;
    callbacks.executor_lost = executorLost;
    callbacks.error = error;
    if (withExtensions) {
      callbacks.inverse_offers = inverseOffers;
      callbacks.inverse_offer_rescinded = inverseOfferRescinded;
      callbacks.operation_status = operationStatus;
      callbacks.heartbeat = heartbeat;
    }
    return callbacks;
  }
};

MesosSchedulerDriver::MesosSchedulerDriver(
    Scheduler* scheduler_,
    const FrameworkInfo& framework,
    const std::string& master)
  : scheduler(scheduler_), handle(nullptr), callbacksRunning(0), unusable(DRIVER_NOT_STARTED)
{
  initialize(framework, std::vector<std::string>(), master, true, nullptr);
}

MesosSchedulerDriver::MesosSchedulerDriver(
    Scheduler* scheduler_,
    const FrameworkInfo& framework,
    const std::string& master,
    const Credential& credential)
  : scheduler(scheduler_), handle(nullptr), callbacksRunning(0), unusable(DRIVER_NOT_STARTED)
{
  initialize(framework, std::vector<std::string>(), master, true, &credential);
}

MesosSchedulerDriver::MesosSchedulerDriver(
    Scheduler* scheduler_,
    const FrameworkInfo& framework,
    const std::string& master,
    bool implicitAcknowledgements)
  : scheduler(scheduler_), handle(nullptr), callbacksRunning(0), unusable(DRIVER_NOT_STARTED)
{
  initialize(
      framework, std::vector<std::string>(), master, implicitAcknowledgements, nullptr);
}

MesosSchedulerDriver::MesosSchedulerDriver(
    Scheduler* scheduler_,
    const FrameworkInfo& framework,
    const std::string& master,
    bool implicitAcknowledgements,
    const Credential& credential)
  : scheduler(scheduler_), handle(nullptr), callbacksRunning(0), unusable(DRIVER_NOT_STARTED)
{
  initialize(
      framework, std::vector<std::string>(), master, implicitAcknowledgements, &credential);
}

MesosSchedulerDriver::MesosSchedulerDriver(
    Scheduler* scheduler_,
    const FrameworkInfo& framework,
    const std::vector<std::string>& suppressedRoles,
    const std::string& master,
    bool implicitAcknowledgements)
  : scheduler(scheduler_), handle(nullptr), callbacksRunning(0), unusable(DRIVER_NOT_STARTED)
{
  initialize(framework, suppressedRoles, master, implicitAcknowledgements, nullptr);
}

MesosSchedulerDriver::MesosSchedulerDriver(
    Scheduler* scheduler_,
    const FrameworkInfo& framework,
    const std::vector<std::string>& suppressedRoles,
    const std::string& master,
    bool implicitAcknowledgements,
    const Credential& credential)
  : scheduler(scheduler_), handle(nullptr), callbacksRunning(0), unusable(DRIVER_NOT_STARTED)
{
  initialize(framework, suppressedRoles, master, implicitAcknowledgements, &credential);
}

void MesosSchedulerDriver::initialize(
    const FrameworkInfo& framework,
    const std::vector<std::string>& suppressedRoles,
    const std::string& master,
    bool implicitAcknowledgements,
    const Credential* credential)
{
  if (scheduler == nullptr) {
    constructionError = "the Scheduler is null";
    return;
  }
  const mesos_sched_scheduler callbacks =
    DriverCallbacks::vtable(dynamic_cast<ExtendedScheduler*>(scheduler) != nullptr);
  const std::string frameworkBytes = serialized(framework);
  const std::string credentialBytes =
    credential == nullptr ? std::string() : serialized(*credential);

  mesos_sched_driver* created = nullptr;
  const mesos_sched_status code = mesos_sched_driver_new(
      &callbacks,
      this,
      bytesOf(frameworkBytes),
      frameworkBytes.size(),
      master.c_str(),
      credential == nullptr ? nullptr : bytesOf(credentialBytes),
      credentialBytes.size(),
      implicitAcknowledgements,
      &created);
  if (code != MESOS_SCHED_STATUS_DRIVER_NOT_STARTED) {
    constructionError = lastErrorOf(nullptr);
    return;
  }

  if (!suppressedRoles.empty()) {
    // The C ABI takes the initial suppressed roles as one comma-separated option.
    std::string joined;
    for (const std::string& role : suppressedRoles) {
      if (role.find(',') != std::string::npos) {
        constructionError = "suppressed role '" + role + "' contains a comma";
        mesos_sched_driver_free(created);
        return;
      }
      joined += (joined.empty() ? "" : ",") + role;
    }
    if (mesos_sched_driver_set_option(created, "suppressed_roles", joined.c_str()) !=
        MESOS_SCHED_STATUS_DRIVER_NOT_STARTED) {
      constructionError = lastErrorOf(created);
      mesos_sched_driver_free(created);
      return;
    }
  }
  handle = created;
}

MesosSchedulerDriver::~MesosSchedulerDriver()
{
  if (handle == nullptr) {
    return;
  }
  if (callbackDriver == this) {
    // Freeing would wait for the callback this destructor runs in.
    callbackDriver = nullptr;
    mesos_sched_driver_abort(handle);
    std::fprintf(stderr,
                 "mesos::MesosSchedulerDriver: destroyed inside its own callback; the "
                 "driver is aborted and its handle leaked\n");
    return;
  }
  // Stops with failover semantics (no teardown), then joins the driver's threads.
  mesos_sched_driver_free(handle);
  awaitCallbacks();
}

Status MesosSchedulerDriver::unusableStatus()
{
  std::lock_guard<std::mutex> lock(mutex);
  return unusable;
}

Status MesosSchedulerDriver::result(int code, const char* method)
{
  if (isStatus(code)) {
    return static_cast<Status>(code);
  }
  std::fprintf(stderr, "mesos::MesosSchedulerDriver::%s refused: %s\n", method,
               lastErrorOf(handle).c_str());
  std::fflush(stderr);
  const int current = mesos_sched_driver_status(handle);
  return isStatus(current) ? static_cast<Status>(current) : DRIVER_ABORTED;
}

std::string MesosSchedulerDriver::lastError() const
{
  if (handle == nullptr) {
    std::lock_guard<std::mutex> lock(mutex);
    return constructionError;
  }
  return lastErrorOf(handle);
}

Status MesosSchedulerDriver::start()
{
  if (handle != nullptr) {
    return result(mesos_sched_driver_start(handle), "start");
  }
  std::string message;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (unusable != DRIVER_NOT_STARTED) {
      return unusable;
    }
    unusable = DRIVER_ABORTED;
    message = "Failed to create the scheduler driver: " + constructionError;
  }
  if (scheduler != nullptr) {
    DriverCallbacks::guarded(this, nullptr, "error", [&](MesosSchedulerDriver* driver) {
      scheduler->error(driver, message);
      return true;
    });
  }
  return DRIVER_ABORTED;
}

Status MesosSchedulerDriver::stop(bool failover)
{
  if (handle == nullptr) {
    return unusableStatus();
  }
  return result(mesos_sched_driver_stop(handle, failover), "stop");
}

Status MesosSchedulerDriver::abort()
{
  if (handle == nullptr) {
    return unusableStatus();
  }
  return result(mesos_sched_driver_abort(handle), "abort");
}

void MesosSchedulerDriver::awaitCallbacks()
{
  std::unique_lock<std::mutex> lock(mutex);
  callbackReturned.wait(lock, [this] { return callbacksRunning == 0; });
}

Status MesosSchedulerDriver::join()
{
  if (handle == nullptr) {
    return unusableStatus();
  }
  const int code = mesos_sched_driver_join(handle);
  if (isStatus(code)) {
    // Stopped or aborted: no callback begins any more; let the one in progress end.
    awaitCallbacks();
  }
  return result(code, "join");
}

Status MesosSchedulerDriver::run()
{
  if (handle == nullptr) {
    return start();
  }
  const int code = mesos_sched_driver_run(handle);
  if (isStatus(code)) {
    awaitCallbacks();
  }
  return result(code, "run");
}

Status MesosSchedulerDriver::requestResources(const std::vector<Request>& requests)
{
  if (handle == nullptr) {
    return unusableStatus();
  }
  const SerializedArray array(requests);
  return result(
      mesos_sched_driver_request_resources(handle, array.data(), array.lens(), array.count()),
      "requestResources");
}

Status MesosSchedulerDriver::launchTasks(
    const OfferID& offerId,
    const std::vector<TaskInfo>& tasks,
    const Filters& filters)
{
  return launchTasks(std::vector<OfferID>(1, offerId), tasks, filters);
}

Status MesosSchedulerDriver::launchTasks(
    const std::vector<OfferID>& offerIds,
    const std::vector<TaskInfo>& tasks,
    const Filters& filters)
{
  if (handle == nullptr) {
    return unusableStatus();
  }
  const SerializedArray offers(offerIds);
  const SerializedArray infos(tasks);
  const std::string filterBytes = serialized(filters);
  return result(
      mesos_sched_driver_launch_tasks(
          handle,
          offers.data(), offers.lens(), offers.count(),
          infos.data(), infos.lens(), infos.count(),
          bytesOf(filterBytes), filterBytes.size()),
      "launchTasks");
}

Status MesosSchedulerDriver::killTask(const TaskID& taskId)
{
  if (handle == nullptr) {
    return unusableStatus();
  }
  const std::string id = serialized(taskId);
  return result(mesos_sched_driver_kill_task(handle, bytesOf(id), id.size()), "killTask");
}

Status MesosSchedulerDriver::acceptOffers(
    const std::vector<OfferID>& offerIds,
    const std::vector<Offer::Operation>& operations,
    const Filters& filters)
{
  if (handle == nullptr) {
    return unusableStatus();
  }
  const SerializedArray offers(offerIds);
  const SerializedArray ops(operations);
  const std::string filterBytes = serialized(filters);
  return result(
      mesos_sched_driver_accept_offers(
          handle,
          offers.data(), offers.lens(), offers.count(),
          ops.data(), ops.lens(), ops.count(),
          bytesOf(filterBytes), filterBytes.size()),
      "acceptOffers");
}

Status MesosSchedulerDriver::declineOffer(const OfferID& offerId, const Filters& filters)
{
  if (handle == nullptr) {
    return unusableStatus();
  }
  const std::string id = serialized(offerId);
  const std::string filterBytes = serialized(filters);
  return result(
      mesos_sched_driver_decline_offer(
          handle, bytesOf(id), id.size(), bytesOf(filterBytes), filterBytes.size()),
      "declineOffer");
}

Status MesosSchedulerDriver::reviveOffers()
{
  return reviveOffers(std::vector<std::string>());
}

Status MesosSchedulerDriver::reviveOffers(const std::vector<std::string>& roles)
{
  if (handle == nullptr) {
    return unusableStatus();
  }
  const CStringArray names(roles);
  return result(
      mesos_sched_driver_revive_offers(handle, names.data(), names.count()), "reviveOffers");
}

Status MesosSchedulerDriver::suppressOffers()
{
  return suppressOffers(std::vector<std::string>());
}

Status MesosSchedulerDriver::suppressOffers(const std::vector<std::string>& roles)
{
  if (handle == nullptr) {
    return unusableStatus();
  }
  const CStringArray names(roles);
  return result(
      mesos_sched_driver_suppress_offers(handle, names.data(), names.count()),
      "suppressOffers");
}

Status MesosSchedulerDriver::acknowledgeStatusUpdate(const TaskStatus& status)
{
  if (handle == nullptr) {
    return unusableStatus();
  }
  const std::string bytes = serialized(status);
  return result(
      mesos_sched_driver_acknowledge_status_update(handle, bytesOf(bytes), bytes.size()),
      "acknowledgeStatusUpdate");
}

Status MesosSchedulerDriver::sendFrameworkMessage(
    const ExecutorID& executorId,
    const SlaveID& slaveId,
    const std::string& data)
{
  if (handle == nullptr) {
    return unusableStatus();
  }
  const std::string executor = serialized(executorId);
  const std::string slave = serialized(slaveId);
  return result(
      mesos_sched_driver_send_framework_message(
          handle,
          bytesOf(executor), executor.size(),
          bytesOf(slave), slave.size(),
          bytesOf(data), data.size()),
      "sendFrameworkMessage");
}

Status MesosSchedulerDriver::reconcileTasks(const std::vector<TaskStatus>& statuses)
{
  if (handle == nullptr) {
    return unusableStatus();
  }
  const SerializedArray array(statuses);
  return result(
      mesos_sched_driver_reconcile_tasks(handle, array.data(), array.lens(), array.count()),
      "reconcileTasks");
}

Status MesosSchedulerDriver::updateFramework(
    const FrameworkInfo& frameworkInfo,
    const std::vector<std::string>& suppressedRoles,
    ::mesos::scheduler::OfferConstraints&& offerConstraints)
{
  if (handle == nullptr) {
    return unusableStatus();
  }
  const std::string framework = serialized(frameworkInfo);
  const CStringArray roles(suppressedRoles);
  const ::mesos::scheduler::OfferConstraints constraints(std::move(offerConstraints));
  const std::string constraintBytes = serialized(constraints);
  return result(
      mesos_sched_driver_update_framework(
          handle,
          bytesOf(framework), framework.size(),
          roles.data(), roles.count(),
          bytesOf(constraintBytes), constraintBytes.size()),
      "updateFramework");
}

} // namespace mesos
