/*
 * ringoverbot: the C ABI.
 *
 * Conventions (they hold for every function below unless its comment says otherwise):
 *
 * Results.   Functions return `int`: ROB_OK (0) on success, ROB_DONE (1) for "nothing more",
 *            a negative ROB_ERR_* code on failure. rob_strerror() names any code. Codes are
 *            grouped in bands: -1..-99 caller misuse, -100..-199 bad bytes from a peer,
 *            -200..-299 providers, below ROB_ERR_FATAL (-900) fatal (the only call allowed on
 *            the handle afterwards is its destroy function).
 * Handles.   Opaque. `rob_X_create(..., rob_X **out)` writes *out only on success.
 *            `rob_X_destroy(NULL)` is a no-op.
 * Params.    Structs that can grow start with `uint32_t struct_size`. Fill them with
 *            `rob_X_params_init(&p, sizeof p)` (defaults for every field), then change what you
 *            need. Pointers inside params are borrowed for the duration of the call; the library
 *            copies what it keeps.
 * Buffers.   Input pointers are borrowed for the duration of the call. Output that the library
 *            owns (strings, samples inside an event) stays valid until the next call on the
 *            same handle, as stated per function. Output the library allocates for the caller is
 *            released with rob_free(). Caller buffers come with their capacity; when it is too
 *            small the function returns ROB_ERR_BUFFER_TOO_SMALL and stores the size needed.
 * Time.      The library reads no clock: calls that need the time take it as an argument.
 * Threads.   A handle is used by one thread at a time. Different handles may be used from
 *            different threads at once. Functions marked "any thread" are always safe.
 * Errors.    Nothing throws across this ABI and bad input never aborts the process.
 */
#ifndef RINGOVERBOT_H
#define RINGOVERBOT_H

#include <stddef.h>
#include <stdint.h>

#if defined(ROB_STATIC)
#define ROB_API
#elif defined(_WIN32)
#if defined(ROB_BUILDING)
#define ROB_API __declspec(dllexport)
#else
#define ROB_API __declspec(dllimport)
#endif
#else
#define ROB_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- versions --------------------------------------------------------------------------- */

#define ROB_VERSION_MAJOR 0
#define ROB_VERSION_MINOR 1
#define ROB_VERSION_PATCH 0
#define ROB_VERSION_NUM ((ROB_VERSION_MAJOR << 16) | (ROB_VERSION_MINOR << 8) | ROB_VERSION_PATCH)
#define ROB_VERSION_STRING "0.1.0"
#define ROB_AT_LEAST_VERSION(x, y, z) (ROB_VERSION_NUM >= (((x) << 16) | ((y) << 8) | (z)))
/* Bumped with the soname on a deliberate ABI break. */
#define ROB_ABI_VERSION 0

/* The library's version as 0xMMmmpp and as a static string. Any thread. */
ROB_API uint32_t rob_version_num(void);
ROB_API const char *rob_version_string(void);
/* ROB_ABI_VERSION of the library that is loaded. Any thread. */
ROB_API int rob_abi_version(void);

/* ---- results ---------------------------------------------------------------------------- */

#define ROB_OK 0
#define ROB_DONE 1

#define ROB_ERR_INVALID_ARGUMENT (-1)
#define ROB_ERR_BUFFER_TOO_SMALL (-2)
#define ROB_ERR_INVALID_STATE (-3)
#define ROB_ERR_UNSUPPORTED (-4)
#define ROB_ERR_NOT_FOUND (-5)
#define ROB_ERR_IO (-6)

#define ROB_ERR_PROTOCOL (-100)
#define ROB_ERR_BAD_JSON (-101)
#define ROB_ERR_BAD_BASE64 (-102)
#define ROB_ERR_BAD_AUDIO (-103)
#define ROB_ERR_TOO_LARGE (-104)
#define ROB_ERR_CODEC (-105)
#define ROB_ERR_BAD_WAV (-106)

#define ROB_ERR_FATAL (-900)
#define ROB_ERR_NOMEM (-901)
#define ROB_ERR_INTERNAL (-902)

/* A static, human-readable name for any code; never NULL ("unknown error"). Any thread. */
ROB_API const char *rob_strerror(int code);
/* Non-zero when `code` is fatal for the handle that returned it. Any thread. */
ROB_API int rob_is_fatal(int code);

