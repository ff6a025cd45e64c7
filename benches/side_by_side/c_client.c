/*
 * c_client.c: the libmesos_sched client of benches/side_by_side.sh, one workload per
 * process (implicit acknowledgements, default options).
 *
 * Usage: c_client MASTER_URL reconcile|launch N
 * Prints one JSON line like clients.py: ops (updates delivered + acknowledgements the
 * driver sends), seconds and CPU seconds from registration to the last op.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mesos_sched.h"
#include "mesos_wire.h"

typedef struct bench {
  int reconcile; /* 1: reconcile flood, 0: launch flood */
  long n;
  int launched;
  long updates, acks, terminal;
  double t0, c0, t1, c1;
  pthread_mutex_t lock;
  pthread_cond_t done;
  int finished;
} bench;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

static void on_registered(void *user_data, mesos_sched_driver *driver, const uint8_t *fid,
                          size_t fid_len, const uint8_t *info, size_t info_len) {
  bench *b = user_data;
  (void)fid, (void)fid_len, (void)info, (void)info_len;
  b->t0 = now();
  b->c0 = cpu();
  if (!b->reconcile) return;
  pb_buf *statuses = calloc(b->n, sizeof *statuses);
  const uint8_t **ptrs = calloc(b->n, sizeof *ptrs);
  size_t *lens = calloc(b->n, sizeof *lens);
  for (long i = 0; i < b->n; i++) {
    char id[32];
    snprintf(id, sizeof id, "t-%ld", i);
    pb_init(&statuses[i]);
    mw_reconcile_status(&statuses[i], id, NULL, 0);
    ptrs[i] = statuses[i].data;
    lens[i] = statuses[i].len;
  }
  mesos_sched_driver_reconcile_tasks(driver, ptrs, lens, b->n);
  for (long i = 0; i < b->n; i++) pb_free(&statuses[i]);
  free(statuses);
  free(ptrs);
  free(lens);
}

static void on_offers(void *user_data, mesos_sched_driver *driver, const uint8_t *const *offers,
                      const size_t *lens, size_t count) {
  bench *b = user_data;
  mw_offer offer;
  (void)count;
  if (b->reconcile || b->launched) return;
  if (mw_parse_offer(offers[0], lens[0], &offer) != 0) return;
  b->launched = 1;
  pb_buf *tasks = calloc(b->n, sizeof *tasks);
  const uint8_t **ptrs = calloc(b->n, sizeof *ptrs);
  size_t *task_lens = calloc(b->n, sizeof *task_lens);
  for (long i = 0; i < b->n; i++) {
    char id[32];
    snprintf(id, sizeof id, "t-%ld", i);
    pb_init(&tasks[i]);
    mw_command_task(&tasks[i], "t", id, offer.agent_id, offer.agent_id_len, 0.01, 1, "true");
    ptrs[i] = tasks[i].data;
    task_lens[i] = tasks[i].len;
  }
  const uint8_t *offer_ids[1] = {offer.id};
  size_t offer_id_lens[1] = {offer.id_len};
  mesos_sched_driver_launch_tasks(driver, offer_ids, offer_id_lens, 1, ptrs, task_lens, b->n,
                                  NULL, 0);
  for (long i = 0; i < b->n; i++) pb_free(&tasks[i]);
  free(tasks);
  free(ptrs);
  free(task_lens);
}

static void on_status(void *user_data, mesos_sched_driver *driver, const uint8_t *data,
                      size_t len) {
  bench *b = user_data;
  mw_status status;
  (void)driver;
  if (mw_parse_status(data, len, &status) != 0) return;
  b->updates++;
  if (status.has_uuid) b->acks++; /* acknowledged by the driver after return */
  if (mw_is_terminal(status.state)) b->terminal++;
  int complete = b->reconcile ? b->updates >= b->n : b->terminal >= b->n;
  if (complete && !b->finished) {
    b->t1 = now();
    b->c1 = cpu();
    pthread_mutex_lock(&b->lock);
    b->finished = 1;
    pthread_cond_signal(&b->done);
    pthread_mutex_unlock(&b->lock);
  }
}

static void on_error(void *user_data, mesos_sched_driver *driver, const char *message,
                     size_t len) {
  (void)user_data, (void)driver, (void)len;
  fprintf(stderr, "c_client: error: %s\n", message);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc != 4 || (strcmp(argv[2], "reconcile") != 0 && strcmp(argv[2], "launch") != 0)) {
    fprintf(stderr, "usage: c_client MASTER_URL reconcile|launch N\n");
    return 2;
  }
  bench b;
  memset(&b, 0, sizeof b);
  b.reconcile = strcmp(argv[2], "reconcile") == 0;
  b.n = atol(argv[3]);
  pthread_mutex_init(&b.lock, NULL);
  pthread_cond_init(&b.done, NULL);
  mesos_sched_scheduler scheduler;
  memset(&scheduler, 0, sizeof scheduler);
  scheduler.struct_size = sizeof scheduler;
  scheduler.registered = on_registered;
  scheduler.resource_offers = on_offers;
  scheduler.status_update = on_status;
  scheduler.error = on_error;
  pb_buf info;
  pb_init(&info);
  mw_framework_info(&info, "side-by-side", 0, 0);
  mesos_sched_driver *driver = NULL;
  if (mesos_sched_driver_new(&scheduler, &b, info.data, info.len, argv[1], NULL, 0, true,
                             &driver) < 0) {
    char message[512];
    mesos_sched_driver_last_error(NULL, message, sizeof message);
    fprintf(stderr, "c_client: %s\n", message);
    return 1;
  }
  pb_free(&info);
  mesos_sched_driver_start(driver);
  pthread_mutex_lock(&b.lock);
  while (!b.finished) pthread_cond_wait(&b.done, &b.lock);
  pthread_mutex_unlock(&b.lock);
  printf("{\"ops\": %ld, \"updates\": %ld, \"acks\": %ld, \"seconds\": %.6f, "
         "\"cpu_seconds\": %.6f}\n",
         b.updates + b.acks, b.updates, b.acks, b.t1 - b.t0, b.c1 - b.c0);
  fflush(stdout);
  mesos_sched_driver_stop(driver, false);
  mesos_sched_driver_join(driver);
  mesos_sched_driver_free(driver);
  return 0;
}
