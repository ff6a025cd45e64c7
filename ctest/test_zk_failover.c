/*
 * test_zk_failover: one master failover through the C ABI. Starts mesos-local with two
 * masters registered in a real ZooKeeper ($MESOS_SCHED_TEST_ZK, required), a driver
 * with master "zk://.../mesos-ctest-<pid>" and a failover timeout registers and
 * launches tasks; then the admin endpoint stops the leading master (its ZooKeeper
 * session closes, the other master leads). The callbacks must show: disconnected,
 * reregistered under the same framework id (registered exactly once), and every task's
 * updates through TASK_FINISHED.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "mesos_wire.h"

#define TASKS 2
#define WAIT_SECONDS 60

typedef struct context {
  waiter w;
  int registered;
  int reregistered;
  int disconnected;
  int disconnected_before_reregistered;
  char framework_id[128];
  int launched;
  mesos_sched_status launch_result;
  int running[TASKS];
  int finished[TASKS];
  int other_terminal;
  int last_state[TASKS];
  int errors;
  char error_message[256];
} context;

static void on_registered(void *user_data, mesos_sched_driver *driver,
                          const uint8_t *framework_id, size_t framework_id_len,
                          const uint8_t *master_info, size_t master_info_len) {
  context *ctx = (context *)user_data;
  (void)driver;
  (void)master_info;
  (void)master_info_len;
  pthread_mutex_lock(&ctx->w.mutex);
  ctx->registered++;
  mw_id_value(framework_id, framework_id_len, ctx->framework_id, sizeof ctx->framework_id);
  pthread_cond_broadcast(&ctx->w.changed);
  pthread_mutex_unlock(&ctx->w.mutex);
}

static void on_reregistered(void *user_data, mesos_sched_driver *driver,
                            const uint8_t *master_info, size_t master_info_len) {
  context *ctx = (context *)user_data;
  (void)driver;
  (void)master_info;
  (void)master_info_len;
  pthread_mutex_lock(&ctx->w.mutex);
  if (ctx->reregistered == 0) ctx->disconnected_before_reregistered = ctx->disconnected > 0;
  ctx->reregistered++;
  pthread_cond_broadcast(&ctx->w.changed);
  pthread_mutex_unlock(&ctx->w.mutex);
}

static void on_disconnected(void *user_data, mesos_sched_driver *driver) {
  context *ctx = (context *)user_data;
  (void)driver;
  pthread_mutex_lock(&ctx->w.mutex);
  ctx->disconnected++;
  pthread_cond_broadcast(&ctx->w.changed);
  pthread_mutex_unlock(&ctx->w.mutex);
}

static void on_resource_offers(void *user_data, mesos_sched_driver *driver,
                               const uint8_t *const *offers, const size_t *offer_lens,
                               size_t offer_count) {
  context *ctx = (context *)user_data;
  size_t i;
  for (i = 0; i < offer_count; i++) {
    mw_offer offer;
    pb_buf tasks[TASKS], filters;
    const uint8_t *task_ptrs[TASKS];
    size_t task_lens[TASKS];
    int t, launch;
    if (mw_parse_offer(offers[i], offer_lens[i], &offer) != 0) continue;
    pthread_mutex_lock(&ctx->w.mutex);
    launch = !ctx->launched && offer.cpus >= 1 && offer.mem >= 64;
    if (launch) ctx->launched = 1;
    pthread_mutex_unlock(&ctx->w.mutex);
    pb_init(&filters);
    mw_filters(&filters, 3600);
    if (!launch) {
      mesos_sched_driver_decline_offer(driver, offer.id, offer.id_len, filters.data,
                                       filters.len);
      pb_free(&filters);
      continue;
    }
    for (t = 0; t < TASKS; t++) {
      char task_id[32];
      snprintf(task_id, sizeof task_id, "failover-%d", t);
      pb_init(&tasks[t]);
      /* Long enough to outlive the failover, short enough to finish after it. */
      mw_command_task(&tasks[t], task_id, task_id, offer.agent_id, offer.agent_id_len, 0.25,
                      16, "sleep 4");
      task_ptrs[t] = tasks[t].data;
      task_lens[t] = tasks[t].len;
    }
    {
      mesos_sched_status result = mesos_sched_driver_launch_tasks(
          driver, &offer.id, &offer.id_len, 1, task_ptrs, task_lens, TASKS, filters.data,
          filters.len);
      pthread_mutex_lock(&ctx->w.mutex);
      ctx->launch_result = result;
      pthread_mutex_unlock(&ctx->w.mutex);
    }
    for (t = 0; t < TASKS; t++) pb_free(&tasks[t]);
    pb_free(&filters);
  }
}

