// A JSON writer for the simulated call's events and its report: it appends one value to a
// caller's string (reused from message to message) and places the commas. The library keeps
// its own writer private; this one has what this program writes, nothing more.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringoverbot::callsim {

class JsonWriter {
  public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    JsonWriter& begin_object() { return open('{'); }
    JsonWriter& end_object() { return close('}'); }
    JsonWriter& begin_array() { return open('['); }
    JsonWriter& end_array() { return close(']'); }
    JsonWriter& key(std::string_view name);
    // Escaped per RFC 8259 ('"', '\\' and control characters); UTF-8 passes unchanged.
    JsonWriter& string(std::string_view text);
    JsonWriter& uinteger(std::uint64_t value);
    // Shortest round-trip form; NaN and infinities (not JSON) are written as null.
    JsonWriter& number(double value);
    JsonWriter& boolean(bool value);
    JsonWriter& null();
    // Writes JSON the caller vouches for (a Ringover call id is a JSON number kept as text).
    JsonWriter& raw(std::string_view json);

    JsonWriter& field(std::string_view name, std::string_view text) {
        return key(name).string(text);
    }
    JsonWriter& field_bool(std::string_view name, bool value) { return key(name).boolean(value); }

  private:
    JsonWriter& open(char bracket);
    JsonWriter& close(char bracket);
    // A comma before every value but the first of its container (a key's value has its ':').
    void separate();

    std::string& out_;
    std::vector<bool> container_has_items_;  // one entry per open object or array
    bool after_key_ = false;
};

}  // namespace ringoverbot::callsim
