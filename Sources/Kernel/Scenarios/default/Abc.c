/* Abc.sys: allocates tag 'Abc ' at three call sites in three functions on three threads.
   Requests and the cache give their blocks back; the event log never does: that is the leak. */
#include "../include/ntkd.h"

#define ABC_TAG ' cbA'

typedef struct _LOG_RECORD { struct _LOG_RECORD *Next; ULONG Sequence; ULONG Length; } LOG_RECORD;

PVOID Requests[16];
ULONG RequestCursor;
PVOID Cache[64];
LOG_RECORD *LogHead;
ULONG LogSequence;

/* Call site 1: a request buffer, freed when the ring wraps around. */
NOINLINE PVOID AbcBuildRequest(ULONG length) {
  PVOID buffer = ExAllocatePoolWithTag(PagedPool, length, ABC_TAG);
  return buffer;
}

/* Call site 2: a cache entry, evicted at random. */
NOINLINE PVOID AbcCacheInsert(ULONG length) {
  PVOID entry = ExAllocatePoolWithTag(PagedPool, length, ABC_TAG);
  return entry;
}

/* Call site 3: an event record appended to a log nobody trims. */
NOINLINE LOG_RECORD *AbcLogEvent(ULONG length) {
  LOG_RECORD *record = (LOG_RECORD *)ExAllocatePoolWithTag(PagedPool, length, ABC_TAG);
  if (record) {
    record->Sequence = ++LogSequence;
    record->Length = length;
    record->Next = LogHead;
    LogHead = record;
  }
  return record;
}

VOID NTAPI AbcRequestWorker(PVOID context) {
  for (;;) {
    ULONG slot = RequestCursor++ % 16;
    if (Requests[slot]) ExFreePool(Requests[slot]);
    Requests[slot] = AbcBuildRequest(RandomBetween(200, 2000));
    SleepMs(10);
  }
}

VOID NTAPI AbcCacheWorker(PVOID context) {
  for (;;) {
    ULONG slot = RandomBetween(0, 63);
    if (Cache[slot]) ExFreePool(Cache[slot]);
    Cache[slot] = AbcCacheInsert(RandomBetween(64, 512));
    SleepMs(25);
  }
}

VOID NTAPI AbcLogWorker(PVOID context) {
  for (;;) {
    AbcLogEvent(RandomBetween(600, 1300));
    SleepMs(40);
  }
}

VOID NTAPI AbcUnload(PDRIVER_OBJECT DriverObject);

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  DbgPrint("Abc: loaded\n");
  DriverObject->DriverUnload = AbcUnload;
  StartThread(AbcRequestWorker, NULL);
  StartThread(AbcCacheWorker, NULL);
  StartThread(AbcLogWorker, NULL);
  return STATUS_SUCCESS;
}

/* Unload (`.unload Abc.sys`): the requests and the cache go back; the event log is forgotten, so a Driver
   Verifier with Pool Tracking on Abc.sys bug-checks 0xC4 / 0x62 instead of letting it unload. */
VOID NTAPI AbcUnload(PDRIVER_OBJECT DriverObject) {
  ULONG i;
  for (i = 0; i < 16; i++) {
    if (Requests[i]) ExFreePool(Requests[i]);
    Requests[i] = NULL;
  }
  for (i = 0; i < 64; i++) {
    if (Cache[i]) ExFreePool(Cache[i]);
    Cache[i] = NULL;
  }
}
