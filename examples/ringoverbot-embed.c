/*
 * ringoverbot-embed: the whole agent run from a C program through the C ABI (ringoverbot.h).
 *
 *   ringoverbot-embed [HOST:PORT] [DIALOG.json]
 *
 * Serves the streamer WebSocket (/ws), /health and /metrics on HOST:PORT (default
 * 127.0.0.1:8765) with the local providers: pocketsphinx hears the caller, the scripted dialog
 * answers, flite speaks (behind a phrase cache prewarmed with the dialog's fixed lines).
 * SIGINT or SIGTERM stops it: rob_server_stop is async-signal-safe, so the handler calls it
 * directly; live calls then drain and the program exits 0.
 *
 * Exit codes (as ringoverbot-agent): 0 after a clean stop, 1 when the server cannot start
 * (a port in use), 2 for bad arguments or a bad dialog.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringoverbot.h"

#ifndef ROB_DEMO_DIALOG
#define ROB_DEMO_DIALOG "demo-dialog.json"
#endif

/* The one piece of global state: the handler's way to the server. */
static rob_server* volatile g_server = NULL;

static void on_signal(int sig) {
    (void)sig;
    rob_server_stop(g_server); /* async-signal-safe; NULL is a no-op */
}

/* Reads a whole file into memory the caller frees; NULL on failure. */
static char* read_file(const char* path, size_t* len) {
    FILE* f = fopen(path, "rb");
    char* buf = NULL;
    long size;
    if (f == NULL) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)size + 1);
        if (buf != NULL && fread(buf, 1, (size_t)size, f) == (size_t)size) {
            buf[size] = '\0';
            *len = (size_t)size;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

/* "HOST:PORT" (IPv6 as "[::1]:PORT") into host (cap bytes) and port; 0 on success. */
static int parse_listen(const char* arg, char* host, size_t cap, uint32_t* port) {
    const char* colon = strrchr(arg, ':');
    const char* h = arg;
    size_t hlen;
    char* end = NULL;
    unsigned long p;
    if (colon == NULL) return -1;
    hlen = (size_t)(colon - arg);
    if (hlen >= 2 && arg[0] == '[' && arg[hlen - 1] == ']') {
        h = arg + 1;
        hlen -= 2;
    }
    p = strtoul(colon + 1, &end, 10);
    if (hlen == 0 || hlen >= cap || end == colon + 1 || *end != '\0' || p > 65535) return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint32_t)p;
    return 0;
}

static int fail(const char* what, int rc, int exit_code) {
    const char* detail = rob_last_error_message();
    fprintf(stderr, "ringoverbot-embed: %s: %s%s%s\n", what, rob_strerror(rc),
            detail[0] != '\0' ? ": " : "", detail);
    return exit_code;
}

