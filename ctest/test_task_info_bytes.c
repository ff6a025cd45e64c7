/*
 * The shared full TaskInfo (tests/fixtures/README.md), built field by field with the
 * examples' protobuf writer, must be byte for byte tests/fixtures/task_info_full.bin,
 * the bytes Rust, Python v1 and Python v0 produce for it. Fields go in field-number
 * order, as every protobuf encoder writes them.
 */
#include <stdio.h>

#include "check.h"
#include "pbwire.h"

/* TaskInfo field numbers and the enum values used (mesos.v1 / mesos). */
enum {
  TASK_NAME = 1, TASK_ID = 2, TASK_AGENT_ID = 3, TASK_RESOURCES = 4, TASK_DATA = 6,
  TASK_COMMAND = 7, TASK_HEALTH_CHECK = 8, TASK_CONTAINER = 9, TASK_LABELS = 10,
  TASK_DISCOVERY = 11
};
enum { VALUE_SCALAR = 0, HEALTH_CHECK_COMMAND = 1, CONTAINER_MESOS = 2, VOLUME_RW = 1 };
enum { VISIBILITY_FRAMEWORK = 0 };

static void put_id(pb_buf *out, uint32_t field, const char *value) {
  pb_buf id;
  pb_init(&id);
  pb_put_string(&id, 1, value);
  pb_put_message(out, field, &id);
  pb_free(&id);
}

static void put_scalar_resource(pb_buf *out, const char *name, double value) {
  pb_buf resource, scalar;
  pb_init(&resource);
  pb_init(&scalar);
  pb_put_string(&resource, 1, name);       /* name */
  pb_put_uint(&resource, 2, VALUE_SCALAR); /* type */
  pb_put_double(&scalar, 1, value);        /* Value.Scalar.value */
  pb_put_message(&resource, 3, &scalar);   /* scalar */
  pb_put_message(out, TASK_RESOURCES, &resource);
  pb_free(&scalar);
  pb_free(&resource);
}

static void put_label(pb_buf *labels, const char *key, const char *value) {
  pb_buf label;
  pb_init(&label);
  pb_put_string(&label, 1, key);
  if (value) pb_put_string(&label, 2, value);
  pb_put_message(labels, 1, &label);
  pb_free(&label);
}

static void build_task_info(pb_buf *task) {
  pb_buf command, environment, variable, health, health_command, container, volume,
      mesos, labels, discovery, ports, port;
  pb_buf *parts[] = {&command, &environment, &variable, &health, &health_command,
                     &container, &volume, &mesos, &labels, &discovery, &ports, &port};
  size_t i;
  for (i = 0; i < sizeof parts / sizeof parts[0]; i++) pb_init(parts[i]);

  pb_put_string(task, TASK_NAME, "schema-task");
  put_id(task, TASK_ID, "task-1");
  put_id(task, TASK_AGENT_ID, "agent-1");
  put_scalar_resource(task, "cpus", 0.1);
  put_scalar_resource(task, "mem", 32.0);
  pb_put_bytes(task, TASK_DATA, "payload", 7);

  pb_put_string(&variable, 1, "GREETING"); /* Environment.Variable.name */
  pb_put_string(&variable, 2, "hello");    /* value */
  pb_put_message(&environment, 1, &variable);
  pb_put_message(&command, 2, &environment); /* CommandInfo.environment */
  pb_put_string(&command, 3, "sleep 30");    /* value */
  pb_put_uint(&command, 6, 1);               /* shell */
  pb_put_message(task, TASK_COMMAND, &command);

  pb_put_double(&health, 2, 1.0); /* HealthCheck.delay_seconds */
  pb_put_double(&health, 3, 2.0); /* interval_seconds */
  pb_put_uint(&health, 5, 3);     /* consecutive_failures */
  pb_put_string(&health_command, 3, "true");
  pb_put_message(&health, 7, &health_command); /* command */
  pb_put_uint(&health, 8, HEALTH_CHECK_COMMAND); /* type */
  pb_put_message(task, TASK_HEALTH_CHECK, &health);

  pb_put_uint(&container, 1, CONTAINER_MESOS); /* ContainerInfo.type */
  pb_put_string(&volume, 1, "scratch");        /* Volume.container_path */
  pb_put_uint(&volume, 3, VOLUME_RW);          /* mode */
  pb_put_message(&container, 2, &volume);      /* volumes */
  pb_put_string(&container, 4, "schema-host"); /* hostname */
  pb_put_message(&container, 5, &mesos);       /* mesos: present, no image */
  pb_put_message(task, TASK_CONTAINER, &container);

  put_label(&labels, "team", "infra");
  put_label(&labels, "tier", NULL);
  pb_put_message(task, TASK_LABELS, &labels);

  pb_put_uint(&discovery, 1, VISIBILITY_FRAMEWORK); /* DiscoveryInfo.visibility */
  pb_put_string(&discovery, 2, "schema");           /* name */
  pb_put_uint(&port, 1, 8080);                      /* Port.number */
  pb_put_string(&port, 2, "http");
  pb_put_string(&port, 3, "tcp");
  pb_put_message(&ports, 1, &port);
  pb_put_message(&discovery, 6, &ports); /* ports */
  pb_put_message(task, TASK_DISCOVERY, &discovery);

  for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    if (parts[i]->failed) task->failed = 1;
    pb_free(parts[i]);
  }
}

int main(void) {
  const char *path = MESOS_SCHED_ROOT_DIR "/tests/fixtures/task_info_full.bin";
  unsigned char expected[4096];
  size_t expected_len = 0;
  FILE *file = fopen(path, "rb");
  pb_buf task;
  size_t i;

  CHECK(file != NULL);
  if (file) {
    expected_len = fread(expected, 1, sizeof expected, file);
    CHECK(feof(file) && !ferror(file));
    fclose(file);
  }
  pb_init(&task);
  build_task_info(&task);
  CHECK(!task.failed);
  CHECK(task.len == expected_len);
  if (task.len == expected_len) {
    CHECK(memcmp(task.data, expected, expected_len) == 0);
  }
  for (i = 0; i < task.len && i < expected_len; i++) {
    if (task.data[i] != expected[i]) {
      fprintf(stderr, "first difference at byte %zu: C 0x%02x, fixture 0x%02x\n", i,
              task.data[i], expected[i]);
      break;
    }
  }
  pb_free(&task);
  return check_report("test_task_info_bytes");
}