static void on_status_update(void *user_data, mesos_sched_driver *driver,
                             const uint8_t *task_status, size_t task_status_len) {
  context *ctx = (context *)user_data;
  mw_status s;
  int t;
  (void)driver;
  pthread_mutex_lock(&ctx->w.mutex);
  if (mw_parse_status(task_status, task_status_len, &s) != 0 ||
      sscanf(s.task_id, "failover-%d", &t) != 1 || t < 0 || t >= TASKS) {
    ctx->errors++;
    snprintf(ctx->error_message, sizeof ctx->error_message, "unexpected TaskStatus");
  } else {
    ctx->last_state[t] = s.state;
    if (s.state == MW_TASK_RUNNING) ctx->running[t] = 1;
    if (s.state == MW_TASK_FINISHED)
      ctx->finished[t]++;
    else if (mw_is_terminal(s.state)) {
      ctx->other_terminal++;
      fprintf(stderr, "task %s: %s (%s)\n", s.task_id, mw_task_state_name(s.state), s.message);
    }
  }
  pthread_cond_broadcast(&ctx->w.changed);
  pthread_mutex_unlock(&ctx->w.mutex);
}

static void on_error(void *user_data, mesos_sched_driver *driver, const char *message,
                     size_t message_len) {
  context *ctx = (context *)user_data;
  (void)driver;
  pthread_mutex_lock(&ctx->w.mutex);
  ctx->errors++;
  snprintf(ctx->error_message, sizeof ctx->error_message, "%.*s", (int)message_len, message);
  pthread_cond_broadcast(&ctx->w.changed);
  pthread_mutex_unlock(&ctx->w.mutex);
}

static int is_registered(void *arg) { return ((context *)arg)->registered > 0; }
static int all_running(void *arg) {
  context *ctx = (context *)arg;
  int t;
  for (t = 0; t < TASKS; t++)
    if (!ctx->running[t]) return ctx->other_terminal > 0;
  return 1;
}
static int is_reregistered(void *arg) { return ((context *)arg)->reregistered > 0; }
static int all_done(void *arg) {
  context *ctx = (context *)arg;
  int t, finished = 0;
  for (t = 0; t < TASKS; t++) finished += ctx->finished[t] > 0;
  return finished + ctx->other_terminal >= TASKS;
}

/* The child mesos-local: its pid and the read end of its stdout. */
typedef struct child {
  pid_t pid;
  int stdout_fd;
} child;

/* Starts argv[0] with stdout on a pipe; -1 on failure. */
static int spawn(char *const argv[], child *out) {
  int fds[2];
  pid_t pid;
  if (pipe(fds) != 0) return -1;
  pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execv(argv[0], argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  out->pid = pid;
  out->stdout_fd = fds[0];
  return 0;
}

/* Reads the child's stdout until "mesos-local: listening on URL\n" (bounded); copies
 * URL into `url`. 0 on success. */
static int read_listening_url(int fd, char *url, size_t url_len, int seconds) {
  static const char prefix[] = "mesos-local: listening on ";
  char line[512];
  size_t used = 0;
  time_t deadline = time(NULL) + seconds;
  while (time(NULL) < deadline && used + 1 < sizeof line) {
    struct pollfd p;
    ssize_t n;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, 1000) <= 0) continue;
    n = read(fd, line + used, 1);
    if (n <= 0) return -1; /* the child exited */
    if (line[used] == '\n') {
      line[used] = '\0';
      if (strncmp(line, prefix, strlen(prefix)) == 0) {
        snprintf(url, url_len, "%s", line + strlen(prefix));
        return 0;
      }
      used = 0;
      continue;
    }
    used++;
  }
  return -1;
}

