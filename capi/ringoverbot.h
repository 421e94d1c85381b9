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

#define ROB_ERR_PROVIDER_FAILED (-200) /* a speech or language provider failed */
#define ROB_ERR_TIMEOUT (-201)
#define ROB_ERR_CANCELED (-202)

#define ROB_ERR_FATAL (-900)
#define ROB_ERR_NOMEM (-901)
#define ROB_ERR_INTERNAL (-902)

/* A static, human-readable name for any code; never NULL ("unknown error"). Any thread. */
ROB_API const char *rob_strerror(int code);
/* Non-zero when `code` is fatal for the handle that returned it. Any thread. */
ROB_API int rob_is_fatal(int code);
/* Detail text of the last failure of a function documented as setting it (the *_create
 * functions of providers, calls and servers: e.g. the JSON path of a bad dialog, the setting
 * that is out of range, "port 8765 in use"); "" when there is none. Per thread: valid until
 * the next such failure on the same thread. Any thread. */
ROB_API const char *rob_last_error_message(void);

/* Releases memory that the library allocated for the caller (NULL is a no-op). Any thread. */
ROB_API void rob_free(void *p);

/* sizeof() of each public struct as this library was built, for bindings to check their
 * mirrors. Returns 0 for an unknown id. Any thread. */
#define ROB_STRUCT_WEBHOOK_VERIFIER_PARAMS 1
#define ROB_STRUCT_WEBHOOK_REQUEST 2
#define ROB_STRUCT_STREAM_DECODER_PARAMS 3
#define ROB_STRUCT_STREAM_EVENT 4
#define ROB_STRUCT_STT_OPTIONS 5
#define ROB_STRUCT_STT_PROVIDER_VTABLE 6
#define ROB_STRUCT_LLM_MESSAGE 7
#define ROB_STRUCT_LLM_REQUEST 8
#define ROB_STRUCT_LLM_PROVIDER_VTABLE 9
#define ROB_STRUCT_TTS_REQUEST 10
#define ROB_STRUCT_TTS_PROVIDER_VTABLE 11
#define ROB_STRUCT_POCKETSPHINX_PARAMS 12
#define ROB_STRUCT_FLITE_PARAMS 13
#define ROB_STRUCT_PROVIDERS 14
#define ROB_STRUCT_CALL_PARAMS 15
#define ROB_STRUCT_ACTION 16
#define ROB_STRUCT_TURN_METRICS 17
#define ROB_STRUCT_CALL_COUNTERS 18
#define ROB_STRUCT_SERVER_PARAMS 19
#define ROB_STRUCT_SERVER_COUNTERS 20
#define ROB_STRUCT_CLOUD_CLIENT_PARAMS 21
#define ROB_STRUCT_OPENAI_LLM_PARAMS 22
#define ROB_STRUCT_DEEPGRAM_STT_PARAMS 23
#define ROB_STRUCT_OPENAI_STT_PARAMS 24
#define ROB_STRUCT_ELEVENLABS_TTS_PARAMS 25
#define ROB_STRUCT_OPENAI_TTS_PARAMS 26
#define ROB_STRUCT_RINGOVER_API_PARAMS 27
#define ROB_STRUCT_WORKERS_PARAMS 28
ROB_API size_t rob_struct_size(int which);

/* ---- logs ------------------------------------------------------------------------------- */

#define ROB_LOG_DEBUG 0
#define ROB_LOG_INFO 1
#define ROB_LOG_WARN 2
#define ROB_LOG_ERROR 3
/* One JSON object (no newline), `len` bytes, NUL-terminated, valid during the call only.
 * Runs on the thread that logs: the one inside rob_server_run for a server, the client's
 * loop (or the server's, when a server hosts it) for a cloud client. */
typedef void (*rob_log_fn)(int32_t level, const char *line, size_t len, void *user_data);

/* ==== webhooks ============================================================================
 * Verification of Ringover's signed webhook requests and parsing of their events
 * (see src/webhook/README.md). A verifier holds the keys (one per dashboard section), the public
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
#define ROB_WH_REPLAYED 11 /* an accepted signature again, after the replay window */
#define ROB_WH_NO_KEY 12   /* no key configured for the event's dashboard section */
/* A second delivery of an accepted webhook (same signature within the replay window, or the
 * same event with a higher `attempt`): answer 2xx (rob_webhook_reason_http_status gives 200)
 * and do not act on it again. Its fields and kind stay readable. */
#define ROB_WH_DUPLICATE 13

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
    int32_t reject_replays;      /* default 1: duplicate detection (ROB_WH_DUPLICATE, _REPLAYED) */
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
/* The HTTP status a host should answer with: 200 (ok, duplicate), 400 (bad_json), 401
 * (signature problems), 413 (body_too_large). Any thread. */
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
 * Ringover's media WebSocket (src/streamer/README.md). The decoder turns one inbound WebSocket
 * message into one event; the encoder writes the bot's commands. No sockets here. */

typedef struct rob_stream_decoder rob_stream_decoder;

#define ROB_ENC_L16 0
#define ROB_ENC_PCMU 1
#define ROB_ENC_PCMA 2

/* Inbound forms, as detected (src/streamer/README.md §Inbound, forms A, B, C). */
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

/* A streaming resampler (libsamplerate; speexdsp for ROB_RESAMPLE_VOIP) for one stream of
 * interleaved s16 frames. */
typedef struct rob_resampler rob_resampler;
#define ROB_RESAMPLE_SINC_FASTEST 0 /* default */
#define ROB_RESAMPLE_SINC_MEDIUM 1
#define ROB_RESAMPLE_SINC_BEST 2
#define ROB_RESAMPLE_LINEAR 3
#define ROB_RESAMPLE_VOIP 4 /* speexdsp at its VoIP quality: for 20 ms telephony frames, ~10x cheaper */
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

/* ==== providers ===========================================================================
 * Streaming speech-to-text (STT), language model (LLM) and text-to-speech (TTS), pluggable.
 *
 * A provider handle holds one reference to a provider. Calls and servers take their own
 * references, so a handle may be destroyed as soon as it has been passed to them. Providers
 * are either the built-in local ones (further below) or made by the host from a vtable of C
 * callbacks; handles of both kinds mix freely in one rob_providers.
 *
 * Vtable callbacks (the host's code, called by the library):
 *  - run on the thread that drives the call (the rob_call's owner, or the thread inside
 *    rob_server_run), from inside a rob_ call; they must return quickly (hand slow work to a
 *    thread of your own) and must not call rob_call_* or rob_server_* (rob_server_stop
 *    excepted); the sink functions may be called from inside them;
 *  - get the vtable's `user_data` as their last argument; it must stay valid until `release`
 *    has run (or, without `release`, until no call or server uses the provider any more);
 *  - `start`/`open` return ROB_OK, or a negative ROB_ERR_* code: the request then fails at
 *    once (the call counts the error and says its fallback) and the provider must not use
 *    the sink it was given;
 *  - after a successful `start`/`open`, `cancel` runs at most once (when the call no longer
 *    wants the result: barge-in, timeout, end of the call; it may race with the provider's own
 *    completion) and `free_request` exactly once, last, after which the library never passes
 *    that `request_data` again;
 *  - `release` runs once, when the last reference to the provider is dropped, on the thread
 *    that drops it.
 * Input structs given to a callback, and every pointer in them, are valid during the callback
 * only.
 *
 * Sinks (the library's half of one request, given to `start`/`open`):
 *  - every rob_*_sink_* function may be called from any thread, also from inside a callback;
 *    calls for one sink are serialised and reach the call in the order they were made;
 *  - the provider receives one reference to the sink and gives it back with exactly one
 *    terminal call: `*_done` or `*_error` (the outcome) or `*_release` (stop without one, e.g.
 *    after `cancel`). After its terminal call the provider must not use the sink again;
 *  - the sink stays valid for the provider until then whatever happens to the call: once the
 *    request was cancelled or its call destroyed, the functions accept the data, drop it and
 *    return ROB_DONE, a hint that the provider may stop (its terminal call is still owed);
 *  - they return ROB_OK when delivered, ROB_DONE as above, ROB_ERR_INVALID_ARGUMENT for a
 *    NULL sink or bad arguments (which do not count as the terminal call). */

