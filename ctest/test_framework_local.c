/*
 * test_framework_local: a real framework against an in-process cluster (master "local",
 * or $MESOS_SCHED_TEST_MASTER): registers, launches command tasks from an offer, gets
 * their updates to TASK_FINISHED, echoes a framework message through a running task's
 * executor, reconciles (explicitly and implicitly), kills the long task (TASK_KILLED)
 * and stops. Inside a callback it checks the callback rules: join/run/free refused,
 * options refused after start, explicit acks refused with implicit acks on.
 */
#include "check.h"
#include "mesos_wire.h"

#define SHORT_TASKS 3
#define WAIT_SECONDS 60
#define ECHO_DATA "ping from the C test"

typedef struct context {
  waiter w;
  int registered;
  char framework_id[128];
  size_t master_info_len;
  int offers_callbacks;
  int launched;
  int short_finished;
  int short_other_terminal;
  int long_running;
  int long_killed;
  int long_state_after_kill;
  uint8_t long_executor_id[256];
  size_t long_executor_id_len;
  uint8_t long_agent_id[256];
  size_t long_agent_id_len;
  int message_received;
  int message_matches;
  int reconcile_unknown_lost;
  int reconcile_long_running;
  int errors;
  char error_message[256];
  int updates;
  int updates_with_uuid;
  /* results of calls made inside a callback */
  mesos_sched_status in_callback_join;
  mesos_sched_status in_callback_run;
  mesos_sched_status in_callback_set_option;
  mesos_sched_status in_callback_ack;
  mesos_sched_status in_callback_status_after_free;
  int in_callback_free_message_ok;
  mesos_sched_status launch_result;
} context;

static void on_registered(void *user_data, mesos_sched_driver *driver,
                          const uint8_t *framework_id, size_t framework_id_len,
                          const uint8_t *master_info, size_t master_info_len) {
  context *ctx = (context *)user_data;
  (void)driver;
  (void)master_info;
  pthread_mutex_lock(&ctx->w.mutex);
  ctx->registered++;
  mw_id_value(framework_id, framework_id_len, ctx->framework_id, sizeof ctx->framework_id);
  ctx->master_info_len = master_info_len;
  pthread_cond_broadcast(&ctx->w.changed);
  pthread_mutex_unlock(&ctx->w.mutex);
}

/* Inside a callback: what may not be called is refused, and the handle stays valid. */
static void check_callback_rules(context *ctx, mesos_sched_driver *driver) {
  pb_buf status;
  char message[512];
  pb_init(&status);
  mw_reconcile_status(&status, "whatever", NULL, 0);
  ctx->in_callback_join = mesos_sched_driver_join(driver);
  ctx->in_callback_run = mesos_sched_driver_run(driver);
  mesos_sched_driver_free(driver); /* must do nothing here */
  mesos_sched_driver_last_error(driver, message, sizeof message);
  ctx->in_callback_free_message_ok = strstr(message, "callback") != NULL;
  ctx->in_callback_status_after_free = mesos_sched_driver_status(driver);
  ctx->in_callback_set_option = mesos_sched_driver_set_option(driver, "log.level", "off");
  ctx->in_callback_ack =
      mesos_sched_driver_acknowledge_status_update(driver, status.data, status.len);
  pb_free(&status);
}

static void on_resource_offers(void *user_data, mesos_sched_driver *driver,
                               const uint8_t *const *offers, const size_t *offer_lens,
                               size_t offer_count) {
  context *ctx = (context *)user_data;
  size_t i;
  int first;
  pthread_mutex_lock(&ctx->w.mutex);
  first = ctx->offers_callbacks++ == 0;
  pthread_mutex_unlock(&ctx->w.mutex);
  if (first) check_callback_rules(ctx, driver);

  for (i = 0; i < offer_count; i++) {
    mw_offer offer;
    pb_buf tasks[SHORT_TASKS + 1], filters;
    const uint8_t *task_ptrs[SHORT_TASKS + 1];
    size_t task_lens[SHORT_TASKS + 1];
    int t, launch;
    if (mw_parse_offer(offers[i], offer_lens[i], &offer) != 0) continue;
    pthread_mutex_lock(&ctx->w.mutex);
    launch = !ctx->launched && offer.cpus >= 2 && offer.mem >= 256;
    if (launch) ctx->launched = 1;
    pthread_mutex_unlock(&ctx->w.mutex);
    pb_init(&filters);
    if (!launch) {
      /* Keep later offers away for the rest of the test. */
      mw_filters(&filters, 3600);
      mesos_sched_driver_decline_offer(driver, offer.id, offer.id_len, filters.data,
                                       filters.len);
      pb_free(&filters);
      continue;
    }
    for (t = 0; t <= SHORT_TASKS; t++) {
      char task_id[32];
      int is_long = t == SHORT_TASKS;
      if (is_long)
        snprintf(task_id, sizeof task_id, "long");
      else
        snprintf(task_id, sizeof task_id, "short-%d", t);
      pb_init(&tasks[t]);
      mw_command_task(&tasks[t], task_id, task_id, offer.agent_id, offer.agent_id_len, 0.5,
                      32, is_long ? "sleep 300" : "echo hello");
      task_ptrs[t] = tasks[t].data;
      task_lens[t] = tasks[t].len;
    }
    mw_filters(&filters, 3600);
    ctx->launch_result =
        mesos_sched_driver_launch_tasks(driver, &offer.id, &offer.id_len, 1, task_ptrs,
                                        task_lens, SHORT_TASKS + 1, filters.data, filters.len);
    for (t = 0; t <= SHORT_TASKS; t++) pb_free(&tasks[t]);
    pb_free(&filters);
  }
}