/* Releases memory that the library allocated for the caller (NULL is a no-op). Any thread. */
ROB_API void rob_free(void *p);

/* sizeof() of each public struct as this library was built, for bindings to check their
 * mirrors. Returns 0 for an unknown id. Any thread. */
#define ROB_STRUCT_WEBHOOK_VERIFIER_PARAMS 1
#define ROB_STRUCT_WEBHOOK_REQUEST 2
#define ROB_STRUCT_STREAM_DECODER_PARAMS 3
#define ROB_STRUCT_STREAM_EVENT 4
ROB_API size_t rob_struct_size(int which);

/* ==== webhooks ============================================================================
 * Verification of Ringover's signed webhook requests and parsing of their events
 * (see spec/webhooks.md). A verifier holds the keys (one per dashboard section), the public
 * URL of the endpoint, the policies, and a bounded cache of recently accepted signatures. */

typedef struct rob_webhook_verifier rob_webhook_verifier;
typedef struct rob_webhook_result rob_webhook_result;

/* Verdicts (the spec's reason strings through rob_webhook_reason_name). Append-only. */
#define ROB_WH_OK 0
#define ROB_WH_MISSING_SIGNATURE 1
#define ROB_WH_MALFORMED_TOKEN 2
#define ROB_WH_BAD_ALG 3
#define ROB_WH_BAD_SIGNATURE 4
#define ROB_WH_URL_MISMATCH 5
#define ROB_WH_BODY_MISMATCH 6
#define ROB_WH_EXPIRED 7
#define ROB_WH_STALE_TIMESTAMP 8
#define ROB_WH_BODY_TOO_LARGE 9
#define ROB_WH_BAD_JSON 10
#define ROB_WH_REPLAYED 11
#define ROB_WH_NO_KEY 12 /* no key configured for the event's dashboard section */

/* How the body relates to the JWT's signed payload. */
#define ROB_WH_BODY_REQUIRE_EQUAL 0 /* default: the body must be JSON-equal to the payload */
#define ROB_WH_BODY_USE_SIGNED 1    /* the signed payload is used as the event */

typedef struct rob_webhook_verifier_params {
    uint32_t struct_size;
    /* The endpoint's public URL without query, compared with the JWT `url` claim
     * (e.g. "https://bot.example.fr/hooks/ringover/calls"). Required. */
    const char *public_url;
    /* One key per dashboard section; NULL = not configured. `call_events_key` is also used
     * for any section whose own key is not configured. */
    const char *call_events_key;    /* call lifecycle, aftercall and sms events */
    const char *contact_call_key;   /* call/contact */
    const char *contact_search_key; /* search/contact */
    const char *routing_key;        /* call/routing (and ivr_response_code when signed) */
    /* Secret accepted as `?token=` for the unsigned call/ivr_response_code; NULL = refuse it. */
    const char *ivr_token;
    int32_t body_policy;         /* ROB_WH_BODY_*; default ROB_WH_BODY_REQUIRE_EQUAL */
    int32_t accept_legacy_hmac;  /* X-Ringover-Signature hex HMAC-SHA256; default 0 */
    int32_t reject_replays;      /* default 1: a signature accepted once is refused again */
    uint32_t replay_cache_size;  /* entries kept; default 4096 */
    double replay_window_s;      /* how long an entry is kept; default 600 */
    double leeway_s;             /* for JWT exp/nbf; default 60 */
    double v3_window_s;          /* max |now - V3 timestamp|; default 300 */
    uint64_t max_body_bytes;     /* default 1 MiB */
} rob_webhook_verifier_params;

typedef struct rob_webhook_request {
    uint32_t struct_size;
    const char *method; /* "POST" */
    /* The request URL as Ringover addressed it: either the full URL ("https://host/path?q")
     * or the origin-form target ("/path?q"), whose scheme and host are then taken from
     * the verifier's public_url. The query carries the IVR token. */
    const char *url;
    const char *const *header_names;  /* header_count names (any case) */
    const char *const *header_values; /* header_count values */
    size_t header_count;
    const uint8_t *body;
    size_t body_len;
    double now; /* Unix seconds */
} rob_webhook_request;

