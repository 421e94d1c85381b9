#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <vector>

#include "agent/echo_reference.hpp"

using namespace ringoverbot::agent;

TEST_CASE("agent: echo reference follows what plays, lingers for the echo window, obeys break") {
    EchoReference echo(8000, 1200, 200);
    CHECK(echo.level_at(0) == EchoReference::kSilenceDbfs);
    std::vector<std::int16_t> loud(8000);  // 1 s at about -9 dBFS
    for (std::size_t i = 0; i < loud.size(); ++i)
        loud[i] = static_cast<std::int16_t>(16000 * std::sin(0.2 * double(i)));
    echo.on_sent(1'000'000, loud);                                 // plays from t = 1 s to 2 s
    CHECK(echo.level_at(999'000) == EchoReference::kSilenceDbfs);  // not playing yet
    CHECK(echo.level_at(1'500'000) == doctest::Approx(-9.2).epsilon(0.05));
    CHECK(echo.level_at(2'150'000) > -20);                           // the echo tail
    CHECK(echo.level_at(2'250'000) == EchoReference::kSilenceDbfs);  // gone
    echo.on_sent(3'000'000, loud);
    echo.on_break(3'100'000);  // what had not played never will
    CHECK(echo.level_at(3'200'000) > -20);
    CHECK(echo.level_at(3'400'000) == EchoReference::kSilenceDbfs);
}
