/*
 * mesos_wire.h: the few Mesos messages a C framework needs, built and read with
 * pbwire.h (field numbers from mesos.proto; v0 and v1 are wire-identical).
 * Header-only, C99.
 */
#ifndef MESOS_SCHED_MESOS_WIRE_H
#define MESOS_SCHED_MESOS_WIRE_H

#include <stdio.h>

#include "pbwire.h"

/* mesos.TaskState */
enum {
  MW_TASK_STARTING = 0,
  MW_TASK_RUNNING = 1,
  MW_TASK_FINISHED = 2,
  MW_TASK_FAILED = 3,
  MW_TASK_KILLED = 4,
  MW_TASK_LOST = 5,
  MW_TASK_STAGING = 6,
  MW_TASK_ERROR = 7,
  MW_TASK_KILLING = 8,
  MW_TASK_DROPPED = 9,
  MW_TASK_UNREACHABLE = 10,
  MW_TASK_GONE = 11,
  MW_TASK_GONE_BY_OPERATOR = 12,
  MW_TASK_UNKNOWN = 13
};

/* mesos.TaskStatus.Reason values used by the tests. */
enum { MW_REASON_MASTER_DISCONNECTED = 7, MW_REASON_RECONCILIATION = 9 };

static inline const char *mw_task_state_name(int state) {
  static const char *const names[] = {
      "TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED",    "TASK_FAILED",
      "TASK_KILLED",   "TASK_LOST",    "TASK_STAGING",     "TASK_ERROR",
      "TASK_KILLING",  "TASK_DROPPED", "TASK_UNREACHABLE", "TASK_GONE",
      "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN"};
  if (state >= 0 && state < (int)(sizeof names / sizeof names[0])) return names[state];
  return "TASK_STATE_UNKNOWN_TO_THIS_PROGRAM";
}

static inline int mw_is_terminal(int state) {
  return state == MW_TASK_FINISHED || state == MW_TASK_FAILED || state == MW_TASK_KILLED ||
         state == MW_TASK_LOST || state == MW_TASK_ERROR || state == MW_TASK_DROPPED ||
         state == MW_TASK_GONE || state == MW_TASK_GONE_BY_OPERATOR ||
         state == MW_TASK_UNKNOWN;
}

/* Any *ID message (FrameworkID, OfferID, AgentID, TaskID, ExecutorID): {value = 1}. */
static inline void mw_id(pb_buf *out, const char *value) {
  pb_clear(out);
  pb_put_string(out, 1, value);
}

/* The `value` of a serialized *ID message into `out` ("" if absent). */
static inline int mw_id_value(const uint8_t *id, size_t id_len, char *out, size_t out_len) {
  int rc = pb_find_string(id, id_len, 1, out, out_len);
  if (rc != 1 && out_len) out[0] = '\0';
  return rc;
}

/* FrameworkInfo: an empty user (the driver fills in the OS user), a name,
 * optionally a failover timeout and the PARTITION_AWARE capability. */
static inline void mw_framework_info(pb_buf *out, const char *name, double failover_timeout,
                              int partition_aware) {
  pb_clear(out);
  pb_put_string(out, 1, ""); /* user */
  pb_put_string(out, 2, name);
  if (failover_timeout > 0) pb_put_double(out, 4, failover_timeout);
  if (partition_aware) {
    pb_buf capability;
    pb_init(&capability);
    pb_put_uint(&capability, 1, 5); /* Capability.type = PARTITION_AWARE */
    pb_put_message(out, 10, &capability);
    pb_free(&capability);
  }
}

/* Resource {name, type = SCALAR, scalar {value}} appended as field `field` of `out`. */
static inline void mw_put_scalar_resource(pb_buf *out, uint32_t field, const char *name,
                                   double value) {
  pb_buf resource, scalar;
  pb_init(&resource);
  pb_init(&scalar);
  pb_put_double(&scalar, 1, value);
  pb_put_string(&resource, 1, name);
  pb_put_uint(&resource, 2, 0); /* Value.Type SCALAR */
  pb_put_message(&resource, 3, &scalar);
  pb_put_message(out, field, &resource);
  pb_free(&resource);
  pb_free(&scalar);
}

/* TaskInfo running `command` with /bin/sh -c, using cpus/mem of the offer's agent.
 * `agent_id` is the serialized AgentID taken from the offer. */
static inline void mw_command_task(pb_buf *out, const char *name, const char *task_id,
                            const uint8_t *agent_id, size_t agent_id_len, double cpus,
                            double mem, const char *command) {
  pb_buf id, cmd;
  pb_init(&id);
  pb_init(&cmd);
  pb_clear(out);
  pb_put_string(out, 1, name);
  mw_id(&id, task_id);
  pb_put_message(out, 2, &id);
  pb_put_bytes(out, 3, agent_id, agent_id_len);
  mw_put_scalar_resource(out, 4, "cpus", cpus);
  mw_put_scalar_resource(out, 4, "mem", mem);
  pb_put_uint(&cmd, 6, 1); /* shell = true */
  pb_put_string(&cmd, 3, command);
  pb_put_message(out, 7, &cmd);
  pb_free(&id);
  pb_free(&cmd);
}

