/*
 * pbwire.h: a tiny protobuf wire-format writer and reader for C programs that talk to
 * libmesos_sched without a protobuf library. Header-only (static functions), C99.
 *
 * Writer: a growable buffer; every put appends one field (tag + value). Submessages are
 * written into their own pb_buf and appended with pb_put_message. Allocation failure
 * sets `failed` and later puts do nothing.
 *
 * Reader: pb_next walks the fields of one message; pb_find returns the first (or last)
 * occurrence of a field number. Lengths are checked against the buffer: malformed input
 * gives -1, never a read out of bounds.
 */
#ifndef MESOS_SCHED_PBWIRE_H
#define MESOS_SCHED_PBWIRE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
  PB_WIRE_VARINT = 0,
  PB_WIRE_FIXED64 = 1,
  PB_WIRE_LEN = 2,
  PB_WIRE_FIXED32 = 5
};

typedef struct pb_buf {
  uint8_t *data;
  size_t len;
  size_t cap;
  int failed;
} pb_buf;

static inline void pb_init(pb_buf *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->failed = 0;
}

static inline void pb_free(pb_buf *b) {
  free(b->data);
  pb_init(b);
}

static inline void pb_clear(pb_buf *b) { b->len = 0; }

static inline int pb_reserve(pb_buf *b, size_t extra) {
  size_t need;
  size_t cap;
  uint8_t *grown;
  if (b->failed) return 0;
  need = b->len + extra;
  if (need <= b->cap) return 1;
  cap = b->cap ? b->cap : 64;
  while (cap < need) cap *= 2;
  grown = (uint8_t *)realloc(b->data, cap);
  if (!grown) {
    b->failed = 1;
    return 0;
  }
  b->data = grown;
  b->cap = cap;
  return 1;
}

static inline void pb_put_raw(pb_buf *b, const void *data, size_t len) {
  if (len == 0 || !pb_reserve(b, len)) return;
  memcpy(b->data + b->len, data, len);
  b->len += len;
}

static inline void pb_put_varint(pb_buf *b, uint64_t value) {
  uint8_t bytes[10];
  size_t n = 0;
  do {
    uint8_t byte = (uint8_t)(value & 0x7f);
    value >>= 7;
    if (value) byte |= 0x80;
    bytes[n++] = byte;
  } while (value);
  pb_put_raw(b, bytes, n);
}

static inline void pb_put_tag(pb_buf *b, uint32_t field, uint32_t wire_type) {
  pb_put_varint(b, ((uint64_t)field << 3) | wire_type);
}

/* uint32/uint64/int32 (non-negative)/bool/enum fields. */
static inline void pb_put_uint(pb_buf *b, uint32_t field, uint64_t value) {
  pb_put_tag(b, field, PB_WIRE_VARINT);
  pb_put_varint(b, value);
}

/* int32/int64 fields: negative values are 10-byte two's complement varints. */
static inline void pb_put_int(pb_buf *b, uint32_t field, int64_t value) {
  pb_put_uint(b, field, (uint64_t)value);
}

static inline void pb_put_double(pb_buf *b, uint32_t field, double value) {
  uint64_t bits;
  uint8_t bytes[8];
  int i;
  memcpy(&bits, &value, sizeof bits);
  for (i = 0; i < 8; i++) bytes[i] = (uint8_t)(bits >> (8 * i));
  pb_put_tag(b, field, PB_WIRE_FIXED64);
  pb_put_raw(b, bytes, 8);
}

static inline void pb_put_bytes(pb_buf *b, uint32_t field, const void *data, size_t len) {
  pb_put_tag(b, field, PB_WIRE_LEN);
  pb_put_varint(b, len);
  pb_put_raw(b, data, len);
}

static inline void pb_put_string(pb_buf *b, uint32_t field, const char *text) {
  pb_put_bytes(b, field, text, strlen(text));
}

static inline void pb_put_message(pb_buf *b, uint32_t field, const pb_buf *message) {
  if (message->failed) b->failed = 1;
  pb_put_bytes(b, field, message->data, message->len);
}

