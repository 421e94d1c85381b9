#include "call/json_writer.hpp"

#include <charconv>
#include <cmath>

namespace ringoverbot::callsim {

void JsonWriter::separate() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (container_has_items_.empty()) return;
    if (container_has_items_.back()) out_.push_back(',');
    container_has_items_.back() = true;
}

JsonWriter& JsonWriter::open(char bracket) {
    separate();
    out_.push_back(bracket);
    container_has_items_.push_back(false);
    return *this;
}

JsonWriter& JsonWriter::close(char bracket) {
    out_.push_back(bracket);
    if (!container_has_items_.empty()) container_has_items_.pop_back();
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    string(name);
    out_.push_back(':');
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) {
    separate();
    out_.push_back('"');
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c != '"' && c != '\\') {
            out_.push_back(ch);
            continue;
        }
        out_.push_back('\\');
        const char* named = c == '"'    ? "\""
                            : c == '\\' ? "\\"
                            : c == '\n' ? "n"
                            : c == '\r' ? "r"
                            : c == '\t' ? "t"
                            : c == '\b' ? "b"
                            : c == '\f' ? "f"
                                        : nullptr;
        if (named != nullptr) {
            out_.append(named);
        } else {
            static constexpr char kHex[] = "0123456789abcdef";
            out_.append("u00");
            out_.push_back(kHex[c >> 4]);
            out_.push_back(kHex[c & 15]);
        }
    }
    out_.push_back('"');
    return *this;
}

JsonWriter& JsonWriter::uinteger(std::uint64_t value) {
    separate();
    char digits[24];
    out_.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
    return *this;
}

JsonWriter& JsonWriter::number(double value) {
    if (!std::isfinite(value)) return null();
    separate();
    char digits[32];
    out_.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
    return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
    return raw(value ? "true" : "false");
}

JsonWriter& JsonWriter::null() {
    return raw("null");
}

JsonWriter& JsonWriter::raw(std::string_view json) {
    separate();
    out_.append(json);
    return *this;
}

}  // namespace ringoverbot::callsim
