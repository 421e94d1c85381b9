#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

#include "common/secret.hpp"

using namespace ringoverbot;
using namespace std::string_view_literals;

TEST_CASE("secret: equal, unequal and empty") {
    CHECK(secret::equal("", ""));
    CHECK(secret::equal("s3cret", "s3cret"));
    CHECK(secret::equal("a\0b"sv, "a\0b"sv));
    CHECK_FALSE(secret::equal("s3cret", "s3creT"));
    CHECK_FALSE(secret::equal("s3cret", "S3cret"));
    CHECK_FALSE(secret::equal("", "s"));
    CHECK_FALSE(secret::equal("s", ""));
    CHECK_FALSE(secret::equal("\xff", "\x7f"));
}

TEST_CASE("secret: a difference anywhere, or in the length alone, makes unequal") {
    const std::string key = "0123456789abcdefghijklmnopqrstuv";
    for (std::size_t i = 0; i < key.size(); ++i) {
        std::string other = key;
        other[i] = static_cast<char>(other[i] ^ 0x01);
        CHECK_FALSE(secret::equal(key, other));
        CHECK_FALSE(secret::equal(other, key));
        CHECK_FALSE(secret::equal(key, key.substr(0, i)));  // a prefix
        CHECK_FALSE(secret::equal(key.substr(0, i), key));
    }
    // A side past its end reads as 0 inside the loop: the length still tells them apart.
    CHECK_FALSE(secret::equal(key, key + '\0'));
    CHECK_FALSE(secret::equal(key + '\0', key));
    CHECK_FALSE(secret::equal("", "\0"sv));
    CHECK_FALSE(secret::equal(key, key + key));
}

namespace {

// The shortest of several runs of equal(a, b), in nanoseconds: the least disturbed by the
// machine's other work.
double fastest_ns(std::string_view a, std::string_view b) {
    double best = 1e300;
    for (int run = 0; run < 15; ++run) {
        const auto t0 = std::chrono::steady_clock::now();
        const bool same = secret::equal(a, b);
        const auto t1 = std::chrono::steady_clock::now();
        CHECK_FALSE(same);
        best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count());
    }
    return best;
}

}  // namespace

// A comparison that stopped at the first difference (or at a length mismatch) would answer
// thousands of times faster for a difference in the first byte than in the last one; this
// one reads every byte of both sides, up to the longer length, whatever they hold.
TEST_CASE("secret: the time taken does not depend on where the first difference is") {
    const std::size_t n = 1 << 20;
    const std::string secret_bytes(n, 'k');
    std::string first = secret_bytes, last = secret_bytes;
    first.front() = 'x';
    last.back() = 'x';
    const std::string longer = secret_bytes + 'k';

    const double at_last = fastest_ns(secret_bytes, last);
    for (const double t : {fastest_ns(secret_bytes, first), fastest_ns(secret_bytes, longer),
                           fastest_ns(longer, secret_bytes)}) {
        CHECK(t > at_last / 4);
        CHECK(t < at_last * 4);
    }
    // A one-byte guess against a long secret still reads the whole secret.
    CHECK(fastest_ns(secret_bytes, "x") > at_last / 4);
}