/* Any thread. `size` is sizeof(*p) as the caller knows it. */
ROB_API void rob_webhook_verifier_params_init(rob_webhook_verifier_params *p, size_t size);
ROB_API void rob_webhook_request_init(rob_webhook_request *r, size_t size);

/* ROB_ERR_INVALID_ARGUMENT when public_url is missing or no key nor ivr_token is set. */
ROB_API int rob_webhook_verifier_create(const rob_webhook_verifier_params *params,
                                        rob_webhook_verifier **out);
ROB_API void rob_webhook_verifier_destroy(rob_webhook_verifier *v);

/* Verifies one request and, when accepted, parses its event. Returns ROB_OK whenever a
 * verdict was reached, accepted or not, and stores a new result in *out (release it with
 * rob_webhook_result_destroy); negative only on misuse or out of memory. */
ROB_API int rob_webhook_verify(rob_webhook_verifier *v, const rob_webhook_request *req,
                               rob_webhook_result **out);
ROB_API void rob_webhook_result_destroy(rob_webhook_result *r);

/* ROB_WH_* verdict of a result. */
ROB_API int rob_webhook_result_reason(const rob_webhook_result *r);
/* Detail text of the verdict (e.g. which check failed); valid while `r` lives. */
ROB_API const char *rob_webhook_result_detail(const rob_webhook_result *r);
/* "ok", "missing_signature", ... (static; "unknown" for other values). Any thread. */
ROB_API const char *rob_webhook_reason_name(int reason);
/* The HTTP status a host should answer with: 200, 400 (bad_json), 401 (signature problems),
 * 413 (body_too_large). Any thread. */
ROB_API int rob_webhook_reason_http_status(int reason);

/* A field of the accepted event as a NUL-terminated string, or NULL when absent or null.
 * Names: "resource", "event" (envelope), "timestamp", "attempt", and from `data`:
 * "id", "call_id", "channel_id", "user_id", "direction", "from_number", "to_number",
 * "status", "start_time", "answered_time", "hangup_time", "duration_in_seconds", "reason",
 * "code", "query_search", "body", "message_id", "conversation_id", "record",
 * "record_link", "voicemail_link", "transcription_link", "summary", "comments",
 * "is_internal", "is_anonymous", "is_ivr" ("0"/"1"), "ivr_number", "ivr_scenario_name",
 * "ivr_name", "user_firstname", "user_lastname", "user_email".
 * Integers (call_id included) are exact decimal strings. Valid while `r` lives. */
ROB_API const char *rob_webhook_result_field(const rob_webhook_result *r, const char *name);
/* The event's raw JSON (the envelope as trusted: the body, or the signed payload). */
ROB_API const char *rob_webhook_result_json(const rob_webhook_result *r, size_t *len);

/* Event kinds. ROB_WH_EVENT_UNKNOWN is an accepted event this library has no type for. */
#define ROB_WH_EVENT_NONE 0 /* not accepted */
#define ROB_WH_EVENT_UNKNOWN 1
#define ROB_WH_EVENT_CALL_RINGING 2
#define ROB_WH_EVENT_CALL_ANSWERED 3
#define ROB_WH_EVENT_CALL_HANGUP 4
#define ROB_WH_EVENT_CALL_MISSED 5
#define ROB_WH_EVENT_CALL_VOICEMAIL 6
#define ROB_WH_EVENT_CALL_CONTACT 7
#define ROB_WH_EVENT_CALL_ROUTING 8
#define ROB_WH_EVENT_CALL_IVR_RESPONSE_CODE 9
#define ROB_WH_EVENT_AFTERCALL_COMMENTS_UPDATED 10
#define ROB_WH_EVENT_AFTERCALL_TAGS_UPDATED 11
#define ROB_WH_EVENT_AFTERCALL_AFTERCALL 12
#define ROB_WH_EVENT_AFTERCALL_RECORD_AVAILABLE 13
#define ROB_WH_EVENT_AFTERCALL_VOICEMAIL_AVAILABLE 14
#define ROB_WH_EVENT_AFTERCALL_TRANSCRIPTION_AVAILABLE 15
#define ROB_WH_EVENT_AFTERCALL_SUMMARY_AVAILABLE 16
#define ROB_WH_EVENT_SEARCH_CONTACT 17
#define ROB_WH_EVENT_SMS_SENT 18
#define ROB_WH_EVENT_SMS_RECEIVED 19
ROB_API int rob_webhook_result_kind(const rob_webhook_result *r);

