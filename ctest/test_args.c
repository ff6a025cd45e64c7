/*
 * test_args: every function's usage errors (NULL driver, NULL pointers with lengths,
 * NULL arrays with counts, garbage protobuf, bad UTF-8, bad master strings, unknown
 * options), last_error text and truncation, short vtables and the version string.
 * Needs no master: the driver is never started (its master is a closed local port).
 */
#include <stddef.h>

#include "check.h"
#include "mesos_wire.h"

/* A length-delimited field 1 announcing 5 bytes with only 2 present: not protobuf. */
static const uint8_t GARBAGE[] = {0x0a, 0x05, 'a', 'b'};
static const char BAD_UTF8[] = {'r', (char)0xff, (char)0xfe, 0};
static const char *const MASTER = "127.0.0.1:9"; /* never contacted: never started */

static mesos_sched_driver *new_driver(const pb_buf *framework_info) {
  mesos_sched_scheduler scheduler = empty_scheduler();
  mesos_sched_driver *driver = NULL;
  CHECK_STATUS(mesos_sched_driver_new(&scheduler, NULL, framework_info->data,
                                      framework_info->len, MASTER, NULL, 0, true, &driver),
               MESOS_SCHED_STATUS_DRIVER_NOT_STARTED, NULL);
  return driver;
}

