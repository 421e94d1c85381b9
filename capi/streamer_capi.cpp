// The streamer section of the C ABI (capi/ringoverbot.h) over ringoverbot::streamer.
#include <cstring>
#include <limits>
#include <new>
#include <string>

#include "guard.hpp"
#include "handles.hpp"
#include "ringoverbot.h"
#include "ringoverbot/streamer.hpp"
#include "streamer/outbound.hpp"

namespace streamer = ringoverbot::streamer;
using ringoverbot::Errc;
using ringoverbot::capi::guard;
using ringoverbot::capi::to_code;

struct rob_stream_decoder {
    explicit rob_stream_decoder(streamer::DecoderConfig c) : decoder(c) {}
    streamer::InboundDecoder decoder;
};

namespace {

const char* opt_cstr(const std::optional<std::string>& s) {
    return s ? s->c_str() : nullptr;
}

// Fills the caller's event, copying no more than its struct_size says it has room for.
int fill_event(const streamer::InboundEvent& in, rob_stream_event* ev) {
    rob_stream_event out{};
    out.struct_size = sizeof(rob_stream_event);
    out.kind = static_cast<int32_t>(in.kind);
    out.dialect = static_cast<int32_t>(in.dialect);
    out.sample_rate_hz = in.format.sample_rate_hz;
    out.channels = in.format.channels;
    out.encoding = static_cast<int32_t>(in.format.encoding);
    switch (in.kind) {
        case streamer::EventKind::audio:
            out.samples = in.samples.data();
            out.sample_count = in.samples.size();
            break;
        case streamer::EventKind::metadata:
            out.call_id = opt_cstr(in.metadata.call_id);
            out.channel_id = opt_cstr(in.metadata.channel_id);
            out.from_number = opt_cstr(in.metadata.from_number);
            out.to_number = opt_cstr(in.metadata.to_number);
            out.direction = opt_cstr(in.metadata.direction);
            out.raw = in.metadata.raw.c_str();
            out.raw_len = in.metadata.raw.size();
            break;
        case streamer::EventKind::dtmf:
            out.digit = in.digit;
            break;
        case streamer::EventKind::end:
            out.reason = in.reason.c_str();
            break;
        case streamer::EventKind::error:
            out.error_code = static_cast<int32_t>(in.error_code);
            // error_message views static NUL-terminated text.
            out.error_message = in.error_message.empty() ? "" : in.error_message.data();
            break;
        case streamer::EventKind::none:
            break;
    }
    const std::size_t n = ev->struct_size < sizeof out ? ev->struct_size : sizeof out;
    const std::uint32_t caller_size = ev->struct_size;
    std::memcpy(ev, &out, n);
    ev->struct_size = caller_size;
    return ROB_OK;
}

// The smallest event a caller may pass: up to and including `kind`.
constexpr std::size_t kMinEventSize = offsetof(rob_stream_event, kind) + sizeof(int32_t);

bool event_ok(const rob_stream_event* ev) {
    return ev != nullptr && ev->struct_size >= kMinEventSize;
}

// Copies a message into the caller's buffer (NUL-terminated when there is room).
int deliver(std::string_view msg, char* out, size_t cap, size_t* out_len) {
    *out_len = msg.size();
    if (cap < msg.size() || (out == nullptr && !msg.empty())) return ROB_ERR_BUFFER_TOO_SMALL;
    if (!msg.empty()) std::memcpy(out, msg.data(), msg.size());
    if (cap > msg.size()) out[msg.size()] = '\0';
    return ROB_OK;
}

// Writes a streamAudio message straight into the caller's buffer: the size is known exactly
// beforehand, so nothing is allocated.
template <class PutData>
int write_audio(streamer::AudioDataType type, std::size_t data_bytes, uint32_t rate,
                PutData put_data, char* out, size_t cap, size_t* out_len) {
    if (auto st = streamer::detail::check_stream_audio(type, data_bytes, rate); !st) {
        return to_code(st.code());
    }
    const std::size_t size = streamer::stream_audio_message_size(type, rate, data_bytes);
    *out_len = size;
    if (out == nullptr || cap < size) return ROB_ERR_BUFFER_TOO_SMALL;
    streamer::detail::BufferSink sink{out};
    streamer::detail::write_stream_audio(sink, type, rate, put_data);
    if (cap > size) out[size] = '\0';
    return ROB_OK;
}

}  // namespace

namespace ringoverbot::capi {

bool read_number_policy(int policy, streamer::NumberPolicy& out) {
    if ((policy & ~(0xFF | ROB_NUMBER_KEEP_PLUS)) != 0) return false;
    switch (policy & 0xFF) {
        case ROB_NUMBER_AUTO:
            out.mode = streamer::NumberMode::automatic;
            break;
        case ROB_NUMBER_STRING:
            out.mode = streamer::NumberMode::string;
            break;
        default:
            return false;
    }
    out.keep_plus = (policy & ROB_NUMBER_KEEP_PLUS) != 0;
    return true;
}

}  // namespace ringoverbot::capi