static void on_status_update(void *user_data, mesos_sched_driver *driver,
                             const uint8_t *task_status, size_t task_status_len) {
  context *ctx = (context *)user_data;
  mw_status s;
  (void)driver;
  if (mw_parse_status(task_status, task_status_len, &s) != 0) {
    pthread_mutex_lock(&ctx->w.mutex);
    ctx->errors++;
    snprintf(ctx->error_message, sizeof ctx->error_message, "malformed TaskStatus");
    pthread_mutex_unlock(&ctx->w.mutex);
    return;
  }
  pthread_mutex_lock(&ctx->w.mutex);
  ctx->updates++;
  if (s.has_uuid) ctx->updates_with_uuid++;
  if (s.has_reason && s.reason == MW_REASON_RECONCILIATION) {
    if (strcmp(s.task_id, "no-such-task") == 0 && s.state == MW_TASK_LOST && !s.has_uuid)
      ctx->reconcile_unknown_lost = 1;
    if (strcmp(s.task_id, "long") == 0 && s.state == MW_TASK_RUNNING)
      ctx->reconcile_long_running = 1;
  } else if (strncmp(s.task_id, "short-", 6) == 0) {
    if (s.state == MW_TASK_FINISHED)
      ctx->short_finished++;
    else if (mw_is_terminal(s.state))
      ctx->short_other_terminal++;
  } else if (strcmp(s.task_id, "long") == 0) {
    if (s.state == MW_TASK_RUNNING && s.executor_id && s.agent_id &&
        s.executor_id_len <= sizeof ctx->long_executor_id &&
        s.agent_id_len <= sizeof ctx->long_agent_id) {
      memcpy(ctx->long_executor_id, s.executor_id, s.executor_id_len);
      ctx->long_executor_id_len = s.executor_id_len;
      memcpy(ctx->long_agent_id, s.agent_id, s.agent_id_len);
      ctx->long_agent_id_len = s.agent_id_len;
      ctx->long_running = 1;
    } else if (mw_is_terminal(s.state)) {
      ctx->long_killed = s.state == MW_TASK_KILLED;
      ctx->long_state_after_kill = s.state;
    }
  }
  pthread_cond_broadcast(&ctx->w.changed);
  pthread_mutex_unlock(&ctx->w.mutex);
}

