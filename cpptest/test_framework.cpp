// test_framework: a C++ framework written for libmesos (the shape of Mesos's classic
// test framework), built against this project's <mesos/scheduler.hpp>: it registers,
// launches TASKS command tasks from offers, counts their terminal updates and stops.
//
//   test_framework MASTER            against MASTER (e.g. "local"); exit 0 = every task
//                                    FINISHED and the driver ended STOPPED.
//   test_framework --failover BINARY starts BINARY (mesos-local) with two masters and its
//                                    admin endpoint, and moves the leadership to master 1
//                                    while the tasks run: the framework must see
//                                    disconnected, then reregistered (registered once),
//                                    every task FINISHED, and heartbeats (through
//                                    mesos::ExtendedScheduler).
#include <mesos/scheduler.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

namespace {

const int TASKS = 3;
const double CPUS_PER_TASK = 0.1;
const double MEM_PER_TASK = 32;

int failures = 0;

#define EXPECT(condition)                                                   \
  do {                                                                      \
    if (!(condition)) {                                                     \
      std::cerr << __FILE__ << ":" << __LINE__ << ": failed: " #condition   \
                << std::endl;                                               \
      failures++;                                                           \
    }                                                                       \
  } while (0)

double scalar(const mesos::Offer& offer, const std::string& name)
{
  double total = 0;
  for (const mesos::Resource& resource : offer.resources()) {
    if (resource.name() == name && resource.type() == mesos::Value::SCALAR) {
      total += resource.scalar().value();
    }
  }
  return total;
}

void addScalar(mesos::TaskInfo* task, const std::string& name, double value)
{
  mesos::Resource* resource = task->add_resources();
  resource->set_name(name);
  resource->set_type(mesos::Value::SCALAR);
  resource->mutable_scalar()->set_value(value);
}

// Base is mesos::Scheduler (the legacy interface) or mesos::ExtendedScheduler.
template <typename Base>
class CountingScheduler : public Base
{
public:
  explicit CountingScheduler(const std::string& command_) : command(command_) {}

  void registered(mesos::SchedulerDriver*, const mesos::FrameworkID& frameworkId,
                  const mesos::MasterInfo&) override
  {
    std::lock_guard<std::mutex> lock(mutex);
    registrations++;
    framework = frameworkId.value();
    std::cout << "registered as " << framework << std::endl;
    changed.notify_all();
  }

  void reregistered(mesos::SchedulerDriver*, const mesos::MasterInfo&) override
  {
    std::lock_guard<std::mutex> lock(mutex);
    reregistrations++;
    if (disconnections > 0) {
      reregisteredAfterDisconnection = true;
    }
    changed.notify_all();
  }

  void disconnected(mesos::SchedulerDriver*) override
  {
    std::lock_guard<std::mutex> lock(mutex);
    disconnections++;
    changed.notify_all();
  }

  void resourceOffers(mesos::SchedulerDriver* driver,
                      const std::vector<mesos::Offer>& offers) override
  {
    for (const mesos::Offer& offer : offers) {
      std::vector<mesos::TaskInfo> tasks;
      double cpus = scalar(offer, "cpus");
      double mem = scalar(offer, "mem");
      while (launched < TASKS && cpus >= CPUS_PER_TASK && mem >= MEM_PER_TASK) {
        mesos::TaskInfo task;
        task.set_name("cpptest task " + std::to_string(launched));
        task.mutable_task_id()->set_value(std::to_string(launched));
        task.mutable_slave_id()->MergeFrom(offer.slave_id());
        task.mutable_command()->set_value(command);
        addScalar(&task, "cpus", CPUS_PER_TASK);
        addScalar(&task, "mem", MEM_PER_TASK);
        tasks.push_back(task);
        launched++;
        cpus -= CPUS_PER_TASK;
        mem -= MEM_PER_TASK;
      }
      if (tasks.empty()) {
        driver->declineOffer(offer.id());
      } else {
        EXPECT(driver->launchTasks(offer.id(), tasks) == mesos::DRIVER_RUNNING);
      }
    }
  }

  void offerRescinded(mesos::SchedulerDriver*, const mesos::OfferID&) override {}

