"""A sweep worker runs its cases at the CPU cost of a plain process (issue 13: a case cost ~27 %
more CPU in a Dask worker): glibc's mmap threshold unfrozen, numba on the worker's thread
budget, and no statistical profiler in the sweep's own LocalCluster."""

import sys

import pytest

from lunarscope.sweep.run import WORKER_MMAP_THRESHOLD_BYTES, open_client, worker_settings

#: glibc marks a chunk served by its own mmap with this bit of the size word just before the
#: pointer malloc returns (malloc/malloc.c, IS_MMAPPED).
IS_MMAPPED_BIT = 0x2


def test_worker_settings_follow_the_environment():
    nanny = {"MALLOC_TRIM_THRESHOLD_": "65536", "OMP_NUM_THREADS": "1"}  # what Dask's nanny sets
    assert worker_settings(nanny) == {"mmap_threshold_bytes": WORKER_MMAP_THRESHOLD_BYTES, "numba_threads": 1}
    assert worker_settings({}) == {"mmap_threshold_bytes": None, "numba_threads": None}
    # the user's own choices win
    mine = {**nanny, "MALLOC_MMAP_THRESHOLD_": "1048576", "NUMBA_NUM_THREADS": "4"}
    assert worker_settings(mine) == {"mmap_threshold_bytes": None, "numba_threads": None}
    assert worker_settings({"OMP_NUM_THREADS": "x"})["numba_threads"] is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc and /proc")
def test_a_local_cluster_worker_reuses_heap_memory_with_one_numba_thread_and_no_profiler():
    def probe():
        import ctypes

        import numba
        from distributed import get_worker

        from lunarscope.sweep.run import run_chunk

        run_chunk(None, [])  # what every sweep task does first
        libc = ctypes.CDLL(None)
        libc.malloc.restype = ctypes.c_void_p
        ptr = libc.malloc(1 << 20)  # 1 MiB, above glibc's frozen 128 KiB mmap threshold
        size_field = ctypes.c_size_t.from_address(ptr - ctypes.sizeof(ctypes.c_size_t)).value
        libc.free(ctypes.c_void_p(ptr))
        mmapped = bool(size_field & IS_MMAPPED_BIT)
        return mmapped, numba.get_num_threads(), "profile" in get_worker().periodic_callbacks

    client, cluster = open_client(workers=1)
    try:
        mmapped, threads, profiler = client.submit(probe, pure=False).result()
    finally:
        client.close()
        cluster.close()
    assert not mmapped, "a 1 MiB malloc is a fresh mmap (page faults and zeroing at each array)"
    assert threads == 1
    assert not profiler
