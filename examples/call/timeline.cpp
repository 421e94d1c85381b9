#include "call/timeline.hpp"

namespace ringoverbot::callsim {

agent::CallTimeline call_timeline(const CallRecord& call) {
    agent::CallTimeline t;
    t.title = call.call_id;
    t.start_us = call.start_us;
    t.end_us = call.end_us;
    t.caller = call.caller_envelope;
    t.bot = call.bot_envelope;
    for (const TurnRecord& r : call.turns) {
        // A line never said and a reply never heard (the call ended first) are not drawn.
        if (r.index > 0 && r.speech_start_us < 0 && r.play_start_us < 0) continue;
        agent::TimelineTurn turn;
        turn.index = static_cast<std::uint32_t>(r.index);
        turn.said = r.caller;
        turn.heard = r.transcribed ? r.transcript : std::string();
        turn.said_end_us = r.speech_end_us;
        turn.reply_start_us = r.play_start_us;
        turn.reply_end_us = r.play_end_us;
        turn.latency_us = r.latency_us(call.start_us);
        turn.interrupted = r.interrupted;
        if (r.interrupted && r.break_us >= 0)
            t.marks.push_back(
                {agent::MarkKind::barge_in, r.break_us, "barge-in #" + std::to_string(r.index)});
        for (const CommandRecord& c : r.commands) {
            if (c.kind == BotCommandKind::break_playback) continue;
            std::string label(command_name(c.kind));
            if (!c.value.empty()) label += " " + c.value;
            t.marks.push_back({agent::MarkKind::action, c.at_us, std::move(label)});
        }
        t.turns.push_back(std::move(turn));
    }
    return t;
}

}  // namespace ringoverbot::callsim