/* One field as read from the wire. For PB_WIRE_LEN, data/len are the payload; for
 * varint and fixed fields, `value` holds the (raw) number. */
typedef struct pb_field {
  uint32_t number;
  uint32_t wire_type;
  uint64_t value;
  const uint8_t *data;
  size_t len;
} pb_field;

typedef struct pb_reader {
  const uint8_t *pos;
  const uint8_t *end;
} pb_reader;

static inline void pb_reader_init(pb_reader *r, const uint8_t *data, size_t len) {
  r->pos = data;
  r->end = data ? data + len : data;
}

static inline int pb_read_varint(pb_reader *r, uint64_t *out) {
  uint64_t value = 0;
  int shift = 0;
  while (r->pos < r->end && shift < 64) {
    uint8_t byte = *r->pos++;
    value |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *out = value;
      return 1;
    }
    shift += 7;
  }
  return 0;
}

/* A little-endian fixed-width value of `size` bytes (4 or 8) into *out (zeroed by the
 * caller); 0 when fewer bytes remain. */
static inline int pb_read_fixed(pb_reader *r, size_t size, uint64_t *out) {
  size_t i;
  if ((size_t)(r->end - r->pos) < size) return 0;
  for (i = 0; i < size; i++) *out |= (uint64_t)r->pos[i] << (8 * i);
  r->pos += size;
  return 1;
}

/* 1: a field was read; 0: end of message; -1: malformed. */
static inline int pb_next(pb_reader *r, pb_field *f) {
  uint64_t key;
  if (r->pos == r->end) return 0;
  if (!pb_read_varint(r, &key)) return -1;
  f->number = (uint32_t)(key >> 3);
  f->wire_type = (uint32_t)(key & 7);
  f->value = 0;
  f->data = NULL;
  f->len = 0;
  if (f->number == 0) return -1;
  switch (f->wire_type) {
    case PB_WIRE_VARINT:
      return pb_read_varint(r, &f->value) ? 1 : -1;
    case PB_WIRE_FIXED64:
      return pb_read_fixed(r, 8, &f->value) ? 1 : -1;
    case PB_WIRE_FIXED32:
      return pb_read_fixed(r, 4, &f->value) ? 1 : -1;
    case PB_WIRE_LEN: {
      uint64_t len;
      if (!pb_read_varint(r, &len)) return -1;
      if (len > (uint64_t)(r->end - r->pos)) return -1;
      f->data = r->pos;
      f->len = (size_t)len;
      r->pos += len;
      return 1;
    }
    default:
      return -1;
  }
}

/* Finds the LAST occurrence of `number` (protobuf's rule for singular fields).
 * 1: found; 0: absent; -1: malformed message. */
static inline int pb_find(const uint8_t *msg, size_t len, uint32_t number, pb_field *out) {
  pb_reader r;
  pb_field f;
  int found = 0;
  int rc;
  pb_reader_init(&r, msg, len);
  while ((rc = pb_next(&r, &f)) == 1) {
    if (f.number == number) {
      *out = f;
      found = 1;
    }
  }
  return rc < 0 ? -1 : found;
}

/* Copies a string/bytes field into `out` (NUL-terminated, truncated to out_len - 1).
 * 1: found; 0: absent or not length-delimited; -1: malformed. */
static inline int pb_find_string(const uint8_t *msg, size_t len, uint32_t number, char *out,
                          size_t out_len) {
  pb_field f;
  int rc = pb_find(msg, len, number, &f);
  size_t n;
  if (rc != 1) return rc;
  if (f.wire_type != PB_WIRE_LEN || out_len == 0) return 0;
  n = f.len < out_len - 1 ? f.len : out_len - 1;
  memcpy(out, f.data, n);
  out[n] = '\0';
  return 1;
}

static inline double pb_field_double(const pb_field *f) {
  double d;
  memcpy(&d, &f->value, sizeof d);
  return d;
}

#endif /* MESOS_SCHED_PBWIRE_H */
