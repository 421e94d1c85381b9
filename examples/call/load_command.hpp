// ringoverbot-call --load N: the load generator's main (options, file descriptors, the caller's
// phrase rendered once, the run, the report).
#pragma once

namespace ringoverbot::callsim {

// Exit 0 when no call failed, 1 otherwise, 2 on bad usage.
int run_load_command(int argc, char** argv);

}  // namespace ringoverbot::callsim