/* POSTs `path` to http://127.0.0.1:PORT (from `url`); returns the HTTP status or -1. */
static int http_post(const char *url, const char *path, char *body, size_t body_len) {
  char request[512], response[2048];
  unsigned port;
  int fd, status = -1;
  size_t got = 0;
  struct sockaddr_in address;
  const char *end;
  if (sscanf(url, "http://127.0.0.1:%u", &port) != 1 || port == 0 || port > 65535)
    return -1;
  fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons((uint16_t)port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    close(fd);
    return -1;
  }
  snprintf(request, sizeof request,
           "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Length: 0\r\n"
           "Connection: close\r\n\r\n",
           path, port);
  if (write(fd, request, strlen(request)) != (ssize_t)strlen(request)) {
    close(fd);
    return -1;
  }
  for (;;) {
    struct pollfd p;
    ssize_t n;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    if (got + 1 >= sizeof response || poll(&p, 1, 20000) <= 0) break;
    n = read(fd, response + got, sizeof response - 1 - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fd);
  response[got] = '\0';
  if (sscanf(response, "HTTP/1.%*d %d", &status) != 1) return -1;
  end = strstr(response, "\r\n\r\n");
  snprintf(body, body_len, "%s", end ? end + 4 : "");
  return status;
}

/* SIGTERM, then wait (bounded; SIGKILL after 20 s). Returns the wait status. */
static int stop_child(child *c) {
  int status = 0, i;
  kill(c->pid, SIGTERM);
  for (i = 0; i < 200; i++) {
    pid_t done = waitpid(c->pid, &status, WNOHANG);
    if (done == c->pid) break;
    usleep(100 * 1000);
  }
  if (i == 200) {
    fprintf(stderr, "mesos-local did not stop on SIGTERM; killing it\n");
    kill(c->pid, SIGKILL);
    waitpid(c->pid, &status, 0);
  }
  close(c->stdout_fd);
  return status;
}

int main(void) {
  context ctx;
  mesos_sched_scheduler scheduler;
  mesos_sched_driver *driver = NULL;
  pb_buf fi;
  child cluster;
  char zk_url[512], leader_url[256], body[256], framework_id[128];
  const char *zk = getenv("MESOS_SCHED_TEST_ZK");
  const char *binary = getenv("MESOS_LOCAL_BIN");
  int t, http_status, child_status;

  if (!zk || !*zk) {
    fprintf(stderr,
            "test_zk_failover: MESOS_SCHED_TEST_ZK is not set: start a real ZooKeeper "
            "first, e.g.\n  export MESOS_SCHED_TEST_ZK=$(bash scripts/zookeeper.sh start "
            "DIR)\n(scripts/test-all.sh does this)\n");
    return 1;
  }
  if (!binary || !*binary) binary = MESOS_SCHED_ROOT_DIR "/target/debug/mesos-local";
  if (access(binary, X_OK) != 0) {
    fprintf(stderr, "test_zk_failover: %s is not executable (cargo build --bins, or set "
                    "MESOS_LOCAL_BIN)\n", binary);
    return 1;
  }
  snprintf(zk_url, sizeof zk_url, "zk://%s/mesos-ctest-%ld", zk, (long)getpid());

  {
    char *argv[] = {(char *)binary, "--port", "0", "--masters", "2", "--zk", zk_url,
                    "--admin", "--heartbeat-interval", "1", NULL};
    if (spawn(argv, &cluster) != 0) {
      fprintf(stderr, "test_zk_failover: cannot start %s: %s\n", binary, strerror(errno));
      return 1;
    }
  }
  if (read_listening_url(cluster.stdout_fd, leader_url, sizeof leader_url, WAIT_SECONDS)) {
    fprintf(stderr, "test_zk_failover: mesos-local did not report its URL\n");
    stop_child(&cluster);
    return 1;
  }
  printf("mesos-local leads at %s, registered under %s\n", leader_url, zk_url);

  memset(&ctx, 0, sizeof ctx);
  waiter_init(&ctx.w);
  scheduler = empty_scheduler();
  scheduler.registered = on_registered;
  scheduler.reregistered = on_reregistered;
  scheduler.disconnected = on_disconnected;
  scheduler.resource_offers = on_resource_offers;
  scheduler.status_update = on_status_update;
  scheduler.error = on_error;
  pb_init(&fi);
  /* A failover timeout: the framework (and its tasks) outlive the lost connection. */
  mw_framework_info(&fi, "ctest zk failover", 60, 0);

  CHECK_STATUS(mesos_sched_driver_new(&scheduler, &ctx, fi.data, fi.len, zk_url, NULL, 0,
                                      true, &driver),
               MESOS_SCHED_STATUS_DRIVER_NOT_STARTED, NULL);
  if (driver) {
    CHECK_STATUS(mesos_sched_driver_start(driver), MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);
    CHECK(waiter_lock_and_wait(&ctx.w, is_registered, &ctx, WAIT_SECONDS));
    pthread_mutex_lock(&ctx.w.mutex);
    snprintf(framework_id, sizeof framework_id, "%s", ctx.framework_id);
    pthread_mutex_unlock(&ctx.w.mutex);
    CHECK(framework_id[0] != '\0');
    printf("registered as %s\n", framework_id);

    CHECK(waiter_lock_and_wait(&ctx.w, all_running, &ctx, WAIT_SECONDS));
    pthread_mutex_lock(&ctx.w.mutex);
    CHECK_STATUS(ctx.launch_result, MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);
    for (t = 0; t < TASKS; t++) CHECK(ctx.running[t]);
    CHECK(ctx.disconnected == 0);
    pthread_mutex_unlock(&ctx.w.mutex);

    /* The leader (master 0) goes: ZooKeeper hands leadership to master 1. */
    http_status = http_post(leader_url, "/admin/faults/stop_master?index=0", body,
                            sizeof body);
    CHECK(http_status == 200);
    if (http_status != 200)
      fprintf(stderr, "stop_master answered %d: %s\n", http_status, body);

    CHECK(waiter_lock_and_wait(&ctx.w, is_reregistered, &ctx, WAIT_SECONDS));
    CHECK(waiter_lock_and_wait(&ctx.w, all_done, &ctx, WAIT_SECONDS));
    pthread_mutex_lock(&ctx.w.mutex);
    CHECK(ctx.disconnected >= 1);
    CHECK(ctx.disconnected_before_reregistered);
    CHECK(ctx.reregistered >= 1);
    CHECK(ctx.registered == 1);
    CHECK(strcmp(ctx.framework_id, framework_id) == 0);
    for (t = 0; t < TASKS; t++) {
      CHECK(ctx.finished[t] >= 1);
      if (ctx.finished[t] == 0)
        fprintf(stderr, "task failover-%d: last state %s\n", t,
                mw_task_state_name(ctx.last_state[t]));
    }
    CHECK(ctx.other_terminal == 0);
    CHECK(ctx.errors == 0);
    if (ctx.errors) fprintf(stderr, "error callback: %s\n", ctx.error_message);
    printf("disconnected %d time(s), reregistered %d time(s)\n", ctx.disconnected,
           ctx.reregistered);
    pthread_mutex_unlock(&ctx.w.mutex);

    CHECK_STATUS(mesos_sched_driver_stop(driver, false), MESOS_SCHED_STATUS_DRIVER_STOPPED,
                 driver);
    CHECK_STATUS(mesos_sched_driver_join(driver), MESOS_SCHED_STATUS_DRIVER_STOPPED, driver);
    mesos_sched_driver_free(driver);
  }

  child_status = stop_child(&cluster);
  CHECK(WIFEXITED(child_status) || WIFSIGNALED(child_status));
  pb_free(&fi);
  waiter_destroy(&ctx.w);
  return check_report("test_zk_failover");
}
