/*
 * ringoverbot-engine-replay: the call engine alone (rob_call), for a host that owns its
 * sockets, driven from a script on a virtual clock; prints what the bot sends.
 *
 *   ringoverbot-engine-replay [SCRIPT]        (default: stdin)
 *
 * The script plays the media server, one command per line ('#' starts a comment):
 *   text JSON         one WebSocket text message (call_start, dtmf, call_end, ...)
 *   say TEXT          what the caller will say in the next speech (the STT's transcript)
 *   speech MS         MS milliseconds of the caller speaking (20 ms L16 frames of noise)
 *   silence MS        MS milliseconds of a quiet line
 *   close REASON      the socket closes
 * Time advances 20 ms per frame; the engine is polled at every wakeup it asks for.
 *
 * The providers are tiny C ones (the point is the vtables): the STT answers each turn with the
 * next `say`; the LLM repeats what it heard, or transfers when it hears "sales", or hangs up on
 * "bye"; the TTS says every character as 40 ms of a tone.
 *
 * Output, one line per event: "<seconds> <what>". streamAudio is summarised (rate, length);
 * other commands are printed as sent. Each finished turn prints its texts and latencies.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringoverbot.h"

#define FRAME_US 20000
#define RATE_HZ 8000
#define FRAME_SAMPLES (RATE_HZ / 50)

/* ---- the providers ---- */

typedef struct host {
    char transcripts[8][256]; /* the caller's lines, in order */
    int n_transcripts, next_transcript;
    rob_stt_sink* stt_sink;
    rob_call* call;
    int64_t now_us;
    uint32_t noise;
    char* out;
    size_t out_cap;
} host;

static int stt_open(const rob_stt_options* options, rob_stt_sink* sink, void** data, void* ud) {
    host* h = ud;
    (void)options;
    h->stt_sink = sink;
    *data = h;
    return ROB_OK;
}

static void stt_push(void* data, const int16_t* samples, size_t count, void* ud) {
    (void)data, (void)samples, (void)count, (void)ud; /* a real STT would listen here */
}

static void stt_end_of_turn(void* data, void* ud) {
    host* h = data;
    const char* text = "";
    (void)ud;
    if (h->next_transcript < h->n_transcripts) text = h->transcripts[h->next_transcript++];
    (void)rob_stt_sink_transcript(h->stt_sink, text, strlen(text), 1);
}

static void stt_free(void* data, void* ud) {
    host* h = data;
    (void)ud;
    (void)rob_stt_sink_release(h->stt_sink);
    h->stt_sink = NULL;
}

/* Case-insensitive "does `text` contain `word`". */
static int contains(const char* text, size_t len, const char* word) {
    size_t w = strlen(word), i, j;
    for (i = 0; i + w <= len; ++i) {
        for (j = 0; j < w && tolower((unsigned char)text[i + j]) == word[j]; ++j) {
        }
        if (j == w) return 1;
    }
    return 0;
}

static int llm_start(const rob_llm_request* r, rob_llm_sink* sink, void** data, void* ud) {
    const rob_llm_message* last;
    (void)ud;
    *data = NULL;
    if (r->message_count == 0) return ROB_ERR_INVALID_ARGUMENT;
    last = &r->messages[r->message_count - 1];
    if (last->role != ROB_ROLE_USER) return ROB_ERR_INVALID_ARGUMENT;
    if (contains(last->content, last->content_len, "sales")) {
        (void)rob_llm_sink_token(sink, "Putting you ", 12);
        (void)rob_llm_sink_token(sink, "through.", 8);
        (void)rob_llm_sink_action(sink, ROB_ACTION_TRANSFER, "33182880001");
    } else if (contains(last->content, last->content_len, "bye")) {
        (void)rob_llm_sink_token(sink, "Goodbye!", 8);
        (void)rob_llm_sink_action(sink, ROB_ACTION_END_CALL, NULL);
    } else {
        (void)rob_llm_sink_token(sink, "You said: ", 10);
        (void)rob_llm_sink_token(sink, last->content, last->content_len);
        (void)rob_llm_sink_token(sink, ".", 1);
    }
    return rob_llm_sink_done(sink) == ROB_OK ? ROB_OK : ROB_ERR_PROVIDER_FAILED;
}

static int tts_start(const rob_tts_request* r, rob_tts_sink* sink, void** data, void* ud) {
    int16_t chunk[RATE_HZ / 10];
    size_t total = (size_t)RATE_HZ * 40 * r->text_len / 1000, done = 0, i;
    (void)ud;
    *data = NULL;
    while (done < total) {
        size_t n = total - done < sizeof chunk / sizeof chunk[0] ? total - done
                                                                 : sizeof chunk / sizeof chunk[0];
        for (i = 0; i < n; ++i) {
            chunk[i] = (int16_t)(6000.0 * sin(2.0 * 3.14159265358979 * 440.0 * (double)(done + i) /
                                              RATE_HZ));
        }
        if (rob_tts_sink_audio(sink, chunk, n, RATE_HZ) != ROB_OK) break;
        done += n;
    }
    (void)rob_tts_sink_done(sink);
    return ROB_OK;
}

