"""The app keeps full garbage collections out of runs of key presses and makes them on a timer."""

from __future__ import annotations

import gc

from asp_ft_tui.tui.app import FULL_COLLECTION_EVERY, collect_survivors, make_app, quiet_collector


def test_full_collections_are_rare_and_made_on_a_timer_when_something_survived(tmp_path):
    before = gc.get_threshold()
    try:
        quiet_collector()
        assert gc.get_threshold() == (*before[:2], FULL_COLLECTION_EVERY)
        gc.collect()
        assert not collect_survivors(), "nothing moved on since the last full collection: nothing to do"
        made = [[] for _ in range(50_000)]  # survivors of the young collections
        gc.collect(1)
        full = gc.get_stats()[2]["collections"]
        assert collect_survivors() and gc.get_stats()[2]["collections"] == full + 1
        del made
    finally:
        gc.set_threshold(*before)


async def test_the_app_quiets_the_collector_when_it_starts(tmp_path):
    from asp_ft_tui.workspace import init_workspace

    before = gc.get_threshold()
    try:
        gc.set_threshold(*before[:2], 10)
        app = make_app(init_workspace(tmp_path / "ws", with_samples=False))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert gc.get_threshold()[2] == FULL_COLLECTION_EVERY
    finally:
        gc.set_threshold(*before)