/* driver_new failures: nothing written to driver_out, message on this thread. */
static void test_new_errors(const pb_buf *fi) {
  mesos_sched_scheduler scheduler = empty_scheduler();
  mesos_sched_driver *const sentinel = (mesos_sched_driver *)&scheduler;
  mesos_sched_driver *driver = sentinel;
  uint8_t credential_garbage[] = {0x0a, 0x09, 'x'};

  CHECK_STATUS(mesos_sched_driver_new(NULL, NULL, fi->data, fi->len, MASTER, NULL, 0, true,
                                      &driver),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_LAST_ERROR_CONTAINS(NULL, "scheduler is NULL");
  CHECK(driver == sentinel);

  CHECK_STATUS(mesos_sched_driver_new(&scheduler, NULL, fi->data, fi->len, MASTER, NULL, 0,
                                      true, NULL),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_LAST_ERROR_CONTAINS(NULL, "driver_out is NULL");

  scheduler.struct_size = 4;
  CHECK_STATUS(mesos_sched_driver_new(&scheduler, NULL, fi->data, fi->len, MASTER, NULL, 0,
                                      true, &driver),
               MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT, NULL);
  CHECK_LAST_ERROR_CONTAINS(NULL, "struct_size");
  scheduler.struct_size = 0;
  CHECK_STATUS(mesos_sched_driver_new(&scheduler, NULL, fi->data, fi->len, MASTER, NULL, 0,
                                      true, &driver),
               MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT, NULL);
  scheduler.struct_size = sizeof scheduler;

  CHECK_STATUS(mesos_sched_driver_new(&scheduler, NULL, NULL, 5, MASTER, NULL, 0, true,
                                      &driver),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_LAST_ERROR_CONTAINS(NULL, "framework_info");
  CHECK_STATUS(mesos_sched_driver_new(&scheduler, NULL, GARBAGE, sizeof GARBAGE, MASTER,
                                      NULL, 0, true, &driver),
               MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT, NULL);

  CHECK_STATUS(mesos_sched_driver_new(&scheduler, NULL, fi->data, fi->len, NULL, NULL, 0,
                                      true, &driver),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_LAST_ERROR_CONTAINS(NULL, "master is NULL");
  CHECK_STATUS(mesos_sched_driver_new(&scheduler, NULL, fi->data, fi->len, BAD_UTF8, NULL, 0,
                                      true, &driver),
               MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT, NULL);
  CHECK_LAST_ERROR_CONTAINS(NULL, "UTF-8");
  CHECK_STATUS(mesos_sched_driver_new(&scheduler, NULL, fi->data, fi->len, "", NULL, 0, true,
                                      &driver),
               MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_new(&scheduler, NULL, fi->data, fi->len,
                                      "127.0.0.1:notaport", NULL, 0, true, &driver),
               MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_new(&scheduler, NULL, fi->data, fi->len, "ftp://x:1", NULL,
                                      0, true, &driver),
               MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT, NULL);

  CHECK_STATUS(mesos_sched_driver_new(&scheduler, NULL, fi->data, fi->len, MASTER, NULL, 3,
                                      true, &driver),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_LAST_ERROR_CONTAINS(NULL, "credential");
  CHECK_STATUS(mesos_sched_driver_new(&scheduler, NULL, fi->data, fi->len, MASTER,
                                      credential_garbage, sizeof credential_garbage, true,
                                      &driver),
               MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT, NULL);
  CHECK(driver == sentinel);
}

/* Every function given a NULL driver: NULL_ARGUMENT naming the function. */
static void test_null_driver(void) {
  uint8_t byte = 0;
  const uint8_t *ptr = &byte;
  size_t len = 0;
  char buf[16];

  CHECK_STATUS(mesos_sched_driver_set_option(NULL, "log.level", "off"),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_LAST_ERROR_CONTAINS(NULL, "mesos_sched_driver_set_option: driver is NULL");
  CHECK_STATUS(mesos_sched_driver_start(NULL), MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_LAST_ERROR_CONTAINS(NULL, "mesos_sched_driver_start");
  CHECK_STATUS(mesos_sched_driver_stop(NULL, false), MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT,
               NULL);
  CHECK_STATUS(mesos_sched_driver_abort(NULL), MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_join(NULL), MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_run(NULL), MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_status(NULL), MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_request_resources(NULL, NULL, NULL, 0),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_launch_tasks(NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, 0),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_kill_task(NULL, ptr, 0),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_accept_offers(NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, 0),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_decline_offer(NULL, ptr, len, NULL, 0),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_revive_offers(NULL, NULL, 0),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_suppress_offers(NULL, NULL, 0),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_acknowledge_status_update(NULL, ptr, 0),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_send_framework_message(NULL, ptr, 0, ptr, 0, ptr, 0),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_reconcile_tasks(NULL, NULL, NULL, 0),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_STATUS(mesos_sched_driver_update_framework(NULL, ptr, 0, NULL, 0, NULL, 0),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, NULL);
  CHECK_LAST_ERROR_CONTAINS(NULL, "mesos_sched_driver_update_framework: driver is NULL");
  mesos_sched_driver_free(NULL); /* fine */
  CHECK(mesos_sched_driver_last_error(NULL, buf, sizeof buf) > 0);
}

/* Usage errors on a real handle; the driver's state is unchanged (NOT_STARTED). */
static void test_handle_errors(mesos_sched_driver *d, const pb_buf *fi) {
  const mesos_sched_status NS = MESOS_SCHED_STATUS_DRIVER_NOT_STARTED;
  const mesos_sched_status NUL = MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT;
  const mesos_sched_status INV = MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT;
  pb_buf id, task, status, filters, op;
  const uint8_t *garbage_ptrs[1] = {GARBAGE};
  const size_t garbage_lens[1] = {sizeof GARBAGE};
  const uint8_t *null_ptrs[1] = {NULL};
  const size_t one_len[1] = {1};
  const uint8_t *id_ptrs[1];
  size_t id_lens[1];
  const uint8_t *task_ptrs[1];
  size_t task_lens[1];
  const uint8_t *status_ptrs[1];
  size_t status_lens[1];
  const uint8_t *op_ptrs[1];
  size_t op_lens[1];
  const char *roles[2] = {"a", NULL};
  const char *bad_roles[1] = {BAD_UTF8};

  pb_init(&id);
  pb_init(&task);
  pb_init(&status);
  pb_init(&filters);
  pb_init(&op);
  mw_id(&id, "offer-1");
  id_ptrs[0] = id.data;
  id_lens[0] = id.len;
  mw_command_task(&task, "t", "t1", id.data, id.len, 1, 32, "true");
  task_ptrs[0] = task.data;
  task_lens[0] = task.len;
  mw_reconcile_status(&status, "t1", NULL, 0);
  status_ptrs[0] = status.data;
  status_lens[0] = status.len;
  mw_filters(&filters, 1);
  {
    /* Offer.Operation {type = LAUNCH, id = "op"}: the legacy driver CHECK-failed. */
    pb_buf op_id;
    pb_init(&op_id);
    mw_id(&op_id, "op");
    pb_put_uint(&op, 1, 1);
    pb_put_message(&op, 12, &op_id);
    pb_free(&op_id);
  }
  op_ptrs[0] = op.data;
  op_lens[0] = op.len;

  /* set_option */
  CHECK_STATUS(mesos_sched_driver_set_option(d, NULL, "x"), NUL, d);
  CHECK_LAST_ERROR_CONTAINS(d, "key is NULL");
  CHECK_STATUS(mesos_sched_driver_set_option(d, "log.level", NULL), NUL, d);
  CHECK_LAST_ERROR_CONTAINS(d, "value is NULL");
  CHECK_STATUS(mesos_sched_driver_set_option(d, BAD_UTF8, "x"), INV, d);
  CHECK_STATUS(mesos_sched_driver_set_option(d, "no.such.option", "1"), INV, d);
  CHECK_LAST_ERROR_CONTAINS(d, "no.such.option");
  CHECK_STATUS(mesos_sched_driver_set_option(d, "heartbeat.timeout_factor", "many"), INV, d);
  CHECK_STATUS(mesos_sched_driver_set_option(d, "log.level", "off"), NS, d);

  /* request_resources */
  CHECK_STATUS(mesos_sched_driver_request_resources(d, NULL, NULL, 2), NUL, d);
  CHECK_LAST_ERROR_CONTAINS(d, "requests is NULL");
  CHECK_STATUS(mesos_sched_driver_request_resources(d, garbage_ptrs, NULL, 1), NUL, d);
  CHECK_STATUS(mesos_sched_driver_request_resources(d, null_ptrs, one_len, 1), NUL, d);
  CHECK_STATUS(mesos_sched_driver_request_resources(d, garbage_ptrs, garbage_lens, 1), INV,
               d);

  /* launch_tasks */
  CHECK_STATUS(mesos_sched_driver_launch_tasks(d, NULL, NULL, 1, task_ptrs, task_lens, 1,
                                               NULL, 0),
               NUL, d);
  CHECK_LAST_ERROR_CONTAINS(d, "offer_ids");
  CHECK_STATUS(mesos_sched_driver_launch_tasks(d, id_ptrs, id_lens, 1, NULL, task_lens, 1,
                                               NULL, 0),
               NUL, d);
  CHECK_STATUS(mesos_sched_driver_launch_tasks(d, id_ptrs, id_lens, 1, task_ptrs, NULL, 1,
                                               NULL, 0),
               NUL, d);
  CHECK_STATUS(mesos_sched_driver_launch_tasks(d, id_ptrs, id_lens, 1, task_ptrs, task_lens,
                                               1, NULL, 4),
               NUL, d);
  CHECK_LAST_ERROR_CONTAINS(d, "filters");
  CHECK_STATUS(mesos_sched_driver_launch_tasks(d, id_ptrs, id_lens, 1, garbage_ptrs,
                                               garbage_lens, 1, NULL, 0),
               INV, d);
  CHECK_STATUS(mesos_sched_driver_launch_tasks(d, garbage_ptrs, garbage_lens, 1, task_ptrs,
                                               task_lens, 1, NULL, 0),
               INV, d);
  CHECK_STATUS(mesos_sched_driver_launch_tasks(d, id_ptrs, id_lens, 1, task_ptrs, task_lens,
                                               1, GARBAGE, sizeof GARBAGE),
               INV, d);
  /* Valid arguments on a driver that is not running: nothing happens. */
  CHECK_STATUS(mesos_sched_driver_launch_tasks(d, id_ptrs, id_lens, 1, task_ptrs, task_lens,
                                               1, filters.data, filters.len),
               NS, d);

  /* kill_task */
  CHECK_STATUS(mesos_sched_driver_kill_task(d, NULL, 3), NUL, d);
  CHECK_LAST_ERROR_CONTAINS(d, "task_id is NULL");
  CHECK_STATUS(mesos_sched_driver_kill_task(d, GARBAGE, sizeof GARBAGE), INV, d);
  CHECK_STATUS(mesos_sched_driver_kill_task(d, id.data, id.len), NS, d);

  /* accept_offers */
  CHECK_STATUS(mesos_sched_driver_accept_offers(d, NULL, NULL, 1, op_ptrs, op_lens, 1, NULL,
                                                0),
               NUL, d);
  CHECK_STATUS(mesos_sched_driver_accept_offers(d, id_ptrs, id_lens, 1, NULL, NULL, 1, NULL,
                                                0),
               NUL, d);
  CHECK_LAST_ERROR_CONTAINS(d, "operations");
  CHECK_STATUS(mesos_sched_driver_accept_offers(d, id_ptrs, id_lens, 1, garbage_ptrs,
                                                garbage_lens, 1, NULL, 0),
               INV, d);
  CHECK_STATUS(mesos_sched_driver_accept_offers(d, id_ptrs, id_lens, 1, op_ptrs, op_lens, 1,
                                                NULL, 0),
               INV, d);
  CHECK_STATUS(mesos_sched_driver_accept_offers(d, id_ptrs, id_lens, 1, NULL, NULL, 0, NULL,
                                                0),
               NS, d);

  /* decline_offer */
  CHECK_STATUS(mesos_sched_driver_decline_offer(d, NULL, 2, NULL, 0), NUL, d);
  CHECK_STATUS(mesos_sched_driver_decline_offer(d, GARBAGE, sizeof GARBAGE, NULL, 0), INV, d);
  CHECK_STATUS(mesos_sched_driver_decline_offer(d, id.data, id.len, GARBAGE, sizeof GARBAGE),
               INV, d);
  CHECK_STATUS(mesos_sched_driver_decline_offer(d, id.data, id.len, filters.data, filters.len),
               NS, d);

  /* revive_offers / suppress_offers */
  CHECK_STATUS(mesos_sched_driver_revive_offers(d, NULL, 2), NUL, d);
  CHECK_LAST_ERROR_CONTAINS(d, "roles is NULL");
  CHECK_STATUS(mesos_sched_driver_revive_offers(d, roles, 2), NUL, d);
  CHECK_LAST_ERROR_CONTAINS(d, "roles[1] is NULL");
  CHECK_STATUS(mesos_sched_driver_revive_offers(d, bad_roles, 1), INV, d);
  CHECK_STATUS(mesos_sched_driver_revive_offers(d, NULL, 0), NS, d);
  CHECK_STATUS(mesos_sched_driver_revive_offers(d, roles, 1), NS, d);
  CHECK_STATUS(mesos_sched_driver_suppress_offers(d, NULL, 1), NUL, d);
  CHECK_STATUS(mesos_sched_driver_suppress_offers(d, roles, 2), NUL, d);
  CHECK_STATUS(mesos_sched_driver_suppress_offers(d, bad_roles, 1), INV, d);
  CHECK_STATUS(mesos_sched_driver_suppress_offers(d, NULL, 0), NS, d);

  /* acknowledge_status_update: arguments first, then the implicit-ack mode. */
  CHECK_STATUS(mesos_sched_driver_acknowledge_status_update(d, NULL, 4), NUL, d);
  CHECK_STATUS(mesos_sched_driver_acknowledge_status_update(d, GARBAGE, sizeof GARBAGE), INV,
               d);
  CHECK_STATUS(mesos_sched_driver_acknowledge_status_update(d, status.data, status.len),
               MESOS_SCHED_STATUS_ERROR_INVALID_STATE, d);
  CHECK_LAST_ERROR_CONTAINS(d, "mplicit");

  /* send_framework_message: data may be NULL with length 0. */
  CHECK_STATUS(mesos_sched_driver_send_framework_message(d, NULL, 1, id.data, id.len, NULL, 0),
               NUL, d);
  CHECK_STATUS(mesos_sched_driver_send_framework_message(d, id.data, id.len, NULL, 1, NULL, 0),
               NUL, d);
  CHECK_STATUS(mesos_sched_driver_send_framework_message(d, id.data, id.len, id.data, id.len,
                                                         NULL, 7),
               NUL, d);
  CHECK_LAST_ERROR_CONTAINS(d, "data is NULL");
  CHECK_STATUS(mesos_sched_driver_send_framework_message(d, GARBAGE, sizeof GARBAGE, id.data,
                                                         id.len, NULL, 0),
               INV, d);
  CHECK_STATUS(mesos_sched_driver_send_framework_message(d, id.data, id.len, GARBAGE,
                                                         sizeof GARBAGE, NULL, 0),
               INV, d);
  CHECK_STATUS(mesos_sched_driver_send_framework_message(d, id.data, id.len, id.data, id.len,
                                                         NULL, 0),
               NS, d);

  /* reconcile_tasks */
  CHECK_STATUS(mesos_sched_driver_reconcile_tasks(d, NULL, NULL, 1), NUL, d);
  CHECK_STATUS(mesos_sched_driver_reconcile_tasks(d, garbage_ptrs, garbage_lens, 1), INV, d);
  CHECK_STATUS(mesos_sched_driver_reconcile_tasks(d, status_ptrs, status_lens, 1), NS, d);
  CHECK_STATUS(mesos_sched_driver_reconcile_tasks(d, NULL, NULL, 0), NS, d);

  /* update_framework */
  CHECK_STATUS(mesos_sched_driver_update_framework(d, NULL, 3, NULL, 0, NULL, 0), NUL, d);
  CHECK_STATUS(mesos_sched_driver_update_framework(d, GARBAGE, sizeof GARBAGE, NULL, 0, NULL,
                                                   0),
               INV, d);
  CHECK_STATUS(mesos_sched_driver_update_framework(d, fi->data, fi->len, NULL, 1, NULL, 0),
               NUL, d);
  CHECK_STATUS(mesos_sched_driver_update_framework(d, fi->data, fi->len, bad_roles, 1, NULL,
                                                   0),
               INV, d);
  CHECK_STATUS(mesos_sched_driver_update_framework(d, fi->data, fi->len, NULL, 0, NULL, 9),
               NUL, d);
  CHECK_STATUS(mesos_sched_driver_update_framework(d, fi->data, fi->len, NULL, 0, GARBAGE,
                                                   sizeof GARBAGE),
               INV, d);

  /* Nothing above changed the state. */
  CHECK_STATUS(mesos_sched_driver_status(d), NS, d);

  pb_free(&id);
  pb_free(&task);
  pb_free(&status);
  pb_free(&filters);
  pb_free(&op);
}

/* last_error: full length returned, NUL-terminated truncation, per handle. */
static void test_last_error(mesos_sched_driver *a, mesos_sched_driver *b) {
  char full[512], small[8], one[1];
  size_t length;
  CHECK_STATUS(mesos_sched_driver_kill_task(a, NULL, 3),
               MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT, a);
  CHECK_STATUS(mesos_sched_driver_set_option(b, "no.such.option", "1"),
               MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT, b);

  length = mesos_sched_driver_last_error(a, NULL, 0);
  CHECK(length > sizeof small);
  CHECK(mesos_sched_driver_last_error(a, full, sizeof full) == length);
  CHECK(strlen(full) == length);
  CHECK(strstr(full, "mesos_sched_driver_kill_task: task_id is NULL") != NULL);

  memset(small, 'x', sizeof small);
  CHECK(mesos_sched_driver_last_error(a, small, sizeof small) == length);
  CHECK(small[sizeof small - 1] == '\0');
  CHECK(strlen(small) == sizeof small - 1);
  CHECK(strncmp(small, full, sizeof small - 1) == 0);

  one[0] = 'x';
  CHECK(mesos_sched_driver_last_error(a, one, 1) == length);
  CHECK(one[0] == '\0');
  CHECK(mesos_sched_driver_last_error(a, small, 0) == length); /* writes nothing */

  /* b's message is its own. */
  CHECK_LAST_ERROR_CONTAINS(b, "no.such.option");
  CHECK_LAST_ERROR_CONTAINS(a, "task_id is NULL");
}

/* Vtables of older, shorter layouts are accepted; too small ones are not. */
static void test_short_vtables(const pb_buf *fi) {
  mesos_sched_scheduler scheduler = empty_scheduler();
  mesos_sched_driver *driver = NULL;
  size_t sizes[3];
  int i;
  sizes[0] = offsetof(mesos_sched_scheduler, inverse_offers); /* the classic callbacks */
  sizes[1] = sizeof(size_t);                                  /* no callback at all */
  sizes[2] = sizeof scheduler + 64;                           /* a newer, longer struct */
  for (i = 0; i < 3; i++) {
    scheduler.struct_size = sizes[i];
    driver = NULL;
    CHECK_STATUS(mesos_sched_driver_new(&scheduler, NULL, fi->data, fi->len, MASTER, NULL, 0,
                                        true, &driver),
                 MESOS_SCHED_STATUS_DRIVER_NOT_STARTED, NULL);
    CHECK(driver != NULL);
    mesos_sched_driver_free(driver);
  }
}

static void test_version(void) {
  const char *version = mesos_sched_version();
  int major = -1, minor = -1, patch = -1, consumed = 0;
  CHECK(version != NULL);
  if (!version) return;
  CHECK(sscanf(version, "%d.%d.%d%n", &major, &minor, &patch, &consumed) == 3);
  CHECK(consumed == (int)strlen(version));
  CHECK(major >= 0 && minor >= 0 && patch >= 0);
  CHECK(mesos_sched_version() == version); /* static */
}

/* Life cycle of a never-started driver. */
static void test_not_started(mesos_sched_driver *d) {
  CHECK_STATUS(mesos_sched_driver_join(d), MESOS_SCHED_STATUS_DRIVER_NOT_STARTED, d);
  CHECK_STATUS(mesos_sched_driver_abort(d), MESOS_SCHED_STATUS_DRIVER_NOT_STARTED, d);
  CHECK_STATUS(mesos_sched_driver_stop(d, false), MESOS_SCHED_STATUS_DRIVER_NOT_STARTED, d);
  CHECK_STATUS(mesos_sched_driver_status(d), MESOS_SCHED_STATUS_DRIVER_NOT_STARTED, d);
}

int main(void) {
  pb_buf fi;
  mesos_sched_driver *a, *b;
  pb_init(&fi);
  mw_framework_info(&fi, "ctest args", 0, 0);

  test_version();
  test_new_errors(&fi);
  test_null_driver();
  a = new_driver(&fi);
  b = new_driver(&fi);
  if (a && b) {
    test_handle_errors(a, &fi);
    test_last_error(a, b);
    test_not_started(a);
  }
  test_short_vtables(&fi);
  mesos_sched_driver_free(a);
  mesos_sched_driver_free(b);
  pb_free(&fi);
  return check_report("test_args");
}
