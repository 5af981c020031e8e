#include "../include/ntkd.h"
#define BURST_TAG 'tsrB'           /* "Brst": bursty but bounded: 40 blocks at once, all freed 5 s later */

PVOID Blocks[40];

NOINLINE PVOID BurstAllocate(ULONG bytes) { return ExAllocatePoolWithTag(PagedPool, bytes, BURST_TAG); }

VOID NTAPI BurstWorker(PVOID context) {
  for (;;) {
    for (ULONG i = 0; i < 40; i++) Blocks[i] = BurstAllocate(RandomBetween(256, 768));
    SleepMs(5000);
    for (ULONG i = 0; i < 40; i++) {
      ExFreePool(Blocks[i]);
      Blocks[i] = NULL;
    }
    SleepMs(5000);
  }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  StartThread(BurstWorker, NULL);
  return STATUS_SUCCESS;
}
