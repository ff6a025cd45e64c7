/*
 * test_lifecycle: the status machine through the C ABI against a real cluster (master
 * "local" or $MESOS_SCHED_TEST_MASTER): abort then join/stop, run on another thread
 * released by stop, stop inside a callback, free of a running driver, and explicit
 * acknowledgements (a task only reaches TASK_FINISHED when its earlier updates were
 * acknowledged), and free in a fork()ed child (no threads to join there).
 */
#include <signal.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "mesos_wire.h"

#define WAIT_SECONDS 60

typedef struct context {
  waiter w;
  int registered;
  int stop_in_registered;
  int stop_done; /* set after stop_result was stored, under the mutex */
  mesos_sched_status stop_result;
  int launched;
  int finished;
  int terminal_other;
  int acks;
  mesos_sched_status ack_result;
  mesos_sched_status ack_without_uuid_result;
} context;

static void on_registered(void *user_data, mesos_sched_driver *driver, const uint8_t *fid,
                          size_t fid_len, const uint8_t *mi, size_t mi_len) {
  context *ctx = (context *)user_data;
  (void)fid;
  (void)fid_len;
  (void)mi;
  (void)mi_len;
  mesos_sched_status stopped = 0;
  pthread_mutex_lock(&ctx->w.mutex);
  ctx->registered++;
  pthread_mutex_unlock(&ctx->w.mutex);
  /* run() on the main thread may return as soon as stop() changed the status, before
   * this callback stored the result: publish it under the mutex. */
  if (ctx->stop_in_registered) stopped = mesos_sched_driver_stop(driver, false);
  pthread_mutex_lock(&ctx->w.mutex);
  ctx->stop_result = stopped;
  ctx->stop_done = 1;
  pthread_cond_broadcast(&ctx->w.changed);
  pthread_mutex_unlock(&ctx->w.mutex);
}

static void on_offers_launch_one(void *user_data, mesos_sched_driver *driver,
                                 const uint8_t *const *offers, const size_t *offer_lens,
                                 size_t offer_count) {
  context *ctx = (context *)user_data;
  size_t i;
  for (i = 0; i < offer_count; i++) {
    mw_offer offer;
    pb_buf task, filters;
    const uint8_t *task_ptr;
    size_t task_len;
    if (mw_parse_offer(offers[i], offer_lens[i], &offer) != 0) continue;
    pb_init(&task);
    pb_init(&filters);
    mw_filters(&filters, 3600);
    if (ctx->launched || offer.cpus < 1) {
      mesos_sched_driver_decline_offer(driver, offer.id, offer.id_len, filters.data,
                                       filters.len);
    } else {
      ctx->launched = 1;
      mw_command_task(&task, "acked", "acked", offer.agent_id, offer.agent_id_len, 0.5, 32,
                      "true");
      task_ptr = task.data;
      task_len = task.len;
      mesos_sched_driver_launch_tasks(driver, &offer.id, &offer.id_len, 1, &task_ptr,
                                      &task_len, 1, filters.data, filters.len);
    }
    pb_free(&task);
    pb_free(&filters);
  }
}

static void on_status_explicit_ack(void *user_data, mesos_sched_driver *driver,
                                   const uint8_t *task_status, size_t task_status_len) {
  context *ctx = (context *)user_data;
  mw_status s;
  mesos_sched_status rc;
  if (mw_parse_status(task_status, task_status_len, &s) != 0) return;
  rc = mesos_sched_driver_acknowledge_status_update(driver, task_status, task_status_len);
  pthread_mutex_lock(&ctx->w.mutex);
  ctx->ack_result = rc;
  if (s.has_uuid) ctx->acks++;
  if (s.state == MW_TASK_FINISHED)
    ctx->finished++;
  else if (mw_is_terminal(s.state))
    ctx->terminal_other++;
  pthread_cond_broadcast(&ctx->w.changed);
  pthread_mutex_unlock(&ctx->w.mutex);
}

static int is_registered(void *arg) { return ((context *)arg)->registered > 0; }
static int stop_done(void *arg) { return ((context *)arg)->stop_done; }
static int task_done(void *arg) {
  context *ctx = (context *)arg;
  return ctx->finished + ctx->terminal_other > 0;
}

static double now_seconds(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return tv.tv_sec + tv.tv_usec / 1e6;
}

static mesos_sched_scheduler base_scheduler(void) {
  mesos_sched_scheduler scheduler = empty_scheduler();
  scheduler.registered = on_registered;
  return scheduler;
}