/* Reply bodies for the request/response webhooks, as JSON text allocated for the caller
 * (*out, NUL-terminated, release with rob_free; *out_len without the NUL). */
typedef struct rob_webhook_contact {
    const char *uuid, *firstname, *lastname, *company, *url; /* NULL = omitted */
    const char *const *data_keys;   /* data_count string pairs for the "data" object */
    const char *const *data_values;
    size_t data_count;
    int32_t is_shared;
} rob_webhook_contact;
typedef struct rob_webhook_contact_number {
    const char *number; /* E.164 digits ('+' stripped); written as a JSON number */
    const char *type;   /* "mobile", "fix", ... */
} rob_webhook_contact_number;
typedef struct rob_webhook_search_hit {
    const char *firstname, *lastname, *company, *url;
    const rob_webhook_contact_number *numbers;
    size_t number_count;
} rob_webhook_search_hit;
typedef struct rob_webhook_routing_agent {
    const char *number; /* E.164 digits, written as a JSON number */
    uint32_t ring_duration_s; /* 0 = default 25 */
    uint32_t ring_delay_s;
    int32_t is_caller_id;
} rob_webhook_routing_agent;

ROB_API int rob_webhook_build_contact_reply(const rob_webhook_contact *c, char **out,
                                            size_t *out_len);
ROB_API int rob_webhook_build_search_reply(const rob_webhook_search_hit *hits, size_t count,
                                           char **out, size_t *out_len);
/* dispatch: "ringall" (NULL) or "sequential". */
ROB_API int rob_webhook_build_routing_reply(const char *dispatch,
                                            const rob_webhook_routing_agent *agents,
                                            size_t count, char **out, size_t *out_len);

/* ==== streamer ============================================================================
 * Ringover's media WebSocket (spec/streamer.md). The decoder turns one inbound WebSocket
 * message into one event; the encoder writes the bot's commands. No sockets here. */

typedef struct rob_stream_decoder rob_stream_decoder;

#define ROB_ENC_L16 0
#define ROB_ENC_PCMU 1
#define ROB_ENC_PCMA 2

/* Inbound forms, as detected (spec/streamer.md A, B, C). */
#define ROB_DIALECT_UNKNOWN 0
#define ROB_DIALECT_BINARY 1   /* binary L16 frames */
#define ROB_DIALECT_JSON 2     /* call_start / audio_data / dtmf / call_end text events */
#define ROB_DIALECT_METADATA 3 /* a free first text frame (mod_audio_stream metadata) */

#define ROB_EVT_NONE 0     /* the message was ignored (an unknown event; counted) */
#define ROB_EVT_AUDIO 1    /* samples/sample_count/sample_rate_hz/channels/encoding */
#define ROB_EVT_METADATA 2 /* call_id/channel_id/from_number/to_number/direction/raw */
#define ROB_EVT_DTMF 3     /* digit */
#define ROB_EVT_END 4      /* reason; delivered exactly once per stream */
#define ROB_EVT_ERROR 5    /* error_code/error_message; the frame is dropped, the call goes on */

typedef struct rob_stream_decoder_params {
    uint32_t struct_size;
    uint32_t default_sample_rate_hz; /* until metadata says otherwise; default 8000 */
    uint32_t default_channels;       /* default 1 */
    uint64_t max_message_bytes;      /* default 1 MiB; larger messages are errors */
} rob_stream_decoder_params;

typedef struct rob_stream_event {
    uint32_t struct_size;
    int32_t kind;    /* ROB_EVT_* */
    int32_t dialect; /* ROB_DIALECT_* of the stream so far */
    /* AUDIO: interleaved signed 16-bit PCM, decoded from the wire encoding. */
    const int16_t *samples;
    size_t sample_count; /* total samples (frames * channels) */
    uint32_t sample_rate_hz;
    uint32_t channels;
    int32_t encoding; /* ROB_ENC_* on the wire */
    /* METADATA (NULL when absent): exact decimal call_id, etc. `raw` is the frame's text. */
    const char *call_id;
    const char *channel_id;
    const char *from_number;
    const char *to_number;
    const char *direction;
    const char *raw;
    size_t raw_len;
    /* DTMF */
    char digit;
    /* END: "hangup", "close", "disconnect", ... */
    const char *reason;
    /* ERROR */
    int32_t error_code; /* ROB_ERR_* */
    const char *error_message;
} rob_stream_event;

