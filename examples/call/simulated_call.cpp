#include "call/simulated_call.hpp"

#include <algorithm>
#include <cmath>

#include "call/base64.hpp"
#include "call/json_writer.hpp"

namespace ringoverbot::callsim {

std::int64_t TurnRecord::latency_us(std::int64_t call_start_us) const {
    if (first_audio_us < 0) return -1;
    const std::int64_t from = index == 0 ? call_start_us : speech_end_us;
    return from < 0 ? -1 : first_audio_us - from;
}

SimulatedCall::SimulatedCall(std::size_t index, std::uint64_t call_id, const CallSetup& setup,
                             const std::vector<CallerLine>& lines)
    : setup_(setup),
      lines_(lines),
      frame_samples_(setup.rate_hz / 50),
      noise_seed_(static_cast<std::uint32_t>(index) * 2654435761u + 17) {
    rec_.index = index;
    rec_.call_id = std::to_string(call_id);
    rec_.turns.resize(lines.size() + 1);
    for (std::size_t i = 0; i < rec_.turns.size(); ++i) {
        rec_.turns[i].index = i;
        if (i > 0) rec_.turns[i].caller = lines[i - 1].label;
    }
    caller_frame_.resize(frame_samples_);
    bot_frame_.resize(frame_samples_);
    heard_frame_.resize(frame_samples_);
    // At least one frame of delay: the echo of this tick's playout is in a later frame.
    echo_line_.assign(std::max<std::size_t>(std::size_t{setup.rate_hz} * setup.echo_delay_ms / 1000,
                                            frame_samples_),
                      0);
}

// The speakerphone: the bot's audio played echo_delay_ms ago comes back attenuated, over the
// caller's voice, with the line's noise under both.
void SimulatedCall::add_line_effects(std::span<std::int16_t> frame) {
    for (std::size_t i = 0; i < frame.size(); ++i) {
        double v = frame[i] + setup_.echo_gain * echo_line_[i];
        if (setup_.noise_rms > 0) {
            noise_seed_ = noise_seed_ * 1664525u + 1013904223u;
            const double u = static_cast<double>(noise_seed_ >> 8) / 16777216.0 * 2.0 - 1.0;
            v += setup_.noise_rms * std::sqrt(3.0) * u;  // uniform noise of that RMS
        }
        frame[i] = static_cast<std::int16_t>(std::clamp(std::round(v), -32768.0, 32767.0));
    }
    echo_line_.erase(echo_line_.begin(),
                     echo_line_.begin() + static_cast<std::ptrdiff_t>(frame.size()));
}

void SimulatedCall::connecting(std::int64_t now_us) {
    rec_.connect_us = now_us;
}

OutMessage& SimulatedCall::push_message() {
    OutMessage& m = out_.emplace_back();
    if (!spare_.empty()) {
        m.data = std::move(spare_.back());
        spare_.pop_back();
    }
    m.data.clear();
    return m;
}

void SimulatedCall::established(std::int64_t now_us) {
    if (phase_ != Phase::idle) return;
    rec_.start_us = now_us;
    OutMessage& m = push_message();
    JsonWriter w(m.data);
    w.begin_object()
        .field("event", "call_start")
        .key("call_id")
        .raw(rec_.call_id)  // a JSON number, as Ringover's ids are uint64
        .field("channel_id", "sim-" + std::to_string(rec_.index))
        .field("from_number", setup_.from_number)
        .field("to_number", setup_.to_number)
        .field("direction", "inbound")
        .key("audio")
        .begin_object()
        .field("encoding", streamer::encoding_name(setup_.encoding))
        .key("sampleRate")
        .uinteger(setup_.rate_hz)
        .key("channels")
        .uinteger(1)
        .end_object()
        .end_object();
    phase_ = Phase::awaiting;  // the greeting
    next_line_ = 0;
    awaiting_since_us_ = now_us;
}

void SimulatedCall::error(std::string what) {
    rec_.errors.push_back(std::move(what));
}

void SimulatedCall::begin_closing(std::string reason, std::int64_t /*t_us*/) {
    if (phase_ == Phase::closing || phase_ == Phase::done) return;
    rec_.end_reason = std::move(reason);
    OutMessage& m = push_message();
    JsonWriter w(m.data);
    w.begin_object()
        .field("event", "call_end")
        .field("reason", transferred_ ? "transfer" : "hangup")
        .end_object();
    phase_ = Phase::closing;
}

void SimulatedCall::advance(std::int64_t now_us) {
    if (rec_.start_us < 0) return;
    while (phase_ != Phase::closing && phase_ != Phase::done) {
        const std::int64_t t = rec_.start_us + static_cast<std::int64_t>(rec_.ticks) * frame_us_;
        if (t > now_us) break;
        tick(t);
    }
}

void SimulatedCall::start_line(std::int64_t /*t_us*/, bool barge) {
    phase_ = Phase::speaking;
    line_pos_ = 0;
    rec_.turns[next_line_ + 1].barged_in = barge;
}

// The caller's next move, before this tick's frame is made.
void SimulatedCall::decide(std::int64_t t) {
    if (t - rec_.start_us >= std::int64_t{setup_.timeout_ms} * 1000) {
        error("the call timed out after " + std::to_string(setup_.timeout_ms / 1000) + " s");
        begin_closing("timeout", t);
        return;
    }
    if (phase_ != Phase::awaiting) return;
    if (transferred_) {
        begin_closing("transferred", t);
        return;
    }
    const TurnRecord& turn = rec_.turns[next_line_];
    const bool more_lines = next_line_ < lines_.size();
    // A reply has started with its first audio or action (a break is not a reply).
    const bool started =
        turn.first_audio_us >= 0 ||
        std::any_of(turn.commands.begin(), turn.commands.end(), [](const CommandRecord& c) {
            return c.kind != BotCommandKind::break_playback;
        });
    if (setup_.barge_in && more_lines && next_line_ >= 1 &&
        turn.played.size() >= std::size_t{setup_.barge_in_ms} * setup_.rate_hz / 1000 &&
        !queue_.empty()) {
        start_line(t, true);
        return;
    }
    if (started && queue_.empty() && last_play_us_ >= 0 &&
        t - last_play_us_ >= std::int64_t{setup_.pause_ms} * 1000) {
        if (more_lines)
            start_line(t, false);
        else
            begin_closing("the caller hung up after the last reply", t);
        return;
    }
    if (started && turn.first_audio_us < 0 &&
        t - awaiting_since_us_ >= std::int64_t{setup_.pause_ms} * 1000 + 200000) {
        // A reply without audio (a bare command): go on once the pause has passed.
        if (more_lines)
            start_line(t, false);
        else
            begin_closing("the caller hung up after the last reply", t);
        return;
    }
    const std::uint32_t limit_ms =
        next_line_ == 0 ? setup_.greeting_timeout_ms : setup_.reply_timeout_ms;
    if (!started && t - awaiting_since_us_ >= std::int64_t{limit_ms} * 1000) {
        error(next_line_ == 0 ? "no greeting within " + std::to_string(limit_ms) + " ms"
                              : "no reply to line " + std::to_string(next_line_) + " within " +
                                    std::to_string(limit_ms) + " ms");
        if (more_lines)
            start_line(t, false);
        else
            begin_closing("no reply", t);
    }
}

void SimulatedCall::tick(std::int64_t t) {
    decide(t);
    std::fill(caller_frame_.begin(), caller_frame_.end(), std::int16_t{0});
    int line_start = -1, line_end = -1;
    if (phase_ == Phase::speaking) {
        const auto& line = lines_[next_line_].samples;
        if (line_pos_ == 0) line_start = static_cast<int>(next_line_);
        const std::size_t n = std::min(frame_samples_, line.size() - line_pos_);
        std::copy_n(line.begin() + static_cast<std::ptrdiff_t>(line_pos_), n,
                    caller_frame_.begin());
        line_pos_ += n;
        if (line_pos_ >= line.size()) {
            line_end = static_cast<int>(next_line_);
            ++next_line_;
            rec_.lines_said = next_line_;
            current_turn_ = next_line_;
            phase_ = Phase::awaiting;
            awaiting_since_us_ = t + frame_us_;
        }
    }
    add_line_effects(caller_frame_);
    if (phase_ != Phase::closing && phase_ != Phase::done)
        push_audio_frame(caller_frame_, line_start, line_end);
    const std::size_t played = play_tick(bot_frame_, t);
    echo_line_.insert(echo_line_.end(), bot_frame_.begin(), bot_frame_.end());
    if (line_start >= 0 || phase_ == Phase::speaking || line_end >= 0) {
        // The bot's audio heard while the caller says line `k` (recorded in turn k + 1).
        const std::size_t k = line_end >= 0 ? next_line_ - 1 : next_line_;
        rec_.turns[k + 1].overlap_samples += played;
    }
    if (setup_.record_timeline) {
        rec_.caller_envelope.add(caller_frame_, setup_.rate_hz, t);
        rec_.bot_envelope.add(bot_frame_, setup_.rate_hz, t);
    }
    if (setup_.record_stereo) {
        for (std::size_t i = 0; i < frame_samples_; ++i) {
            rec_.stereo.push_back(heard_frame_[i]);
            rec_.stereo.push_back(bot_frame_[i]);
        }
    }
    ++rec_.ticks;
}

// Encodes the caller's frame as the line carries it; heard_frame_ is what the bot decodes.
void SimulatedCall::push_audio_frame(std::span<const std::int16_t> frame, int line_start,
                                     int line_end) {
    OutMessage& m = push_message();
    m.line_start = line_start;
    m.line_end = line_end;
    ++rec_.frames_sent;
    std::copy(frame.begin(), frame.end(), heard_frame_.begin());
    if (setup_.inbound == InboundForm::l16) {
        m.binary = true;
        m.data.resize(frame.size() * 2);
        audio::samples_to_s16le(frame,
                                {reinterpret_cast<std::uint8_t*>(m.data.data()), m.data.size()});
        return;
    }
    m.binary = false;
    switch (setup_.encoding) {
        case streamer::Encoding::l16:
            frame_bytes_.resize(frame.size() * 2);
            audio::samples_to_s16le(frame, frame_bytes_);
            break;
        case streamer::Encoding::pcmu:
            frame_bytes_.resize(frame.size());
            audio::ulaw_encode(frame, frame_bytes_);
            audio::ulaw_decode(frame_bytes_, heard_frame_);
            break;
        case streamer::Encoding::pcma:
            frame_bytes_.resize(frame.size());
            audio::alaw_encode(frame, frame_bytes_);
            audio::alaw_decode(frame_bytes_, heard_frame_);
            break;
    }
    m.data.append(R"({"event":"audio_data","data":{"audioData":")");
    base64_append(frame_bytes_, m.data);
    m.data.append(R"(","encoding":")");
    m.data.append(streamer::encoding_name(setup_.encoding));
    m.data.append(R"(","sampleRate":)");
    m.data.append(std::to_string(setup_.rate_hz));
    m.data.append("}}");
}

// The media server's playout: one frame of the queued bot audio per tick, in order.
std::size_t SimulatedCall::play_tick(std::span<std::int16_t> bot, std::int64_t t) {
    std::fill(bot.begin(), bot.end(), std::int16_t{0});
    std::size_t filled = 0;
    while (filled < bot.size() && !queue_.empty()) {
        Queued& q = queue_.front();
        const std::size_t n = std::min(bot.size() - filled, q.samples.size() - q.offset);
        auto from = q.samples.begin() + static_cast<std::ptrdiff_t>(q.offset);
        std::copy_n(from, n, bot.begin() + static_cast<std::ptrdiff_t>(filled));
        TurnRecord& turn = rec_.turns[q.turn];
        const std::int64_t at = t + static_cast<std::int64_t>(filled) * 1000000 / setup_.rate_hz;
        if (turn.play_start_us < 0) turn.play_start_us = at;
        turn.play_end_us = at + static_cast<std::int64_t>(n) * 1000000 / setup_.rate_hz;
        auto& played = turn.played;
        played.insert(played.end(), from, from + static_cast<std::ptrdiff_t>(n));
        q.offset += n;
        filled += n;
        if (q.offset >= q.samples.size()) queue_.pop_front();
    }
    if (filled > 0) last_play_us_ = t + frame_us_;
    return filled;
}

void SimulatedCall::queue_bot_audio(const BotCommand& cmd, std::int64_t now_us) {
    TurnRecord& turn = rec_.turns[current_turn_];
    if (cmd.unplayable) {
        turn.commands.push_back({cmd.kind, cmd.audio_type + " (not played)", now_us});
        return;
    }
    if (cmd.samples.empty()) return;
    if (turn.first_audio_us < 0) turn.first_audio_us = now_us;
    const std::vector<std::int16_t>* at_rate = &cmd.samples;
    if (cmd.sample_rate_hz != setup_.rate_hz) {
        if (!bot_resampler_ || bot_resampler_->in_rate() != cmd.sample_rate_hz) {
            auto rs = audio::Resampler::create(cmd.sample_rate_hz, setup_.rate_hz);
            if (!rs) {
                error("resampler: " + rs.error().message);
                return;
            }
            bot_resampler_.emplace(std::move(*rs));
        }
        resampled_.clear();
        if (auto st = bot_resampler_->process_append(cmd.samples, resampled_); !st) {
            error("resampling the bot's audio: " + st.error().message);
            return;
        }
        at_rate = &resampled_;
    }
    turn.received_samples += at_rate->size();
    if (turn.break_us >= 0) turn.after_break_samples += at_rate->size();
    queue_.push_back({current_turn_, *at_rate, 0});
}

void SimulatedCall::on_break(std::int64_t now_us) {
    // The break belongs to the reply it cuts: the one playing, else the latest.
    const std::size_t turn_index = queue_.empty() ? current_turn_ : queue_.front().turn;
    TurnRecord& turn = rec_.turns[turn_index];
    turn.commands.push_back({BotCommandKind::break_playback, {}, now_us});
    if (queue_.empty()) return;
    for (const Queued& q : queue_)
        rec_.turns[q.turn].dropped_samples += q.samples.size() - q.offset;
    queue_.clear();
    if (bot_resampler_) (void)bot_resampler_->reset();
    if (!turn.interrupted) {
        turn.interrupted = true;
        turn.break_us = now_us;
        // The line that interrupted this reply is line `turn_index` (turn turn_index + 1).
        if (turn_index + 1 < rec_.turns.size()) {
            const std::int64_t started = rec_.turns[turn_index + 1].speech_start_us;
            if (started >= 0) turn.break_after_line_us = now_us - started;
        }
    }
}

void SimulatedCall::on_message(std::string_view data, bool binary, std::int64_t now_us) {
    if (phase_ == Phase::done) return;
    ++rec_.messages_received;
    if (binary) {
        ++rec_.protocol_errors;
        error("protocol: a binary message from the bot (the bot speaks JSON text only)");
        return;
    }
    const BotCommand& cmd = parser_.parse(data);
    switch (cmd.kind) {
        case BotCommandKind::stream_audio:
            queue_bot_audio(cmd, now_us);
            break;
        case BotCommandKind::break_playback:
            on_break(now_us);
            break;
        case BotCommandKind::play:
        case BotCommandKind::digits:
            rec_.turns[current_turn_].commands.push_back({cmd.kind, cmd.value, now_us});
            break;
        case BotCommandKind::transfer:
            rec_.turns[current_turn_].commands.push_back({cmd.kind, cmd.value, now_us});
            transferred_ = true;
            break;
        case BotCommandKind::error: {
            ++rec_.protocol_errors;
            // Printable ASCII only: the excerpt goes into the JSON report.
            std::string excerpt(data.substr(0, 120));
            for (char& ch : excerpt)
                if (ch < 0x20 || ch > 0x7e) ch = '?';
            error("protocol: " + cmd.value + " in " + excerpt + (data.size() > 120 ? "..." : ""));
            break;
        }
    }
}

void SimulatedCall::sent(std::int64_t now_us) {
    OutMessage& m = out_.front();
    if (m.line_start >= 0) rec_.turns[std::size_t(m.line_start) + 1].speech_start_us = now_us;
    if (m.line_end >= 0) rec_.turns[std::size_t(m.line_end) + 1].speech_end_us = now_us;
    spare_.push_back(std::move(m.data));
    out_.pop_front();
}

void SimulatedCall::on_closed(int peer_code, std::string_view why, std::int64_t now_us) {
    if (phase_ == Phase::done) return;
    rec_.end_us = now_us;
    if (phase_ == Phase::closing) {
        // We hung up (after the script, a transfer or a timeout).
    } else if (peer_code == 1000 || peer_code == 1001) {
        rec_.end_reason = "the bot hung up";
    } else if (phase_ == Phase::idle) {
        error("the connection closed before the WebSocket opened" +
              (why.empty() ? std::string() : ": " + std::string(why)));
        rec_.end_reason = "connection failed";
    } else {
        error(peer_code == 0 ? "the connection dropped without a close frame"
                             : "the bot closed with code " + std::to_string(peer_code) +
                                   (why.empty() ? std::string() : " (" + std::string(why) + ")"));
        rec_.end_reason = "dropped";
    }
    queue_.clear();
    out_.clear();
    phase_ = Phase::done;
    rec_.clean = rec_.errors.empty();
}

void SimulatedCall::on_connect_error(std::string_view why, std::int64_t now_us) {
    if (phase_ == Phase::done) return;
    rec_.end_us = now_us;
    error("cannot connect: " + (why.empty() ? std::string("unknown reason") : std::string(why)));
    rec_.end_reason = "connection failed";
    phase_ = Phase::done;
    rec_.clean = false;
}

}  // namespace ringoverbot::callsim
