// The one C++ file of the core: esn_json (json.h) over simdjson's DOM parser.
// Values are (document, tape index) pairs read straight from simdjson's tape
// (documented in simdjson's doc/tape.md): no per-value allocation.
#include "json/json.h"

#include <cstring>
#include <new>

// The DOM parser dispatches to the best kernel at run time. The On-Demand
// front end (esn_json_fields*) is compiled for the "builtin" kernel (the
// portable one unless the compiler may assume a newer CPU), but its stage 1,
// where the SIMD work is, also runs on the kernel picked at run time.
#include "simdjson.h"

#if defined(_MSC_VER)
#define ESN_NOINLINE __declspec(noinline)
#else
#define ESN_NOINLINE __attribute__((noinline))
#endif

using simdjson::dom::document;

struct esn_json_parser {
  simdjson::dom::parser parser;
  size_t max_depth;
  void *od;     // simdjson::ondemand::parser, made on first use
};

static_assert(ESN_JSON_PADDING >= simdjson::SIMDJSON_PADDING, "padding too small");

namespace {

constexpr uint64_t kValueMask = 0x00FFFFFFFFFFFFFFull;

inline const document *doc_of(const void *d) { return static_cast<const document *>(d); }
inline uint64_t word(const void *d, size_t i) { return doc_of(d)->tape[i]; }
inline char kind(const void *d, size_t i) { return char(word(d, i) >> 56); }

inline size_t after(const void *d, size_t i) {
  switch (kind(d, i)) {
    case '{':
    case '[':
      return size_t(uint32_t(word(d, i)));
    case 'l':
    case 'u':
    case 'd':
      return i + 2;
    default:
      return i + 1;
  }
}

}  // namespace