ROB_API void rob_stream_decoder_params_init(rob_stream_decoder_params *p, size_t size);
ROB_API int rob_stream_decoder_create(const rob_stream_decoder_params *params,
                                      rob_stream_decoder **out);
ROB_API void rob_stream_decoder_destroy(rob_stream_decoder *d);

/* Decodes one complete WebSocket message. Fills *ev (whose struct_size the caller sets);
 * pointers in it stay valid until the next call on `d`. Returns ROB_OK (a protocol problem
 * is an ROB_EVT_ERROR event, not a failure), or a negative code on misuse. */
ROB_API int rob_stream_decoder_feed(rob_stream_decoder *d, const uint8_t *data, size_t len,
                                    int is_binary, rob_stream_event *ev);
/* The transport ended (close or drop): yields ROB_EVT_END with `reason` unless the stream
 * already ended, in which case ROB_EVT_NONE. */
ROB_API int rob_stream_decoder_close(rob_stream_decoder *d, const char *reason,
                                     rob_stream_event *ev);
/* Counters: messages decoded, protocol errors, ignored messages. Any may be NULL. */
ROB_API void rob_stream_decoder_stats(const rob_stream_decoder *d, uint64_t *messages,
                                      uint64_t *errors, uint64_t *ignored);

/* Outbound commands. Each writes one JSON text frame into `out` (capacity `cap`), stores its
 * length in *out_len, and returns ROB_OK; ROB_ERR_BUFFER_TOO_SMALL stores the size needed.
 * Any thread (no handle). */

/* Policy for `digits.data` and `transfer.data`. */
#define ROB_NUMBER_AUTO 0      /* a JSON number when plain digits (no leading 0, <= 15 digits) */
#define ROB_NUMBER_STRING 1    /* always a JSON string */
#define ROB_NUMBER_KEEP_PLUS 0x100 /* flag: keep a leading '+' (stripped by default) */

#define ROB_AUDIO_RAW 0
#define ROB_AUDIO_MP3 1
#define ROB_AUDIO_WAV 2
#define ROB_AUDIO_OGG 3

ROB_API int rob_stream_encode_play(const char *file_url, char *out, size_t cap,
                                   size_t *out_len);
ROB_API int rob_stream_encode_break(char *out, size_t cap, size_t *out_len);
ROB_API int rob_stream_encode_digits(const char *digits, int policy, char *out, size_t cap,
                                     size_t *out_len);
ROB_API int rob_stream_encode_transfer(const char *number, int policy, char *out, size_t cap,
                                       size_t *out_len);
/* raw streamAudio from PCM; sample_rate_hz must be 8000, 16000 or 24000. */
ROB_API int rob_stream_encode_audio_pcm(const int16_t *pcm, size_t samples,
                                        uint32_t sample_rate_hz, char *out, size_t cap,
                                        size_t *out_len);
/* streamAudio of encoded bytes: ROB_AUDIO_* (RAW = s16le PCM bytes; others whole files). */
ROB_API int rob_stream_encode_audio_bytes(int audio_type, const uint8_t *data, size_t len,
                                          uint32_t sample_rate_hz, char *out, size_t cap,
                                          size_t *out_len);
/* An upper bound on the size of a streamAudio message carrying `data_bytes` bytes. */
ROB_API size_t rob_stream_audio_message_bound(size_t data_bytes);

/* ==== audio ===============================================================================
 * G.711, PCM conversions, resampling, Opus, WAV, DTMF. */

#define ROB_LAW_ULAW 0
#define ROB_LAW_ALAW 1

/* n samples in, n bytes out (and back). Any thread. */
ROB_API int rob_g711_encode(int law, const int16_t *pcm, size_t n, uint8_t *out);
ROB_API int rob_g711_decode(int law, const uint8_t *in, size_t n, int16_t *pcm);