typedef struct rob_stt_provider rob_stt_provider;
typedef struct rob_llm_provider rob_llm_provider;
typedef struct rob_tts_provider rob_tts_provider;
typedef struct rob_stt_sink rob_stt_sink;
typedef struct rob_llm_sink rob_llm_sink;
typedef struct rob_tts_sink rob_tts_sink;

/* ---- speech to text: one stream per call, for the call's whole life ---- */

typedef struct rob_stt_options {
    uint32_t struct_size;
    uint32_t sample_rate_hz; /* of the audio push_audio gets: mono signed 16-bit */
    const char *language;    /* e.g. "en-US" */
    const char *const *phrases; /* phrase_count phrases the caller is expected to say */
    size_t phrase_count;
    const char *call_id; /* for logs ("" when unknown) */
} rob_stt_options;

typedef struct rob_stt_provider_vtable {
    uint32_t struct_size;
    const char *name; /* for logs; copied; NULL = "c-stt" */
    void *user_data;
    /* The rate the provider wants its audio at (mono); 0 = the stream's own rate.
     * Default 16000. */
    uint32_t sample_rate_hz;
    /* Required. Opens the stream of one call; stores the provider's per-stream pointer in
     * *stream_data (passed back to the other callbacks). */
    int (*open)(const rob_stt_options *options, rob_stt_sink *sink, void **stream_data,
                void *user_data);
    /* Required. Every 20 ms or so, `count` samples (silence included), in order. Must be
     * cheap: buffer them, or hand them to a thread. */
    void (*push_audio)(void *stream_data, const int16_t *samples, size_t count,
                       void *user_data);
    /* May be NULL. The call's own VAD heard the caller start speaking (a hint). */
    void (*speech_started)(void *stream_data, void *user_data);
    /* Required. The caller's turn ended: deliver a final transcript (possibly empty) of what
     * was said since the last final one. */
    void (*end_of_turn)(void *stream_data, void *user_data);
    void (*cancel)(void *stream_data, void *user_data);      /* may be NULL */
    void (*free_stream)(void *stream_data, void *user_data); /* may be NULL */
    void (*release)(void *user_data);                        /* may be NULL */
} rob_stt_provider_vtable;

/* Zeroes the vtable, sets struct_size and the defaults. Any thread. */
ROB_API void rob_stt_provider_vtable_init(rob_stt_provider_vtable *vt, size_t size);
/* Copies the vtable into a new provider. ROB_ERR_INVALID_ARGUMENT when a required callback
 * is NULL. Owner of *out: the caller (rob_stt_provider_destroy). Any thread. */
ROB_API int rob_stt_provider_create(const rob_stt_provider_vtable *vt, rob_stt_provider **out);
/* Drops the handle's reference (NULL is a no-op). Any thread. */
ROB_API void rob_stt_provider_destroy(rob_stt_provider *p);
/* The provider's name (valid while the handle lives). Any thread. */
ROB_API const char *rob_stt_provider_name(const rob_stt_provider *p);

/* An interim (is_final 0) or final (is_final 1) transcript of the current utterance; `text`
 * is UTF-8, `len` bytes (copied). Its confidence is unknown (as ROB_CONFIDENCE_UNKNOWN). */
ROB_API int rob_stt_sink_transcript(rob_stt_sink *sink, const char *text, size_t len,
                                    int is_final);
/* The same with how sure the recognizer is of `text`: `confidence` in [0, 1], or any negative
 * value (ROB_CONFIDENCE_UNKNOWN) when it gives none. Above 1 or NaN: ROB_ERR_INVALID_ARGUMENT.
 * The call gates final transcripts on it (rob_call_params' min_confidence and
 * action_confidence); an unknown confidence passes both gates. */
#define ROB_CONFIDENCE_UNKNOWN (-1.0)
ROB_API int rob_stt_sink_transcript_confidence(rob_stt_sink *sink, const char *text, size_t len,
                                               int is_final, double confidence);
/* The provider's own voice-activity events (optional, used beside the call's VAD). */
ROB_API int rob_stt_sink_speech_started(rob_stt_sink *sink);
ROB_API int rob_stt_sink_utterance_end(rob_stt_sink *sink);
/* Terminal. The stream failed: `code` is a negative ROB_ERR_* code (others become
 * ROB_ERR_PROVIDER_FAILED), `message` may be NULL (copied). */
ROB_API int rob_stt_sink_error(rob_stt_sink *sink, int code, const char *message);
/* Terminal. Gives the sink back without an event. */
ROB_API int rob_stt_sink_release(rob_stt_sink *sink);

/* ---- language model: messages in, tokens and actions out ---- */

#define ROB_ROLE_SYSTEM 0
#define ROB_ROLE_USER 1
#define ROB_ROLE_ASSISTANT 2

/* What the model asks the call to do; runs after the words before it have played. */
#define ROB_ACTION_TRANSFER 0 /* value: the number */
#define ROB_ACTION_DIGITS 1   /* value: the DTMF digits */
#define ROB_ACTION_PLAY 2     /* value: the URL of an audio file */
#define ROB_ACTION_END_CALL 3 /* value: "" */

typedef struct rob_llm_message {
    int32_t role;        /* ROB_ROLE_* */
    const char *content; /* UTF-8, NUL-terminated, content_len bytes */
    size_t content_len;
} rob_llm_message;

typedef struct rob_llm_request {
    uint32_t struct_size;
    const rob_llm_message *messages; /* system prompt first, the history, the new input last */
    size_t message_count;
    const char *call_id;             /* for logs ("" when unknown) */
} rob_llm_request;

typedef struct rob_llm_provider_vtable {
    uint32_t struct_size;
    const char *name; /* for logs; copied; NULL = "c-llm" */
    void *user_data;
    /* Required. Starts one request (copy what you need from `request`); stores the provider's
     * per-request pointer in *request_data. */
    int (*start)(const rob_llm_request *request, rob_llm_sink *sink, void **request_data,
                 void *user_data);
    void (*cancel)(void *request_data, void *user_data);       /* may be NULL */
    void (*free_request)(void *request_data, void *user_data); /* may be NULL */
    void (*release)(void *user_data);                          /* may be NULL */
} rob_llm_provider_vtable;

/* Same rules as the STT functions above. */
ROB_API void rob_llm_provider_vtable_init(rob_llm_provider_vtable *vt, size_t size);
ROB_API int rob_llm_provider_create(const rob_llm_provider_vtable *vt, rob_llm_provider **out);
ROB_API void rob_llm_provider_destroy(rob_llm_provider *p);
ROB_API const char *rob_llm_provider_name(const rob_llm_provider *p);

/* A piece of the reply (UTF-8, `len` bytes, copied; any split, even inside a character). */
ROB_API int rob_llm_sink_token(rob_llm_sink *sink, const char *text, size_t len);
/* An action (ROB_ACTION_*), placed after the text streamed so far. `value` may be NULL for
 * ROB_ACTION_END_CALL; ROB_ERR_INVALID_ARGUMENT for an unknown kind. */
