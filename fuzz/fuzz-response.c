/*
 * fuzz-response.c - libFuzzer target for src/http/parser.c's response mode
 * (what the HTTP client reads).  The harness is fuzz-parser.c's, built with
 * FUZZ_RESPONSE: one set of checks for both modes, as one parser.  Seeds in
 * fuzz/corpus/response; -DFUZZ_REPLAY gives the replay main() there too.
 */
#define FUZZ_RESPONSE	1
#include "fuzz-parser.c"
