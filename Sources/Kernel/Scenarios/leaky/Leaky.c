#include "../include/ntkd.h"
#define LEAK_TAG 'kaeL'            /* shows as "Leak" in !poolused */

PVOID Recent[8];
ULONG Cursor;

NOINLINE PVOID LeakyRemember(ULONG bytes) {      /* frees what it replaces: no leak */
  return ExAllocatePoolWithTag(PagedPool, bytes, LEAK_TAG);
}
NOINLINE PVOID LeakyForget(ULONG bytes) {        /* nobody frees this: the leak */
  return ExAllocatePoolWithTag(PagedPool, bytes, LEAK_TAG);
}

VOID NTAPI LeakyWorker(PVOID context) {
  for (;;) {
    ULONG slot = Cursor++ % 8;
    if (Recent[slot]) ExFreePool(Recent[slot]);   /* ExFreePool: retagging a site stays legal */
    Recent[slot] = LeakyRemember(RandomBetween(100, 400));
    if (Cursor % 4 == 0) LeakyForget(256);
    SleepMs(20);
  }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  DbgPrint("Leaky: loaded\n");
  StartThread(LeakyWorker, NULL);
  return STATUS_SUCCESS;
}
