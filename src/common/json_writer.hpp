// A small JSON writer that appends to a caller-owned std::string (simdjson 3.0 has no builder).
// Strings are escaped per RFC 8259: '"' '\\' and control characters; UTF-8 passes unchanged.
// Numbers are written with std::to_chars (locale-free, shortest round-trip for doubles).
// Reusing one std::string across messages means no allocation once it has grown.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringoverbot::json {

// Appends `s` as a quoted, escaped JSON string.
void append_string(std::string& out, std::string_view s);
void append_int(std::string& out, std::int64_t v);
void append_uint(std::string& out, std::uint64_t v);
// Non-finite values are written as null (JSON has no NaN/Inf).
void append_double(std::string& out, double v);

// True when `s` is valid UTF-8 (what a JSON string must hold).
bool valid_utf8(std::string_view s);

// Builds one JSON value with commas placed automatically. Nesting depth is bounded (63).
class Writer {
public:
    explicit Writer(std::string& out) : out_(out) {}

    Writer& begin_object();
    Writer& end_object();
    Writer& begin_array();
    Writer& end_array();
    Writer& key(std::string_view k);
    Writer& string(std::string_view s);
    Writer& integer(std::int64_t v);
    Writer& uinteger(std::uint64_t v);
    Writer& number(double v);
    Writer& boolean(bool b);
    Writer& null();
    // Writes pre-serialized JSON as a value (the caller vouches for it).
    Writer& raw(std::string_view json);

    // Shorthands for "key": value inside an object.
    Writer& field(std::string_view k, std::string_view v) { return key(k).string(v); }
    Writer& field(std::string_view k, const char* v) { return key(k).string(v); }
    Writer& field_int(std::string_view k, std::int64_t v) { return key(k).integer(v); }
    Writer& field_bool(std::string_view k, bool v) { return key(k).boolean(v); }

private:
    void before_value();
    std::string& out_;
    std::uint64_t first_bits_ = 0;  // bit d set: the container at depth d has no element yet
    int depth_ = 0;
    bool after_key_ = false;
};

}  // namespace ringoverbot::json
