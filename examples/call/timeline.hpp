// The simulator's view of a call as a timeline (ringoverbot/timeline.hpp): the caller's lines
// and what the caller heard of the bot (its transcript when transcribed), the breaks as
// barge-ins, play/digits/transfer as actions, the latency as the caller lived it.
#pragma once

#include "call/simulated_call.hpp"
#include "ringoverbot/timeline.hpp"

namespace ringoverbot::callsim {

agent::CallTimeline call_timeline(const CallRecord& call);

}  // namespace ringoverbot::callsim
