// call_timeline: the engine's turns and envelopes as a CallTimeline (timeline.hpp).
#include "ringoverbot/agent.hpp"
#include "ringoverbot/timeline.hpp"

namespace ringoverbot::agent {

CallTimeline call_timeline(const Call& call, std::int64_t start_us, std::int64_t end_us) {
    CallTimeline t;
    if (call.metadata().call_id) t.title = *call.metadata().call_id;
    t.start_us = start_us;
    t.end_us = end_us;
    t.caller = call.caller_envelope();
    t.bot = call.bot_envelope();
    for (const TurnMetrics& m : call.turns()) {
        TimelineTurn turn;
        turn.index = m.index;
        turn.said = m.caller_text;
        turn.heard = m.heard_text;
        turn.reply = m.bot_text;
        turn.said_end_us = m.speech_end_us;
        turn.reply_start_us = m.first_frame_us;
        turn.reply_end_us = m.playout_end_us;
        turn.interrupted = m.interrupted;
        // The greeting's latency counts from the call's start, as a caller waits for it.
        const std::int64_t from = m.speech_end_us >= 0                    ? m.speech_end_us
                                  : m.index == 0 && m.caller_text.empty() ? start_us
                                                                          : -1;
        if (from >= 0 && m.first_frame_us >= 0) turn.latency_us = m.first_frame_us - from;
        // A reply is cut where its playout stopped; actions run once their reply has played.
        if (m.interrupted && m.playout_end_us >= 0)
            t.marks.push_back(
                {MarkKind::barge_in, m.playout_end_us, "barge-in #" + std::to_string(m.index)});
        // A barge-in taken back (a cough, a backchannel): the pause, then where the reply went on.
        for (std::size_t i = 0; i < m.resumed_us.size() && i < m.paused_us.size(); ++i) {
            t.marks.push_back(
                {MarkKind::barge_in, m.paused_us[i], "paused #" + std::to_string(m.index)});
            t.marks.push_back(
                {MarkKind::resume, m.resumed_us[i], "resumed #" + std::to_string(m.index)});
        }
        const std::int64_t action_at = m.playout_end_us >= 0 ? m.playout_end_us
                                       : m.stt_final_us >= 0 ? m.stt_final_us
                                                             : m.speech_end_us;
        for (const providers::Action& a : m.actions) {
            std::string label(providers::action_name(a.kind));
            if (!a.value.empty()) label += " " + a.value;
            if (action_at >= 0) t.marks.push_back({MarkKind::action, action_at, std::move(label)});
        }
        if (m.misheard && m.stt_final_us >= 0)
            t.marks.push_back({MarkKind::note, m.stt_final_us, "misheard"});
        else if (m.failed && m.speech_end_us >= 0)
            t.marks.push_back({MarkKind::note, m.speech_end_us, "provider failed"});
        t.turns.push_back(std::move(turn));
    }
    return t;
}

}  // namespace ringoverbot::agent