extern "C" {

esn_json_parser *esn_json_parser_new(size_t max_depth) {
  esn_json_parser *p = new (std::nothrow) esn_json_parser();
  if (p == nullptr) return nullptr;
  p->od = nullptr;
  p->max_depth = max_depth ? max_depth : simdjson::DEFAULT_MAX_DEPTH;
  return p;
}

static void od_free(void *od);

void esn_json_parser_free(esn_json_parser *p) {
  if (p == nullptr) return;
  if (p->od != nullptr) od_free(p->od);
  delete p;
}

// simdjson skips a leading UTF-8 byte order mark; JSON.parse does not.
static inline bool starts_with_bom(const uint8_t *buf, size_t len) {
  return len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF;
}

esn_json_status esn_json_parse(esn_json_parser *p, const uint8_t *buf, size_t len,
                               esn_json_value *root) {
  if (starts_with_bom(buf, len)) return ESN_JSON_EFAIL;
  if (p->parser.capacity() < len || p->parser.max_depth() != p->max_depth) {
    size_t cap = p->parser.capacity() < len ? len : p->parser.capacity();
    if (cap < 4096) cap = 4096;
    if (p->parser.allocate(cap, p->max_depth) != simdjson::SUCCESS) return ESN_JSON_ENOMEM;
  }
  simdjson::dom::element el;
  simdjson::error_code err = p->parser.parse(buf, len, false).get(el);
  if (err == simdjson::MEMALLOC) return ESN_JSON_ENOMEM;
  if (err != simdjson::SUCCESS) return ESN_JSON_EFAIL;
  // The root value sits at tape index 1 of the parser's document.
  root->doc = &p->parser.doc;
  root->index = 1;
  return ESN_JSON_OK;
}

esn_json_status esn_json_parse_many(esn_json_parser *p, const uint8_t *buf, size_t len,
                                    int (*each)(void *ctx, size_t offset, esn_json_value root),
                                    void *ctx) {
  if (len == 0) return ESN_JSON_OK;
  if (starts_with_bom(buf, len)) return ESN_JSON_EFAIL;
  // One batch covering the whole input: stage 1 runs once over it.
  size_t batch = len < 4096 ? 4096 : len;
  if (p->parser.max_depth() != p->max_depth &&
      p->parser.allocate(p->parser.capacity() < batch ? batch : p->parser.capacity(), p->max_depth) !=
          simdjson::SUCCESS)
    return ESN_JSON_ENOMEM;
  simdjson::dom::document_stream stream;
  simdjson::error_code err = p->parser.parse_many(buf, len, batch).get(stream);
  if (err == simdjson::MEMALLOC) return ESN_JSON_ENOMEM;
  if (err != simdjson::SUCCESS) return ESN_JSON_EFAIL;
  for (auto it = stream.begin(); it != stream.end(); ++it) {
    simdjson::dom::element el;
    err = (*it).get(el);
    if (err == simdjson::MEMALLOC) return ESN_JSON_ENOMEM;
    if (err != simdjson::SUCCESS) return ESN_JSON_EFAIL;
    esn_json_value root = {&p->parser.doc, 1};
    if (each(ctx, it.current_index(), root) != 0) return ESN_JSON_EFAIL;
  }
  return stream.truncated_bytes() == 0 ? ESN_JSON_OK : ESN_JSON_EFAIL;
}

size_t esn_json_parser_capacity(const esn_json_parser *p) { return p->parser.capacity(); }

void esn_json_parser_shrink(esn_json_parser *p, size_t keep) {
  if (p->parser.capacity() > keep && p->parser.allocate(keep, p->max_depth) != simdjson::SUCCESS) {
    // Keeping the larger buffers is harmless.
  }
}

int esn_json_utf8_valid(const uint8_t *buf, size_t len) {
  return simdjson::validate_utf8(reinterpret_cast<const char *>(buf), len) ? 1 : 0;
}

esn_json_type esn_json_type_of(esn_json_value v) {
  switch (kind(v.doc, v.index)) {
    case 't': return ESN_JSON_TRUE;
    case 'f': return ESN_JSON_FALSE;
    case 'l': return ESN_JSON_INT64;
    case 'u': return ESN_JSON_UINT64;
    case 'd': return ESN_JSON_DOUBLE;
    case '"': return ESN_JSON_STRING;
    case '[': return ESN_JSON_ARRAY;
    case '{': return ESN_JSON_OBJECT;
    default: return ESN_JSON_NULL;
  }
}

int esn_json_get_string(esn_json_value v, const char **s, size_t *len) {
  if (kind(v.doc, v.index) != '"') return -1;
  const uint8_t *sb = doc_of(v.doc)->string_buf.get() + (word(v.doc, v.index) & kValueMask);
  uint32_t n;
  std::memcpy(&n, sb, sizeof n);
  *s = reinterpret_cast<const char *>(sb + sizeof n);
  *len = n;
  return 0;
}

int esn_json_get_int64(esn_json_value v, int64_t *out) {
  if (kind(v.doc, v.index) != 'l') return -1;
  uint64_t w = word(v.doc, v.index + 1);
  std::memcpy(out, &w, sizeof w);
  return 0;
}

int esn_json_get_uint64(esn_json_value v, uint64_t *out) {
  if (kind(v.doc, v.index) != 'u') return -1;
  *out = word(v.doc, v.index + 1);
  return 0;
}

int esn_json_get_number(esn_json_value v, double *out) {
  uint64_t w;
  switch (kind(v.doc, v.index)) {
    case 'l': {
      int64_t i;
      w = word(v.doc, v.index + 1);
      std::memcpy(&i, &w, sizeof i);
      *out = double(i);
      return 0;
    }
    case 'u':
      *out = double(word(v.doc, v.index + 1));
      return 0;
    case 'd':
      w = word(v.doc, v.index + 1);
      std::memcpy(out, &w, sizeof w);
      return 0;
    default:
      return -1;
  }
}

static int begin(esn_json_value v, char open, esn_json_iter *it) {
  if (kind(v.doc, v.index) != open) return -1;
  it->doc = v.doc;
  it->index = v.index + 1;
  it->end = after(v.doc, v.index) - 1;  // index of the closing brace
  return 0;
}

int esn_json_object_begin(esn_json_value v, esn_json_iter *it) { return begin(v, '{', it); }
int esn_json_array_begin(esn_json_value v, esn_json_iter *it) { return begin(v, '[', it); }

int esn_json_object_next(esn_json_iter *it, const char **key, size_t *key_len,
                         esn_json_value *val) {
  if (it->index >= it->end) return 0;
  esn_json_value k = {it->doc, it->index};
  esn_json_get_string(k, key, key_len);
  val->doc = it->doc;
  val->index = it->index + 1;
  it->index = after(it->doc, val->index);
  return 1;
}

int esn_json_array_next(esn_json_iter *it, esn_json_value *val) {
  if (it->index >= it->end) return 0;
  val->doc = it->doc;
  val->index = it->index;
  it->index = after(it->doc, it->index);
  return 1;
}

long esn_json_size(esn_json_value v) {
  char k = kind(v.doc, v.index);
  if (k != '{' && k != '[') return -1;
  uint32_t n = uint32_t((word(v.doc, v.index) >> 32) & 0xFFFFFF);
  if (n < 0xFFFFFF) return long(n);
  // Saturated count: walk.
  esn_json_iter it;
  begin(v, k, &it);
  long c = 0;
  esn_json_value tmp;
  if (k == '{') {
    const char *key;
    size_t kl;
    while (esn_json_object_next(&it, &key, &kl, &tmp)) c++;
  } else {
    while (esn_json_array_next(&it, &tmp)) c++;
  }
  return c;
}


}  // extern "C"

