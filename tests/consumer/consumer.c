/* Uses the installed library through its C header only: version, an encoded command, G.711. */
#include <ringoverbot.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    char buf[64];
    size_t len = 0;
    int16_t pcm[2] = {0, 1000};
    uint8_t law[2];
    int16_t back[2];
    if (rob_version_num() != ROB_VERSION_NUM) {
        fprintf(stderr, "header/library version mismatch\n");
        return 1;
    }
    if (rob_stream_encode_break(buf, sizeof buf, &len) != ROB_OK ||
        len != strlen("{\"event\":\"break\"}") || memcmp(buf, "{\"event\":\"break\"}", len) != 0) {
        fprintf(stderr, "break encoding wrong\n");
        return 1;
    }
    if (rob_g711_encode(ROB_LAW_ULAW, pcm, 2, law) != ROB_OK || law[0] != 0xFF ||
        rob_g711_decode(ROB_LAW_ULAW, law, 2, back) != ROB_OK || back[0] != 0) {
        fprintf(stderr, "g711 wrong\n");
        return 1;
    }
    printf("consumer ok: ringoverbot %s, %.*s\n", rob_version_string(), (int)len, buf);
    return 0;
}