static void on_framework_message(void *user_data, mesos_sched_driver *driver,
                                 const uint8_t *executor_id, size_t executor_id_len,
                                 const uint8_t *agent_id, size_t agent_id_len,
                                 const uint8_t *data, size_t data_len) {
  context *ctx = (context *)user_data;
  (void)driver;
  (void)agent_id;
  (void)agent_id_len;
  pthread_mutex_lock(&ctx->w.mutex);
  ctx->message_received++;
  ctx->message_matches = data_len == strlen(ECHO_DATA) &&
                         memcmp(data, ECHO_DATA, data_len) == 0 &&
                         executor_id_len == ctx->long_executor_id_len &&
                         memcmp(executor_id, ctx->long_executor_id, executor_id_len) == 0;
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
static int tasks_progressed(void *arg) {
  context *ctx = (context *)arg;
  return ctx->short_finished + ctx->short_other_terminal >= SHORT_TASKS && ctx->long_running;
}
static int message_echoed(void *arg) { return ((context *)arg)->message_received > 0; }
static int reconciled(void *arg) {
  context *ctx = (context *)arg;
  return ctx->reconcile_unknown_lost && ctx->reconcile_long_running;
}
static int long_done(void *arg) { return ((context *)arg)->long_state_after_kill != 0; }

int main(void) {
  context ctx;
  mesos_sched_scheduler scheduler;
  mesos_sched_driver *driver = NULL;
  pb_buf fi, unknown, long_id;
  const uint8_t *reconcile_ptrs[1];
  size_t reconcile_lens[1];

  memset(&ctx, 0, sizeof ctx);
  waiter_init(&ctx.w);
  scheduler = empty_scheduler();
  scheduler.registered = on_registered;
  scheduler.resource_offers = on_resource_offers;
  scheduler.status_update = on_status_update;
  scheduler.framework_message = on_framework_message;
  scheduler.error = on_error;
  pb_init(&fi);
  pb_init(&unknown);
  pb_init(&long_id);
  mw_framework_info(&fi, "ctest framework", 0, 0);

  CHECK_STATUS(mesos_sched_driver_new(&scheduler, &ctx, fi.data, fi.len, test_master(), NULL,
                                      0, true, &driver),
               MESOS_SCHED_STATUS_DRIVER_NOT_STARTED, NULL);
  if (!driver) return check_report("test_framework_local");
  CHECK_STATUS(mesos_sched_driver_start(driver), MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);
  CHECK_STATUS(mesos_sched_driver_start(driver), MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);

  CHECK(waiter_lock_and_wait(&ctx.w, is_registered, &ctx, WAIT_SECONDS));
  CHECK(ctx.registered == 1);
  CHECK(ctx.framework_id[0] != '\0');
  CHECK(ctx.master_info_len > 0);
  printf("registered as %s\n", ctx.framework_id);

  /* Offers -> launch; short tasks finish, the long one runs. */
  CHECK(waiter_lock_and_wait(&ctx.w, tasks_progressed, &ctx, WAIT_SECONDS));
  CHECK_STATUS(ctx.launch_result, MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);
  CHECK(ctx.short_finished == SHORT_TASKS);
  CHECK(ctx.short_other_terminal == 0);
  CHECK(ctx.long_running);
  CHECK(ctx.updates_with_uuid > 0);

  /* The callback rules, observed inside the first offers callback. */
  CHECK_STATUS(ctx.in_callback_join, MESOS_SCHED_STATUS_ERROR_CALLED_FROM_CALLBACK, driver);
  CHECK_STATUS(ctx.in_callback_run, MESOS_SCHED_STATUS_ERROR_CALLED_FROM_CALLBACK, driver);
  CHECK(ctx.in_callback_free_message_ok);
  CHECK_STATUS(ctx.in_callback_status_after_free, MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);
  CHECK_STATUS(ctx.in_callback_set_option, MESOS_SCHED_STATUS_ERROR_INVALID_STATE, driver);
  CHECK_STATUS(ctx.in_callback_ack, MESOS_SCHED_STATUS_ERROR_INVALID_STATE, driver);
  /* Options after start are refused from any thread. */
  CHECK_STATUS(mesos_sched_driver_set_option(driver, "log.level", "off"),
               MESOS_SCHED_STATUS_ERROR_INVALID_STATE, driver);

  /* Framework message to the long task's executor comes back (mesos-local echoes). */
  if (ctx.long_running) {
    CHECK_STATUS(mesos_sched_driver_send_framework_message(
                     driver, ctx.long_executor_id, ctx.long_executor_id_len,
                     ctx.long_agent_id, ctx.long_agent_id_len, (const uint8_t *)ECHO_DATA,
                     strlen(ECHO_DATA)),
                 MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);
    CHECK(waiter_lock_and_wait(&ctx.w, message_echoed, &ctx, WAIT_SECONDS));
    CHECK(ctx.message_matches);
  }

  /* Reconcile: an unknown task (explicit) and all tasks (implicit). */
  mw_reconcile_status(&unknown, "no-such-task", NULL, 0);
  reconcile_ptrs[0] = unknown.data;
  reconcile_lens[0] = unknown.len;
  CHECK_STATUS(mesos_sched_driver_reconcile_tasks(driver, reconcile_ptrs, reconcile_lens, 1),
               MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);
  CHECK_STATUS(mesos_sched_driver_reconcile_tasks(driver, NULL, NULL, 0),
               MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);
  CHECK(waiter_lock_and_wait(&ctx.w, reconciled, &ctx, WAIT_SECONDS));
  CHECK(ctx.reconcile_unknown_lost);
  CHECK(ctx.reconcile_long_running);

  /* Kill the long task. */
  mw_id(&long_id, "long");
  CHECK_STATUS(mesos_sched_driver_kill_task(driver, long_id.data, long_id.len),
               MESOS_SCHED_STATUS_DRIVER_RUNNING, driver);
  CHECK(waiter_lock_and_wait(&ctx.w, long_done, &ctx, WAIT_SECONDS));
  CHECK(ctx.long_killed);
  if (ctx.long_state_after_kill != MW_TASK_KILLED)
    fprintf(stderr, "long task ended in %s\n", mw_task_state_name(ctx.long_state_after_kill));

  CHECK(ctx.errors == 0);
  if (ctx.errors) fprintf(stderr, "error callback: %s\n", ctx.error_message);

  CHECK_STATUS(mesos_sched_driver_stop(driver, false), MESOS_SCHED_STATUS_DRIVER_STOPPED,
               driver);
  CHECK_STATUS(mesos_sched_driver_join(driver), MESOS_SCHED_STATUS_DRIVER_STOPPED, driver);
  CHECK_STATUS(mesos_sched_driver_status(driver), MESOS_SCHED_STATUS_DRIVER_STOPPED, driver);
  CHECK_STATUS(mesos_sched_driver_start(driver), MESOS_SCHED_STATUS_DRIVER_STOPPED, driver);
  mesos_sched_driver_free(driver);

  pb_free(&fi);
  pb_free(&unknown);
  pb_free(&long_id);
  waiter_destroy(&ctx.w);
  return check_report("test_framework_local");
}