int main(int argc, char** argv) {
    char host[256] = "127.0.0.1";
    uint32_t port = 8765;
    const char* dialog_path = ROB_DEMO_DIALOG;
    char* dialog_json = NULL;
    size_t dialog_len = 0;
    rob_dialog* dialog = NULL;
    rob_worker_pool* pool = NULL;
    rob_stt_provider* stt = NULL;
    rob_llm_provider* llm = NULL;
    rob_tts_provider *flite = NULL, *tts = NULL;
    rob_server* server = NULL;
    const char **phrases = NULL, **replies = NULL;
    rob_pocketsphinx_params ps;
    rob_flite_params fl;
    rob_call_params call;
    rob_server_params sp;
    rob_providers providers;
    size_t i, n_phrases, n_replies;
    int rc, exit_code = 0;

    if (argc > 3 || (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))) {
        fprintf(stderr, "usage: ringoverbot-embed [HOST:PORT] [DIALOG.json]\n");
        return 2;
    }
    if (argc > 1 && parse_listen(argv[1], host, sizeof host, &port) != 0) {
        fprintf(stderr, "ringoverbot-embed: bad listen address '%s' (want HOST:PORT)\n", argv[1]);
        return 2;
    }
    if (argc > 2) dialog_path = argv[2];

    /* The dialog: the LLM, and the call's greeting, fallback and expected phrases. */
    dialog_json = read_file(dialog_path, &dialog_len);
    if (dialog_json == NULL) {
        fprintf(stderr, "ringoverbot-embed: cannot read dialog '%s'\n", dialog_path);
        return 2;
    }
    rc = rob_dialog_parse(dialog_json, dialog_len, &dialog);
    if (rc != ROB_OK) {
        exit_code = fail(dialog_path, rc, 2);
        goto out;
    }
    rc = rob_llm_provider_create_scripted(dialog_json, dialog_len, &llm);
    if (rc != ROB_OK) {
        exit_code = fail(dialog_path, rc, 2);
        goto out;
    }
    n_phrases = rob_dialog_phrase_count(dialog);
    n_replies = rob_dialog_reply_count(dialog);
    phrases = calloc(n_phrases + 1, sizeof *phrases);
    replies = calloc(n_replies + 2, sizeof *replies);
    if (phrases == NULL || replies == NULL) {
        exit_code = fail("memory", ROB_ERR_NOMEM, 1);
        goto out;
    }
    for (i = 0; i < n_phrases; ++i) phrases[i] = rob_dialog_phrase(dialog, i);
    for (i = 0; i < n_replies; ++i) replies[i] = rob_dialog_reply(dialog, i);
    replies[n_replies] = rob_dialog_fallback(dialog);

    /* The local speech engines, sharing two worker threads. */
    rc = rob_worker_pool_create(2, &pool);
    if (rc == ROB_OK) {
        rob_pocketsphinx_params_init(&ps, sizeof ps);
        rc = rob_stt_provider_create_pocketsphinx(&ps, pool, &stt);
    }
    if (rc == ROB_OK) {
        rob_flite_params_init(&fl, sizeof fl);
        rc = rob_tts_provider_create_flite(&fl, pool, &flite);
    }
    if (rc == ROB_OK) rc = rob_tts_provider_create_cached(flite, 0, &tts);
    if (rc == ROB_OK) {
        rc = rob_tts_provider_prewarm(tts, replies, n_replies + 1, 8000);
    }
    if (rc != ROB_OK) {
        exit_code = fail("local providers", rc, 1);
        goto out;
    }

    rob_call_params_init(&call, sizeof call);
    call.greeting = rob_dialog_greeting(dialog);
    call.fallback = rob_dialog_fallback(dialog);
    call.expected_phrases = phrases;
    call.expected_phrase_count = n_phrases;

    rob_server_params_init(&sp, sizeof sp);
    sp.host = host;
    sp.port = port;
    sp.stream_token = getenv("RINGOVERBOT_STREAM_TOKEN");
    sp.call = &call;

    rob_providers_init(&providers, sizeof providers);
    providers.stt = stt;
    providers.llm = llm;
    providers.tts = tts;

    rc = rob_server_create(&sp, &providers, &server);
    if (rc != ROB_OK) {
        exit_code = fail("cannot start", rc, 1);
        goto out;
    }
    /* The server holds its own references: the handles can go now. */
    rob_stt_provider_destroy(stt);
    rob_llm_provider_destroy(llm);
    rob_tts_provider_destroy(flite);
    rob_tts_provider_destroy(tts);
    stt = NULL;
    llm = NULL;
    flite = tts = NULL;

    g_server = server;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    fprintf(stderr, "ringoverbot-embed: listening on %s:%d (ringoverbot %s)\n", host,
            rob_server_port(server), rob_version_string());
    rc = rob_server_run(server);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    g_server = NULL;
    if (rc != ROB_OK) exit_code = fail("server", rc, 1);

out:
    rob_server_destroy(server);
    rob_tts_provider_destroy(tts);
    rob_tts_provider_destroy(flite);
    rob_stt_provider_destroy(stt);
    rob_llm_provider_destroy(llm);
    rob_worker_pool_destroy(pool);
    rob_dialog_destroy(dialog);
    free((void*)phrases);
    free((void*)replies);
    free(dialog_json);
    return exit_code;
}