/* Zeroes ctx, readies its waiter and creates a driver for it with `scheduler` (NULL: the
 * base scheduler). */
static mesos_sched_driver *setup(context *ctx, const mesos_sched_scheduler *scheduler,
                                 bool implicit_acks) {
  mesos_sched_scheduler base = base_scheduler();
  pb_buf fi;
  mesos_sched_driver *driver = NULL;
  memset(ctx, 0, sizeof *ctx);
  waiter_init(&ctx->w);
  pb_init(&fi);
  mw_framework_info(&fi, "ctest lifecycle", 0, 0);
  CHECK_STATUS(mesos_sched_driver_new(scheduler ? scheduler : &base, ctx, fi.data, fi.len,
                                      test_master(), NULL, 0, implicit_acks, &driver),
               MESOS_SCHED_STATUS_DRIVER_NOT_STARTED, NULL);
  pb_free(&fi);
  return driver;
}

/* Starts the driver and waits for its registered callback. */
static void start_registered(context *ctx, mesos_sched_driver *driver) {
  CHECK_STATUS(mesos_sched_driver_start(driver), MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);
  CHECK(waiter_lock_and_wait(&ctx->w, is_registered, ctx, WAIT_SECONDS));
}

/* abort -> ABORTED; join returns ABORTED; stop after abort returns ABORTED. */
static void test_abort(void) {
  context ctx;
  mesos_sched_driver *driver = setup(&ctx, NULL, true);
  if (driver) {
    start_registered(&ctx, driver);
    CHECK_STATUS(mesos_sched_driver_abort(driver), MESOS_SCHED_STATUS_DRIVER_ABORTED, driver);
    CHECK_STATUS(mesos_sched_driver_join(driver), MESOS_SCHED_STATUS_DRIVER_ABORTED, driver);
    CHECK_STATUS(mesos_sched_driver_abort(driver), MESOS_SCHED_STATUS_DRIVER_ABORTED, driver);
    CHECK_STATUS(mesos_sched_driver_stop(driver, true), MESOS_SCHED_STATUS_DRIVER_ABORTED,
                 driver);
    CHECK_STATUS(mesos_sched_driver_status(driver), MESOS_SCHED_STATUS_DRIVER_STOPPED, driver);
    mesos_sched_driver_free(driver);
  }
  waiter_destroy(&ctx.w);
}

typedef struct run_thread {
  mesos_sched_driver *driver;
  mesos_sched_status result;
  pthread_t thread;
} run_thread;

static void *run_driver(void *arg) {
  run_thread *rt = (run_thread *)arg;
  rt->result = mesos_sched_driver_run(rt->driver);
  return NULL;
}

/* Creates a driver and calls run() on another thread; when both worked, waits for the
 * registered callback and returns 1. */
static int setup_run_thread(context *ctx, run_thread *rt) {
  rt->driver = setup(ctx, NULL, true);
  rt->result = 0;
  if (!rt->driver || pthread_create(&rt->thread, NULL, run_driver, rt) != 0) return 0;
  CHECK(waiter_lock_and_wait(&ctx->w, is_registered, ctx, WAIT_SECONDS));
  return 1;
}

/* run() on another thread returns when the main thread stops the driver. */
static void test_run_released_by_stop(void) {
  context ctx;
  run_thread rt;
  if (setup_run_thread(&ctx, &rt)) {
    CHECK_STATUS(mesos_sched_driver_stop(rt.driver, true), MESOS_SCHED_STATUS_DRIVER_STOPPED,
                 rt.driver);
    pthread_join(rt.thread, NULL);
    CHECK_STATUS(rt.result, MESOS_SCHED_STATUS_DRIVER_STOPPED, rt.driver);
    mesos_sched_driver_free(rt.driver);
  }
  waiter_destroy(&ctx.w);
}

/* free on the main thread while another thread is blocked in run(): free stops the
 * driver, waits for run to return, then releases the handle. */
static void test_free_while_running_elsewhere(void) {
  context ctx;
  run_thread rt;
  if (setup_run_thread(&ctx, &rt)) {
    mesos_sched_driver_free(rt.driver);
    pthread_join(rt.thread, NULL);
    CHECK_STATUS(rt.result, MESOS_SCHED_STATUS_DRIVER_STOPPED, NULL);
  }
  waiter_destroy(&ctx.w);
}

