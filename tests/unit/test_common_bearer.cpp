#include <doctest/doctest.h>

#include "common/bearer.hpp"

using namespace ringoverbot;

TEST_CASE("bearer: credentials parsing") {
    CHECK(bearer::credentials("Bearer abc") == "abc");
    CHECK(bearer::credentials("BEARER\tabc ") == "abc");
    CHECK(bearer::credentials("Bearer") == "");
    CHECK(bearer::credentials("Bearer ") == "");
    CHECK(bearer::credentials("Token abc") == "");
    CHECK(bearer::credentials("") == "");
}

TEST_CASE("bearer: blanks around the value and the credentials are trimmed, the scheme needs one") {
    CHECK(bearer::credentials("  bearer   s3cret  ") == "s3cret");
    CHECK(bearer::credentials("\tBeArEr\t\ts3cret\r\n") == "s3cret");
    CHECK(bearer::credentials("Bearer a b") == "a b");  // inner blanks are the credentials'
    CHECK(bearer::credentials("Bearers3cret") == "");
    CHECK(bearer::credentials("Bearer\ns3cret") == "");  // only a space or a tab separates
    CHECK(bearer::credentials("Bearer \t ") == "");
    CHECK(bearer::credentials("s3cret") == "");  // no scheme: not Bearer credentials
    CHECK(bearer::credentials("Basic czNjcmV0") == "");
}