/* A streaming resampler (libsamplerate) for one stream of interleaved s16 frames. */
typedef struct rob_resampler rob_resampler;
#define ROB_RESAMPLE_SINC_FASTEST 0 /* default */
#define ROB_RESAMPLE_SINC_MEDIUM 1
#define ROB_RESAMPLE_SINC_BEST 2
#define ROB_RESAMPLE_LINEAR 3
ROB_API int rob_resampler_create(uint32_t in_rate_hz, uint32_t out_rate_hz, uint32_t channels,
                                 int quality, rob_resampler **out);
ROB_API void rob_resampler_destroy(rob_resampler *r);
/* The most output frames that `in_frames` input frames can produce (size `out` with it). */
ROB_API size_t rob_resampler_max_output(const rob_resampler *r, size_t in_frames);
/* Consumes all `in_frames`; writes up to out_cap_frames frames. `last` = 1 flushes the tail. */
ROB_API int rob_resampler_process(rob_resampler *r, const int16_t *in, size_t in_frames,
                                  int16_t *out, size_t out_cap_frames, size_t *out_frames,
                                  int last);
ROB_API int rob_resampler_reset(rob_resampler *r);

/* Opus (RFC 6716): 8/12/16/24/48 kHz, 2.5..60 ms frames. */
typedef struct rob_opus_encoder rob_opus_encoder;
typedef struct rob_opus_decoder rob_opus_decoder;
/* bitrate_bps 0 = Opus's default. Uses OPUS_APPLICATION_VOIP. */
ROB_API int rob_opus_encoder_create(uint32_t rate_hz, uint32_t channels, uint32_t bitrate_bps,
                                    rob_opus_encoder **out);
ROB_API void rob_opus_encoder_destroy(rob_opus_encoder *e);
ROB_API int rob_opus_encode(rob_opus_encoder *e, const int16_t *pcm, size_t frame_samples,
                            uint8_t *out, size_t cap, size_t *out_len);
ROB_API int rob_opus_decoder_create(uint32_t rate_hz, uint32_t channels,
                                    rob_opus_decoder **out);
ROB_API void rob_opus_decoder_destroy(rob_opus_decoder *d);
/* packet NULL = one frame of loss concealment. Writes *out_frames frames per channel. */
ROB_API int rob_opus_decode(rob_opus_decoder *d, const uint8_t *packet, size_t len,
                            int16_t *pcm, size_t cap_frames, size_t *out_frames);

/* WAV (RIFF PCM 16-bit; reads 8-bit, 16-bit, mu-law, A-law and float32 too). The samples
 * are allocated for the caller: release *samples with rob_free. */
ROB_API int rob_wav_read_file(const char *path, int16_t **samples, size_t *sample_count,
                              uint32_t *rate_hz, uint32_t *channels);
ROB_API int rob_wav_read_memory(const uint8_t *data, size_t len, int16_t **samples,
                                size_t *sample_count, uint32_t *rate_hz, uint32_t *channels);
ROB_API int rob_wav_write_file(const char *path, const int16_t *samples, size_t sample_count,
                               uint32_t rate_hz, uint32_t channels);
/* A whole 16-bit PCM WAV file in memory; release *out with rob_free. */
ROB_API int rob_wav_write_memory(const int16_t *samples, size_t sample_count, uint32_t rate_hz,
                                 uint32_t channels, uint8_t **out, size_t *out_len);

/* DTMF: in-band tones (ITU-T Q.23) and a Goertzel detector (Q.24-style checks). */
/* Writes duration_ms of the tone for `digit` (0-9 * # A-D) at rate_hz into pcm (cap samples);
 * *out_samples is the count. Any thread. */
ROB_API int rob_dtmf_generate(char digit, uint32_t rate_hz, uint32_t duration_ms,
                              int16_t *pcm, size_t cap, size_t *out_samples);
typedef struct rob_dtmf_detector rob_dtmf_detector;
ROB_API int rob_dtmf_detector_create(uint32_t rate_hz, rob_dtmf_detector **out);
ROB_API void rob_dtmf_detector_destroy(rob_dtmf_detector *d);
/* Feeds mono samples; writes each newly detected key (once per press) into digits (cap) and
 * stores the count in *n_digits. */
ROB_API int rob_dtmf_detector_feed(rob_dtmf_detector *d, const int16_t *pcm, size_t n,
                                   char *digits, size_t cap, size_t *n_digits);

#ifdef __cplusplus
}
#endif

#endif /* RINGOVERBOT_H */