// ---------------------------------------------------------------------------
// Shallow reading: simdjson On-Demand.

namespace {

inline size_t find_key(const esn_json_key *keys, size_t nkeys, const char *k, size_t kl) {
  for (size_t i = 0; i < nkeys; i++)
    if (keys[i].len == kl && keys[i].name[0] == k[0] && std::memcmp(keys[i].name, k, kl) == 0) return i;
  return nkeys;
}

inline void clear_fields(esn_json_field *fields, size_t nkeys) {
  for (size_t i = 0; i < nkeys; i++) fields[i].present = 0;
}

using simdjson::ondemand::json_type;
using od_parser = simdjson::ondemand::parser;

// Reads the named fields of an On-Demand document (document or
// document_reference). 0 on success, -1 when not an object or on any error.
template <typename Doc>
int od_read(Doc &doc, const esn_json_key *keys, size_t nkeys, esn_json_field *fields) {
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return -1;
  clear_fields(fields, nkeys);
  for (auto fr : obj) {
    simdjson::ondemand::field field;
    if (std::move(fr).get(field) != simdjson::SUCCESS) return -1;
    std::string_view k = field.escaped_key();
    if (std::memchr(k.data(), '\\', k.size()) != nullptr &&
        field.unescaped_key(false).get(k) != simdjson::SUCCESS)
      return -1;
    size_t i = find_key(keys, nkeys, k.data(), k.size());
    if (i == nkeys) continue;  // skipped by the next iteration step
    simdjson::ondemand::value v = field.value();
    json_type t;
    if (v.type().get(t) != simdjson::SUCCESS) return -1;
    esn_json_field *f = &fields[i];
    f->present = 1;
    switch (t) {
      case json_type::object:
        f->type = ESN_JSON_OBJECT;
        break;
      case json_type::array:
        f->type = ESN_JSON_ARRAY;
        break;
      case json_type::string: {
        std::string_view s;
        if (v.get_string().get(s) != simdjson::SUCCESS) return -1;
        f->type = ESN_JSON_STRING;
        f->str = s.data();
        f->len = s.size();
        break;
      }
      case json_type::number:
        if (v.get_double().get(f->num) != simdjson::SUCCESS) return -1;
        f->type = ESN_JSON_DOUBLE;
        break;
      case json_type::boolean:
        f->type = ESN_JSON_TRUE;
        break;
      default:
        f->type = ESN_JSON_NULL;
    }
  }
  return 0;
}

inline esn_json_status od_stream_status(simdjson::error_code err) {
  if (err == simdjson::SUCCESS) return ESN_JSON_OK;
  return err == simdjson::MEMALLOC ? ESN_JSON_ENOMEM : ESN_JSON_EFAIL;
}

ESN_NOINLINE void *od_new() { return new (std::nothrow) od_parser(); }

ESN_NOINLINE void od_delete(void *od) { delete static_cast<od_parser *>(od); }

ESN_NOINLINE esn_json_status od_one(void *vod, size_t max_depth, const uint8_t *buf,
                                                 size_t len, const esn_json_key *keys, size_t nkeys,
                                                 esn_json_field *fields) {
  od_parser &od = *static_cast<od_parser *>(vod);
  (void)max_depth;  // see od_many
  if (od.capacity() < len) {
    size_t cap = 65536;
    while (cap < len) cap *= 2;
    if (od.allocate(cap) != simdjson::SUCCESS) return ESN_JSON_ENOMEM;
  }
  simdjson::ondemand::document doc;
  if (od.iterate(reinterpret_cast<const char *>(buf), len, len + ESN_JSON_PADDING).get(doc) !=
      simdjson::SUCCESS)
    return ESN_JSON_EFAIL;
  if (od_read(doc, keys, nkeys, fields) != 0) return ESN_JSON_EFAIL;
  return doc.at_end() ? ESN_JSON_OK : ESN_JSON_EFAIL;
}

ESN_NOINLINE esn_json_status od_many(void *vod, size_t max_depth, const uint8_t *buf,
                                                  size_t len, const esn_json_key *keys, size_t nkeys,
                                                  int (*each)(void *, size_t, const esn_json_field *),
                                                  void *ctx) {
  od_parser &od = *static_cast<od_parser *>(vod);
  // iterate_many() reallocates unless the batch size equals the capacity:
  // keep one size, grown in powers of two. (On-Demand keeps no depth stack,
  // so the default depth limit is kept.)
  (void)max_depth;
  size_t batch = od.capacity();
  if (batch < len) {
    batch = 65536;
    while (batch < len) batch *= 2;
  }
  simdjson::ondemand::document_stream stream;
  esn_json_status st = od_stream_status(od.iterate_many(buf, len, batch).get(stream));
  if (st != ESN_JSON_OK) return st;
  esn_json_field fields[ESN_JSON_MAX_FIELDS];
  for (auto it = stream.begin(); it != stream.end(); ++it) {
    simdjson::ondemand::document_reference doc;
    st = od_stream_status((*it).get(doc));
    if (st != ESN_JSON_OK) return st;
    // The document must start at the offset its caller expects (checked by
    // `each`) and be read whole: trailing content shows as a next document.
    size_t offset = it.current_index();
    if (od_read(doc, keys, nkeys, fields) != 0 || each(ctx, offset, fields) != 0) return ESN_JSON_EFAIL;
  }
  return stream.truncated_bytes() == 0 ? ESN_JSON_OK : ESN_JSON_EFAIL;
}

}  // namespace

