/* Noise.sys: bounded pool under the leaking tag and beside it. Bursts of 100 'Pkt ' blocks held 3 s and all
   given back, every 6 s; a steady working set of 40 'Nois' buffers of 2-8 KB (more bytes than 'Pkt ' holds for
   its first minutes), each replaced at random. */
#include "../include/ntkd.h"

#define PKT_TAG ' tkP'
#define NOISE_TAG 'sioN'

PVOID Burst[100];
PVOID Buffers[40];

NOINLINE PVOID NoiseBurst(ULONG length) { return ExAllocatePoolWithTag(PagedPool, length, PKT_TAG); }

NOINLINE PVOID NoiseBuffer(ULONG length) { return ExAllocatePoolWithTag(PagedPool, length, NOISE_TAG); }

VOID NTAPI NoiseBurstWorker(PVOID context) {
  ULONG i;
  for (;;) {
    for (i = 0; i < 100; i++) Burst[i] = NoiseBurst(RandomBetween(32, 256));
    SleepMs(3000);
    for (i = 0; i < 100; i++) {
      ExFreePool(Burst[i]);
      Burst[i] = NULL;
    }
    SleepMs(3000);
  }
}

VOID NTAPI NoiseBufferWorker(PVOID context) {
  for (;;) {
    ULONG slot = RandomBetween(0, 39);
    if (Buffers[slot]) ExFreePool(Buffers[slot]);
    Buffers[slot] = NoiseBuffer(RandomBetween(2048, 8192));
    SleepMs(50);
  }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  StartThread(NoiseBurstWorker, NULL);
  StartThread(NoiseBufferWorker, NULL);
  return STATUS_SUCCESS;
}
