"""Small instance builders and strategies shared by the solver tests (no Django)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def base(**over: Any) -> dict[str, Any]:
    """One item (1 t), one hub, one origin O, one destination D, all lead times 0."""
    d: dict[str, Any] = {
        "schema": "aidbridge.allocation-instance/1",
        "weeks": 6,
        "items": [{"id": "A", "weight_t": 1.0}],
        "hubs": [{"id": "H1", "capacity_t_per_week": 1000.0}],
        "lead_in_weeks": {"O": {"H1": 0}},
        "lead_out_weeks": {"H1": {"D": 0}},
        "cost_in_per_t": {},
        "pledges": [{"id": "P1", "donor": "X", "origin": "O", "item": "A", "quantity": 10, "available_week": 0}],
        "requirements": [{"id": "R1", "item": "A", "quantity": 10, "priority": 1, "due_week": 5,
                          "destination": "D"}],
        "packages": [],
        "priority_value": {"1": 100, "2": 10},
        "lateness_decay_per_week": 0.1,
    }
    d.update(over)
    return d


def generator_params(*, items: int, pledges: int, requirements: int) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments of ``solver.generate``: instances of up to ``items`` items, ``pledges`` pledges and
    ``requirements`` requirements, with every capacity and package mix the property tests cover."""
    return st.fixed_dictionaries({
        "n_donors": st.integers(1, 4),
        "n_items": st.integers(1, items),
        "n_pledges": st.integers(1, pledges),
        "n_requirements": st.integers(1, requirements),
        "n_hubs": st.integers(1, 3),
        "weeks": st.integers(1, 8),
        "seed": st.integers(0, 10_000),
        "capacity_ratio": st.sampled_from([0.05, 0.3, 0.7, 2.0]),
        "package_share": st.sampled_from([0.0, 0.3, 0.8]),
        "n_destinations": st.integers(1, 3),
    })