ROB_API int rob_llm_sink_action(rob_llm_sink *sink, int kind, const char *value);
/* Terminal: the reply is complete. */
ROB_API int rob_llm_sink_done(rob_llm_sink *sink);
/* Terminal: the request failed (code and message as for rob_stt_sink_error). */
ROB_API int rob_llm_sink_error(rob_llm_sink *sink, int code, const char *message);
/* Terminal: gives the sink back without an event. */
ROB_API int rob_llm_sink_release(rob_llm_sink *sink);

/* ---- text to speech: text in, audio chunks out ---- */

typedef struct rob_tts_request {
    uint32_t struct_size;
    const char *text; /* UTF-8, NUL-terminated, text_len bytes: usually one sentence */
    size_t text_len;
    uint32_t sample_rate_hz; /* preferred; the provider may deliver another rate */
    const char *voice;       /* provider-specific; "" = the provider's default */
} rob_tts_request;

typedef struct rob_tts_provider_vtable {
    uint32_t struct_size;
    const char *name; /* for logs; copied; NULL = "c-tts" */
    void *user_data;
    /* Required. Starts one synthesis; stores the per-request pointer in *request_data. */
    int (*start)(const rob_tts_request *request, rob_tts_sink *sink, void **request_data,
                 void *user_data);
    void (*cancel)(void *request_data, void *user_data);       /* may be NULL */
    void (*free_request)(void *request_data, void *user_data); /* may be NULL */
    void (*release)(void *user_data);                          /* may be NULL */
} rob_tts_provider_vtable;

ROB_API void rob_tts_provider_vtable_init(rob_tts_provider_vtable *vt, size_t size);
ROB_API int rob_tts_provider_create(const rob_tts_provider_vtable *vt, rob_tts_provider **out);
ROB_API void rob_tts_provider_destroy(rob_tts_provider *p);
ROB_API const char *rob_tts_provider_name(const rob_tts_provider *p);

/* `count` mono signed 16-bit samples at `sample_rate_hz` (8000..48000, the same for every
 * chunk of a request; copied). ROB_ERR_INVALID_ARGUMENT for another rate or a change. */
ROB_API int rob_tts_sink_audio(rob_tts_sink *sink, const int16_t *samples, size_t count,
                               uint32_t sample_rate_hz);
ROB_API int rob_tts_sink_done(rob_tts_sink *sink);
ROB_API int rob_tts_sink_error(rob_tts_sink *sink, int code, const char *message);
ROB_API int rob_tts_sink_release(rob_tts_sink *sink);

/* ---- the local providers (no network, no key) ---- */

/* A fixed set of threads for the CPU-heavy local providers, shared by all of them. The
 * providers keep their own reference: destroying the handle while they live only drops it;
 * the threads stop (running jobs finish, queued ones are dropped) with the last reference. */
typedef struct rob_worker_pool rob_worker_pool;
/* threads: 1..256. Any thread. */
ROB_API int rob_worker_pool_create(uint32_t threads, rob_worker_pool **out);
ROB_API void rob_worker_pool_destroy(rob_worker_pool *pool);

typedef struct rob_pocketsphinx_params {
    uint32_t struct_size;
    const char *model_dir; /* NULL or "" = the pocketsphinx-en-us package's folder */
    int32_t use_grammar;   /* default 1: the call's expected phrases as a grammar, when any */
    uint32_t preroll_ms;   /* audio kept before the speech start; default 300 */
} rob_pocketsphinx_params;
ROB_API void rob_pocketsphinx_params_init(rob_pocketsphinx_params *p, size_t size);
/* pocketsphinx STT (16 kHz), decoding on `pool` (required). Sets rob_last_error_message. */
ROB_API int rob_stt_provider_create_pocketsphinx(const rob_pocketsphinx_params *params,
                                                 rob_worker_pool *pool,
                                                 rob_stt_provider **out);

typedef struct rob_flite_params {
    uint32_t struct_size;
    const char *voice; /* "slt" (default, female, 16 kHz) or "kal" (male, 8 kHz) */
    double speed;      /* default 1.0; > 1 is faster */
} rob_flite_params;
ROB_API void rob_flite_params_init(rob_flite_params *p, size_t size);
/* flite TTS, synthesising on `pool` (required). Sets rob_last_error_message. */
ROB_API int rob_tts_provider_create_flite(const rob_flite_params *params, rob_worker_pool *pool,
                                          rob_tts_provider **out);

/* The scripted dialog (src/providers/local/README.md) as a language model, from the JSON text of a
 * dialog file (`len` bytes). ROB_ERR_BAD_JSON / ROB_ERR_INVALID_ARGUMENT for a bad dialog, whose
 * JSON path rob_last_error_message names. */
ROB_API int rob_llm_provider_create_scripted(const char *dialog_json, size_t len,
                                             rob_llm_provider **out);

/* A cache of whole syntheses by (text, voice, rate) in front of `inner` (which it keeps a
 * reference to): a cached phrase starts at once. max_bytes 0 = 16 MiB. */
ROB_API int rob_tts_provider_create_cached(rob_tts_provider *inner, uint64_t max_bytes,
                                           rob_tts_provider **out);
/* Synthesises `count` phrases ahead into a cache made by rob_tts_provider_create_cached
 * (ROB_ERR_INVALID_ARGUMENT for another provider). Returns at once; owner thread. */
ROB_API int rob_tts_provider_prewarm(rob_tts_provider *cached, const char *const *texts,
                                     size_t count, uint32_t sample_rate_hz);
/* The cache's bytes held, hits and misses; any pointer may be NULL. Any thread. */
ROB_API int rob_tts_provider_cache_stats(const rob_tts_provider *cached, uint64_t *bytes,
                                         uint64_t *hits, uint64_t *misses);

/* ---- the cloud providers (network, API keys) ----
 * OpenAI-compatible chat completions, Deepgram live STT, OpenAI STT, ElevenLabs TTS and OpenAI
 * TTS, over one shared HTTP(S)/WebSocket client. API keys are sent only in their request
 * headers and never logged. Every request has deadlines (connect, first byte, total); a
 * failure reaches the call as a provider error (ROB_ERR_PROVIDER_FAILED or ROB_ERR_TIMEOUT),
 * and the call says its fallback. String fields are UTF-8; NULL = the default named beside the
 * field ("" is a value: e.g. an empty api_key for a local server that wants none). */

typedef struct rob_cloud_client rob_cloud_client;

typedef struct rob_cloud_client_params {
    uint32_t struct_size;
    const char *ca_file;     /* an extra CA (PEM) trusted beside the system's; NULL = none */
    const char *https_proxy; /* "http://host:port"; NULL = direct connections */
    const char *const *no_proxy; /* no_proxy_count host names (or .suffixes) reached directly */
    size_t no_proxy_count;
    int32_t min_log_level;   /* ROB_LOG_*; default ROB_LOG_INFO (bodies only at DEBUG) */
    rob_log_fn log;          /* NULL = JSON lines on stderr */
    void *log_user_data;     /* valid until the client and every provider using it are gone */
} rob_cloud_client_params;

ROB_API void rob_cloud_client_params_init(rob_cloud_client_params *p, size_t size);
/* The client every cloud provider of a process shares (owner: the caller,
 * rob_cloud_client_destroy). Its own loop thread starts on the first request made outside a
 * server; a server given the client (rob_server_params.cloud_client) services its sockets in
 * the server's loop. ROB_ERR_INVALID_ARGUMENT for an unreadable CA file, a bad proxy URL or a
 * bad log level (rob_last_error_message says which). Any thread. */