  void statusUpdate(mesos::SchedulerDriver*, const mesos::TaskStatus& status) override
  {
    std::lock_guard<std::mutex> lock(mutex);
    std::cout << "task " << status.task_id().value() << " is "
              << mesos::TaskState_Name(status.state()) << std::endl;
    switch (status.state()) {
      case mesos::TASK_RUNNING:
        running++;
        break;
      case mesos::TASK_FINISHED:
        finished++;
        break;
      case mesos::TASK_FAILED:
      case mesos::TASK_KILLED:
      case mesos::TASK_LOST:
      case mesos::TASK_ERROR:
      case mesos::TASK_DROPPED:
      case mesos::TASK_GONE:
        otherTerminal++;
        break;
      default:
        break;
    }
    changed.notify_all();
  }

  void frameworkMessage(mesos::SchedulerDriver*, const mesos::ExecutorID&,
                        const mesos::SlaveID&, const std::string&) override {}
  void slaveLost(mesos::SchedulerDriver*, const mesos::SlaveID&) override {}
  void executorLost(mesos::SchedulerDriver*, const mesos::ExecutorID&,
                    const mesos::SlaveID&, int) override {}

  void error(mesos::SchedulerDriver*, const std::string& message) override
  {
    std::lock_guard<std::mutex> lock(mutex);
    errors++;
    std::cerr << "error: " << message << std::endl;
    changed.notify_all();
  }

  // Waits up to a minute for `done` (called with the mutex held).
  template <typename Done>
  bool waitFor(Done done)
  {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(60), [&] { return done(); });
  }

  const std::string command;
  int launched = 0; // dispatcher thread only
  std::mutex mutex;
  std::condition_variable changed;
  int registrations = 0;
  int reregistrations = 0;
  int disconnections = 0;
  bool reregisteredAfterDisconnection = false;
  int running = 0;
  int finished = 0;
  int otherTerminal = 0;
  int errors = 0;
  std::string framework;
};

using TestScheduler = CountingScheduler<mesos::Scheduler>;

// The failover run also counts the master's heartbeats, an ExtendedScheduler event.
class HeartbeatScheduler : public CountingScheduler<mesos::ExtendedScheduler>
{
public:
  using CountingScheduler<mesos::ExtendedScheduler>::CountingScheduler;

  void heartbeat(mesos::SchedulerDriver*) override
  {
    std::lock_guard<std::mutex> lock(mutex);
    heartbeats++;
  }

  int heartbeats = 0;
};

mesos::FrameworkInfo frameworkInfo(const std::string& name)
{
  mesos::FrameworkInfo framework;
  framework.set_user(""); // the driver fills in the current user
  framework.set_name(name);
  // The framework and its tasks outlive a lost connection for this long.
  framework.set_failover_timeout(60);
  return framework;
}

int runPlain(const std::string& master)
{
  TestScheduler scheduler("true");
  mesos::MesosSchedulerDriver driver(&scheduler, frameworkInfo("cpptest framework"), master);
  EXPECT(driver.start() == mesos::DRIVER_RUNNING);
  EXPECT(scheduler.waitFor(
      [&] { return scheduler.finished + scheduler.otherTerminal >= TASKS || scheduler.errors; }));
  EXPECT(driver.stop() == mesos::DRIVER_STOPPED);
  EXPECT(driver.join() == mesos::DRIVER_STOPPED);
  std::lock_guard<std::mutex> lock(scheduler.mutex);
  EXPECT(scheduler.registrations == 1);
  EXPECT(scheduler.finished == TASKS);
  EXPECT(scheduler.otherTerminal == 0);
  EXPECT(scheduler.errors == 0);
  return failures == 0 ? 0 : 1;
}

// mesos-local as a child process; its stdout announces the URL of master 0.
struct Cluster
{
  pid_t pid = -1;
  int stdoutFd = -1;
  std::string url;