/* stop(false) inside the registered callback; join on the main thread returns. */
static void test_stop_inside_callback(void) {
  context ctx;
  mesos_sched_driver *driver = setup(&ctx, NULL, true);
  ctx.stop_in_registered = 1; /* read by the callback, once started */
  if (driver) {
    int done;
    CHECK_STATUS(mesos_sched_driver_run(driver), MESOS_SCHED_STATUS_DRIVER_STOPPED, driver);
    pthread_mutex_lock(&ctx.w.mutex);
    done = waiter_wait(&ctx.w, stop_done, &ctx, WAIT_SECONDS);
    CHECK(done);
    CHECK(ctx.registered == 1);
    CHECK_STATUS(ctx.stop_result, MESOS_SCHED_STATUS_DRIVER_STOPPED, driver);
    pthread_mutex_unlock(&ctx.w.mutex);
    mesos_sched_driver_free(driver);
  }
  waiter_destroy(&ctx.w);
}

/* free of a running, registered driver stops it (failover semantics) and returns. */
static void test_free_running(void) {
  context ctx;
  mesos_sched_driver *driver = setup(&ctx, NULL, true);
  double started;
  if (driver) {
    start_registered(&ctx, driver);
    started = now_seconds();
    mesos_sched_driver_free(driver);
    CHECK(now_seconds() - started < 15);
  }
  waiter_destroy(&ctx.w);
}

/* Explicit acks: the task's later updates only arrive after the earlier ones were
 * acknowledged, so reaching TASK_FINISHED proves the acks went out. A status without a
 * uuid is dropped locally (RUNNING). */
static void test_explicit_acks(void) {
  context ctx;
  mesos_sched_scheduler scheduler = base_scheduler();
  mesos_sched_driver *driver;
  pb_buf no_uuid;
  pb_init(&no_uuid);
  scheduler.resource_offers = on_offers_launch_one;
  scheduler.status_update = on_status_explicit_ack;
  driver = setup(&ctx, &scheduler, false);
  if (driver) {
    CHECK_STATUS(mesos_sched_driver_start(driver), MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);
    CHECK(waiter_lock_and_wait(&ctx.w, task_done, &ctx, WAIT_SECONDS));
    CHECK(ctx.finished == 1);
    CHECK(ctx.acks >= 2);
    CHECK_STATUS(ctx.ack_result, MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);
    mw_reconcile_status(&no_uuid, "acked", NULL, 0);
    CHECK_STATUS(mesos_sched_driver_acknowledge_status_update(driver, no_uuid.data,
                                                              no_uuid.len),
                 MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);
    CHECK_STATUS(mesos_sched_driver_stop(driver, false), MESOS_SCHED_STATUS_DRIVER_STOPPED,
                 driver);
    mesos_sched_driver_free(driver);
  }
  pb_free(&no_uuid);
  waiter_destroy(&ctx.w);
}

/* A child process created by fork() has none of the driver's threads: free there must
 * return at once (leaking the handle) instead of waiting for them. */
static void test_free_in_forked_child(void) {
  context ctx;
  mesos_sched_driver *driver = setup(&ctx, NULL, true);
  if (driver) {
    pid_t child;
    int wstatus = 0;
    start_registered(&ctx, driver);
    child = fork();
    if (child == 0) {
      alarm(10); /* a hang in free kills the child with SIGALRM */
      mesos_sched_driver_free(driver);
      /* Reaching here is the test; exec (rather than exit) so that leak checkers
       * (ASan, valgrind) do not report the handle the child leaks on purpose. */
      execl("/bin/sh", "sh", "-c", "exit 42", (char *)NULL);
      _exit(1);
    }
    CHECK(child > 0);
    if (child > 0) {
      CHECK(waitpid(child, &wstatus, 0) == child);
      CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 42);
    }
    /* The parent's driver is untouched. */
    CHECK_STATUS(mesos_sched_driver_status(driver), MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);
    CHECK_STATUS(mesos_sched_driver_stop(driver, false), MESOS_SCHED_STATUS_DRIVER_STOPPED,
                 driver);
    mesos_sched_driver_free(driver);
  }
  waiter_destroy(&ctx.w);
}

int main(void) {
  test_abort();
  test_run_released_by_stop();
  test_free_while_running_elsewhere();
  test_stop_inside_callback();
  test_free_running();
  test_explicit_acks();
  test_free_in_forked_child();
  return check_report("test_lifecycle");
}