/* Filters {refuse_seconds}. */
static inline void mw_filters(pb_buf *out, double refuse_seconds) {
  pb_clear(out);
  pb_put_double(out, 1, refuse_seconds);
}

/* A TaskStatus for explicit reconciliation: task_id, a state (required by the schema,
 * ignored by the master) and optionally the agent. */
static inline void mw_reconcile_status(pb_buf *out, const char *task_id, const uint8_t *agent_id,
                                size_t agent_id_len) {
  pb_buf id;
  pb_init(&id);
  pb_clear(out);
  mw_id(&id, task_id);
  pb_put_message(out, 1, &id);
  pb_put_uint(out, 2, MW_TASK_RUNNING);
  if (agent_id && agent_id_len) pb_put_bytes(out, 5, agent_id, agent_id_len);
  pb_free(&id);
}

/* What a framework reads from an Offer. Pointers borrow the offer's bytes. */
typedef struct mw_offer {
  const uint8_t *id; /* serialized OfferID */
  size_t id_len;
  const uint8_t *agent_id; /* serialized AgentID */
  size_t agent_id_len;
  char id_value[128];
  char hostname[256];
  double cpus;
  double mem;
} mw_offer;

/* Sums the scalar resource `name` over the Resource fields (number `field`) of `msg`. */
static inline double mw_scalar_total(const uint8_t *msg, size_t len, uint32_t field,
                              const char *name) {
  pb_reader r;
  pb_field f;
  double total = 0;
  pb_reader_init(&r, msg, len);
  while (pb_next(&r, &f) == 1) {
    char resource_name[64];
    pb_field scalar, value;
    if (f.number != field || f.wire_type != PB_WIRE_LEN) continue;
    if (pb_find_string(f.data, f.len, 1, resource_name, sizeof resource_name) != 1) continue;
    if (strcmp(resource_name, name) != 0) continue;
    if (pb_find(f.data, f.len, 3, &scalar) != 1 || scalar.wire_type != PB_WIRE_LEN) continue;
    if (pb_find(scalar.data, scalar.len, 1, &value) != 1) continue;
    if (value.wire_type != PB_WIRE_FIXED64) continue;
    total += pb_field_double(&value);
  }
  return total;
}

/* 0 on success, -1 when the offer lacks an id or agent id or is malformed. */
static inline int mw_parse_offer(const uint8_t *offer, size_t len, mw_offer *out) {
  pb_field f;
  memset(out, 0, sizeof *out);
  if (pb_find(offer, len, 1, &f) != 1 || f.wire_type != PB_WIRE_LEN) return -1;
  out->id = f.data;
  out->id_len = f.len;
  mw_id_value(f.data, f.len, out->id_value, sizeof out->id_value);
  if (pb_find(offer, len, 3, &f) != 1 || f.wire_type != PB_WIRE_LEN) return -1;
  out->agent_id = f.data;
  out->agent_id_len = f.len;
  pb_find_string(offer, len, 4, out->hostname, sizeof out->hostname);
  out->cpus = mw_scalar_total(offer, len, 5, "cpus");
  out->mem = mw_scalar_total(offer, len, 5, "mem");
  return 0;
}

/* What a framework reads from a TaskStatus. Pointers borrow the status bytes. */
typedef struct mw_status {
  char task_id[128];
  int state;
  char message[256];
  int has_reason;
  int reason;
  int has_source;
  int source;
  int has_uuid;
  const uint8_t *agent_id; /* serialized AgentID, NULL if absent */
  size_t agent_id_len;
  const uint8_t *executor_id; /* serialized ExecutorID, NULL if absent */
  size_t executor_id_len;
} mw_status;

/* 0 on success, -1 when the status lacks a task id or state or is malformed. */
static inline int mw_parse_status(const uint8_t *status, size_t len, mw_status *out) {
  pb_field f;
  memset(out, 0, sizeof *out);
  if (pb_find(status, len, 1, &f) != 1 || f.wire_type != PB_WIRE_LEN) return -1;
  mw_id_value(f.data, f.len, out->task_id, sizeof out->task_id);
  if (pb_find(status, len, 2, &f) != 1 || f.wire_type != PB_WIRE_VARINT) return -1;
  out->state = (int)(int32_t)f.value;
  pb_find_string(status, len, 4, out->message, sizeof out->message);
  if (pb_find(status, len, 10, &f) == 1) {
    out->has_reason = 1;
    out->reason = (int)(int32_t)f.value;
  }
  if (pb_find(status, len, 9, &f) == 1) {
    out->has_source = 1;
    out->source = (int)(int32_t)f.value;
  }
  if (pb_find(status, len, 11, &f) == 1 && f.wire_type == PB_WIRE_LEN && f.len > 0)
    out->has_uuid = 1;
  if (pb_find(status, len, 5, &f) == 1 && f.wire_type == PB_WIRE_LEN) {
    out->agent_id = f.data;
    out->agent_id_len = f.len;
  }
  if (pb_find(status, len, 7, &f) == 1 && f.wire_type == PB_WIRE_LEN) {
    out->executor_id = f.data;
    out->executor_id_len = f.len;
  }
  return 0;
}

#endif /* MESOS_SCHED_MESOS_WIRE_H */
