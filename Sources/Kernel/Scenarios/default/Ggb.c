/* Ggb.sys: a few very large paged buffers, reallocated now and then. */
#include "../include/ntkd.h"

#define GGB_TAG ' bgG'
PVOID Buffers[3];
ULONG Count;

NOINLINE VOID GgbReallocate(VOID) {
  ULONG slot = Count < 3 ? Count++ : RandomBetween(0, 2);
  if (Buffers[slot]) ExFreePoolWithTag(Buffers[slot], GGB_TAG);
  Buffers[slot] = ExAllocatePoolWithTag(PagedPool, RandomBetween(30000, 45000), GGB_TAG);
}

VOID NTAPI GgbWorker(PVOID context) {
  for (;;) {
    GgbReallocate();
    SleepMs(Count < 3 ? 20000 : 60000);
  }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  StartThread(GgbWorker, NULL);
  return STATUS_SUCCESS;
}