ROB_API int rob_cloud_client_create(const rob_cloud_client_params *params,
                                    rob_cloud_client **out);
/* Drops the handle's reference: providers and servers made with the client keep their own.
 * NULL is a no-op. Any thread. */
ROB_API void rob_cloud_client_destroy(rob_cloud_client *c);
/* Failures so far (retried attempts included) of `provider` ("openai", "deepgram",
 * "elevenlabs"; NULL = every provider) and `kind` ("dns", "connect", "tls", "timeout",
 * "unauthorized", "rate_limited", "client_error", "server_error", "dropped", "protocol";
 * NULL = every kind), summed into *count. Any thread. */
ROB_API int rob_cloud_client_error_count(const rob_cloud_client *c, const char *provider,
                                         const char *kind, uint64_t *count);

/* ---- Ringover's REST API (call control) ----
 * Over a cloud client: base URL from base_url (RINGOVER_BASE_URL) or the key's region (a key
 * starting "US_" -> https://public-api-us.ringover.com/v2, else
 * https://public-api.ringover.com/v2); the key sent bare in "Authorization" and never logged;
 * requests paced by a token bucket (requests_per_second, default Ringover's 2/s per key), queued
 * and never dropped; a 429 holds the queue for a backoff and the request is sent again; 204 is
 * a success with no body; an error's message is the body's ("HTTP 401: Invalid user"). Paths
 * marked unverified in the README are settings (NULL = the default). */

typedef struct rob_ringover_api rob_ringover_api;

typedef struct rob_ringover_api_params {
    uint32_t struct_size;
    const char *api_key;               /* required (RINGOVER_API_KEY) */
    const char *base_url;              /* NULL = by the key's region (RINGOVER_BASE_URL) */
    double requests_per_second;        /* default 2 */
    uint32_t burst;                    /* default 1 */
    uint32_t max_rate_limited_retries; /* 429s in a row before failing; default 6 */
    uint32_t backoff_ms;               /* after the first 429, doubled each time; default 500 */
    uint32_t max_backoff_ms;           /* default 8000 */
    uint32_t connect_timeout_ms;       /* default 5000 */
    uint32_t timeout_ms;               /* one attempt; default 15000 */
    const char *current_calls_path;    /* "/calls/current" */
    const char *call_details_path;     /* "/calls/{call_id}" */
    const char *transfer_path;         /* "/channels/{channel_id}/events/transfer" */
    const char *transfer_number_field; /* "phone_number" (unverified) */
    const char *dtmf_path;             /* "/channels/{channel_id}/events/dtmf" */
    const char *dtmf_field;            /* "dtmf" (unverified) */
    const char *toggle_path;           /* "/channels/{channel_id}/events/{what}/toggle" */
    const char *hangup_path;           /* "/channels/{channel_id}/events/hangup" (unverified) */
} rob_ringover_api_params;

ROB_API void rob_ringover_api_params_init(rob_ringover_api_params *p, size_t size);
/* ROB_ERR_INVALID_ARGUMENT for a missing key or client, a bad base URL or rate. The API keeps
 * a reference to the client. Any thread. */
ROB_API int rob_ringover_api_create(const rob_ringover_api_params *params,
                                    rob_cloud_client *client, rob_ringover_api **out);
/* Requests still queued are dropped. NULL is a no-op. Never from inside a request. */
ROB_API void rob_ringover_api_destroy(rob_ringover_api *api);

#define ROB_RINGOVER_CURRENT_CALLS 0 /* arg: the JSON filter (NULL = {}) */
#define ROB_RINGOVER_CALL_DETAILS 1  /* id: the call_id */
#define ROB_RINGOVER_TRANSFER 2      /* id: the channel_id, arg: the number */
#define ROB_RINGOVER_DTMF 3          /* id: the channel_id, arg: the digits */
#define ROB_RINGOVER_TOGGLE_RECORD 4 /* id: the channel_id */
#define ROB_RINGOVER_TOGGLE_HOLD 5
#define ROB_RINGOVER_TOGGLE_MUTE 6
#define ROB_RINGOVER_HANGUP 7 /* id: the call_id, arg: the channel_id (either may be NULL) */
/* Sends one request and waits for its answer (pacing and 429 retries included): *status is
 * the HTTP status, *body (NUL-terminated, release with rob_free; NULL for an empty body) and
 * *body_len its bytes; body and body_len may be NULL. A failed request returns
 * ROB_ERR_PROVIDER_FAILED or ROB_ERR_TIMEOUT (rob_last_error_message has the server's message,
 * never the key) with *status the HTTP status when there was one, else 0. Any thread but the
 * cloud client's loop (a server hosting it: never from a server callback). */
ROB_API int rob_ringover_api_request(rob_ringover_api *api, int op, const char *id,
                                     const char *arg, int32_t *status, char **body,
                                     size_t *body_len);
/* Requests sent (attempts, retries included) and 429 answers so far; either may be NULL. */
ROB_API int rob_ringover_api_counters(const rob_ringover_api *api, uint64_t *sent,
                                      uint64_t *rate_limited);
/* The base URL a key's requests go to (override when not NULL/empty, else the key's region),
 * allocated for the caller (rob_free). */
ROB_API int rob_ringover_base_url(const char *api_key, const char *override_url, char **out);

/* Deadlines and retries, the last fields of every cloud provider's params: 0 = the default.
 *   connect_timeout_ms     default 3000
 *   first_byte_timeout_ms  the response headers, and the longest silence of a streamed body;
 *                          default 5000 (below the call's llm_first_token_timeout_ms, so that
 *                          the provider reports the timeout under its own name)
 *   total_timeout_ms       default 30000
 *   max_attempts           requests that may be retried before any result; default 3 */

typedef struct rob_openai_llm_params {
    uint32_t struct_size;
    const char *base_url; /* NULL = "https://api.openai.com/v1"; http:// works too */
    const char *api_key;  /* NULL = none (a local OpenAI-compatible server) */
    const char *model;    /* NULL = "gpt-4o-mini" */
    double temperature;   /* default 0.7; < 0 = not sent */
    uint32_t max_tokens;  /* default 300; 0 = not sent */
    int32_t tools;        /* default 1: declare transfer_call/send_digits/play_audio/end_call */
    uint32_t connect_timeout_ms, first_byte_timeout_ms, total_timeout_ms, max_attempts;
} rob_openai_llm_params;
ROB_API void rob_openai_llm_params_init(rob_openai_llm_params *p, size_t size);
/* Streamed chat completions (POST {base_url}/chat/completions) over `client` (required).
 * ROB_ERR_INVALID_ARGUMENT for a missing client, a base URL that is not http(s):// or an
 * empty model; sets rob_last_error_message. Any thread. */
ROB_API int rob_llm_provider_create_openai(const rob_openai_llm_params *params,
                                           rob_cloud_client *client, rob_llm_provider **out);

typedef struct rob_deepgram_stt_params {
    uint32_t struct_size;
    const char *base_url; /* NULL = "wss://api.deepgram.com/v1"; ws:// works too */
    const char *api_key;  /* NULL = none */
    const char *model;    /* NULL = "nova-2-phonecall" */
    const char *language; /* NULL = "en-US" */
    uint32_t endpointing_ms;    /* Deepgram's own endpointing; default 300 */
    uint32_t utterance_end_ms;  /* UtteranceEnd after this much silence; default 1000 */
    int32_t interim_results;    /* default 1 */
    int32_t vad_events;         /* SpeechStarted; default 1 */
    uint32_t keepalive_ms;      /* KeepAlive when no audio was sent this long; default 5000 */
    uint32_t connect_timeout_ms, first_byte_timeout_ms, total_timeout_ms, max_attempts;
} rob_deepgram_stt_params;
ROB_API void rob_deepgram_stt_params_init(rob_deepgram_stt_params *p, size_t size);
/* Deepgram live transcription over a WebSocket per call, at the line's own rate and encoding.
 * Confidence: Deepgram's own (channel.alternatives[0].confidence); a turn's final joined from
 * several segments carries their mean weighted by the segments' durations.
 * Errors as for rob_llm_provider_create_openai (the base URL must be ws(s)://). */
