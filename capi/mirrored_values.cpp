// The numbers ringoverbot.h repeats from the C++ enums, checked by the compiler: a value
// changed on one side only fails the build. A new enumerator gets its ROB_* define in
// ringoverbot.h and its line here. (ROB_NUMBER_* and ROB_LAW_* are translated by a switch,
// not cast, so they mirror nothing.)
#include <cstddef>

#include "ringoverbot.h"
#include "ringoverbot/agent.hpp"
#include "ringoverbot/audio.hpp"
#include "ringoverbot/error.hpp"
#include "ringoverbot/providers.hpp"
#include "ringoverbot/server.hpp"
#include "ringoverbot/streamer.hpp"
#include "ringoverbot/webhook.hpp"

namespace ringoverbot::capi {
namespace {

template <class Enum>
constexpr int value(Enum e) {
    return static_cast<int>(e);
}

// Result codes (guard.hpp returns an Errc as its int; rob_strerror casts back).
static_assert(ROB_OK == value(Errc::ok));
static_assert(ROB_ERR_INVALID_ARGUMENT == value(Errc::invalid_argument));
static_assert(ROB_ERR_BUFFER_TOO_SMALL == value(Errc::buffer_too_small));
static_assert(ROB_ERR_INVALID_STATE == value(Errc::invalid_state));
static_assert(ROB_ERR_UNSUPPORTED == value(Errc::unsupported));
static_assert(ROB_ERR_NOT_FOUND == value(Errc::not_found));
static_assert(ROB_ERR_IO == value(Errc::io));
static_assert(ROB_ERR_PROTOCOL == value(Errc::protocol));
static_assert(ROB_ERR_BAD_JSON == value(Errc::bad_json));
static_assert(ROB_ERR_BAD_BASE64 == value(Errc::bad_base64));
static_assert(ROB_ERR_BAD_AUDIO == value(Errc::bad_audio));
static_assert(ROB_ERR_TOO_LARGE == value(Errc::too_large));
static_assert(ROB_ERR_CODEC == value(Errc::codec));
static_assert(ROB_ERR_BAD_WAV == value(Errc::bad_wav));
static_assert(ROB_ERR_PROVIDER_FAILED == value(Errc::provider_failed));
static_assert(ROB_ERR_TIMEOUT == value(Errc::timeout));
static_assert(ROB_ERR_CANCELED == value(Errc::canceled));
static_assert(ROB_ERR_FATAL == value(Errc::fatal));
static_assert(ROB_ERR_NOMEM == value(Errc::nomem));
static_assert(ROB_ERR_INTERNAL == value(Errc::internal));

// Log levels (rob_server_params and rob_cloud_client_params min_log_level).
static_assert(ROB_LOG_DEBUG == value(net::LogLevel::debug));
static_assert(ROB_LOG_INFO == value(net::LogLevel::info));
static_assert(ROB_LOG_WARN == value(net::LogLevel::warn));
static_assert(ROB_LOG_ERROR == value(net::LogLevel::error));

// Webhook verdicts; the C list ends where webhook::kReasonCount says the C++ one does.
static_assert(ROB_WH_OK == value(webhook::Reason::ok));
static_assert(ROB_WH_MISSING_SIGNATURE == value(webhook::Reason::missing_signature));
static_assert(ROB_WH_MALFORMED_TOKEN == value(webhook::Reason::malformed_token));
static_assert(ROB_WH_BAD_ALG == value(webhook::Reason::bad_alg));
static_assert(ROB_WH_BAD_SIGNATURE == value(webhook::Reason::bad_signature));
static_assert(ROB_WH_URL_MISMATCH == value(webhook::Reason::url_mismatch));
static_assert(ROB_WH_BODY_MISMATCH == value(webhook::Reason::body_mismatch));
static_assert(ROB_WH_EXPIRED == value(webhook::Reason::expired));
static_assert(ROB_WH_STALE_TIMESTAMP == value(webhook::Reason::stale_timestamp));
static_assert(ROB_WH_BODY_TOO_LARGE == value(webhook::Reason::body_too_large));
static_assert(ROB_WH_BAD_JSON == value(webhook::Reason::bad_json));
static_assert(ROB_WH_REPLAYED == value(webhook::Reason::replayed));
static_assert(ROB_WH_NO_KEY == value(webhook::Reason::no_key));
static_assert(ROB_WH_DUPLICATE == value(webhook::Reason::duplicate));
static_assert(static_cast<std::size_t>(ROB_WH_DUPLICATE) + 1 == webhook::kReasonCount);

static_assert(ROB_WH_BODY_REQUIRE_EQUAL == value(webhook::BodyPolicy::require_equal));
static_assert(ROB_WH_BODY_USE_SIGNED == value(webhook::BodyPolicy::use_signed));

// Webhook event kinds.
static_assert(ROB_WH_EVENT_NONE == value(webhook::Kind::none));
static_assert(ROB_WH_EVENT_UNKNOWN == value(webhook::Kind::unknown));
static_assert(ROB_WH_EVENT_CALL_RINGING == value(webhook::Kind::call_ringing));
static_assert(ROB_WH_EVENT_CALL_ANSWERED == value(webhook::Kind::call_answered));
static_assert(ROB_WH_EVENT_CALL_HANGUP == value(webhook::Kind::call_hangup));
static_assert(ROB_WH_EVENT_CALL_MISSED == value(webhook::Kind::call_missed));
static_assert(ROB_WH_EVENT_CALL_VOICEMAIL == value(webhook::Kind::call_voicemail));
static_assert(ROB_WH_EVENT_CALL_CONTACT == value(webhook::Kind::call_contact));
static_assert(ROB_WH_EVENT_CALL_ROUTING == value(webhook::Kind::call_routing));
static_assert(ROB_WH_EVENT_CALL_IVR_RESPONSE_CODE == value(webhook::Kind::call_ivr_response_code));
static_assert(ROB_WH_EVENT_AFTERCALL_COMMENTS_UPDATED ==
              value(webhook::Kind::aftercall_comments_updated));
static_assert(ROB_WH_EVENT_AFTERCALL_TAGS_UPDATED == value(webhook::Kind::aftercall_tags_updated));
static_assert(ROB_WH_EVENT_AFTERCALL_AFTERCALL == value(webhook::Kind::aftercall_aftercall));
static_assert(ROB_WH_EVENT_AFTERCALL_RECORD_AVAILABLE ==
              value(webhook::Kind::aftercall_record_available));
static_assert(ROB_WH_EVENT_AFTERCALL_VOICEMAIL_AVAILABLE ==
              value(webhook::Kind::aftercall_voicemail_available));
static_assert(ROB_WH_EVENT_AFTERCALL_TRANSCRIPTION_AVAILABLE ==
              value(webhook::Kind::aftercall_transcription_available));
static_assert(ROB_WH_EVENT_AFTERCALL_SUMMARY_AVAILABLE ==
              value(webhook::Kind::aftercall_summary_available));
static_assert(ROB_WH_EVENT_SEARCH_CONTACT == value(webhook::Kind::search_contact));
static_assert(ROB_WH_EVENT_SMS_SENT == value(webhook::Kind::sms_sent));
static_assert(ROB_WH_EVENT_SMS_RECEIVED == value(webhook::Kind::sms_received));

// Streamer: wire encodings, dialects, decoder events, streamAudio types.
static_assert(ROB_ENC_L16 == value(streamer::Encoding::l16));
static_assert(ROB_ENC_PCMU == value(streamer::Encoding::pcmu));
static_assert(ROB_ENC_PCMA == value(streamer::Encoding::pcma));

static_assert(ROB_DIALECT_UNKNOWN == value(streamer::Dialect::unknown));
static_assert(ROB_DIALECT_BINARY == value(streamer::Dialect::binary));
static_assert(ROB_DIALECT_JSON == value(streamer::Dialect::json));
static_assert(ROB_DIALECT_METADATA == value(streamer::Dialect::metadata));

static_assert(ROB_EVT_NONE == value(streamer::EventKind::none));
static_assert(ROB_EVT_AUDIO == value(streamer::EventKind::audio));
static_assert(ROB_EVT_METADATA == value(streamer::EventKind::metadata));
static_assert(ROB_EVT_DTMF == value(streamer::EventKind::dtmf));
static_assert(ROB_EVT_END == value(streamer::EventKind::end));
static_assert(ROB_EVT_ERROR == value(streamer::EventKind::error));

static_assert(ROB_AUDIO_RAW == value(streamer::AudioDataType::raw));
static_assert(ROB_AUDIO_MP3 == value(streamer::AudioDataType::mp3));
static_assert(ROB_AUDIO_WAV == value(streamer::AudioDataType::wav));
static_assert(ROB_AUDIO_OGG == value(streamer::AudioDataType::ogg));

// Resampler quality.
static_assert(ROB_RESAMPLE_SINC_FASTEST == value(audio::ResampleQuality::sinc_fastest));
static_assert(ROB_RESAMPLE_SINC_MEDIUM == value(audio::ResampleQuality::sinc_medium));
static_assert(ROB_RESAMPLE_SINC_BEST == value(audio::ResampleQuality::sinc_best));
static_assert(ROB_RESAMPLE_LINEAR == value(audio::ResampleQuality::linear));
static_assert(ROB_RESAMPLE_VOIP == value(audio::ResampleQuality::voip));

// Providers: message roles and actions.
static_assert(ROB_ROLE_SYSTEM == value(providers::Role::system));
static_assert(ROB_ROLE_USER == value(providers::Role::user));
static_assert(ROB_ROLE_ASSISTANT == value(providers::Role::assistant));

static_assert(ROB_ACTION_TRANSFER == value(providers::ActionKind::transfer));
static_assert(ROB_ACTION_DIGITS == value(providers::ActionKind::digits));
static_assert(ROB_ACTION_PLAY == value(providers::ActionKind::play));
static_assert(ROB_ACTION_END_CALL == value(providers::ActionKind::end_call));

// What a call asks its host to send.
static_assert(ROB_OUTPUT_TEXT == value(agent::OutputKind::text));
static_assert(ROB_OUTPUT_CLOSE == value(agent::OutputKind::close));

// A transcript of unknown confidence (rob_stt_sink_transcript_confidence, rob_turn_metrics).
static_assert(ROB_CONFIDENCE_UNKNOWN == providers::kUnknownConfidence);

}  // namespace
}  // namespace ringoverbot::capi
