/*
 * test_framework.c: the classic Mesos "test framework" in C over libmesos_sched.
 *
 * Registers, launches N command tasks (`echo hello; sleep 1`, cpus 1, mem 128) from the
 * offers it gets, prints their progress and stops when all of them are done.
 *
 * Usage: test_framework [MASTER [N]]
 *   MASTER: argv[1], else $MESOS_MASTER, else "local" (an in-process cluster).
 *   N:      argv[2], default 5.
 * Exit status: 0 when every task finished, 1 when a task failed or the driver failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesos_sched.h"
#include "mesos_wire.h"

#define TASK_CPUS 1.0
#define TASK_MEM 128.0

typedef struct framework {
  int total;
  int launched;
  int finished;
  int failed;
} framework;

static void print_last_error(const char *what, const mesos_sched_driver *driver) {
  char message[512];
  mesos_sched_driver_last_error(driver, message, sizeof message);
  fprintf(stderr, "%s failed: %s\n", what, message);
}

static void on_registered(void *user_data, mesos_sched_driver *driver,
                          const uint8_t *framework_id, size_t framework_id_len,
                          const uint8_t *master_info, size_t master_info_len) {
  char id[128];
  (void)user_data;
  (void)driver;
  (void)master_info;
  (void)master_info_len;
  mw_id_value(framework_id, framework_id_len, id, sizeof id);
  printf("Registered with framework ID %s\n", id);
  fflush(stdout);
}

static void on_reregistered(void *user_data, mesos_sched_driver *driver,
                            const uint8_t *master_info, size_t master_info_len) {
  (void)user_data;
  (void)driver;
  (void)master_info;
  (void)master_info_len;
  printf("Reregistered with the master\n");
  fflush(stdout);
}

static void on_disconnected(void *user_data, mesos_sched_driver *driver) {
  (void)user_data;
  (void)driver;
  printf("Disconnected from the master\n");
  fflush(stdout);
}

static void on_resource_offers(void *user_data, mesos_sched_driver *driver,
                               const uint8_t *const *offers, const size_t *offer_lens,
                               size_t offer_count) {
  framework *fw = (framework *)user_data;
  size_t i;
  for (i = 0; i < offer_count; i++) {
    mw_offer offer;
    pb_buf tasks[64];
    const uint8_t *task_ptrs[64];
    size_t task_lens[64];
    size_t task_count = 0;
    double cpus, mem;
    size_t t;
    mesos_sched_status rc;

    if (mw_parse_offer(offers[i], offer_lens[i], &offer) != 0) {
      fprintf(stderr, "Ignoring a malformed offer\n");
      continue;
    }
    cpus = offer.cpus;
    mem = offer.mem;
    while (fw->launched < fw->total && cpus >= TASK_CPUS && mem >= TASK_MEM &&
           task_count < sizeof tasks / sizeof tasks[0]) {
      char task_id[32], name[64];
      snprintf(task_id, sizeof task_id, "%d", fw->launched);
      snprintf(name, sizeof name, "Task %d", fw->launched);
      printf("Launching task %d using offer %s\n", fw->launched, offer.id_value);
      pb_init(&tasks[task_count]);
      mw_command_task(&tasks[task_count], name, task_id, offer.agent_id,
                      offer.agent_id_len, TASK_CPUS, TASK_MEM, "echo hello; sleep 1");
      task_ptrs[task_count] = tasks[task_count].data;
      task_lens[task_count] = tasks[task_count].len;
      task_count++;
      fw->launched++;
      cpus -= TASK_CPUS;
      mem -= TASK_MEM;
    }
    fflush(stdout);
    /* Launching no task declines the offer. */
    rc = mesos_sched_driver_launch_tasks(driver, &offer.id, &offer.id_len, 1, task_ptrs,
                                         task_lens, task_count, NULL, 0);
    if (rc < 0) print_last_error("launch_tasks", driver);
    for (t = 0; t < task_count; t++) pb_free(&tasks[t]);
  }
}

static void on_status_update(void *user_data, mesos_sched_driver *driver,
                             const uint8_t *task_status, size_t task_status_len) {
  framework *fw = (framework *)user_data;
  mw_status status;
  if (mw_parse_status(task_status, task_status_len, &status) != 0) {
    fprintf(stderr, "Ignoring a malformed status update\n");
    return;
  }
  printf("Task %s is in state %s", status.task_id, mw_task_state_name(status.state));
  if (status.message[0]) printf(" (%s)", status.message);
  printf("\n");
  fflush(stdout);
  if (status.state == MW_TASK_FINISHED) {
    fw->finished++;
  } else if (mw_is_terminal(status.state)) {
    fw->failed++;
  }
  if (fw->finished + fw->failed >= fw->total) {
    printf("All %d tasks done (%d finished, %d failed), stopping\n", fw->total,
           fw->finished, fw->failed);
    fflush(stdout);
    mesos_sched_driver_stop(driver, false);
  }
}

static void on_error(void *user_data, mesos_sched_driver *driver, const char *message,
                     size_t message_len) {
  (void)user_data;
  (void)driver;
  (void)message_len;
  fprintf(stderr, "Error: %s\n", message);
}

int main(int argc, char **argv) {
  const char *master = argc > 1 ? argv[1] : getenv("MESOS_MASTER");
  framework fw;
  mesos_sched_scheduler scheduler;
  mesos_sched_driver *driver = NULL;
  pb_buf framework_info;
  mesos_sched_status status;

  if (!master || !*master) master = "local";
  memset(&fw, 0, sizeof fw);
  fw.total = 5;
  if (argc > 2) {
    char *end;
    long n;
    errno = 0;
    n = strtol(argv[2], &end, 10);
    if (errno || *end || n < 1 || n > 100000) {
      fprintf(stderr, "usage: %s [MASTER [N]]  (N: a positive number of tasks)\n", argv[0]);
      return 2;
    }
    fw.total = (int)n;
  }

  memset(&scheduler, 0, sizeof scheduler);
  scheduler.struct_size = sizeof scheduler;
  scheduler.registered = on_registered;
  scheduler.reregistered = on_reregistered;
  scheduler.disconnected = on_disconnected;
  scheduler.resource_offers = on_resource_offers;
  scheduler.status_update = on_status_update;
  scheduler.error = on_error;

  pb_init(&framework_info);
  mw_framework_info(&framework_info, "Test Framework (C)", 0, 0);
  printf("libmesos_sched %s, master %s, %d tasks\n", mesos_sched_version(), master,
         fw.total);
  fflush(stdout);

  status = mesos_sched_driver_new(&scheduler, &fw, framework_info.data, framework_info.len,
                                  master, NULL, 0, true, &driver);
  pb_free(&framework_info);
  if (status < 0) {
    print_last_error("mesos_sched_driver_new", NULL);
    return 1;
  }
  status = mesos_sched_driver_run(driver);
  if (status < 0) print_last_error("mesos_sched_driver_run", driver);
  mesos_sched_driver_free(driver);

  if (status == MESOS_SCHED_STATUS_DRIVER_STOPPED && fw.finished == fw.total) return 0;
  fprintf(stderr, "Framework ended with driver status %d, %d of %d tasks finished\n",
          (int)status, fw.finished, fw.total);
  return 1;
}