ROB_API int rob_stt_provider_create_deepgram(const rob_deepgram_stt_params *params,
                                             rob_cloud_client *client, rob_stt_provider **out);

typedef struct rob_openai_stt_params {
    uint32_t struct_size;
    const char *base_url; /* NULL = "https://api.openai.com/v1" */
    const char *api_key;  /* NULL = none */
    const char *model;    /* NULL = "whisper-1" */
    const char *language; /* ISO 639-1; NULL = "en"; "" = detected */
    uint32_t preroll_ms;  /* audio kept before the call's speech start; default 300 (..5000) */
    uint32_t max_turn_ms; /* default 30000 (1000..300000) */
    uint32_t connect_timeout_ms, first_byte_timeout_ms, total_timeout_ms, max_attempts;
} rob_openai_stt_params;
ROB_API void rob_openai_stt_params_init(rob_openai_stt_params *p, size_t size);
/* One POST {base_url}/audio/transcriptions per turn (a 16 kHz WAV), endpointed by the call.
 * Confidence: "whisper..." models answer verbose_json, and the final carries the segments'
 * exp(avg_logprob) * (1 - no_speech_prob), averaged weighted by duration; gpt-4o-transcribe
 * and gpt-4o-mini-transcribe answer token logprobs (include[]=logprobs), and it carries
 * exp(mean logprob); other models: ROB_CONFIDENCE_UNKNOWN.
 * Errors as for rob_llm_provider_create_openai. */
ROB_API int rob_stt_provider_create_openai(const rob_openai_stt_params *params,
                                           rob_cloud_client *client, rob_stt_provider **out);

typedef struct rob_elevenlabs_tts_params {
    uint32_t struct_size;
    const char *base_url; /* NULL = "https://api.elevenlabs.io/v1" */
    const char *api_key;  /* NULL = none */
    const char *voice_id; /* NULL = "21m00Tcm4TlvDq8ikWAM"; a request's voice overrides it */
    const char *model_id; /* NULL = "eleven_flash_v2_5" */
    uint32_t connect_timeout_ms, first_byte_timeout_ms, total_timeout_ms, max_attempts;
} rob_elevenlabs_tts_params;
ROB_API void rob_elevenlabs_tts_params_init(rob_elevenlabs_tts_params *p, size_t size);
/* ElevenLabs streaming synthesis: ulaw_8000 when 8 kHz is asked for, pcm_16000 (or
 * pcm_24000) otherwise. Errors as for rob_llm_provider_create_openai. */
ROB_API int rob_tts_provider_create_elevenlabs(const rob_elevenlabs_tts_params *params,
                                               rob_cloud_client *client, rob_tts_provider **out);

typedef struct rob_openai_tts_params {
    uint32_t struct_size;
    const char *base_url; /* NULL = "https://api.openai.com/v1" */
    const char *api_key;  /* NULL = none */
    const char *model;    /* NULL = "gpt-4o-mini-tts" */
    const char *voice;    /* NULL = "alloy"; a request's voice overrides it */
    double speed;         /* default 1.0 */
    uint32_t connect_timeout_ms, first_byte_timeout_ms, total_timeout_ms, max_attempts;
} rob_openai_tts_params;
ROB_API void rob_openai_tts_params_init(rob_openai_tts_params *p, size_t size);
/* POST {base_url}/audio/speech, 24 kHz PCM streamed as it arrives. Errors as for
 * rob_llm_provider_create_openai. */
ROB_API int rob_tts_provider_create_openai(const rob_openai_tts_params *params,
                                           rob_cloud_client *client, rob_tts_provider **out);

/* What a host needs from a dialog file besides the provider: greeting, fallback, the phrases
 * callers are expected to say (for the STT) and every fixed reply (to prewarm a TTS cache). */
typedef struct rob_dialog rob_dialog;
/* Same validation as rob_llm_provider_create_scripted; sets rob_last_error_message. */
ROB_API int rob_dialog_parse(const char *dialog_json, size_t len, rob_dialog **out);
ROB_API void rob_dialog_destroy(rob_dialog *d);
/* Strings valid while `d` lives; never NULL for a valid `d`. */
ROB_API const char *rob_dialog_greeting(const rob_dialog *d);
ROB_API const char *rob_dialog_fallback(const rob_dialog *d);
ROB_API size_t rob_dialog_phrase_count(const rob_dialog *d);
ROB_API const char *rob_dialog_phrase(const rob_dialog *d, size_t index); /* NULL past end */
ROB_API size_t rob_dialog_reply_count(const rob_dialog *d);
ROB_API const char *rob_dialog_reply(const rob_dialog *d, size_t index); /* NULL past end */

/* The providers of a call or server. stt, llm and tts are required; fallback_tts (NULL =
 * tts) says the fallback when tts itself fails. Borrowed: the receiver takes references. */
typedef struct rob_providers {
    uint32_t struct_size;
    rob_stt_provider *stt;
    rob_llm_provider *llm;
    rob_tts_provider *tts;
    rob_tts_provider *fallback_tts;
} rob_providers;
ROB_API void rob_providers_init(rob_providers *p, size_t size);

/* ==== call engine =========================================================================
 * One call's conversation, sans I/O, for a host that owns its sockets: the host gives it the
 * streamer socket's messages (src/streamer/README.md) and the time; it gives back the messages to
 * send and when it must run next. It opens no socket, starts no thread and reads no clock, so
 * a call can be replayed against a virtual clock. Times are the host's monotonic clock in
 * microseconds (any origin; a clock going backwards is treated as standing still).
 *
 * Threads: a rob_call and the provider callbacks it makes run on one thread at a time (the
 * owner). Only the waker is called from other threads. From inside a provider callback the
 * functions that change the call (on_message, on_closed, poll, next_output, next_turn) return
 * ROB_ERR_INVALID_STATE; rob_call_destroy is then deferred to the end of the outer rob_call_*
 * function; the getters may be called. */

typedef struct rob_call rob_call;

/* Called from any thread (a provider's) when a provider result is waiting: the host should
 * call rob_call_poll on the owner thread soon. It must not call into the call nor block
 * (signal an eventfd, a pipe, a condition variable). Never called after rob_call_destroy
 * returned. */
typedef void (*rob_waker_fn)(void *user_data);

