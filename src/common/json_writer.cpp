#include "common/json_writer.hpp"

#include <charconv>
#include <cmath>

namespace ringoverbot::json {

void append_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t run = 0;  // start of the current run of bytes that need no escaping
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            case '\b': out.append("\\b"); break;
            case '\f': out.append("\\f"); break;
            default: {
                const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
                out.append(esc, 6);
            }
        }
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

void append_int(std::string& out, std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_uint(std::string& out, std::uint64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_double(std::string& out, double v) {
    if (!std::isfinite(v)) {
        out.append("null");
        return;
    }
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

void Writer::before_value() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (depth_ == 0) return;
    const std::uint64_t bit = std::uint64_t{1} << (depth_ - 1);
    if (first_bits_ & bit)
        first_bits_ &= ~bit;
    else
        out_.push_back(',');
}

Writer& Writer::begin_object() {
    before_value();
    out_.push_back('{');
    if (depth_ < 63) first_bits_ |= std::uint64_t{1} << depth_;
    ++depth_;
    return *this;
}
Writer& Writer::end_object() {
    out_.push_back('}');
    if (depth_ > 0) --depth_;
    return *this;
}
Writer& Writer::begin_array() {
    before_value();
    out_.push_back('[');
    if (depth_ < 63) first_bits_ |= std::uint64_t{1} << depth_;
    ++depth_;
    return *this;
}
Writer& Writer::end_array() {
    out_.push_back(']');
    if (depth_ > 0) --depth_;
    return *this;
}
Writer& Writer::key(std::string_view k) {
    before_value();
    append_string(out_, k);
    out_.push_back(':');
    after_key_ = true;
    return *this;
}
Writer& Writer::string(std::string_view s) {
    before_value();
    append_string(out_, s);
    return *this;
}
Writer& Writer::integer(std::int64_t v) {
    before_value();
    append_int(out_, v);
    return *this;
}
Writer& Writer::uinteger(std::uint64_t v) {
    before_value();
    append_uint(out_, v);
    return *this;
}
Writer& Writer::number(double v) {
    before_value();
    append_double(out_, v);
    return *this;
}
Writer& Writer::boolean(bool b) {
    before_value();
    out_.append(b ? "true" : "false");
    return *this;
}
Writer& Writer::null() {
    before_value();
    out_.append("null");
    return *this;
}
Writer& Writer::raw(std::string_view json) {
    before_value();
    out_.append(json);
    return *this;
}

}  // namespace ringoverbot::json
