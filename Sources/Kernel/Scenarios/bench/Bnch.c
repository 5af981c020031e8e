/* Bnch.sys: the workloads of the `bench` executable (docs/BENCHMARKS.md). One worker thread runs the
   workload BnchMode names; the benchmark switches modes by writing BnchMode over the wire and reads
   BnchCount to see progress. Tag 'Bnch' for the loops, 'Bliv' for live blocks, 'Bbal' for ballast. */
#include "../include/ntkd.h"
#define BENCH_TAG 'hcnB'   /* "Bnch" */
#define LIVE_TAG 'vilB'    /* "Bliv" */
#define BALLAST_TAG 'labB' /* "Bbal" */

#define MODE_IDLE 0        /* sleep 1 ms at a time, waiting for a mode */
#define MODE_SPIN 1        /* BnchCount++ without calling the kernel */
#define MODE_POOL 2        /* allocate + free one 32-byte block per iteration */
#define MODE_LIVE 3        /* allocate 8-byte blocks, never freed, until BnchLive reaches BnchLiveTarget */
#define MODE_BALLAST 4     /* allocate BnchBallastBlocks blocks of 64 KiB, never freed, then idle */

volatile ULONG BnchMode;
volatile ULONG BnchCount;
volatile ULONG BnchLiveTarget;
volatile ULONG BnchLive;
volatile ULONG BnchBallastBlocks;
volatile ULONG BnchBallastDone;

NOINLINE PVOID BnchAllocate(ULONG bytes) { return ExAllocatePoolWithTag(PagedPool, bytes, BENCH_TAG); }
NOINLINE VOID BnchRelease(PVOID p) { ExFreePoolWithTag(p, BENCH_TAG); }
NOINLINE PVOID BnchKeep(ULONG bytes) { return ExAllocatePoolWithTag(PagedPool, bytes, LIVE_TAG); }

VOID NTAPI BnchWorker(PVOID context) {
  for (;;) {
    ULONG mode = BnchMode;   /* an if chain, not a switch: no jump table in .rdata */
    if (mode == MODE_SPIN) {
      while (BnchMode == MODE_SPIN) BnchCount++;
    } else if (mode == MODE_POOL) {
      while (BnchMode == MODE_POOL) {
        BnchRelease(BnchAllocate(32));
        BnchCount++;
      }
    } else if (mode == MODE_LIVE) {
      while (BnchMode == MODE_LIVE && BnchLive < BnchLiveTarget) {
        if (!BnchKeep(8)) break;
        BnchLive++;
      }
      BnchMode = MODE_IDLE;
    } else if (mode == MODE_BALLAST) {
      while (BnchBallastDone < BnchBallastBlocks) {
        if (!ExAllocatePoolWithTag(PagedPool, 65536, BALLAST_TAG)) break;
        BnchBallastDone++;
      }
      BnchMode = MODE_IDLE;
    } else {
      SleepMs(1);
    }
  }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  StartThread(BnchWorker, NULL);
  return STATUS_SUCCESS;
}
