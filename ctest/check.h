/*
 * check.h: a minimal test harness for the C tests: CHECK macros that count failures
 * and print what went wrong (with the driver's last error), a condition-variable wait
 * with a deadline for events that callbacks report from the driver's thread, and an
 * empty scheduler vtable.
 */
#ifndef MESOS_SCHED_CTEST_CHECK_H
#define MESOS_SCHED_CTEST_CHECK_H

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mesos_sched.h"

static int check_failures = 0;
static int check_count = 0;

#define CHECK(cond)                                                              \
  do {                                                                           \
    check_count++;                                                               \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
      check_failures++;                                                          \
    }                                                                            \
  } while (0)

/* Checks a status code; on mismatch prints it with the handle's last error. */
#define CHECK_STATUS(expr, expected, driver)                                     \
  do {                                                                           \
    long got_ = (long)(expr);                                                    \
    check_count++;                                                               \
    if (got_ != (long)(expected)) {                                              \
      char message_[512];                                                        \
      mesos_sched_driver_last_error((driver), message_, sizeof message_);        \
      fprintf(stderr, "%s:%d: %s = %ld, expected %ld (last error: %s)\n",        \
              __FILE__, __LINE__, #expr, got_, (long)(expected), message_);      \
      check_failures++;                                                          \
    }                                                                            \
  } while (0)

/* Checks that the last error of `driver` (NULL: this thread's) contains `needle`. */
#define CHECK_LAST_ERROR_CONTAINS(driver, needle)                                \
  do {                                                                           \
    char message_[1024];                                                         \
    mesos_sched_driver_last_error((driver), message_, sizeof message_);          \
    check_count++;                                                               \
    if (!strstr(message_, (needle))) {                                           \
      fprintf(stderr, "%s:%d: last error \"%s\" does not contain \"%s\"\n",      \
              __FILE__, __LINE__, message_, (needle));                           \
      check_failures++;                                                          \
    }                                                                            \
  } while (0)

static inline int check_report(const char *name) {
  /* The closing line ctest-style runners read: "N passed, N failed". */
  printf("%s: %d passed, %d failed\n", name, check_count - check_failures, check_failures);
  fflush(stdout);
  return check_failures ? 1 : 0;
}

/* A mutex + condition variable pair shared by callbacks and the test's main thread. */
typedef struct waiter {
  pthread_mutex_t mutex;
  pthread_cond_t changed;
} waiter;

static inline void waiter_init(waiter *w) {
  pthread_mutex_init(&w->mutex, NULL);
  pthread_cond_init(&w->changed, NULL);
}

static inline void waiter_destroy(waiter *w) {
  pthread_cond_destroy(&w->changed);
  pthread_mutex_destroy(&w->mutex);
}

/* Waits (mutex held by the caller) until predicate(arg) or `seconds` pass.
 * Returns the predicate's last value. */
static inline int waiter_wait(waiter *w, int (*predicate)(void *), void *arg, int seconds) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += seconds;
  while (!predicate(arg)) {
    if (pthread_cond_timedwait(&w->changed, &w->mutex, &deadline) == ETIMEDOUT)
      return predicate(arg);
  }
  return 1;
}

/* Like waiter_wait, taking and releasing the mutex itself. */
static inline int waiter_lock_and_wait(waiter *w, int (*predicate)(void *), void *arg,
                                       int seconds) {
  int ok;
  pthread_mutex_lock(&w->mutex);
  ok = waiter_wait(w, predicate, arg, seconds);
  pthread_mutex_unlock(&w->mutex);
  return ok;
}

/* A vtable with every callback NULL and struct_size set. */
static inline mesos_sched_scheduler empty_scheduler(void) {
  mesos_sched_scheduler scheduler;
  memset(&scheduler, 0, sizeof scheduler);
  scheduler.struct_size = sizeof scheduler;
  return scheduler;
}

/* The master for tests that need one: $MESOS_SCHED_TEST_MASTER, else "local". */
static inline const char *test_master(void) {
  const char *master = getenv("MESOS_SCHED_TEST_MASTER");
  return master && *master ? master : "local";
}

#endif /* MESOS_SCHED_CTEST_CHECK_H */
