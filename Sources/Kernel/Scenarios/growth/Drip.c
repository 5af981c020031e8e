#include "../include/ntkd.h"
#define DRIP_TAG 'pirD'            /* "Drip": a slow leak of 16 pool bytes a second (8 asked + the 8-byte header), never freed */

NOINLINE PVOID DripAllocate(void) { return ExAllocatePoolWithTag(PagedPool, 8, DRIP_TAG); }

VOID NTAPI DripWorker(PVOID context) {
  for (;;) {
    DripAllocate();
    SleepMs(1000);
  }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  StartThread(DripWorker, NULL);
  return STATUS_SUCCESS;
}
