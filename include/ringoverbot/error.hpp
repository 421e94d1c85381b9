// Error codes and the Result type used across the C++ API. No exception crosses a layer
// boundary: fallible functions return Result<T> (an expected-like value) or an Errc.
// The numeric values are the C ABI's ROB_* codes (capi/ringoverbot.h) and never change;
// capi/mirrored_values.cpp has the compiler check that both sides agree.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "ringoverbot/export.hpp"

namespace ringoverbot {

enum class Errc : int {
    ok = 0,
    // -1..-99: the caller's misuse
    invalid_argument = -1,
    buffer_too_small = -2,
    invalid_state = -3,
    unsupported = -4,
    not_found = -5,
    io = -6,
    // -100..-199: bad bytes from a peer
    protocol = -100,
    bad_json = -101,
    bad_base64 = -102,
    bad_audio = -103,
    too_large = -104,
    codec = -105,
    bad_wav = -106,
    // -200..-299: providers (speech and language services)
    provider_failed = -200,
    timeout = -201,
    canceled = -202,
    // below -900: fatal
    fatal = -900,
    nomem = -901,
    internal = -902,
};

RINGOVERBOT_API const char* errc_name(Errc code) noexcept;

struct Error {
    Errc code = Errc::internal;
    std::string message;
};

// A minimal std::expected stand-in (C++23's is not available to C++20 on g++ 12).
template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}
    Result(Errc code, std::string message = {}) : v_(Error{code, std::move(message)}) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(v_); }
    Errc code() const noexcept { return ok() ? Errc::ok : std::get<1>(v_).code; }

  private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : err_(std::move(error)), ok_(false) {}
    Result(Errc code, std::string message = {})
        : err_{code, std::move(message)}, ok_(code == Errc::ok) {}
    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    const Error& error() const { return err_; }
    Errc code() const noexcept { return ok_ ? Errc::ok : err_.code; }

  private:
    Error err_{Errc::ok, {}};
    bool ok_ = true;
};

using Status = Result<void>;

}  // namespace ringoverbot