typedef struct rob_call_params {
    uint32_t struct_size;
    /* Inbound decoding, until the stream's metadata says otherwise. */
    uint32_t default_sample_rate_hz; /* default 8000 */
    uint32_t default_channels;       /* default 1 */
    uint64_t max_message_bytes;      /* default 1 MiB */
    int32_t number_policy; /* ROB_NUMBER_* for digits/transfer commands; default AUTO */

    /* Conversation (UTF-8, copied; NULL = empty). */
    const char *greeting;      /* said at call start; nothing when empty */
    const char *fallback;      /* said when the reply fails or nothing matched */
    const char *system_prompt; /* first message of every LLM request; none when empty */
    const char *const *expected_phrases; /* expected_phrase_count phrases, for the STT */
    size_t expected_phrase_count;
    const char *voice; /* for the TTS; "" = its default */

    /* Outbound streamAudio rate: 0 = the stream's rate when 8000, 16000 or 24000, else 8000. */
    uint32_t output_sample_rate_hz;

    /* Turn taking. */
    double vad_margin_db;        /* speech is this far above the noise floor; default 9 */
    double vad_min_speech_dbfs;  /* never speech below this level; default -50 */
    double echo_return_loss_db;  /* the bot's echo is at least this much quieter; default 12 */
    uint32_t speech_start_ms;    /* speech that opens a turn; default 120 */
    uint32_t barge_in_ms;        /* speech that interrupts the bot; default 120 */
    uint32_t endpoint_silence_ms; /* silence that ends a turn; default 500 */
    uint32_t max_turn_ms;        /* default 15000 */
    int32_t allow_barge_in;      /* default 1 */

    /* Pacing: streamAudio chunks of chunk_ms (100..500), at most max_lead_ms ahead. */
    uint32_t chunk_ms;              /* default 200 */
    uint32_t max_lead_ms;           /* default 1000 */
    uint64_t max_queued_audio_bytes; /* synthesized, not yet sent; default 4 MiB */

    /* Provider deadlines: past them the request is cancelled and the fallback said. */
    uint32_t stt_timeout_ms;             /* end of turn -> final transcript; default 5000 */
    uint32_t llm_first_token_timeout_ms; /* default 8000 */
    uint32_t llm_total_timeout_ms;       /* default 30000 */
    uint32_t tts_first_audio_timeout_ms; /* default 5000 */

    uint32_t max_history_messages; /* user + assistant messages kept; default 40 */
    uint32_t hangup_grace_ms;      /* after the last word of an `end` reply; default 200 */

    rob_waker_fn waker; /* may be NULL (then poll at rob_call_next_wakeup and after input) */
    void *waker_user_data;

    /* Trusting what was heard (a struct_size that ends before a field gives it its default).
     * A final transcript heard below min_confidence gets the fallback, never an intent or an
     * LLM turn; an end_call or transfer asked for on a turn heard below action_confidence is
     * first confirmed with the matching prompt (a "yes" acts, anything else cancels). Both in
     * [0, 1]; a transcript of unknown confidence passes both. Text: UTF-8, copied; the
     * defaults point into the library; NULL = empty. */
    double min_confidence;               /* default 0.5 */
    double action_confidence;            /* default 0.8 */
    const char *confirm_end_prompt;      /* default "Do you want me to end the call?" */
    const char *confirm_transfer_prompt; /* default "Do you want me to transfer your call?" */
    /* A turn with at least this much speech and no usable transcript gets the fallback;
     * shorter noise stays unanswered. Default 400. */
    uint32_t misheard_speech_ms;
    /* After this many misunderstood turns in a row (0 = never), misunderstood_say is said,
     * then the call goes to misunderstood_transfer (a number), or ends when that is empty.
     * Default 3; misunderstood_say defaults to a polite goodbye, misunderstood_transfer to "". */
    uint32_t max_misunderstandings;
    const char *misunderstood_say;
    const char *misunderstood_transfer;
    /* When the words so far complete an expected phrase (or the STT closes the utterance), the
     * turn ends after this much silence instead of endpoint_silence_ms. Default 250. */
    uint32_t complete_phrase_silence_ms;
    /* Echo cancellation (speexdsp's adaptive filter; reference: what the caller heard by the
     * playout clock) in front of the VAD, barge-in detection and STT; the echo gate stays
     * behind it. Runs only while the bot has played within echo_tail_ms (20..2000, the
     * longest echo delay plus decay). Defaults 1 and 400. noise_suppression: speexdsp's
     * denoiser on every caller frame, default 0. */
    int32_t echo_cancellation;
    uint32_t echo_tail_ms;
    int32_t noise_suppression;

    /* Reversible barge-in: speech over the bot's audio sends `break` but keeps the reply; if
     * within false_interruption_ms after that speech ends the STT yields no words, only
     * backchannel words, or fewer than min_interruption_words words (no words over at least
     * misheard_speech_ms of speech stands), the reply goes on from the start of the cut word
     * and the history is unchanged; otherwise the interruption stands
     * (the history keeps what was heard). false_interruption_ms 0 = every barge-in stands.
     * backchannel_words: comma-separated ("uh-huh, mm-hmm, yeah, ..."; the default points into
     * the library; NULL or "" = none). Defaults 1000, 1. */
    uint32_t false_interruption_ms;
    uint32_t min_interruption_words;
    const char *backchannel_words;
    /* Idle caller: idle_reprompt_ms of silence after the bot finished (0 = never; else at
     * least 1000; default 8000) makes it say `reprompt` (default "Are you still there?");
     * after idle_max_reprompts (default 2) the next one is idle_goodbye, then the call ends
     * with the reason "idle". */
    uint32_t idle_reprompt_ms;
    uint32_t idle_max_reprompts;
    const char *reprompt;
    const char *idle_goodbye;
    /* Keys detected in the caller's audio act like the dtmf event; their tones are not speech
     * (default 1). */
    int32_t inband_dtmf;
    /* The speculative reply: with an STT that sends interim transcripts, the LLM is asked on
     * the words so far after this much silence in the caller's turn; the reply is buffered,
     * never spoken, and kept when the final transcript has the same words (normalized) and
     * passes the confidence gates, else cancelled and asked again. 0 = off; 0..10000; default
     * 200. An LLM that replies at once (the scripted dialog) is never asked speculatively. */
    uint32_t speculate_after_ms;
} rob_call_params;

ROB_API void rob_call_params_init(rob_call_params *p, size_t size);
/* A new call (owner: the caller, rob_call_destroy). ROB_ERR_INVALID_ARGUMENT for a missing
 * provider or a setting out of range (named by rob_last_error_message). Any thread; the
 * thread that uses the call afterwards is its owner. */
ROB_API int rob_call_create(const rob_call_params *params, const rob_providers *providers,
                            rob_call **out);
/* Ends the call if it has not ended (cancelling the providers' requests) and frees it. NULL is
 * a no-op. Owner thread. */
ROB_API void rob_call_destroy(rob_call *c);

/* One complete WebSocket message from the media server (text: is_binary 0). Bad messages are
 * counted, not errors. Owner thread. */
ROB_API int rob_call_on_message(rob_call *c, const uint8_t *data, size_t len, int is_binary,
                                int64_t now_us);
/* The socket closed or dropped (or a call/hangup webhook arrived): the call ends, once.
 * `reason` may be NULL ("close"). Owner thread. */
ROB_API int rob_call_on_closed(rob_call *c, const char *reason, int64_t now_us);
/* Takes in the provider results and runs the timers due at now_us. Call it when woken and at
 * the time rob_call_next_wakeup gives. Owner thread. */
ROB_API int rob_call_poll(rob_call *c, int64_t now_us);
/* ROB_OK and *wakeup_us = when rob_call_poll must run next at the latest, or ROB_DONE when
 * nothing is scheduled. Ask again after every call: any input can move it. Owner thread. */
ROB_API int rob_call_next_wakeup(const rob_call *c, int64_t *wakeup_us);

#define ROB_OUTPUT_TEXT 0  /* send the bytes as one WebSocket text message */
#define ROB_OUTPUT_CLOSE 1 /* close the socket (normal closure); the bytes are the reason */
/* Pops the next message to send into `out` (capacity `cap`; NUL-terminated when there is
 * room), with its ROB_OUTPUT_* kind in *kind and its length in *out_len. ROB_DONE when there
 * is none. ROB_ERR_BUFFER_TOO_SMALL stores the size needed in *out_len and keeps the message
 * first in line. kind may be NULL. Owner thread. */