  bool start(const std::string& binary)
  {
    int fds[2];
    if (pipe(fds) != 0) {
      return false;
    }
    pid = fork();
    if (pid == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execl(binary.c_str(), binary.c_str(), "--port", "0", "--masters", "2", "--admin",
            "--heartbeat-interval", "1", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    stdoutFd = fds[0];
    if (pid < 0) {
      return false;
    }
    const std::string prefix = "mesos-local: listening on ";
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p = {stdoutFd, POLLIN, 0};
      if (poll(&p, 1, 1000) <= 0) {
        continue;
      }
      char c;
      if (read(stdoutFd, &c, 1) != 1) {
        return false;
      }
      if (c != '\n') {
        line += c;
      } else if (line.compare(0, prefix.size(), prefix) == 0) {
        url = line.substr(prefix.size());
        return true;
      } else {
        line.clear();
      }
    }
    return false;
  }

  // POSTs `path` to master 0; returns the HTTP status or -1.
  int post(const std::string& path) const
  {
    unsigned port = 0;
    if (std::sscanf(url.c_str(), "http://127.0.0.1:%u", &port) != 1) {
      return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address;
    std::memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      if (fd >= 0) {
        close(fd);
      }
      return -1;
    }
    const std::string request = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Content-Length: 0\r\nConnection: close\r\n\r\n";
    std::string response;
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[1024];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof buffer)) > 0) {
        response.append(buffer, static_cast<size_t>(n));
      }
    }
    close(fd);
    int status = -1;
    return std::sscanf(response.c_str(), "HTTP/1.%*d %d", &status) == 1 ? status : -1;
  }

  ~Cluster()
  {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int status;
      waitpid(pid, &status, 0);
    }
    if (stdoutFd >= 0) {
      close(stdoutFd);
    }
  }
};

int runFailover(const std::string& binary)
{
  Cluster cluster;
  if (!cluster.start(binary)) {
    std::cerr << "test_framework: cannot start " << binary << std::endl;
    return 1;
  }
  std::cout << "mesos-local master 0 at " << cluster.url << std::endl;
  // Long enough to be running across the leader change.
  HeartbeatScheduler scheduler("sleep 3");
  mesos::MesosSchedulerDriver driver(
      &scheduler, frameworkInfo("cpptest failover"), cluster.url, true);
  EXPECT(driver.start() == mesos::DRIVER_RUNNING);
  EXPECT(scheduler.waitFor([&] { return scheduler.running >= TASKS || scheduler.errors; }));

  EXPECT(cluster.post("/admin/faults/change_leader?to=1") == 200);

  EXPECT(scheduler.waitFor([&] { return scheduler.reregistrations > 0 || scheduler.errors; }));
  EXPECT(scheduler.waitFor(
      [&] { return scheduler.finished + scheduler.otherTerminal >= TASKS || scheduler.errors; }));
  EXPECT(driver.stop() == mesos::DRIVER_STOPPED);
  EXPECT(driver.join() == mesos::DRIVER_STOPPED);
  std::lock_guard<std::mutex> lock(scheduler.mutex);
  EXPECT(scheduler.registrations == 1);
  EXPECT(scheduler.disconnections >= 1);
  EXPECT(scheduler.reregisteredAfterDisconnection);
  EXPECT(scheduler.finished == TASKS);
  EXPECT(scheduler.otherTerminal == 0);
  EXPECT(scheduler.errors == 0);
  // One per second (--heartbeat-interval 1) for the three seconds the tasks run.
  EXPECT(scheduler.heartbeats >= 1);
  std::cout << "heartbeats: " << scheduler.heartbeats << std::endl;
  std::cout << "disconnected " << scheduler.disconnections << " time(s), reregistered "
            << scheduler.reregistrations << " time(s)" << std::endl;
  return failures == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
  GOOGLE_PROTOBUF_VERIFY_VERSION;
  int result;
  if (argc == 3 && std::string(argv[1]) == "--failover") {
    result = runFailover(argv[2]);
  } else if (argc == 2) {
    result = runPlain(argv[1]);
  } else {
    std::cerr << "usage: test_framework MASTER | test_framework --failover MESOS_LOCAL"
              << std::endl;
    return 2;
  }
  google::protobuf::ShutdownProtobufLibrary();
  std::cout << (result == 0 ? "test_framework: ok" : "test_framework: FAILED") << std::endl;
  return result;
}
