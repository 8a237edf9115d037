"""The garbage collector's thresholds during a sweep: raised inside, the process's own back after."""

from __future__ import annotations

import gc
import threading

from banksim.collector import SWEEP_THRESHOLD, fewer_collections


def test_the_first_threshold_is_raised_inside_and_restored_after_the_last_block() -> None:
    own = gc.get_threshold()
    try:
        gc.set_threshold(700, 11, 12)
        with fewer_collections():
            assert gc.get_threshold() == (SWEEP_THRESHOLD, 11, 12)
            with fewer_collections():  # nested (another thread's sweep, say): still raised
                assert gc.get_threshold() == (SWEEP_THRESHOLD, 11, 12)
            assert gc.get_threshold() == (SWEEP_THRESHOLD, 11, 12)
        assert gc.get_threshold() == (700, 11, 12)
        gc.set_threshold(SWEEP_THRESHOLD * 2, 11, 12)  # a process that collects less already keeps it
        with fewer_collections():
            assert gc.get_threshold() == (SWEEP_THRESHOLD * 2, 11, 12)
        assert gc.get_threshold() == (SWEEP_THRESHOLD * 2, 11, 12)
    finally:
        gc.set_threshold(*own)


def test_blocks_ending_in_other_threads_in_any_order_restore_the_threshold() -> None:
    own = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        inside = [threading.Event(), threading.Event()]
        leave = [threading.Event(), threading.Event()]
        left = [threading.Event(), threading.Event()]

        def sweep(index: int) -> None:
            with fewer_collections():
                inside[index].set()
                leave[index].wait()
            left[index].set()

        threads = [threading.Thread(target=sweep, args=(index,)) for index in (0, 1)]
        for thread, entered in zip(threads, inside, strict=True):
            thread.start()
            entered.wait()
        leave[0].set()  # the first one in ends first: the other still runs, raised
        left[0].wait()
        assert gc.get_threshold() == (SWEEP_THRESHOLD, 10, 10)
        leave[1].set()
        left[1].wait()
        assert gc.get_threshold() == (700, 10, 10)
        for thread in threads:
            thread.join()
    finally:
        gc.set_threshold(*own)