ROB_API int rob_call_next_output(rob_call *c, int32_t *kind, char *out, size_t cap,
                                 size_t *out_len);

typedef struct rob_action {
    int32_t kind;      /* ROB_ACTION_* */
    const char *value; /* NUL-terminated, value_len bytes */
    size_t value_len;
} rob_action;

/* One caller turn and the bot's reply. Times are the host clock, -1 = did not happen; the
 * latency stages are the differences of consecutive times. */
typedef struct rob_turn_metrics {
    uint32_t struct_size;
    uint32_t index;
    /* NUL-terminated UTF-8, *_len bytes, valid until the next rob_call_* call on the call. */
    const char *caller_text; /* the final transcript, or "[dtmf 5]" */
    size_t caller_text_len;
    const char *bot_text;    /* the reply as generated */
    size_t bot_text_len;
    const char *heard_text;  /* what the caller heard of it (bot_text unless interrupted) */
    size_t heard_text_len;
    const rob_action *actions; /* action_count actions, same lifetime */
    size_t action_count;
    int32_t interrupted; /* barge-in cut the reply */
    int32_t failed;      /* a provider failed: the fallback was said */
    int64_t speech_end_us;  /* the caller stopped speaking, or pressed a key */
    int64_t stt_final_us;   /* final transcript */
    int64_t first_token_us; /* first LLM token */
    int64_t first_audio_us; /* first TTS audio */
    int64_t first_frame_us; /* first streamAudio handed to the host */
    int64_t playout_end_us; /* the reply finished playing (or was cut) */
    /* The final transcript's confidence in [0, 1], or ROB_CONFIDENCE_UNKNOWN (-1). */
    double confidence;
    int32_t misheard;     /* gated (low confidence, or speech without words): the fallback */
    int32_t confirmation; /* the reply asks to confirm an end_call or transfer */
    uint32_t resumes;     /* false interruptions after which the reply went on */
    int32_t reprompt;     /* said to an idle caller (the reprompt or the idle goodbye) */
    int32_t speculative;  /* the reply is a kept speculative request (speculate_after_ms) */
} rob_turn_metrics;
/* Pops a finished turn into *out (whose struct_size the caller sets): ROB_OK, or ROB_DONE
 * when there is none. Owner thread. */
ROB_API int rob_call_next_turn(rob_call *c, rob_turn_metrics *out);

typedef struct rob_call_counters {
    uint32_t struct_size;
    uint64_t messages_in, audio_frames_in, protocol_errors;
    uint64_t messages_out, audio_messages_out, audio_bytes_out;
    uint64_t turns, barge_ins, dtmf_in;
    uint64_t stt_errors, llm_errors, tts_errors, timeouts, fallbacks;
    /* Turns gated to the fallback (misheard); confirmations asked, confirmed (acted) and
     * cancelled; offers made after max_misunderstandings misunderstood turns in a row. */
    uint64_t misheard, confirmations, confirmed, cancelled_actions, misunderstood_offers;
    /* 20 ms caller frames the echo canceller ran on. */
    uint64_t echo_cancelled_frames;
    /* Barge-ins that stood, that were taken back, replies that went on after one; reprompts
     * said to an idle caller and calls ended idle; keys heard in the caller's audio (also in
     * dtmf_in). */
    uint64_t interruptions, false_interruptions, resumes;
    uint64_t reprompts, idle_hangups, dtmf_inband;
    /* Speculative LLM requests kept as the reply, and cancelled (speculate_after_ms). */
    uint64_t speculations_kept, speculations_cancelled;
} rob_call_counters;
/* Fills *out (whose struct_size the caller sets). Owner thread. */
ROB_API int rob_call_stats(const rob_call *c, rob_call_counters *out);

/* 1 when the call is over (end event, close, or the bot hung up), else 0. Owner thread. */
ROB_API int rob_call_ended(const rob_call *c);
/* 1 when the call ended and nothing is left to send: the host may destroy it. */
ROB_API int rob_call_finished(const rob_call *c);
/* Why the call ended ("" while it runs); valid until the next rob_call_* call. */
ROB_API const char *rob_call_end_reason(const rob_call *c);
/* A field of the stream's metadata: "call_id", "channel_id", "from_number", "to_number",
 * "direction"; NULL when absent. Valid until the next rob_call_* call. Owner thread. */
ROB_API const char *rob_call_metadata(const rob_call *c, const char *name);
/* Message `index` of the history the LLM will see next (ROB_ROLE_* in *role, the text in
 * *text and *len, valid until the next rob_call_* call); ROB_DONE past the end. */
ROB_API int rob_call_history(const rob_call *c, size_t index, int32_t *role, const char **text,
                             size_t *len);

/* ==== server ==============================================================================
 * The whole agent as a network service (examples/ringoverbot-agent.md): one port serving the
 * streamer WebSocket (one call per connection), the webhook endpoint, GET /health and GET /metrics,
 * on the thread that calls rob_server_run. */

typedef struct rob_server rob_server;
typedef struct rob_worker rob_worker; /* a worker process's seat: rob_workers_run below */

typedef struct rob_server_params {
    uint32_t struct_size;
    const char *host;         /* interface to bind (IPv4/IPv6 literal); default "127.0.0.1" */
    uint32_t port;            /* default 8765; 0 = an ephemeral port (rob_server_port) */
    const char *ws_path;      /* the streamer socket; default "/ws" */
    const char *webhook_path; /* default "/webhooks/ringover" */
    /* Base URL the outside world uses; the URL checked against a webhook's signed `url` is
     * public_url + webhook_path. NULL = "http://HOST:PORT". */
    const char *public_url;
    const char *stream_token; /* required on the streamer socket; NULL = none */
    /* Webhook keys and policies (its public_url and max_body_bytes are ignored: the fields
     * here rule). NULL = no key: every webhook is refused with 401 no_key. */
    const rob_webhook_verifier_params *webhook;
    /* The template of every call (its waker is ignored). NULL = the defaults. */
    const rob_call_params *call;
    uint64_t max_calls;         /* concurrent streamer sockets; default 200 */
    uint64_t max_message_bytes; /* one WebSocket message; default 1 MiB */
    uint64_t max_body_bytes;    /* one webhook body; default 1 MiB */
    uint64_t max_header_bytes;  /* all request headers; default 16384 */
    uint32_t ping_interval_s;   /* default 20 */
    uint32_t idle_timeout_s;    /* default 60 */
    uint32_t http_timeout_s;    /* default 10 */
    int32_t permessage_deflate; /* default 0 (declined) */
    double drain_timeout_s;     /* after rob_server_stop; default 30 */
    double link_window_s;       /* stream <-> webhook matching by numbers; default 10 */
    int32_t min_log_level;      /* ROB_LOG_*; default ROB_LOG_INFO */
    rob_log_fn log;             /* NULL = JSON lines on stderr */
    void *log_user_data;        /* valid until rob_server_destroy */
    /* The cloud providers' client, when any (NULL = none): rob_server_run services its
     * sockets in the server's own loop, and /metrics counts its failures by provider and kind
     * (ringoverbot_provider_failures_total). The server takes a reference. */
    rob_cloud_client *cloud_client;
    /* Ringover's REST API (rob_ringover_api_create), when any (NULL = none): the bot's
     * end_call also hangs the call up through REST; a transfer the media server has not acted
     * on (its stream still open) after rest_transfer_fallback_ms is sent through REST (0 =
     * never; default 4000); with rest_call_context (default 1) the call's details (caller's
     * number, contact name) go into the LLM's system context. The server takes a reference;
     * give the API's cloud client as cloud_client too. */
    rob_ringover_api *ringover_api;
    uint32_t rest_transfer_fallback_ms;
    int32_t rest_call_context;
    /* This process's seat in a worker group (from rob_workers_run; NULL = a lone server): the
     * server listens with SO_REUSEPORT on the group's address (host and port must be
     * rob_worker_host/rob_worker_port) and answers /health and /metrics for the whole group
     * (examples/ringoverbot-agent.md §Workers). The server takes a reference. */
    const rob_worker *worker;
    /* The call directory shared by several instances through one Redis (README: "Several
     * instances"). NULL redis_url = none (one instance). "IP:PORT", "redis://IP:PORT",
     * "[IPv6]:PORT" or "unix:/path": a literal address, never a DNS lookup. */
    const char *redis_url;
    const char *instance_id;      /* NULL = "HOSTNAME-PID-RANDOM" */
    const char *redis_key_prefix; /* NULL = "rb:" */
    double redis_heartbeat_s;     /* default 1 */
    double redis_instance_ttl_s;  /* an instance silent this long is dead; default 5 */
    double redis_reaper_s;        /* default 2 */
    double redis_timeout_s;       /* unanswered this long: Redis is unavailable; default 0.5 */
    double redis_pending_ttl_s;   /* an event waiting for its stream; default 120 */
    double redis_dedup_ttl_s;     /* a webhook remembered as taken; default 600 */
    /* A call of a dead instance, reported once across the instances, on the thread running
     * rob_server_run (NULL = none). The strings are valid during the call only. */
    void (*on_orphan)(const char *call_id, const char *dead_instance, void *user_data);
    void *orphan_user_data;
    /* Records every call into this existing folder as a stereo Ogg Opus file named
     * <call id>-<YYYYmmddTHHMMSSZ>.opus (left: the caller; right: what the caller heard of the
     * bot). NULL or "" = no recordings. A failing disk stops the recording, never the call. */
    const char *recording_dir;
} rob_server_params;