/* ---- the host ---- */

static void print_time(const host* h) {
    printf("%7.3f ", (double)h->now_us / 1e6);
}

/* Prints every message the call wants sent, and every finished turn. */
static int drain(host* h) {
    rob_turn_metrics t;
    for (;;) {
        int32_t kind = 0;
        size_t len = 0;
        int rc = rob_call_next_output(h->call, &kind, h->out, h->out_cap, &len);
        if (rc == ROB_ERR_BUFFER_TOO_SMALL) {
            char* bigger = realloc(h->out, len + 1);
            if (bigger == NULL) return ROB_ERR_NOMEM;
            h->out = bigger;
            h->out_cap = len + 1;
            continue;
        }
        if (rc == ROB_DONE) break;
        if (rc != ROB_OK) return rc;
        print_time(h);
        if (kind == ROB_OUTPUT_CLOSE) {
            printf("close \"%.*s\"\n", (int)len, h->out);
        } else if (strstr(h->out, "\"streamAudio\"") != NULL) {
            /* Base64 of s16 samples: 4 characters per 3 bytes. */
            const char* data = strstr(h->out, "\"audioData\":\"");
            const char* rate = strstr(h->out, "\"sampleRate\":");
            size_t b64 = 0;
            long hz = rate != NULL ? strtol(rate + 13, NULL, 10) : 0;
            if (data != NULL) {
                data += 13;
                while (data[b64] != '"' && data[b64] != '\0') ++b64;
            }
            while (b64 > 0 && data[b64 - 1] == '=') --b64;
            printf("streamAudio %ld Hz %ld ms\n", hz,
                   hz > 0 ? (long)(b64 * 3 / 4 / 2 * 1000 / (size_t)hz) : 0L);
        } else {
            printf("%.*s\n", (int)len, h->out);
        }
    }
    t.struct_size = sizeof t;
    while (rob_call_next_turn(h->call, &t) == ROB_OK) {
        size_t i;
        print_time(h);
        printf("turn %u: caller \"%.*s\" bot \"%.*s\" heard \"%.*s\"", t.index,
               (int)t.caller_text_len, t.caller_text, (int)t.bot_text_len, t.bot_text,
               (int)t.heard_text_len, t.heard_text);
        for (i = 0; i < t.action_count; ++i) {
            printf(" action %d:%.*s", t.actions[i].kind, (int)t.actions[i].value_len,
                   t.actions[i].value);
        }
        if (t.interrupted) printf(" interrupted");
        if (t.failed) printf(" failed");
        if (t.stt_final_us >= 0 && t.first_frame_us >= 0) {
            printf(" (stt %lld ms, reply %lld ms)",
                   (long long)((t.stt_final_us - t.speech_end_us) / 1000),
                   (long long)((t.first_frame_us - t.stt_final_us) / 1000));
        }
        printf("\n");
    }
    return ROB_OK;
}

/* Runs the timers due up to `t`, then sets the clock to it. */
static int advance(host* h, int64_t t) {
    int64_t w = 0;
    int guard, rc;
    for (guard = 0; guard < 100000; ++guard) {
        if (rob_call_next_wakeup(h->call, &w) != ROB_OK || w > t) break;
        if (w > h->now_us) h->now_us = w;
        if ((rc = rob_call_poll(h->call, h->now_us)) != ROB_OK) return rc;
        if ((rc = drain(h)) != ROB_OK) return rc;
    }
    if (t > h->now_us) h->now_us = t;
    return ROB_OK;
}

static int frames(host* h, long ms, double amplitude) {
    uint8_t bytes[FRAME_SAMPLES * 2];
    long f;
    int i, rc;
    for (f = 0; f < ms / 20; ++f) {
        if ((rc = advance(h, h->now_us + FRAME_US)) != ROB_OK) return rc;
        for (i = 0; i < FRAME_SAMPLES; ++i) {
            int16_t v;
            h->noise = h->noise * 1664525u + 1013904223u;
            v = (int16_t)(amplitude * ((double)(h->noise >> 8) / 8388608.0 - 1.0));
            bytes[2 * i] = (uint8_t)((uint16_t)v & 0xff);
            bytes[2 * i + 1] = (uint8_t)((uint16_t)v >> 8);
        }
        rc = rob_call_on_message(h->call, bytes, sizeof bytes, 1, h->now_us);
        if (rc != ROB_OK || (rc = drain(h)) != ROB_OK) return rc;
    }
    return ROB_OK;
}

