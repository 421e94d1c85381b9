// The bot -> media server commands (src/streamer/README.md §Outbound), byte-exact.
#include "streamer/outbound.hpp"

#include <limits>

#include "common/json_writer.hpp"

namespace ringoverbot::streamer {

std::string_view audio_data_type_name(AudioDataType t) noexcept {
    switch (t) {
        case AudioDataType::raw:
            return "raw";
        case AudioDataType::mp3:
            return "mp3";
        case AudioDataType::wav:
            return "wav";
        case AudioDataType::ogg:
            return "ogg";
    }
    return "raw";
}

bool accepted_outbound_rate(std::uint64_t hz) noexcept {
    return hz == 8000 || hz == 16000 || hz == 24000;
}

namespace {

std::size_t decimal_digits(std::uint32_t v) {
    std::size_t n = 1;
    while (v >= 10) {
        v /= 10;
        ++n;
    }
    return n;
}

constexpr std::size_t kAudioFixed = detail::kAudioHead.size() + detail::kAudioRate.size() +
                                    detail::kAudioData.size() + detail::kAudioTail.size();

}  // namespace

std::size_t stream_audio_message_size(AudioDataType type, std::uint32_t rate_hz,
                                      std::size_t data_bytes) noexcept {
    const std::size_t bound = stream_audio_message_bound(data_bytes);
    if (bound == std::numeric_limits<std::size_t>::max()) return bound;
    return kAudioFixed + audio_data_type_name(type).size() + decimal_digits(rate_hz) +
           base64::encoded_size(data_bytes);
}

std::size_t stream_audio_message_bound(std::size_t data_bytes) noexcept {
    constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
    constexpr std::size_t kFixed = kAudioFixed + 3 /* longest type */ + 10 /* uint32 digits */;
    if (data_bytes > (kMax - kFixed) / 4 * 3 - 3) return kMax;
    return kFixed + base64::encoded_size(data_bytes);
}

namespace detail {

Result<NumberText> resolve_number(std::string_view value, NumberPolicy policy, bool dtmf_keys) {
    if (value.empty()) return {Errc::invalid_argument, "empty value"};
    const bool plus = value.front() == '+';
    const std::string_view body = plus ? value.substr(1) : value;
    if (body.empty()) return {Errc::invalid_argument, "'+' without digits"};
    bool plain_digits = true;
    for (const char c : body) {
        if (c >= '0' && c <= '9') continue;
        const bool key = c == '*' || c == '#' || (c >= 'A' && c <= 'D');
        if (!dtmf_keys || !key) {
            return {Errc::invalid_argument, dtmf_keys
                                                ? "digits allow only 0-9 * # A-D and a leading '+'"
                                                : "a number allows only digits and a leading '+'"};
        }
        plain_digits = false;
    }
    const bool keep_plus = plus && policy.keep_plus;
    NumberText out;
    out.text = keep_plus ? value : body;
    const bool as_number = policy.mode == NumberMode::automatic && plain_digits && !keep_plus &&
                           body.front() != '0' && body.size() <= 15;
    out.quoted = !as_number;
    return out;
}

Status check_stream_audio(AudioDataType type, std::size_t data_bytes, std::uint32_t rate_hz) {
    switch (type) {
        case AudioDataType::raw:
        case AudioDataType::mp3:
        case AudioDataType::wav:
        case AudioDataType::ogg:
            break;
        default:
            return {Errc::invalid_argument, "audioDataType must be raw, mp3, wav or ogg"};
    }
    if (!accepted_outbound_rate(rate_hz)) {
        return {Errc::invalid_argument, "sampleRate must be 8000, 16000 or 24000"};
    }
    if (data_bytes == 0) return {Errc::invalid_argument, "no audio"};
    if (type == AudioDataType::raw && data_bytes % 2 != 0) {
        return {Errc::invalid_argument, "raw audio is 16-bit PCM: an even number of bytes"};
    }
    if (stream_audio_message_bound(data_bytes) == std::numeric_limits<std::size_t>::max()) {
        return {Errc::too_large, "audio too large"};
    }
    return {};
}

}  // namespace detail

void OutboundEncoder::reserve(std::size_t n) {
    buf_.clear();
    if (buf_.capacity() < n) {
        buf_.reserve(n);
        ++growths_;
    }
}

Result<std::string_view> OutboundEncoder::play(std::string_view file_url) {
    if (file_url.empty()) return {Errc::invalid_argument, "empty file URL"};
    if (!json::valid_utf8(file_url)) return {Errc::invalid_argument, "file URL is not UTF-8"};
    // The worst case escape is 6 bytes per input byte (\u00XX).
    reserve(32 + file_url.size() * 6);
    buf_.append(R"({"event":"play","file":)");
    json::append_string(buf_, file_url);
    buf_.push_back('}');
    return std::string_view(buf_);
}

std::string_view OutboundEncoder::break_playback() {
    reserve(32);
    buf_.append(R"({"event":"break"})");
    return buf_;
}

namespace {

void append_number_command(std::string& out, std::string_view event, detail::NumberText v) {
    out.append(R"({"event":")");
    out.append(event);
    out.append(R"(","data":)");
    if (v.quoted) out.push_back('"');
    out.append(v.text);  // only [0-9*#A-D+]: nothing to escape
    if (v.quoted) out.push_back('"');
    out.push_back('}');
}

}  // namespace

Result<std::string_view> OutboundEncoder::digits(std::string_view keys, NumberPolicy policy) {
    auto v = detail::resolve_number(keys, policy, true);
    if (!v) return v.error();
    reserve(40 + keys.size());
    append_number_command(buf_, "digits", *v);
    return std::string_view(buf_);
}

Result<std::string_view> OutboundEncoder::transfer(std::string_view number, NumberPolicy policy) {
    auto v = detail::resolve_number(number, policy, false);
    if (!v) return v.error();
    reserve(40 + number.size());
    append_number_command(buf_, "transfer", *v);
    return std::string_view(buf_);
}

Result<std::string_view> OutboundEncoder::stream_audio(std::span<const std::int16_t> pcm,
                                                       std::uint32_t rate_hz) {
    if (pcm.size() > std::numeric_limits<std::size_t>::max() / 2) {
        return {Errc::too_large, "audio too large"};
    }
    if (auto st = detail::check_stream_audio(AudioDataType::raw, pcm.size() * 2, rate_hz); !st) {
        return st.error();
    }
    reserve(stream_audio_message_size(AudioDataType::raw, rate_hz, pcm.size() * 2));
    detail::StringSink sink{buf_};
    detail::write_stream_audio(sink, AudioDataType::raw, rate_hz,
                               [&](detail::StringSink& s) { detail::put_pcm_le(s, pcm); });
    return std::string_view(buf_);
}

Result<std::string_view> OutboundEncoder::stream_audio_bytes(AudioDataType type,
                                                             std::span<const std::uint8_t> data,
                                                             std::uint32_t rate_hz) {
    if (auto st = detail::check_stream_audio(type, data.size(), rate_hz); !st) return st.error();
    reserve(stream_audio_message_size(type, rate_hz, data.size()));
    detail::StringSink sink{buf_};
    detail::write_stream_audio(sink, type, rate_hz,
                               [&](detail::StringSink& s) { s.put_base64(data); });
    return std::string_view(buf_);
}

}  // namespace ringoverbot::streamer
