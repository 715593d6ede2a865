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
    ("accounts", "regions", "jobs", "chunk_size", "sizes"),
    [
        (20, 17, 2, 85, [85, 85, 85, 85]),  # the 340-stack estate: four chunks, two at a time
        (20, 17, 2, 100, [85, 85, 85, 85]),  # ceil(340 / 100) = 4 chunks, balanced rather than 100 + 100 + 100 + 40
        (20, 17, 8, 85, [43, 43, 43, 43, 42, 42, 42, 42]),  # one chunk per job when that makes them smaller
        (1, 17, 2, 85, [9, 8]),
        (1, 17, 2, 5, [5, 4, 4, 4]),
        (1, 2, 8, 85, [1, 1]),  # never an empty chunk
        (1, 1, 2, 85, [1]),
    ],
)
def test_chunks_are_balanced_consecutive_runs_of_the_stacks_in_name_order(
    accounts: int, regions: int, jobs: int, chunk_size: int, sizes: list[int]
) -> None:
    plans = estate_plans(accounts, regions)
    chunks = chunk_plans(plans, jobs=jobs, chunk_size=chunk_size)
    assert [len(chunk) for chunk in chunks] == sizes
    assert [plan.name for chunk in chunks for plan in chunk] == sorted(plan.name for plan in plans)


def test_chunks_do_not_depend_on_the_order_of_accounts_or_regions() -> None:
    expected = [[plan.name for plan in chunk] for chunk in chunk_plans(estate_plans(5, 7), jobs=2, chunk_size=10)]
    for seed in range(3):
        plans = estate_plans(5, 7, shuffle=seed)
        random.Random(seed).shuffle(plans)  # noqa: S311 - shuffling test input, not cryptography
        assert [[plan.name for plan in chunk] for chunk in chunk_plans(plans, jobs=2, chunk_size=10)] == expected


@pytest.mark.parametrize(("jobs", "chunk_size"), [(0, 85), (-1, 85), (2, 0)])
def test_rejects_jobs_or_chunk_size_below_one(jobs: int, chunk_size: int) -> None:
    with pytest.raises(ValueError, match="must be at least 1"):
        chunk_plans(estate_plans(1, 2), jobs=jobs, chunk_size=chunk_size)
