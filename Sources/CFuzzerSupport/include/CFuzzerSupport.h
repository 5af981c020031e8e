#ifndef SWIFTKD_CFUZZERSUPPORT_H
#define SWIFTKD_CFUZZERSUPPORT_H
#include <stddef.h>
#include <stdint.h>
// libFuzzer's entry for programs that own main (provided by -sanitize=fuzzer; referenced only under FUZZING).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
#endif
