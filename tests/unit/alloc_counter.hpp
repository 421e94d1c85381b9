// Allocations made by the current thread so far: the replaced global operator new of this test
// binary counts them (tests/unit/test_streamer_alloc.cpp). Take a difference around the code
// that must not allocate.
#pragma once

#include <cstdint>

std::uint64_t rob_test_allocations();
