// The one place where C++ meets the C ABI's error rules: every exported function body runs
// inside rob_guard, so no exception crosses the ABI (bad_alloc -> ROB_ERR_NOMEM, anything
// else -> ROB_ERR_INTERNAL).
#pragma once

#include <new>
#include <string_view>

#include "ringoverbot.h"
#include "ringoverbot/error.hpp"

namespace ringoverbot::capi {

template <class F>
int guard(F&& body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc&) {
        return ROB_ERR_NOMEM;
    } catch (...) {
        return ROB_ERR_INTERNAL;
    }
}

inline int to_code(Errc e) noexcept {
    return static_cast<int>(e);
}

// rob_last_error_message's text on this thread (an errno-like slot, the one piece of state
// per thread a C ABI must keep to report *why* a create failed).
void set_last_error(std::string_view message) noexcept;
// Records `error`'s message and returns its code.
inline int fail(const Error& error) noexcept {
    set_last_error(error.message);
    return to_code(error.code);
}

// Reads a caller's params struct of `struct_size` bytes into a full-size struct with defaults.
template <class T, class InitFn>
bool read_params(const T* in, T& out, InitFn init) noexcept {
    init(&out, sizeof(T));
    if (in == nullptr) return true;
    const std::size_t n = in->struct_size;
    if (n < sizeof(std::uint32_t)) return false;
    const std::size_t copy = n < sizeof(T) ? n : sizeof(T);
    const auto* src = reinterpret_cast<const unsigned char*>(in);
    auto* dst = reinterpret_cast<unsigned char*>(&out);
    for (std::size_t i = 0; i < copy; ++i) dst[i] = src[i];
    out.struct_size = sizeof(T);
    return true;
}

// Zero-fills `p` up to `size` bytes and sets struct_size; the caller then writes defaults.
template <class T>
std::size_t begin_init(T* p, std::size_t size) noexcept {
    const std::size_t n = size < sizeof(T) ? size : sizeof(T);
    auto* b = reinterpret_cast<unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) b[i] = 0;
    return n;
}

}  // namespace ringoverbot::capi