extern "C" {

ROB_API void rob_stream_decoder_params_init(rob_stream_decoder_params* p, size_t size) {
    if (p == nullptr) return;
    const std::size_t n = ringoverbot::capi::begin_init(p, size);
    rob_stream_decoder_params full{};
    full.struct_size = static_cast<uint32_t>(n);
    full.default_sample_rate_hz = 8000;
    full.default_channels = 1;
    full.max_message_bytes = 1u << 20;
    std::memcpy(p, &full, n);
}

ROB_API int rob_stream_decoder_create(const rob_stream_decoder_params* params,
                                      rob_stream_decoder** out) {
    return guard([&] {
        if (out == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        rob_stream_decoder_params p;
        if (!ringoverbot::capi::read_params(params, p, rob_stream_decoder_params_init)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        streamer::DecoderConfig config;
        config.default_sample_rate_hz = p.default_sample_rate_hz;
        config.default_channels = p.default_channels;
        if (p.max_message_bytes > std::numeric_limits<std::size_t>::max()) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        config.max_message_bytes = static_cast<std::size_t>(p.max_message_bytes);
        if (auto st = streamer::validate(config); !st) return to_code(st.code());
        *out = new rob_stream_decoder(config);
        return ROB_OK;
    });
}

ROB_API void rob_stream_decoder_destroy(rob_stream_decoder* d) {
    delete d;
}

ROB_API int rob_stream_decoder_feed(rob_stream_decoder* d, const uint8_t* data, size_t len,
                                    int is_binary, rob_stream_event* ev) {
    return guard([&] {
        if (d == nullptr || !event_ok(ev) || (data == nullptr && len != 0)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        static constexpr uint8_t kEmpty[1] = {0};
        const uint8_t* bytes = data != nullptr ? data : kEmpty;
        return fill_event(d->decoder.decode({bytes, len}, is_binary != 0), ev);
    });
}

ROB_API int rob_stream_decoder_close(rob_stream_decoder* d, const char* reason,
                                     rob_stream_event* ev) {
    return guard([&] {
        if (d == nullptr || !event_ok(ev)) return ROB_ERR_INVALID_ARGUMENT;
        return fill_event(d->decoder.close(reason != nullptr ? reason : ""), ev);
    });
}

ROB_API void rob_stream_decoder_stats(const rob_stream_decoder* d, uint64_t* messages,
                                      uint64_t* errors, uint64_t* ignored) {
    const streamer::DecoderStats none{};
    const streamer::DecoderStats& s = d != nullptr ? d->decoder.stats() : none;
    if (messages != nullptr) *messages = s.messages;
    if (errors != nullptr) *errors = s.errors;
    if (ignored != nullptr) *ignored = s.ignored;
}

ROB_API int rob_stream_encode_play(const char* file_url, char* out, size_t cap, size_t* out_len) {
    return guard([&] {
        if (file_url == nullptr || out_len == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        streamer::OutboundEncoder enc;
        auto msg = enc.play(file_url);
        if (!msg) return to_code(msg.code());
        return deliver(*msg, out, cap, out_len);
    });
}

ROB_API int rob_stream_encode_break(char* out, size_t cap, size_t* out_len) {
    return guard([&] {
        if (out_len == nullptr) return ROB_ERR_INVALID_ARGUMENT;
        streamer::OutboundEncoder enc;
        return deliver(enc.break_playback(), out, cap, out_len);
    });
}

ROB_API int rob_stream_encode_digits(const char* digits, int policy, char* out, size_t cap,
                                     size_t* out_len) {
    return guard([&] {
        streamer::NumberPolicy p;
        if (digits == nullptr || out_len == nullptr || !ringoverbot::capi::read_number_policy(policy, p)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        streamer::OutboundEncoder enc;
        auto msg = enc.digits(digits, p);
        if (!msg) return to_code(msg.code());
        return deliver(*msg, out, cap, out_len);
    });
}

ROB_API int rob_stream_encode_transfer(const char* number, int policy, char* out, size_t cap,
                                       size_t* out_len) {
    return guard([&] {
        streamer::NumberPolicy p;
        if (number == nullptr || out_len == nullptr || !ringoverbot::capi::read_number_policy(policy, p)) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        streamer::OutboundEncoder enc;
        auto msg = enc.transfer(number, p);
        if (!msg) return to_code(msg.code());
        return deliver(*msg, out, cap, out_len);
    });
}

ROB_API int rob_stream_encode_audio_pcm(const int16_t* pcm, size_t samples, uint32_t sample_rate_hz,
                                        char* out, size_t cap, size_t* out_len) {
    return guard([&] {
        if (out_len == nullptr || pcm == nullptr ||
            samples > std::numeric_limits<std::size_t>::max() / 2) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        const std::span<const int16_t> span(pcm, samples);
        return write_audio(
            streamer::AudioDataType::raw, samples * 2, sample_rate_hz,
            [&](streamer::detail::BufferSink& s) { streamer::detail::put_pcm_le(s, span); }, out,
            cap, out_len);
    });
}

ROB_API int rob_stream_encode_audio_bytes(int audio_type, const uint8_t* data, size_t len,
                                          uint32_t sample_rate_hz, char* out, size_t cap,
                                          size_t* out_len) {
    return guard([&] {
        if (out_len == nullptr || data == nullptr || audio_type < ROB_AUDIO_RAW ||
            audio_type > ROB_AUDIO_OGG) {
            return ROB_ERR_INVALID_ARGUMENT;
        }
        const std::span<const uint8_t> span(data, len);
        return write_audio(
            static_cast<streamer::AudioDataType>(audio_type), len, sample_rate_hz,
            [&](streamer::detail::BufferSink& s) { s.put_base64(span); }, out, cap, out_len);
    });
}

ROB_API size_t rob_stream_audio_message_bound(size_t data_bytes) {
    return streamer::stream_audio_message_bound(data_bytes);
}

}  // extern "C"
