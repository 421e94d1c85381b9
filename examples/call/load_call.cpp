#include "call/load_call.hpp"

#include <algorithm>
#include <array>

namespace ringoverbot::callsim {

namespace {

constexpr std::array<std::uint8_t, kFrameBytes> kSilence{};
constexpr std::string_view kCallEnd = R"({"event":"call_end","reason":"hangup"})";

std::span<const std::uint8_t> bytes_of(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

enum Pending : std::uint8_t { kNone = 0, kStart = 1, kFrame = 2, kEnd = 3 };

}  // namespace

LoadCall::LoadCall(std::uint64_t call_id, const LoadCallSetup& setup) : setup_(setup) {
    // The metadata frame the simulator sends (examples/call/simulated_call.cpp), built once.
    const std::string id = std::to_string(call_id);
    start_msg_ = R"({"event":"call_start","call_id":)" + id + R"(,"channel_id":"load-)" + id +
                 R"(","from_number":"33612345678","to_number":"33182880000",)"
                 R"("direction":"inbound","audio":{"encoding":"L16","sampleRate":8000,)"
                 R"("channels":1}})";
    talk_pos_ = setup_.talk.size();
}

void LoadCall::connecting(std::int64_t now_us) {
    rec_.connect_us = now_us;
    phase_ = Phase::connecting;
}

void LoadCall::established(std::int64_t now_us) {
    if (phase_ != Phase::connecting) return;
    rec_.open_us = now_us;
    phase_ = Phase::open;
}

void LoadCall::fail(std::string_view why) {
    if (!rec_.failed) rec_.failure = std::string(why);
    rec_.failed = true;
}

void LoadCall::on_protocol_error(std::string_view why) {
    fail(std::string("bad bot message: ") + std::string(why));
}

std::int64_t LoadCall::on_bot_audio(std::int64_t audio_us, std::int64_t now_us) {
    ++rec_.bot_chunks;
    rec_.bot_audio_us += audio_us;
    if (rec_.greeting_us < 0) rec_.greeting_us = now_us;
    std::int64_t latency = -1;
    if (awaiting_reply_) {
        latency = now_us - rec_.last_speech_end_us;
        awaiting_reply_ = false;
        ++rec_.replies;
        reply_open_ = false;  // this chunk starts the reply
    }
    if (playout_end_us_ < now_us) {
        const std::int64_t late = now_us - playout_end_us_;
        if (reply_open_ && late <= kGapWindowUs) {
            ++rec_.gaps;
            rec_.gap_us += late;
            rec_.max_gap_us = std::max(rec_.max_gap_us, late);
        }
        playout_end_us_ = now_us;
    }
    playout_end_us_ += audio_us;
    reply_open_ = true;
    return latency;
}

void LoadCall::on_closed(int peer_code, std::string_view why, std::int64_t /*now_us*/) {
    if (!(phase_ == Phase::closing && end_sent_)) {
        fail("closed by the bot before the end (code " + std::to_string(peer_code) +
             (why.empty() ? std::string() : ", " + std::string(why)) + ")");
    }
    phase_ = Phase::done;
}

void LoadCall::on_connect_error(std::string_view why, std::int64_t /*now_us*/) {
    fail(std::string("connection failed: ") + std::string(why));
    phase_ = Phase::done;
}

bool LoadCall::has_due(std::int64_t now_us) const {
    if (phase_ == Phase::closing) return !end_sent_;
    if (phase_ != Phase::open) return false;
    if (!start_sent_) return true;
    return rec_.open_us + static_cast<std::int64_t>(rec_.frames_sent) * kFrameUs <= now_us;
}

void LoadCall::decide(std::int64_t t) {
    if (t - rec_.open_us >= setup_.duration_us) {
        phase_ = Phase::closing;
        return;
    }
    if (rec_.greeting_us < 0) {
        if (t - rec_.connect_us > setup_.greeting_timeout_us) {
            fail("no greeting within " + std::to_string(setup_.greeting_timeout_us / 1000) + " ms");
            phase_ = Phase::closing;
        }
        return;
    }
    if (awaiting_reply_ && t - rec_.last_speech_end_us > setup_.reply_timeout_us) {
        fail("no reply within " + std::to_string(setup_.reply_timeout_us / 1000) + " ms");
        awaiting_reply_ = false;
    }
    if (setup_.talk.empty() || talking_ || awaiting_reply_) return;
    if (t < playout_end_us_ + setup_.pause_us) return;
    if (phrase_start_us_ >= 0 && t < phrase_start_us_ + setup_.talk_every_us) return;
    talking_ = true;
    talk_pos_ = 0;
    phrase_start_us_ = t;
    reply_open_ = false;  // what the bot says next belongs to the reply to come
    ++rec_.phrases;
}

std::span<const std::uint8_t> LoadCall::next(std::int64_t now_us, bool& binary) {
    binary = false;
    pending_ = kNone;
    if (phase_ == Phase::open && !start_sent_) {
        pending_ = kStart;
        return bytes_of(start_msg_);
    }
    if (phase_ == Phase::open &&
        rec_.open_us + static_cast<std::int64_t>(rec_.frames_sent) * kFrameUs <= now_us) {
        decide(rec_.open_us + static_cast<std::int64_t>(rec_.frames_sent) * kFrameUs);
        if (phase_ == Phase::open) {
            pending_ = kFrame;
            binary = true;
            if (talking_) return setup_.talk.subspan(talk_pos_, kFrameBytes);
            return kSilence;
        }
    }
    if (phase_ == Phase::closing && !end_sent_) {
        pending_ = kEnd;
        return bytes_of(kCallEnd);
    }
    return {};
}

void LoadCall::popped(std::int64_t now_us) {
    switch (pending_) {
        case kStart:
            start_sent_ = true;
            break;
        case kFrame:
            rec_.max_frame_late_us = std::max(
                rec_.max_frame_late_us,
                now_us - (rec_.open_us + static_cast<std::int64_t>(rec_.frames_sent) * kFrameUs));
            ++rec_.frames_sent;
            if (talking_) {
                talk_pos_ += kFrameBytes;
                if (talk_pos_ >= setup_.talk.size()) {
                    talking_ = false;
                    awaiting_reply_ = true;
                    rec_.last_speech_end_us = now_us;
                }
            }
            break;
        case kEnd:
            end_sent_ = true;
            break;
        default:
            break;
    }
    pending_ = kNone;
}

}  // namespace ringoverbot::callsim