static void od_free(void *od) { od_delete(od); }

// The On-Demand parser, made on first use (NULL when out of memory).
static void *od_of(esn_json_parser *p) {
  if (p->od == nullptr) p->od = od_new();
  return p->od;
}

extern "C" {

esn_json_status esn_json_fields(esn_json_parser *p, const uint8_t *buf, size_t len,
                                const esn_json_key *keys, size_t nkeys, esn_json_field *fields) {
  if (nkeys > ESN_JSON_MAX_FIELDS) return ESN_JSON_EFAIL;
  if (starts_with_bom(buf, len)) return ESN_JSON_EFAIL;
  void *od = od_of(p);
  if (od == nullptr) return ESN_JSON_ENOMEM;
  return od_one(od, p->max_depth, buf, len, keys, nkeys, fields);
}

esn_json_status esn_json_fields_many(esn_json_parser *p, const uint8_t *buf, size_t len,
                                     const esn_json_key *keys, size_t nkeys,
                                     int (*each)(void *ctx, size_t offset, const esn_json_field *fields),
                                     void *ctx) {
  if (len == 0) return ESN_JSON_OK;
  if (nkeys > ESN_JSON_MAX_FIELDS) return ESN_JSON_EFAIL;
  if (starts_with_bom(buf, len)) return ESN_JSON_EFAIL;
  void *od = od_of(p);
  if (od == nullptr) return ESN_JSON_ENOMEM;
  return od_many(od, p->max_depth, buf, len, keys, nkeys, each, ctx);
}

}  // extern "C"
