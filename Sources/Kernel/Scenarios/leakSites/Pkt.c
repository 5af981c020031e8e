/* Pkt.sys: four call sites under one tag, 'Pkt '. Two leak and keep no pointer to what they leak (lost):
   PktQueueRequest, 4 blocks of 128 bytes a second, and PktTrackSession, one block of 64 bytes a second. Two
   are bounded: a ring of 32 buffers and a scratch set of 8 blocks given back every round. */
#include "../include/ntkd.h"

#define PKT_TAG ' tkP'

PVOID Ring[32];
ULONG RingCursor;
PVOID Scratch[8];

/* Leaks: 120 bytes asked, a 128-byte block, never freed, its address dropped by the caller. */
NOINLINE PVOID PktQueueRequest(void) { return ExAllocatePoolWithTag(PagedPool, 120, PKT_TAG); }

/* Leaks: 56 bytes asked, a 64-byte block, never freed, its address dropped by the caller. */
NOINLINE PVOID PktTrackSession(void) { return ExAllocatePoolWithTag(PagedPool, 56, PKT_TAG); }

/* Bounded: a ring of 32 buffers, each freed when its slot comes round again. */
NOINLINE PVOID PktRingBuffer(ULONG length) { return ExAllocatePoolWithTag(PagedPool, length, PKT_TAG); }

/* Bounded: 8 scratch blocks, all freed at the end of each round. */
NOINLINE PVOID PktScratch(ULONG length) { return ExAllocatePoolWithTag(PagedPool, length, PKT_TAG); }

VOID NTAPI PktQueueWorker(PVOID context) {
  for (;;) {
    ULONG *request = (ULONG *)PktQueueRequest();
    if (request) request[0] = 0x51;
    SleepMs(250);
  }
}

VOID NTAPI PktSessionWorker(PVOID context) {
  for (;;) {
    ULONG *session = (ULONG *)PktTrackSession();
    if (session) session[0] = 0x5e;
    SleepMs(1000);
  }
}

VOID NTAPI PktRingWorker(PVOID context) {
  for (;;) {
    ULONG slot = RingCursor++ % 32;
    if (Ring[slot]) ExFreePool(Ring[slot]);
    Ring[slot] = PktRingBuffer(RandomBetween(100, 1500));
    SleepMs(20);
  }
}

VOID NTAPI PktScratchWorker(PVOID context) {
  ULONG i;
  for (;;) {
    for (i = 0; i < 8; i++) Scratch[i] = PktScratch(RandomBetween(16, 400));
    SleepMs(300);
    for (i = 0; i < 8; i++) {
      ExFreePool(Scratch[i]);
      Scratch[i] = NULL;
    }
    SleepMs(200);
  }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  StartThread(PktQueueWorker, NULL);
  StartThread(PktSessionWorker, NULL);
  StartThread(PktRingWorker, NULL);
  StartThread(PktScratchWorker, NULL);
  return STATUS_SUCCESS;
}