static int run_line(host* h, char* line) {
    char* arg;
    size_t n = strlen(line);
    int rc;
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    while (*line == ' ' || *line == '\t') ++line;
    if (*line == '\0' || *line == '#') return ROB_OK;
    arg = strchr(line, ' ');
    if (arg != NULL)
        *arg++ = '\0';
    else
        arg = line + strlen(line);
    if (strcmp(line, "text") == 0) {
        if ((rc = advance(h, h->now_us)) != ROB_OK) return rc;
        rc = rob_call_on_message(h->call, (const uint8_t*)arg, strlen(arg), 0, h->now_us);
        return rc != ROB_OK ? rc : drain(h);
    }
    if (strcmp(line, "say") == 0) {
        if (h->n_transcripts == 8) return ROB_ERR_TOO_LARGE;
        snprintf(h->transcripts[h->n_transcripts++], sizeof h->transcripts[0], "%s", arg);
        return ROB_OK;
    }
    if (strcmp(line, "speech") == 0) return frames(h, strtol(arg, NULL, 10), 9000.0);
    if (strcmp(line, "silence") == 0) return frames(h, strtol(arg, NULL, 10), 20.0);
    if (strcmp(line, "close") == 0) {
        if ((rc = advance(h, h->now_us)) != ROB_OK) return rc;
        rc = rob_call_on_closed(h->call, arg, h->now_us);
        return rc != ROB_OK ? rc : drain(h);
    }
    return ROB_ERR_INVALID_ARGUMENT;
}

int main(int argc, char** argv) {
    host h;
    rob_stt_provider_vtable sv;
    rob_llm_provider_vtable lv;
    rob_tts_provider_vtable tv;
    rob_stt_provider* stt = NULL;
    rob_llm_provider* llm = NULL;
    rob_tts_provider* tts = NULL;
    rob_providers providers;
    rob_call_params params;
    rob_call_counters stats;
    FILE* in = stdin;
    char line[4096];
    int rc = ROB_OK, lineno = 0, exit_code = 0;

    if (argc > 2) {
        fprintf(stderr, "usage: ringoverbot-engine-replay [SCRIPT]\n");
        return 2;
    }
    if (argc == 2 && (in = fopen(argv[1], "r")) == NULL) {
        fprintf(stderr, "ringoverbot-engine-replay: cannot open %s\n", argv[1]);
        return 2;
    }
    memset(&h, 0, sizeof h);
    h.now_us = 1000000;
    h.noise = 1;

    rob_stt_provider_vtable_init(&sv, sizeof sv);
    sv.name = "replay-stt";
    sv.user_data = &h;
    sv.sample_rate_hz = 0; /* the stream's own rate */
    sv.open = stt_open;
    sv.push_audio = stt_push;
    sv.end_of_turn = stt_end_of_turn;
    sv.free_stream = stt_free;
    rob_llm_provider_vtable_init(&lv, sizeof lv);
    lv.name = "replay-llm";
    lv.start = llm_start;
    rob_tts_provider_vtable_init(&tv, sizeof tv);
    tv.name = "replay-tts";
    tv.start = tts_start;
    if ((rc = rob_stt_provider_create(&sv, &stt)) != ROB_OK ||
        (rc = rob_llm_provider_create(&lv, &llm)) != ROB_OK ||
        (rc = rob_tts_provider_create(&tv, &tts)) != ROB_OK) {
        goto out;
    }
    rob_providers_init(&providers, sizeof providers);
    providers.stt = stt;
    providers.llm = llm;
    providers.tts = tts;
    rob_call_params_init(&params, sizeof params);
    params.greeting = "Hello, this is the replay bot.";
    params.fallback = "Sorry?";
    if ((rc = rob_call_create(&params, &providers, &h.call)) != ROB_OK) goto out;

    while (fgets(line, sizeof line, in) != NULL) {
        ++lineno;
        if ((rc = run_line(&h, line)) != ROB_OK) {
            fprintf(stderr, "ringoverbot-engine-replay: line %d: %s\n", lineno, rob_strerror(rc));
            goto out;
        }
    }
    /* Let whatever is still due happen (playout, a hang-up's grace), then report. */
    if ((rc = advance(&h, h.now_us + 5000000)) != ROB_OK) goto out;
    stats.struct_size = sizeof stats;
    if ((rc = rob_call_stats(h.call, &stats)) != ROB_OK) goto out;
    print_time(&h);
    printf("end: %s; turns %llu, audio messages %llu, fallbacks %llu\n",
           rob_call_ended(h.call) ? rob_call_end_reason(h.call) : "still running",
           (unsigned long long)stats.turns, (unsigned long long)stats.audio_messages_out,
           (unsigned long long)stats.fallbacks);

out:
    if (rc != ROB_OK) {
        const char* detail = rob_last_error_message();
        fprintf(stderr, "ringoverbot-engine-replay: %s%s%s\n", rob_strerror(rc),
                detail[0] != '\0' ? ": " : "", detail);
        exit_code = 1;
    }
    rob_call_destroy(h.call);
    rob_stt_provider_destroy(stt);
    rob_llm_provider_destroy(llm);
    rob_tts_provider_destroy(tts);
    free(h.out);
    if (in != stdin) fclose(in);
    return exit_code;
}
