/* Bench.sys: loops for benchmarks. Counters are globals the debugger (or a benchmark) reads. */
#include "../include/ntkd.h"

#define BENCH_TAG 'hcnB'
volatile ULONG BenchPairs;

/* Allocate + free through the real nt routines, forever: pairs per second, and the PoolHitTag
   compare's cost when nt!PoolHitTag is armed on a tag this loop never uses. */
VOID NTAPI BenchPoolPairs(PVOID context) {
  for (;;) {
    PVOID p = ExAllocatePoolWithTag(PagedPool, 64 + (BenchPairs & 0x1ff), BENCH_TAG);
    ExFreePoolWithTag(p, BENCH_TAG);
    BenchPairs++;
  }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) { return STATUS_SUCCESS; }
