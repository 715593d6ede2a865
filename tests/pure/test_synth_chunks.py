"""How the stacks of an estate are split among synthesis worker processes (`main.py synth --jobs N`): every
stack once, in name order, balanced, never more than the chunk size, the same whatever the order of the lists."""

from __future__ import annotations

import random

import pytest
from guardduty_alerts.regions import DEFAULT_ENABLED_REGIONS
from guardduty_alerts_app.config import parse_config
from guardduty_alerts_app.planning import StackPlan, chunk_plans, stack_plans


def estate_plans(accounts: int, regions: int, *, shuffle: int | None = None) -> list[StackPlan]:
    document = {
        "name": "gd",
        "regions": list(DEFAULT_ENABLED_REGIONS[:regions]),
        "recipients": ["sec@example.com"],
        "accounts": [{"id": f"{100000000000 + n:012d}", "name": f"account-{n:02d}"} for n in range(accounts)],
    }
    if shuffle is not None:
        shuffler = random.Random(shuffle)  # noqa: S311 - shuffling test input, not cryptography
        shuffler.shuffle(document["regions"])
        shuffler.shuffle(document["accounts"])
    return stack_plans(parse_config(document))


@pytest.mark.parametrize(
    ("accounts", "regions", "jobs", "chunk_size", "min_chunk_size", "sizes"),
    [
        (20, 17, 2, 170, 10, [170, 170]),  # the 340-stack estate: one chunk per worker
        (20, 17, 2, 85, 10, [85, 85, 85, 85]),  # more chunks than workers: two at a time
        (20, 17, 2, 100, 10, [85, 85, 85, 85]),  # ceil(340 / 100) chunks, balanced rather than 100, 100, 100, 40
        (20, 17, 8, 170, 10, [43, 43, 43, 43, 42, 42, 42, 42]),
        (2, 17, 2, 170, 10, [17, 17]),
        (1, 17, 2, 170, 10, [17]),  # one chunk: synthesized in this process
        (1, 17, 8, 170, 5, [6, 6, 5]),  # no more workers than have min_chunk_size stacks each
        (1, 17, 2, 5, 10, [5, 4, 4, 4]),  # a chunk size below the minimum wins: the caller asked for it
        (1, 2, 8, 170, 1, [1, 1]),  # never an empty chunk
        (1, 1, 2, 170, 1, [1]),
    ],
)
def test_chunks_are_balanced_consecutive_runs_of_the_stacks_in_name_order(
    accounts: int, regions: int, jobs: int, chunk_size: int, min_chunk_size: int, sizes: list[int]
) -> None:
    plans = estate_plans(accounts, regions)
    chunks = chunk_plans(plans, jobs=jobs, chunk_size=chunk_size, min_chunk_size=min_chunk_size)
    assert [len(chunk) for chunk in chunks] == sizes
    assert [plan.name for chunk in chunks for plan in chunk] == sorted(plan.name for plan in plans)


def test_chunks_do_not_depend_on_the_order_of_accounts_or_regions() -> None:
    expected = [[plan.name for plan in chunk] for chunk in chunk_plans(estate_plans(5, 7), jobs=2, chunk_size=10, min_chunk_size=1)]
    for seed in range(3):
        plans = estate_plans(5, 7, shuffle=seed)
        random.Random(seed).shuffle(plans)  # noqa: S311 - shuffling test input, not cryptography
        assert [[plan.name for plan in chunk] for chunk in chunk_plans(plans, jobs=2, chunk_size=10, min_chunk_size=1)] == expected


@pytest.mark.parametrize(("jobs", "chunk_size", "min_chunk_size"), [(0, 85, 1), (-1, 85, 1), (2, 0, 1), (2, 85, 0)])
def test_rejects_jobs_or_chunk_sizes_below_one(jobs: int, chunk_size: int, min_chunk_size: int) -> None:
    with pytest.raises(ValueError, match="must be at least 1"):
        chunk_plans(estate_plans(1, 2), jobs=jobs, chunk_size=chunk_size, min_chunk_size=min_chunk_size)
