"""The sweep's chunk-size rule (sweep.run module doc): per-task overhead against the chunk's
time, scaled by the worker count (the scheduler and client handle tasks serially), capped for
load balance."""

from lunarscope.sweep.run import CHUNKS_PER_WORKER, MAX_OVERHEAD_FRACTION, TASK_OVERHEAD_S, _chunk_size


def test_chunks_grow_with_the_worker_count_until_load_balance_caps_them():
    case_s = 1.0
    small = _chunk_size(case_s, 10_000, 2)
    large = _chunk_size(case_s, 100_000, 100)
    assert small == 2  # 2 x 8 ms / (1 % x 1 s) = 1.6 -> 2
    assert large == round(100 * TASK_OVERHEAD_S / (MAX_OVERHEAD_FRACTION * case_s))
    # the serial overhead of all tasks is then at most 1 % of the workers' time
    tasks = 100_000 / large
    assert tasks * TASK_OVERHEAD_S <= MAX_OVERHEAD_FRACTION * 100_000 * case_s / 100 * (1 + 1e-9)
    # few cases: every worker still gets CHUNKS_PER_WORKER chunks
    assert _chunk_size(case_s, 40, 100) == 1
    assert _chunk_size(0.001, 800, 2) == 800 // (CHUNKS_PER_WORKER * 2)