ROB_API void rob_server_params_init(rob_server_params *p, size_t size);
/* Creates the server and binds its port. ROB_ERR_INVALID_ARGUMENT for a bad setting,
 * ROB_ERR_IO when the address cannot be bound; rob_last_error_message says which. Any
 * thread. */
/* The stem every file about a call shares in recording_dir: "<call id>-<YYYYmmddTHHMMSSZ>"
 * (the call id with anything but [A-Za-z0-9._-] as '_', at most 64 characters, "call" when
 * NULL or empty; the start in UTC). The recording is <stem>.opus. *out is NUL-terminated,
 * release it with rob_free. Any thread. */
ROB_API int rob_recording_stem(const char *call_id, int64_t start_unix_s, char **out,
                               size_t *out_len);
ROB_API int rob_server_create(const rob_server_params *params, const rob_providers *providers,
                              rob_server **out);
/* The bound port (ROB_ERR_INVALID_ARGUMENT for NULL). Any thread. */
ROB_API int rob_server_port(const rob_server *s);
/* Serves on the calling thread until rob_server_stop, then drains: new calls are refused and
 * live ones end within drain_timeout_s. Returns ROB_OK once no call is left;
 * ROB_ERR_INVALID_STATE when called twice. */
ROB_API int rob_server_run(rob_server *s);
/* Asks rob_server_run to stop and return. Any thread, and async-signal-safe (an atomic store
 * and a write to a pipe). Repeating it is harmless. NULL is a no-op. */
ROB_API void rob_server_stop(rob_server *s);

typedef struct rob_server_counters {
    uint32_t struct_size;
    uint64_t calls_active, calls_total, calls_refused;
    uint64_t frames_in, frames_out, bytes_in, bytes_out;
    uint64_t protocol_errors;
    uint64_t webhooks_accepted, webhooks_rejected;
    uint64_t turns, barge_ins, provider_errors;
    int32_t draining;
    uint64_t calls_orphaned; /* calls of dead instances this instance reported */
    int32_t directory_up;    /* 1: a directory is configured and its Redis answers */
} rob_server_counters;
/* A snapshot of the counters behind /health and /metrics. Any thread. */
ROB_API int rob_server_stats(const rob_server *s, rob_server_counters *out);
/* The /metrics page (Prometheus text), allocated for the caller: release *out with rob_free.
 * Any thread. */
ROB_API int rob_server_metrics_text(const rob_server *s, char **out, size_t *out_len);
/* Closes every socket and frees the server (NULL is a no-op). On the thread that ran
 * rob_server_run, or after it returned; never while it runs on another thread. */
ROB_API void rob_server_destroy(rob_server *s);

/* ==== workers =============================================================================
 * Per-core worker processes on one port: rob_workers_run binds the shared address (SO_REUSEPORT),
 * forks `count` workers and supervises them: a worker that dies is restarted, SIGTERM/SIGINT
 * make every worker drain, and the supervisor returns once all have ended. The call returns in
 * each worker too, with its seat: the worker then creates its providers and its server (with
 * rob_server_params.worker) and runs it. Call it before the process starts any thread, loop
 * or TLS context (providers, cloud client, server): the supervisor forks again at each restart.
 *
 *     rob_worker *w = NULL;  int code = 0;
 *     if (rob_workers_run(&wp, &w, &code) != ROB_OK) ...;   // rob_last_error_message
 *     if (w == NULL) return code;                           // the supervisor: all ended
 *     sp.worker = w;  sp.host = rob_worker_host(w);  sp.port = rob_worker_port(w);
 *     ... rob_server_create(&sp, ...), rob_server_run, rob_server_destroy, rob_worker_destroy;
 *     return 0 from main (a worker must never run the supervisor's code after the call). */

typedef struct rob_workers_params {
    uint32_t struct_size;
    uint32_t count;          /* worker processes; 0 = one per core (rob_available_cores); default 1 */
    const char *host;        /* the shared address (IP literal); default "127.0.0.1" */
    uint32_t port;           /* default 8765; 0 = a free port chosen once for every worker */
    double restart_delay_s;  /* before a restart; doubles while workers die young; default 0.5 */
    double stop_timeout_s;   /* after the stop signal, workers left are killed; default 60 */
    int32_t min_log_level;   /* ROB_LOG_*; default ROB_LOG_INFO */
    rob_log_fn log;          /* the supervisor's lines; NULL = JSON lines on stderr */
    void *log_user_data;
} rob_workers_params;

ROB_API void rob_workers_params_init(rob_workers_params *p, size_t size);
/* In a worker: ROB_OK, *worker set (release it with rob_worker_destroy after the server).
 * In the supervisor, once every worker has ended after a stop signal: ROB_OK, *worker NULL,
 * *exit_code 0 when each one's last run exited 0, else 1. ROB_ERR_INVALID_ARGUMENT for a bad
 * setting, ROB_ERR_IO when the address cannot be bound (before any fork). */
ROB_API int rob_workers_run(const rob_workers_params *p, rob_worker **worker, int *exit_code);
ROB_API int rob_worker_index(const rob_worker *w); /* 0..count-1, kept across a restart */
ROB_API int rob_worker_count(const rob_worker *w);
ROB_API int rob_worker_port(const rob_worker *w);        /* the shared port */
ROB_API const char *rob_worker_host(const rob_worker *w); /* valid until rob_worker_destroy */
ROB_API void rob_worker_destroy(rob_worker *w);           /* NULL is a no-op */
/* The cores this process may run on (its CPU affinity), at least 1. */
ROB_API uint32_t rob_available_cores(void);

#ifdef __cplusplus
}
#endif

#endif /* RINGOVERBOT_H */
